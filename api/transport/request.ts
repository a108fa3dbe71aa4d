import type uWS from 'uWebSockets.js'

/** What a handler needs of a uWS request, copied out: uWS frees `req` when its callback returns. */
export function readRequest(res: uWS.HttpResponse, req: uWS.HttpRequest, host: string) {
  const headers = new Headers()
  req.forEach((k, v) => headers.append(k, v))
  const query = req.getQuery()
  const url = `http://${headers.get('host') ?? host}${req.getUrl()}${query ? `?${query}` : ''}`
  const remoteAddress = Buffer.from(res.getRemoteAddressAsText()).toString()
  return { method: req.getCaseSensitiveMethod().toUpperCase(), url, headers, remoteAddress }
}
