// What reading a frame costs a k6 VU's JavaScript, measured in Node (V8; k6's interpreter is
// slower still): the whole-frame MessagePack decode ws-fanout.js used until 2026-12 (kept in
// git at the commit named below) against frame-header.js, on a 1 s candle DELTA and a
// 300-bucket SNAPSHOT as the gateway sends them. `npx tsx bench/k6/decode-cost.ts`.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { encodeServerFrame, S } from '../../api/protocol/index.ts'
// @ts-expect-error plain JavaScript shared with the k6 scripts, without types
import { frameHeader } from './frame-header.js'

const wholeDecodeRev = '2054590'
const root = resolve(import.meta.dirname, '../..')
const file = join(mkdtempSync(join(tmpdir(), 'lh-k6-decode-')), 'msgpack.mjs')
writeFileSync(file, execFileSync('git', ['show', `${wholeDecodeRev}:bench/k6/msgpack.js`], { cwd: root }))
const { decode } = (await import(file)) as { decode: (b: ArrayBuffer) => unknown }

const meta = { columns: ['t', 'open', 'high', 'low', 'close', 'volume', 'trades', 'vwap'], key: [0], time: 0 }
const rows = (n: number) => meta.columns.map((_, c) => Array.from({ length: n }, (_, r) => (c === 0 ? r * 1000 : 100.123456 + r / 7)))
const frames = {
  'DELTA (one 1 s candle)': encodeServerFrame({ type: S.DELTA, cid: 7, seq: 1234, base: Date.now(), sentOffset: 250, append: null, replace: rows(1), remove: null }),
  'SNAPSHOT (300 candles)': encodeServerFrame({ type: S.SNAPSHOT, sid: 1, cid: 7, seq: 1, meta, base: Date.now(), cols: rows(300), since: null }),
}

function nsPerCall(fn: () => unknown, minMs = 300): number {
  let n = 0
  const t0 = process.hrtime.bigint()
  let t = t0
  while (t - t0 < BigInt(minMs) * 1_000_000n) {
    for (let i = 0; i < 100; i++) fn()
    n += 100
    t = process.hrtime.bigint()
  }
  return Number(t - t0) / n
}

console.log('| frame | bytes | whole decode | header only | ratio |')
console.log('|---|---|---|---|---|')
for (const [name, bytes] of Object.entries(frames)) {
  const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
  for (let i = 0; i < 3; i++) (nsPerCall(() => decode(buf), 100), nsPerCall(() => frameHeader(buf), 100)) // warm up
  const whole = nsPerCall(() => decode(buf))
  const header = nsPerCall(() => frameHeader(buf))
  console.log(`| ${name} | ${bytes.byteLength} | ${(whole / 1000).toFixed(2)} µs | ${(header / 1000).toFixed(3)} µs | ${Math.round(whole / header)}× |`)
}
