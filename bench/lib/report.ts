import { mkdirSync, writeFileSync } from 'node:fs'
import { availableParallelism, cpus } from 'node:os'
import { join, resolve } from 'node:path'

const resultsDir = resolve(import.meta.dirname, '../results')

export interface Bar {
  label: string
  value: number
}

/** A horizontal bar chart as SVG: no dependencies, viewable anywhere the Markdown is. */
export function barChartSvg(title: string, unit: string, bars: Bar[]): string {
  const width = 640
  const rowH = 28
  const left = 220
  const height = 40 + bars.length * rowH
  const max = Math.max(1, ...bars.map((b) => b.value))
  const rows = bars.map((b, i) => {
    const y = 30 + i * rowH
    const w = Math.max(1, ((width - left - 90) * b.value) / max)
    return `<text x="${left - 8}" y="${y + 17}" text-anchor="end">${escapeXml(b.label)}</text>` +
      `<rect x="${left}" y="${y + 4}" width="${w.toFixed(1)}" height="${rowH - 8}" fill="#3b82f6"/>` +
      `<text x="${left + w + 6}" y="${y + 17}">${formatNumber(b.value)} ${escapeXml(unit)}</text>`
  })
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="13">` +
    `<rect width="100%" height="100%" fill="#fff"/><text x="10" y="20" font-weight="bold">${escapeXml(title)}</text>${rows.join('')}</svg>\n`
}

function formatNumber(n: number): string {
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(n >= 10 ? 1 : 2)
}

const escapeXml = (s: string) => s.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`)

/** Writes `<date>-<scenario>.json`, `.md` and `.svg` under bench/results; returns the paths. */
export function writeReport(scenario: string, result: object, markdown: string, svg?: string): string[] {
  mkdirSync(resultsDir, { recursive: true })
  const base = join(resultsDir, `${new Date().toISOString().slice(0, 10)}-${scenario}`)
  writeFileSync(`${base}.json`, JSON.stringify(result, null, 2) + '\n')
  const files = [`${base}.json`, `${base}.md`]
  if (svg) {
    writeFileSync(`${base}.svg`, svg)
    files.push(`${base}.svg`)
    markdown += `\n![${scenario}](./${base.split('/').at(-1)}.svg)\n`
  }
  writeFileSync(`${base}.md`, markdown)
  return files
}

export function machine() {
  return { node: process.version, cpus: availableParallelism(), cpuModel: cpus()[0]?.model ?? null, platform: process.platform }
}
