// Downloads of a result. CSV is built in the browser from the rows on screen by the
// project's one toCsv (ui/src/csv.ts, which escapes formula cells); Parquet is written by
// the engine itself: the statement runs again with `default_format=Parquet`, so the file
// holds the whole result, not only the rows the page kept.
import { downloadCsv } from '../csv.ts'
import { download } from './client.ts'
import type { Column } from './stream.ts'

const stamp = () => new Date().toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-')

export function saveBlob(filename: string, blob: Blob) {
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = filename
  a.click()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
}

/** Arrays, maps and tuples as JSON (String() would flatten [1,[2]] to "1,2"); NULL as an empty cell. */
const csvCell = (v: unknown) => (v !== null && typeof v === 'object' ? JSON.stringify(v) : v)

export function downloadResultCsv(columns: Column[], rows: unknown[][]) {
  downloadCsv(`result-${stamp()}.csv`, columns.map((c) => c.name), rows.map((r) => r.map(csvCell)))
}

export async function downloadParquet(sql: string, signal?: AbortSignal) {
  saveBlob(`result-${stamp()}.parquet`, await download(sql, 'Parquet', signal))
}
