import { toCsv } from '../../core/csv.ts'

/** The CSV writer the catalog's `?format=csv` uses too (formula-like cells escaped). */
export { toCsv }

/** RFC 4180 CSV of the rows shown, downloaded as a file. */
export function downloadCsv(filename: string, header: string[], rows: unknown[][]) {
  const url = URL.createObjectURL(new Blob([toCsv(header, rows)], { type: 'text/csv;charset=utf-8' }))
  const a = document.createElement('a')
  a.href = url
  a.download = filename
  a.click()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
}
