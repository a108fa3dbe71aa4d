// UI benchmark (bench/ui/README.md): the UI's bench page (ui/bench/, built apart from the
// production bundle) in headless Chromium with synthetic candles at `--rate` points/s spread
// over `--charts` charts, fed through the live worker's decode path (MessagePack encode →
// decode), the ring buffers and the one rAF loop.
// Measures frame times, applied points/s and the page's JS heap; writes
// bench/results/<date>-ui.json and .md. `--seconds` (default 20; 60 for the record).
import { spawnSync } from 'node:child_process'
import { createReadStream, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { extname, join, normalize } from 'node:path'
import { gzipSync } from 'node:zlib'
import { parseArgs } from 'node:util'
import { buildUi, launch, root } from '../../ui/test/browser.ts'

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '20' }, rate: { type: 'string', default: '100000' }, charts: { type: 'string', default: '6' }, capacity: { type: 'string', default: '2000' } } })
const seconds = Number(values.seconds)
const dist = join(root, 'ui/dist')
const benchDist = join(root, 'ui/dist-bench')

/** The bench page (ui/bench/) is built apart from the production bundle: `vite build --mode bench` into ui/dist-bench. */
function buildBenchPage() {
  const r = spawnSync(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--config', join(root, 'ui/vite.config.ts'), '--mode', 'bench', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' })
  if (r.status !== 0) throw new Error('bench ui: vite build --mode bench failed')
}
const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' }

/** Initial JS of index.html: its module script and the chunks it preloads, gzipped. */
export function initialJsGzipBytes(): { files: string[]; gzipBytes: number; rawBytes: number } {
  const html = readFileSync(join(dist, 'index.html'), 'utf8')
  const files = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+\.js)"/g)].map((m) => m[1])
  const bufs = files.map((f) => readFileSync(join(dist, f)))
  return { files, rawBytes: bufs.reduce((a, b) => a + b.length, 0), gzipBytes: bufs.reduce((a, b) => a + gzipSync(b, { level: 9 }).length, 0) }
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]

async function main() {
  buildUi() // the production bundle, whose size is reported
  buildBenchPage()
  const server = createServer((req, res) => {
    const path = normalize(join(benchDist, new URL(req.url ?? '/', 'http://x').pathname))
    if (!path.startsWith(benchDist) || !existsSync(path) || !statSync(path).isFile()) return void res.writeHead(404).end()
    res.writeHead(200, { 'content-type': types[extname(path)] ?? 'application/octet-stream' })
    createReadStream(path).pipe(res)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as { port: number }).port
  const browser = await launch()
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(String(e)))
    const cdp = await page.context().newCDPSession(page)
    await cdp.send('Performance.enable')
    await page.goto(`http://127.0.0.1:${port}/bench/index.html?charts=${values.charts}&rate=${values.rate}&capacity=${values.capacity}`)
    await page.waitForFunction('window.__bench && window.__bench.points() > 0')
    await page.waitForTimeout(3000) // warm-up: buffers fill to capacity, JIT settles
    const heap = async () => {
      await cdp.send('HeapProfiler.collectGarbage')
      const { metrics } = await cdp.send('Performance.getMetrics')
      return metrics.find((m) => m.name === 'JSHeapUsedSize')!.value
    }
    const heapSamples: { t: number; bytes: number }[] = [{ t: 0, bytes: await heap() }]
    // Strings, not functions: tsx's keepNames would inject a __name helper the page lacks.
    await page.evaluate(`(() => {
      const w = window
      w.__frames = []
      let last = performance.now()
      const loop = (t) => (w.__frames.push(t - last), (last = t), requestAnimationFrame(loop))
      requestAnimationFrame(loop)
      w.__p0 = w.__bench.points()
      w.__t0 = performance.now()
    })()`)
    const step = Math.max(1, Math.floor(seconds / 10))
    for (let t = step; t <= seconds; t += step) {
      await page.waitForTimeout(step * 1000)
      heapSamples.push({ t, bytes: await heap() })
    }
    const { frames, points, elapsedMs } = await page.evaluate<{ frames: number[]; points: number; elapsedMs: number }>(
      `({ frames: window.__frames.slice(1), points: window.__bench.points() - window.__p0, elapsedMs: performance.now() - window.__t0 })`)
    const fps = (frames.length / elapsedMs) * 1000
    const first = heapSamples[1]?.bytes ?? heapSamples[0].bytes
    const lastHeap = heapSamples[heapSamples.length - 1].bytes
    // Flat = no trend: least-squares slope over the samples (single samples swing with in-flight frames).
    const n = heapSamples.length
    const mt = heapSamples.reduce((a, x) => a + x.t, 0) / n
    const mb = heapSamples.reduce((a, x) => a + x.bytes, 0) / n
    const slope = heapSamples.reduce((a, x) => a + (x.t - mt) * (x.bytes - mb), 0) / Math.max(1e-9, heapSamples.reduce((a, x) => a + (x.t - mt) ** 2, 0))
    const trendPct = Math.round(((slope * seconds) / mb) * 1000) / 10
    const bundle = initialJsGzipBytes()
    const result = {
      date: new Date().toISOString(),
      machine: { cpus: (await import('node:os')).cpus().length, chromium: browser.version(), node: process.version },
      config: { seconds, charts: Number(values.charts), targetPointsPerS: Number(values.rate), pointsPerChart: Number(values.capacity) },
      appliedPointsPerS: Math.round((points / elapsedMs) * 1000),
      fps: Math.round(fps * 10) / 10,
      frameMs: { p50: pct(frames, 50), p95: pct(frames, 95), p99: pct(frames, 99), max: Math.max(...frames) },
      heap: { samples: heapSamples, meanBytes: Math.round(mb), slopeBytesPerS: Math.round(slope), trendPctOverRun: trendPct, firstToLastBytes: lastHeap - first },
      bundle: { initialJsGzipBytes: bundle.gzipBytes, initialJsRawBytes: bundle.rawBytes, files: bundle.files },
      errors,
      pass: { fps: fps >= 55, p95: pct(frames, 95) <= 18, heapFlat: Math.abs(trendPct) < 10, bundle: bundle.gzipBytes <= 100 * 1024 },
    }
    const day = result.date.slice(0, 10)
    const dir = join(root, 'bench/results')
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, `${day}-ui.json`), JSON.stringify(result, null, 2) + '\n')
    const md = `# UI benchmark ${result.date}

${result.config.charts} candle charts in headless Chromium ${result.machine.chromium}, ${result.machine.cpus} shared cores; synthetic frames encoded and decoded in the live worker, applied to ring buffers of ${result.config.pointsPerChart} points, drawn at most once per animation frame. ${seconds} s measured after a 3 s warm-up.

| metric | value | target |
|---|---|---|
| points applied/s | ${result.appliedPointsPerS.toLocaleString('en')} | ${result.config.targetPointsPerS.toLocaleString('en')} |
| frame rate | ${result.fps} fps | ≥ 55 |
| frame time p50 / p95 / p99 / max | ${result.frameMs.p50.toFixed(1)} / ${result.frameMs.p95.toFixed(1)} / ${result.frameMs.p99.toFixed(1)} / ${result.frameMs.max.toFixed(1)} ms | p95 ≤ 18 ms |
| page JS heap after GC: mean, range, trend over the run | ${(mb / 1e6).toFixed(2)} MB, ${(Math.min(...heapSamples.map((x) => x.bytes)) / 1e6).toFixed(2)}–${(Math.max(...heapSamples.map((x) => x.bytes)) / 1e6).toFixed(2)} MB, ${trendPct} % | flat (\\|trend\\| < 10 %) |
| initial JS (gzip) | ${(bundle.gzipBytes / 1024).toFixed(1)} kB | ≤ 100 kB |
`
    writeFileSync(join(dir, `${day}-ui.md`), md)
    console.log(md)
    console.log(JSON.stringify(result.pass))
  } finally {
    await browser.close()
    server.close()
  }
}

await main()
