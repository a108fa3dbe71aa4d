/** Content-Type per output format, as ClickHouse's server answers them. */
const binary = /^(native|rowbinary\w*|parquet|arrow\w*|orc|avro|protobuf\w*|capnproto|msgpack|rawblob|bsoneachrow|npy)$/i

export function contentType(format: string): string {
  const f = format.toLowerCase()
  if (binary.test(f)) return 'application/octet-stream'
  if (f.startsWith('json') || f === 'ndjson' || f === 'jsonl') return 'application/json; charset=UTF-8'
  if (f.startsWith('csv')) return `text/csv; charset=UTF-8; header=${f.includes('names') ? 'present' : 'absent'}`
  if (f.startsWith('tabseparated') || f.startsWith('tsv')) return 'text/tab-separated-values; charset=UTF-8'
  if (f === 'xml') return 'application/xml; charset=UTF-8'
  if (f === 'markdown') return 'text/markdown; charset=UTF-8'
  // Pretty*, Vertical, Values, Template, …: text for a terminal or a browser tab.
  return 'text/plain; charset=UTF-8'
}
