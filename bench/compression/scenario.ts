// Issue 16 item 5: bytes per answer before (identity, what every answer was) and after (br or
// gzip as the client accepts), for the catalog in JSON/CSV/MessagePack, the OpenAPI document and
// the UI's files, and what compressing one answer costs (paid once per cached answer, format and
// encoding; a hit re-sends the stored bytes). The gateway runs in this process on a fresh data
// directory with the history bench's fixtures; answers are read with raw node:http, so the bytes
// are those on the wire.
import { existsSync, readdirSync } from 'node:fs'
import { request } from 'node:http'
import { loadavg } from 'node:os'
import { join, resolve } from 'node:path'
import { spawnSync } from 'node:child_process'
import { makeFixtures } from '../../test/support/history-fixtures.ts'
import { ingest, startInProcess, tokenFor } from '../../test/support/gateway.ts'
import { compressBytes, type Encoding } from '../../api/http/compression.ts'
import { createStaticRoutes } from '../../api/ui/static.ts'
import { machine, writeReport } from '../lib/report.ts'
import { median } from '../lib/stats.ts'

const root = resolve(import.meta.dirname, '../..')
const hour = 3_600_000

function raw(url: string, headers: Record<string, string>): Promise<{ status: number; encoding?: string; body: Buffer }> {
  return new Promise((done, fail) => {
    request(url, { headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => done({ status: res.statusCode ?? 0, encoding: res.headers['content-encoding'], body: Buffer.concat(chunks) }))
      res.on('error', fail)
    }).on('error', fail).end()
  })
}

/** Median µs to compress `bytes` (answer effort), over `reps` repetitions. */
function compressUs(bytes: Uint8Array, enc: Encoding, reps: number): number {
  const times: number[] = []
  for (let i = 0; i < reps; i++) {
    const t = performance.now()
    compressBytes(bytes, enc)
    times.push((performance.now() - t) * 1000)
  }
  return median(times) ?? NaN
}

interface Row { what: string; kind: 'catalog' | 'openapi' | 'ui'; identity: number; gzip: number; br: number; brUs: number[]; gzipUs: number[] }

export async function compressionScenario(o: { name: string; runs: number }) {
  const gw = await startInProcess({ RATE_LIMIT_TOKEN_PER_S: '0', RATE_LIMIT_IP_PER_S: '0' })
  const rows: Row[] = []
  try {
    const base = Math.floor(Date.now() / hour) * hour - 3 * hour
    const f = makeFixtures(base, { trades: 20_000, orders: 10_000, webEvents: 20_000 })
    for (const [stream, events] of [['trades', f.trades], ['orders', f.orders], ['web_events', f.webEvents]] as const) {
      for (let i = 0; i < events.length; i += 5000) if ((await ingest(gw, stream, events.slice(i, i + 5000))).status !== 200) throw new Error(`ingest ${stream} failed`)
    }
    const admin = await tokenFor(['admin'])
    // The history bench's dashboard widgets, the candles chart and a page of the trade tape.
    const paths = [
      '/api/v1/q/sales_overview?from=-24h&to=now', '/api/v1/q/sales_trend?metric=revenue&interval=1h&from=-24h&to=now',
      '/api/v1/q/top_products?by=revenue&from=-7d&to=now', '/api/v1/q/category_breakdown?from=-7d&to=now',
      '/api/v1/q/funnel?from=-24h&to=now', '/api/v1/q/profitability?from=-7d&to=now&interval=1d',
      '/api/v1/q/candles?symbol=BTC-USD&interval=1m&from=-6h&to=now', '/api/v1/q/symbol_stats',
      '/api/v1/q/trades?symbol=BTC-USD&from=-6h&to=now&limit=500', '/api/v1/q',
    ]
    const targets = [
      ...paths.flatMap((p) => (p === '/api/v1/q' ? [p] : [p, `${p}${p.includes('?') ? '&' : '?'}format=csv`, `${p}${p.includes('?') ? '&' : '?'}format=msgpack`])).map((p) => ({ what: p.replace('/api/v1/q/', ''), kind: 'catalog' as const, path: p })),
      { what: 'openapi.json', kind: 'openapi' as const, path: '/api/v1/openapi.json' },
    ]
    for (const t of targets) {
      const h = { authorization: `Bearer ${admin}` }
      const [id, gz, br] = [await raw(gw.url + t.path, h), await raw(gw.url + t.path, { ...h, 'accept-encoding': 'gzip' }), await raw(gw.url + t.path, { ...h, 'accept-encoding': 'br' })]
      if (id.status !== 200) throw new Error(`${t.path}: ${id.status} ${id.body.toString().slice(0, 200)}`)
      rows.push({ what: t.what, kind: t.kind, identity: id.body.length, gzip: gz.body.length, br: br.body.length, brUs: [], gzipUs: [] })
    }
    // The UI as built (ui/dist; built first when missing, as `npm start` does).
    if (!existsSync(join(root, 'ui/dist/index.html'))) spawnSync(process.execPath, [join(root, 'scripts/build-ui.mjs')], { cwd: root, stdio: 'inherit' })
    const dist = join(root, 'ui/dist')
    const ui = createStaticRoutes({ dir: dist })
    const files = ['index.html', ...readdirSync(join(dist, 'assets')).map((n) => `assets/${n}`)]
    for (const file of files) {
      const get = async (enc?: string) => Buffer.from(await (await ui.request(`/${file}`, { headers: enc ? { 'accept-encoding': enc } : {} })).arrayBuffer()).length
      rows.push({ what: file.replace(/-[\w-]{8}\./, '-….'), kind: 'ui', identity: await get(), gzip: await get('gzip'), br: await get('br'), brUs: [], gzipUs: [] })
    }
    // What compressing a catalog answer costs (per miss, format and encoding), per run.
    const load: number[] = []
    for (let run = 0; run < o.runs; run++) {
      for (const [i, t] of targets.entries()) {
        if (t.kind !== 'catalog') continue
        const body = (await raw(gw.url + t.path, { authorization: `Bearer ${admin}` })).body
        rows[i].brUs.push(compressUs(body, 'br', 20))
        rows[i].gzipUs.push(compressUs(body, 'gzip', 20))
      }
      load.push(loadavg()[0])
    }
    const fmt = (n: number) => n.toLocaleString('en-US')
    const pct = (a: number, b: number) => `${((100 * a) / b).toFixed(0)} %`
    const us = (xs: number[]) => (xs.length ? `${fmt(Math.round(median(xs) ?? 0))} (${fmt(Math.round(Math.min(...xs)))}–${fmt(Math.round(Math.max(...xs)))})` : '—')
    const sum = (kind: Row['kind'] | 'dashboard', k: 'identity' | 'gzip' | 'br') =>
      rows.filter((r) => (kind === 'dashboard' ? r.kind === 'catalog' && !r.what.includes('format=') && r.what !== '/api/v1/q' : r.kind === kind)).reduce((s, r) => s + r[k], 0)
    const md = [
      `# Compression: bytes per answer before and after (${new Date().toISOString()})`,
      '',
      `\`npm run bench -- --scenario compression --runs ${o.runs}\`: the gateway in process on a fresh data directory with the history bench's fixtures (20k trades, 10k order lines, 20k web events); each answer fetched with raw node:http without Accept-Encoding (before: every answer was sent so), with \`gzip\` and with \`br\`. ` +
        'Bytes are the body on the wire (deterministic); the compression cost is the median of 20 compressions of the answer in this process per run, median (min–max) over runs: it is paid once per cached answer, format and encoding, since the cache entry keeps the compressed bytes (a hit sends them as they are). UI files and OpenAPI are compressed at the highest effort once per process.',
      '',
      '| answer | identity bytes (before) | gzip bytes | br bytes | br / identity | br µs per miss | gzip µs per miss |',
      '|---|---|---|---|---|---|---|',
      ...rows.map((r) => `| ${r.what} | ${fmt(r.identity)} | ${fmt(r.gzip)} | ${fmt(r.br)} | ${pct(r.br, r.identity)} | ${us(r.brUs)} | ${us(r.gzipUs)} |`),
      '',
      '| total | identity bytes | gzip bytes | br bytes | br / identity |',
      '|---|---|---|---|---|',
      ...(['dashboard', 'catalog', 'openapi', 'ui'] as const).map((k) => `| ${k === 'dashboard' ? 'dashboard (8 widgets + candles + tape, JSON)' : k === 'ui' ? 'UI first load (index.html + every asset)' : k === 'catalog' ? 'every catalog answer above' : 'OpenAPI'} | ${fmt(sum(k, 'identity'))} | ${fmt(sum(k, 'gzip'))} | ${fmt(sum(k, 'br'))} | ${pct(sum(k, 'br'), sum(k, 'identity'))} |`),
      '',
      `Load average (1 min) per run: ${load.map((l) => l.toFixed(1)).join(' / ')} on ${machine().cpus} cores (shared machine). Machine: ${JSON.stringify(machine())}.`,
      '',
    ].join('\n')
    const files2 = writeReport(o.name, { scenario: 'compression', machine: machine(), options: o, rows, load }, md)
    return { rows, files: files2 }
  } finally {
    await gw.stop()
  }
}
