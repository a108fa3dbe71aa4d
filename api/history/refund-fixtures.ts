/**
 * Order lines with the refund edge cases of net revenue (docs/api.md, Metrics), around an
 * hour start `h0`: a refund in its sale's minute, in the next minute, in the next hour
 * (across a period end), of a line sold two days before the period, a partial refund sent
 * before its sale (late data), pending and cancelled lines, and a second currency. Sent in
 * the order of `batches`. The expected figures are worked out by hand in the tests.
 */
export const refundShop = 'net-shop'

export function refundCase(h0: number): Record<string, unknown>[][] {
  const at = (min: number, s = 0) => h0 + min * 60_000 + s * 1000
  const line = (order_id: string, ts: number, customer_id: string, product_id: string, quantity: number, unit_price: number, unit_cost: number, status: string, currency = 'USD') => ({
    order_id, ts, shop_id: refundShop, customer_id, product_id, category: categories[product_id], quantity, unit_price, unit_cost, currency, status, country: 'DE',
  })
  return [
    [
      line('o-1', at(0, 10), 'c-1', 'p-1', 2, 50, 20, 'completed'),
      line('o-1', at(0, 10), 'c-1', 'p-2', 1, 30, 10, 'completed'),
      line('o-2', at(0, 50), 'c-2', 'p-1', 1, 50, 20, 'completed'),
      line('o-1', at(0, 40), 'c-1', 'p-2', 1, 30, 10, 'refunded'), // same minute as its sale
      line('o-2', at(1, 5), 'c-2', 'p-1', 1, 50, 20, 'refunded'), // next minute
      line('o-3', at(59, 30), 'c-3', 'p-3', 1, 80, 30, 'completed'),
      line('o-3', at(60, 20), 'c-3', 'p-3', 1, 80, 30, 'refunded'), // next hour: the next period
      line('o-7', at(5), 'c-6', 'p-1', 1, 50, 20, 'pending'),
      line('o-8', at(6), 'c-7', 'p-2', 2, 30, 10, 'cancelled'),
      line('o-9', at(2), 'c-8', 'p-1', 1, 10, 4, 'completed', 'EUR'),
      line('o-9', at(3), 'c-8', 'p-1', 1, 10, 4, 'refunded', 'EUR'),
    ],
    [
      line('o-0', h0 - 2 * 86_400_000 - 3_600_000, 'c-4', 'p-1', 1, 45, 20, 'completed'), // two days before the period
      line('o-0', at(30), 'c-4', 'p-1', 1, 45, 20, 'refunded'), // ...refunded inside it
      line('o-6', at(20), 'c-5', 'p-4', 1, 20, 5, 'refunded'), // partial refund, sent before its sale
    ],
    [line('o-6', at(10), 'c-5', 'p-4', 3, 20, 5, 'completed')],
  ]
}

const categories: Record<string, string> = { 'p-1': 'shoes', 'p-2': 'socks', 'p-3': 'hats', 'p-4': 'bags' }
