// The live benchmark's load client in Go: `-count` WebSocket clients against the gateway
// (MessagePack deltas) or the JSON baseline. It does what bench/live/clients.ts does, at a
// fraction of the CPU per frame, so on a shared 2-core machine the measured latency is the
// server's and not the load client's own backlog. The scenario passes the subscribe
// frames already encoded (hex), so this file knows only the frame headers it measures:
//
//	DELTA    [17, cid, seq, base, sentOffset, append, replace, remove]  (docs/protocol.md)
//	SNAPSHOT [16, sid, cid, seq, ...]
//	ERROR    [21, ...]
//	JSON     {"sentAt":<ms>,"channel":"<topic>",...,"rows":[[t, ...], ...]}
//
// The WebSocket upgrade through net/http, MessagePack headers through
// github.com/vmihailenco/msgpack/v5 (one reused decoder per connection, reading only the
// header numbers); the frame loop is hand-written because it measured cheaper than
// coder/websocket's (see open). bench/live/go-client-compare.ts (`npm run bench -- --scenario
// go-client`) measures the CPU per frame against the earlier clients.
//
// Talks to the scenario by lines like clients.ts: prints {"event":"ready"}, reads "start"
// and "stop" on stdin, then prints {"event":"result"} and exits.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vmihailenco/msgpack/v5"
)

const maxMs = 60_000

type headers []string

func (h *headers) String() string     { return strings.Join(*h, "\n") }
func (h *headers) Set(v string) error { *h = append(*h, v); return nil }

var (
	addr       = flag.String("addr", "127.0.0.1:8080", "host:port")
	kind       = flag.String("kind", "msgpack", "msgpack (gateway) or json (baseline)")
	count      = flag.Int("count", 100, "clients")
	path       = flag.String("path", "/ws", "request path")
	probePath  = flag.String("probe-path", "", "request path of probe clients (default: -path)")
	subs       = flag.String("subs", "", "hex-encoded frames every client sends after the upgrade, comma-separated")
	probeSubs  = flag.String("probe-subs", "", "hex-encoded frames only probe clients send")
	probeSid   = flag.Int("probe-sid", -1, "msgpack: the sid of the probe tape subscription")
	probeEvery = flag.Int("probe-every", 50, "1 in this many clients watches the probe tape")
	ramp       = flag.Int("ramp", 200, "connections opened at once")
	cpuProfile = flag.String("cpuprofile", "", "write a CPU profile of the measured window to this file (go tool pprof)")
	reqHeaders headers
)

var (
	measuring      atomic.Bool
	measureStarted atomic.Int64
	latency        [maxMs + 1]atomic.Uint32
	stats          struct {
		connected, failed, closed atomic.Int64
	}
	clientsMu    sync.Mutex
	clients      []*client
	probeMu      sync.Mutex
	probeSamples []int64
)

func nowMs() int64 { return time.Now().UnixMilli() }

func record(ms int64) {
	if ms < 0 {
		ms = 0
	} else if ms > maxMs {
		ms = maxMs
	}
	latency[ms].Add(1)
}

// ---- One client ----

type client struct {
	probe      bool
	seqByCid   map[int64]int64
	probeCid   int64
	lastProbeT int64
	conn       io.ReadWriteCloser
	dec        *msgpack.Decoder
	src        bytes.Reader
	// Per connection, summed at stop: no cache line shared by every reader goroutine.
	counts counters
}

type counters struct {
	updates, updateBytes, snapshots, snapshotBytes, errors, gaps atomic.Int64
}

func (c *client) onMsgpack(payload []byte) {
	c.src.Reset(payload)
	d := c.dec
	d.Reset(&c.src)
	n, err := d.DecodeArrayLen()
	if err != nil || n < 1 {
		return
	}
	t, err := d.DecodeInt64()
	if err != nil {
		return
	}
	switch t {
	case 17: // DELTA
		now := nowMs()
		var h [4]float64 // cid, seq, base, sentOffset
		if numbers(d, h[:]) != nil {
			return
		}
		cid, seq := int64(h[0]), int64(h[1])
		if last, ok := c.seqByCid[cid]; ok && seq > last+1 && measuring.Load() {
			c.counts.gaps.Add(1)
		}
		c.seqByCid[cid] = seq
		if !measuring.Load() {
			return
		}
		c.counts.updates.Add(1)
		c.counts.updateBytes.Add(int64(len(payload)))
		base := int64(h[2])
		record(now - (base + int64(h[3])))
		if cid != c.probeCid {
			return
		}
		// The probe tape's appended rows: the time column (offsets from base) is the first.
		cols, err := d.DecodeArrayLen()
		if err != nil || cols < 1 {
			return
		}
		rows, err := d.DecodeArrayLen()
		if err != nil {
			return
		}
		for i := 0; i < rows; i++ {
			off, err := d.DecodeFloat64()
			if err != nil {
				return
			}
			c.probeSample(base+int64(off), now)
		}
	case 16: // SNAPSHOT
		var h [3]float64 // sid, cid, seq
		if numbers(d, h[:]) != nil {
			return
		}
		c.seqByCid[int64(h[1])] = int64(h[2])
		if int(h[0]) == *probeSid {
			c.probeCid = int64(h[1])
		}
		if measuring.Load() {
			c.counts.snapshots.Add(1)
			c.counts.snapshotBytes.Add(int64(len(payload)))
		}
	case 21: // ERROR
		c.counts.errors.Add(1)
	}
}

// numbers fills h with the next len(h) numbers (integers or floats).
func numbers(d *msgpack.Decoder, h []float64) (err error) {
	for i := range h {
		if h[i], err = d.DecodeFloat64(); err != nil {
			return err
		}
	}
	return nil
}

func (c *client) onJSON(payload []byte) {
	now := nowMs()
	// {"sentAt":<ms>,"channel":"…": read without parsing the whole frame; only probe tapes are parsed.
	comma := bytes.IndexByte(payload[:min(len(payload), 40)], ',')
	if comma < 10 {
		return
	}
	sentAt, err := strconv.ParseInt(string(payload[10:comma]), 10, 64)
	if err != nil || !measuring.Load() {
		return
	}
	c.counts.updates.Add(1)
	c.counts.updateBytes.Add(int64(len(payload)))
	record(now - sentAt)
	if c.probe && len(payload) > comma+19 && string(payload[comma+12:comma+19]) == "trades/" {
		var msg struct{ Rows [][]json.RawMessage }
		if json.Unmarshal(payload, &msg) != nil {
			return
		}
		for _, row := range msg.Rows {
			if len(row) > 0 {
				if t, err := strconv.ParseFloat(string(row[0]), 64); err == nil {
					c.probeSample(int64(t), now)
				}
			}
		}
	}
}

// probeSample: event → client; the probe trade's `ts` is its send time, each newer trade counts once.
func (c *client) probeSample(t, now int64) {
	if t <= c.lastProbeT {
		return
	}
	c.lastProbeT = t
	if measuring.Load() && t >= measureStarted.Load() {
		probeMu.Lock()
		probeSamples = append(probeSamples, now-t)
		probeMu.Unlock()
	}
}

func decodeFrames(list string) [][]byte {
	var out [][]byte
	for _, h := range strings.Split(list, ",") {
		if h == "" {
			continue
		}
		b, err := hex.DecodeString(h)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bad hex frame:", err)
			os.Exit(2)
		}
		out = append(out, b)
	}
	return out
}

// The upgrade goes through net/http (request, 101 response, the connection handed over as the
// response body); the frames after it are read by hand. coder/websocket did both and cost 14 %
// more CPU per frame, nearly all in its per-message read path, with twice the memory per
// connection (bench/results/2026-12-04-go-client-coder-websocket.md): on the hot path of a load
// client whose own CPU is part of every latency it reports, the loop below stays.
var upgrader = &http.Client{Transport: &http.Transport{DialContext: (&net.Dialer{Timeout: 30 * time.Second}).DialContext}}

// open connects and upgrades; the client then owns the connection.
func open(c *client, reqPath string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+*addr+reqPath, nil)
	if err != nil {
		return err
	}
	key := make([]byte, 16)
	_, _ = rand.Read(key)
	req.Header = requestHeader()
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Sec-WebSocket-Key", base64.StdEncoding.EncodeToString(key))
	req.Header.Set("Sec-WebSocket-Version", "13")
	resp, err := upgrader.Do(req)
	if err != nil {
		return err
	}
	conn, ok := resp.Body.(io.ReadWriteCloser) // net/http's contract for a 101 response
	if resp.StatusCode != http.StatusSwitchingProtocols || !ok {
		resp.Body.Close()
		return fmt.Errorf("upgrade failed: %s", resp.Status)
	}
	c.conn = conn
	return nil
}

func requestHeader() http.Header {
	h := http.Header{}
	for _, line := range reqHeaders {
		if name, value, ok := strings.Cut(line, ":"); ok {
			h.Add(strings.TrimSpace(name), strings.TrimSpace(value))
		}
	}
	return h
}

// frame is a masked client frame with a zero mask (legal; the payload goes out unchanged).
func frame(opcode byte, payload []byte) []byte {
	n := len(payload)
	var out []byte
	switch {
	case n < 126:
		out = []byte{0x80 | opcode, 0x80 | byte(n)}
	case n < 65536:
		out = []byte{0x80 | opcode, 0x80 | 126, byte(n >> 8), byte(n)}
	default:
		out = make([]byte, 10)
		out[0], out[1] = 0x80|opcode, 0x80|127
		binary.BigEndian.PutUint64(out[2:], uint64(n))
	}
	return append(append(out, 0, 0, 0, 0), payload...)
}

// readLoop reads server frames (unmasked, unfragmented: what both servers send) until close,
// into one reused buffer; answers pings.
func (c *client) readLoop() {
	defer func() {
		c.conn.Close()
		stats.closed.Add(1)
	}()
	br := bufio.NewReaderSize(c.conn, 4096)
	var head [8]byte
	buf := make([]byte, 0, 512)
	for {
		if _, err := io.ReadFull(br, head[:2]); err != nil {
			return
		}
		opcode := head[0] & 0x0f
		n := int(head[1] & 0x7f)
		switch n {
		case 126:
			if _, err := io.ReadFull(br, head[:2]); err != nil {
				return
			}
			n = int(binary.BigEndian.Uint16(head[:2]))
		case 127:
			if _, err := io.ReadFull(br, head[:8]); err != nil {
				return
			}
			n = int(binary.BigEndian.Uint64(head[:8]))
		}
		if cap(buf) < n {
			buf = make([]byte, n)
		}
		payload := buf[:n]
		if _, err := io.ReadFull(br, payload); err != nil {
			return
		}
		switch opcode {
		case 1, 2:
			if *kind == "json" {
				c.onJSON(payload)
			} else {
				c.onMsgpack(payload)
			}
		case 9:
			_, _ = c.conn.Write(frame(10, payload))
		case 8:
			return
		}
	}
}

func main() {
	flag.Var(&reqHeaders, "header", "request header `Name: value` (repeatable)")
	flag.Parse()
	if *probePath == "" {
		*probePath = *path
	}
	all, probeOnly := decodeFrames(*subs), decodeFrames(*probeSubs)

	started := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < min(*ramp, *count); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < *count; i = int(next.Add(1) - 1) {
				c := &client{probe: i%*probeEvery == 0, seqByCid: map[int64]int64{}, probeCid: -1, lastProbeT: nowMs(), dec: msgpack.NewDecoder(nil)}
				reqPath := *path
				if c.probe {
					reqPath = *probePath
				}
				if err := open(c, reqPath); err != nil {
					stats.failed.Add(1)
					continue
				}
				stats.connected.Add(1)
				clientsMu.Lock()
				clients = append(clients, c)
				clientsMu.Unlock()
				out := []byte{}
				for _, f := range all {
					out = append(out, frame(2, f)...)
				}
				if c.probe {
					for _, f := range probeOnly {
						out = append(out, frame(2, f)...)
					}
				}
				if len(out) > 0 {
					_, _ = c.conn.Write(out)
				}
				go c.readLoop()
			}
		}()
	}
	wg.Wait()
	say(map[string]any{"event": "ready", "connected": stats.connected.Load(), "failed": stats.failed.Load(), "connectMs": time.Since(started).Milliseconds()})

	// Scheduling delay of a 10 ms ticker: how late this process runs its own work. A tick
	// carries the time it fired, so the delay is how long the receive waited after that.
	var delayMu sync.Mutex
	var delays []float64
	go func() {
		for t := range time.Tick(10 * time.Millisecond) {
			if measuring.Load() {
				d := time.Since(t)
				delayMu.Lock()
				delays = append(delays, float64(d)/1e6)
				delayMu.Unlock()
			}
		}
	}()

	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		switch in.Text() {
		case "start":
			if *cpuProfile != "" {
				if f, err := os.Create(*cpuProfile); err == nil {
					_ = pprof.StartCPUProfile(f)
				}
			}
			measureStarted.Store(nowMs())
			measuring.Store(true)
		case "stop":
			measuring.Store(false)
			pprof.StopCPUProfile()
			seconds := float64(nowMs()-measureStarted.Load()) / 1000
			hist := [][2]int64{}
			for ms := range latency {
				if n := latency[ms].Load(); n > 0 {
					hist = append(hist, [2]int64{int64(ms), int64(n)})
				}
			}
			delayMu.Lock()
			sort.Float64s(delays)
			p99 := 0.0
			if len(delays) > 0 {
				p99 = delays[int(math.Ceil(0.99*float64(len(delays))))-1]
			}
			delayMu.Unlock()
			var sum struct{ updates, updateBytes, snapshots, snapshotBytes, errors, gaps int64 }
			clientsMu.Lock()
			for _, c := range clients {
				sum.updates += c.counts.updates.Load()
				sum.updateBytes += c.counts.updateBytes.Load()
				sum.snapshots += c.counts.snapshots.Load()
				sum.snapshotBytes += c.counts.snapshotBytes.Load()
				sum.errors += c.counts.errors.Load()
				sum.gaps += c.counts.gaps.Load()
			}
			clientsMu.Unlock()
			var mem runtime.MemStats
			runtime.ReadMemStats(&mem)
			probeMu.Lock()
			samples := probeSamples
			if samples == nil {
				samples = []int64{}
			}
			say(map[string]any{
				"event": "result", "kind": *kind, "client": "go", "seconds": seconds,
				"connected": stats.connected.Load(), "failed": stats.failed.Load(), "closed": stats.closed.Load(),
				"updates": sum.updates, "updateBytes": sum.updateBytes,
				"snapshots": sum.snapshots, "snapshotBytes": sum.snapshotBytes,
				"errors": sum.errors, "gaps": sum.gaps, "probeSamples": samples,
				"latencyHist": hist, "loopDelayP99Ms": p99, "rssMb": mem.Sys >> 20,
			})
			probeMu.Unlock()
			os.Exit(0)
		}
	}
}

func say(v any) {
	b, _ := json.Marshal(v)
	os.Stdout.Write(append(b, '\n'))
}
