// The columns a rule may compare, per live channel: numbers only (never an id, a country or
// a reason text), and the rule form in the UI offers exactly those, for every channel.
import { describe, expect, it } from 'vitest'
import { channels } from '../live/channels.ts'
import { numericColumns as formColumns } from '../../ui/src/alerts/columns.ts'
import { isAdditive, numericColumns } from './columns.ts'

const spec = (name: string) => channels.get(name)!

describe('alert rule columns', () => {
  it('risk: the score and the amount, not the order, customer, country or reasons', () => {
    expect(numericColumns(spec('risk'))).toEqual(['score', 'amount'])
  })

  it('sales and top_products: net revenue and its two parts, the parts summed per bucket', () => {
    expect(numericColumns(spec('sales'))).toEqual(['revenue', 'cost', 'units', 'orders', 'customers', 'aov', 'gross_revenue', 'refunds'])
    expect(numericColumns(spec('top_products'))).toEqual(['revenue', 'units', 'orders', 'gross_revenue', 'refunds'])
    expect(['gross_revenue', 'refunds'].map(isAdditive)).toEqual([true, true])
    expect(isAdditive('aov')).toBe(false)
  })

  it('the UI rule form offers exactly the columns the API takes, for every channel', () => {
    for (const [name, s] of channels) expect([...(formColumns[name] ?? [])].sort(), name).toEqual([...numericColumns(s)].sort())
    expect(Object.keys(formColumns).sort()).toEqual([...channels.keys()].sort())
  })
})
