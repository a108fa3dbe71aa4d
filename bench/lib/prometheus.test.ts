import { describe, expect, it } from 'vitest'
import { histogramBuckets, histogramWindow } from './prometheus.ts'

const scrape = (counts: number[]) => [
  '# HELP t_seconds x', '# TYPE t_seconds histogram',
  ...['0.01', '0.05', '0.1', '+Inf'].map((le, i) => `t_seconds_bucket{le="${le}"} ${counts[i]}`),
  `t_seconds_sum 1`, `t_seconds_count ${counts[3]}`, 'other_bucket{le="0.01"} 99',
].join('\n')

describe('histogramWindow', () => {
  it('takes only the observations between the two scrapes', () => {
    const w = histogramWindow(histogramBuckets(scrape([5, 5, 5, 5]), 't_seconds'), histogramBuckets(scrape([6, 12, 15, 15]), 't_seconds'))
    expect(w).toEqual({ count: 10, p50AtMostS: 0.05, maxAtMostS: 0.1 })
  })

  it('reports +Inf as the bound of observations above the last bucket', () => {
    const w = histogramWindow([], histogramBuckets(scrape([1, 1, 1, 3]), 't_seconds'))
    expect(w).toEqual({ count: 3, p50AtMostS: Infinity, maxAtMostS: Infinity })
  })

  it('counts only the second scrape after a restart reset the counters', () => {
    const w = histogramWindow(histogramBuckets(scrape([50, 60, 70, 80]), 't_seconds'), histogramBuckets(scrape([1, 2, 2, 2]), 't_seconds'))
    expect(w).toEqual({ count: 2, p50AtMostS: 0.01, maxAtMostS: 0.05 })
  })

  it('sums a histogram over its other labels, and reads only the named one', () => {
    const text = ['x_bucket{route="a",le="1"} 1', 'x_bucket{route="b",le="1"} 2', 'x_bucket{route="a",le="+Inf"} 3', 'x_bucket{route="b",le="+Inf"} 4', 'xy_bucket{le="1"} 9'].join('\n')
    expect(histogramBuckets(text, 'x')).toEqual([{ le: 1, count: 3 }, { le: Infinity, count: 7 }])
  })

  it('is empty when nothing was observed', () => {
    const s = histogramBuckets(scrape([2, 2, 2, 2]), 't_seconds')
    expect(histogramWindow(s, s)).toEqual({ count: 0, p50AtMostS: null, maxAtMostS: null })
  })
})
