// A whole catalog answer as CSV (the gateway's own CSV, escaped there), downloaded with the
// user's token: a segment can hold far more customers than a table shows.
import { token } from '../session.ts'

export async function downloadCatalogCsv(name: string, params: Record<string, string | number>, filename: string) {
  const qs = new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)]))
  qs.set('format', 'csv')
  const r = await fetch(`/api/v1/q/${name}?${qs}`, { headers: { authorization: `Bearer ${token() ?? ''}` } })
  if (!r.ok) throw new Error(`export failed: ${r.status}`)
  const url = URL.createObjectURL(await r.blob())
  const a = document.createElement('a')
  a.href = url
  a.download = filename
  a.click()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
}
