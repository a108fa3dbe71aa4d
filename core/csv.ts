// The one CSV writer: the catalog's `?format=csv` (api/history/formats.ts) and the UI's
// "Export CSV" (ui/src/csv.ts) both call it, so the two files a user downloads agree.

/** A plain number as ClickHouse or JavaScript writes it (`-12.5`, `+4`, `1e-7`): a spreadsheet reads it as a value. */
const plainNumber = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/
/** What a spreadsheet treats as the start of a formula (OWASP "CSV injection"). */
const formulaStart = /^[=+\-@\t\r]/

/**
 * One RFC 4180 field. Text a spreadsheet would run as a formula (`=HYPERLINK(…)`,
 * `+1+2`, `@SUM(…)`, a leading tab or CR) gets a leading `'`, which shows it as text;
 * numbers (a negative net revenue) stay numbers. Arrays and objects are JSON, null is empty.
 */
export function csvCell(v: unknown): string {
  if (v === null || v === undefined) return ''
  let s = typeof v === 'object' ? JSON.stringify(v) : String(v)
  if (formulaStart.test(s) && !plainNumber.test(s)) s = `'${s}`
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

/** A header row and data rows, CRLF line ends (RFC 4180). */
export function toCsv(header: readonly string[], rows: readonly (readonly unknown[])[]): string {
  let out = header.map(csvCell).join(',') + '\r\n'
  for (const row of rows) out += row.map(csvCell).join(',') + '\r\n'
  return out
}
