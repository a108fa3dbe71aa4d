import { formatInterval, type CatalogQuery, type ParamSpec } from './catalog.ts'
import { identifierJsonSchema } from '../../core/identifiers.ts'

const schemaOf = (p: ParamSpec): Record<string, unknown> => {
  switch (p.type) {
    case 'UInt32':
      return { type: 'integer', minimum: p.min ?? 0, ...(p.max === undefined ? {} : { maximum: p.max }), ...(p.step === undefined ? {} : { multipleOf: p.step }) }
    case 'Enum':
      return { type: 'string', enum: p.values }
    case 'DateTime':
      return { type: 'string', description: 'ISO-8601, epoch milliseconds, now, or relative (-1h, now-7d)' }
    case 'Interval':
      return {
        type: 'string', pattern: '^\\d+[smhdw]?$',
        description: `seconds or 30s/5m/1h/1d; ${p.min ?? 1}..${p.max ?? '∞'} s${p.step === undefined ? '' : `, a whole multiple of ${formatInterval(p.step)}`}`,
        ...(p.step === undefined ? {} : { 'x-multiple-of-seconds': p.step }),
      }
    case 'Symbol':
      return identifierJsonSchema('symbol')
    case 'Shop':
      return identifierJsonSchema('shop')
    case 'Id':
      return identifierJsonSchema('product')
    default:
      return { type: 'string', maxLength: 256 }
  }
}

const errorRef = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } })

/** The OpenAPI 3.1 document of the historical API, generated from the catalog. */
export function buildOpenApi(catalog: Map<string, CatalogQuery>): Record<string, unknown> {
  const paths: Record<string, unknown> = {
    '/api/v1/q': { get: { summary: 'List the catalog queries the caller may run', security: [{ bearer: [] }], responses: { 200: { description: 'catalog' } } } },
  }
  for (const q of catalog.values()) {
    paths[`/api/v1/q/${q.name}`] = {
      get: {
        operationId: q.name,
        summary: q.description,
        description: `Roles: ${q.roles.join(', ')} (admin always). Cached ${q.cache.closedTtlS} s over closed buckets, ${q.cache.openTtlS} s when the range touches the open bucket.`,
        security: [{ bearer: [] }],
        parameters: [
          ...q.params.map((p) => ({
            name: p.name, in: 'query', required: p.required, description: p.description,
            schema: { ...schemaOf(p), ...(p.default === undefined ? {} : { default: p.default }) },
          })),
          { name: 'format', in: 'query', required: false, schema: { type: 'string', enum: ['json', 'csv', 'msgpack'] }, description: 'overrides Accept' },
        ],
        responses: {
          200: {
            description: 'rows; header X-Cache: HIT|MISS',
            headers: { 'X-Cache': { schema: { type: 'string', enum: ['HIT', 'MISS'] } } },
            content: {
              'application/json': { schema: { $ref: '#/components/schemas/Result' } },
              'text/csv': { schema: { type: 'string' } },
              'application/msgpack': { schema: { $ref: '#/components/schemas/Result' } },
            },
          },
          400: errorRef('INVALID_PARAMETER, RESULT_TOO_LARGE'), 401: errorRef('UNAUTHENTICATED, INVALID_TOKEN, TOKEN_EXPIRED'),
          403: errorRef('FORBIDDEN (role), NOT_ENTITLED (symbol or shop)'), 404: errorRef('UNKNOWN_QUERY'),
          429: errorRef('RATE_LIMITED, with Retry-After'), 502: errorRef('CLICKHOUSE_ERROR'), 503: errorRef('QUERY_TIMEOUT, with Retry-After'),
        },
      },
    }
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Livehouse historical API', version: '1' },
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: {
        Error: { type: 'object', required: ['error'], properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} } } } },
        Result: {
          type: 'object', required: ['query', 'columns', 'rows'],
          properties: {
            query: { type: 'string' },
            columns: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, type: { type: 'string' } } } },
            rows: { type: 'array', items: { type: 'object', description: 'Decimal and 64-bit integers as strings (exact)' } },
          },
        },
      },
    },
  }
}
