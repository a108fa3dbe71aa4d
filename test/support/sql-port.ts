// Requests to the analysts' SQL port (ClickHouse's HTTP interface) as curl sends them, and
// what came back, for tests that match refusals by ClickHouse's exception code.

export interface SqlAnswer {
  status: number
  statusText: string
  /** X-ClickHouse-Exception-Code, null when the statement ran. */
  code: string | null
  headers: Headers
  body: string
}

/** The status, ClickHouse's exception code and the body (read in full) of an answer. */
export async function sqlAnswer(r: Response): Promise<SqlAnswer> {
  return { status: r.status, statusText: r.statusText, code: r.headers.get('x-clickhouse-exception-code'), headers: r.headers, body: await r.text() }
}

/** POSTs `body` (SQL, or anything hostile) to `url` on the port with `token` as X-ClickHouse-Key. */
export async function postSql(url: string | URL, token: string, body: BodyInit, init: RequestInit = {}): Promise<SqlAnswer> {
  return sqlAnswer(await fetch(url, { method: 'POST', body, ...init, headers: { 'X-ClickHouse-Key': token, ...(init.headers as Record<string, string>) } }))
}
