// Analyst SQL for the browser at `/api/v1/sql`: the same-origin door to the read-only
// ClickHouse HTTP interface (api/sql/server.ts), called in-process with the caller's
// Bearer token, so the page needs neither the SQL port nor CORS. Answers and errors are
// the interface's own (`Code: N. DB::Exception…`, X-ClickHouse-Exception-Code); the
// request's abort signal goes along, so closing the tab cancels the query.
import { Hono } from 'hono'
import type { AppEnv } from '../http/middleware.ts'

/** Headers the port reads; nothing else (cookies, forwarding headers) is passed on. */
const forwarded = ['authorization', 'content-type', 'content-encoding', 'accept-encoding', 'x-clickhouse-format', 'x-clickhouse-database']

export function createSqlProxyRoutes(o: { sqlFetch: (request: Request) => Response | Promise<Response> }): Hono<AppEnv> {
  const app = new Hono<AppEnv>()
  app.on(['GET', 'POST'], '/api/v1/sql', async (c) => {
    const url = new URL(c.req.url)
    const headers = new Headers()
    for (const h of forwarded) {
      const v = c.req.header(h)
      if (v) headers.set(h, v)
    }
    const body = c.req.method === 'POST' ? await c.req.arrayBuffer() : undefined
    return o.sqlFetch(new Request(`http://sql.internal/${url.search}`, { method: c.req.method, headers, body, signal: c.req.raw.signal }))
  })
  return app
}
