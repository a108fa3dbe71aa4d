// k6: the historical HTTP mix a seller/trader dashboard makes, through the cache.
// Env: BASE_URL, TOKEN (admin or a token entitled to everything), VUS, SECONDS.
import http from 'k6/http'
import { check } from 'k6'
import { Rate } from 'k6/metrics'

const hits = new Rate('cache_hit')
export const options = {
  scenarios: { mix: { executor: 'constant-vus', vus: Number(__ENV.VUS || 20), duration: `${__ENV.SECONDS || 20}s` } },
  thresholds: { http_req_failed: ['rate<0.01'] },
}
const paths = [
  '/api/v1/q/sales_overview?shop=shop-1',
  '/api/v1/q/sales_trend?shop=shop-1',
  '/api/v1/q/top_products?shop=shop-1',
  '/api/v1/q/category_breakdown?shop=shop-1',
  '/api/v1/q/funnel?shop=shop-1',
  '/api/v1/q/candles?symbol=AAPL',
  '/api/v1/q/symbol_stats?symbol=AAPL',
  '/api/v1/q/top_movers',
]
const params = { headers: { authorization: `Bearer ${__ENV.TOKEN}` } }

export default function () {
  const res = http.get(__ENV.BASE_URL + paths[Math.floor(Math.random() * paths.length)], params)
  check(res, { 'status 200': (r) => r.status === 200 })
  hits.add(res.headers['X-Cache'] === 'HIT')
}
