// The historical benchmark's load client, run as its own process (never inside the
// gateway): a closed loop of `concurrency` keep-alive connections, each sending the next
// request when the previous answer is complete (no pipelining). Reads a job file (argv[2]) and prints
// one JSON line with the run's figures.
import { createConnection } from 'node:net'
import { readFileSync } from 'node:fs'
import { percentile } from '../lib/stats.ts'

export interface LoadJob {
  name: string
  url: string
  seconds: number
  concurrency: number
  maxRequests: number
  tokens: string[]
  /** Requests in order, cycled: path and index into `tokens`. */
  targets: { path: string; token: number }[]
}

export interface LoadResult {
  name: string
  requests: number
  errors: number
  seconds: number
  reqPerS: number
  p50Ms: number
  p90Ms: number
  p99Ms: number
  maxMs: number
  hitRatio: number
  statuses: Record<string, number>
  /** CPU the client itself used, in cores (1 = one core busy). */
  clientCpuShare: number
}

/**
 * A minimal HTTP/1.1 client over one socket (keep-alive, no pipelining): the request
 * bytes are built once per target, and the parser reads only the status, Content-Length
 * and X-Cache. node:http's client cost more CPU than the gateway it was measuring.
 */
function connect(host: string, port: number) {
  const socket = createConnection({ host, port, noDelay: true })
  let buffered: Buffer = Buffer.alloc(0)
  let waiting: ((r: { status: number; hit: boolean }) => void) | undefined
  let failed: ((e: Error) => void) | undefined
  socket.on('data', (chunk: Buffer) => {
    buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk
    const end = buffered.indexOf('\r\n\r\n')
    if (end < 0) return
    const head = buffered.toString('latin1', 0, end)
    let bodyEnd: number
    if (/\r\ntransfer-encoding: *chunked/i.test(head)) {
      const last = buffered.indexOf('\r\n0\r\n\r\n', end + 2) // the gateway sends no trailers
      if (last < 0) return
      bodyEnd = last + 7
    } else {
      bodyEnd = end + 4 + Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0)
      if (buffered.length < bodyEnd) return
    }
    buffered = buffered.subarray(bodyEnd)
    const done = waiting
    waiting = undefined
    done?.({ status: Number(head.slice(9, 12)), hit: /\r\nx-cache: *HIT/i.test(head) })
  })
  const fail = (e: Error) => failed?.(e)
  socket.on('error', fail)
  socket.on('close', () => fail(new Error('connection closed')))
  return {
    send: (bytes: Buffer) => new Promise<{ status: number; hit: boolean }>((resolve, reject) => {
      waiting = resolve
      failed = reject
      socket.write(bytes)
    }),
    close: () => socket.destroy(),
  }
}

async function runLoad(job: LoadJob): Promise<LoadResult> {
  const { hostname, port } = new URL(job.url)
  const requests = job.targets.map((t) => Buffer.from(`GET ${t.path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAuthorization: Bearer ${job.tokens[t.token]}\r\n\r\n`, 'latin1'))
  const latencies: number[] = []
  const statuses: Record<string, number> = {}
  let hits = 0
  let next = 0
  const cpu0 = process.cpuUsage()
  const started = performance.now()
  const deadline = started + job.seconds * 1000
  await Promise.all(Array.from({ length: job.concurrency }, async () => {
    let conn = connect(hostname, Number(port))
    while (performance.now() < deadline && next < job.maxRequests) {
      const bytes = requests[next++ % requests.length]
      const t0 = performance.now()
      const r = await conn.send(bytes).catch(() => {
        conn.close()
        conn = connect(hostname, Number(port))
        return { status: 0, hit: false }
      })
      latencies.push(performance.now() - t0)
      statuses[r.status] = (statuses[r.status] ?? 0) + 1
      if (r.hit) hits++
    }
    conn.close()
  }))
  const elapsedS = (performance.now() - started) / 1000
  const cpu = process.cpuUsage(cpu0)
  latencies.sort((a, b) => a - b)
  const q = (p: number) => Number((percentile(latencies, p) ?? 0).toFixed(2))
  return {
    name: job.name, requests: latencies.length, errors: latencies.length - (statuses['200'] ?? 0), seconds: Number(elapsedS.toFixed(2)),
    reqPerS: Math.round(latencies.length / elapsedS), p50Ms: q(50), p90Ms: q(90), p99Ms: q(99), maxMs: q(100),
    hitRatio: Number((hits / Math.max(1, latencies.length)).toFixed(4)), statuses,
    clientCpuShare: Number(((cpu.user + cpu.system) / 1e6 / elapsedS).toFixed(2)),
  }
}

if (process.argv[2]) {
  const job = JSON.parse(readFileSync(process.argv[2], 'utf8')) as LoadJob
  console.log(JSON.stringify(await runLoad(job)))
  process.exit(0)
}
