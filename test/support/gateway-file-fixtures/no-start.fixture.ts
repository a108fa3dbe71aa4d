// A gateway that cannot start (its configuration is refused): the beforeAll must fail the file.
import { expect, it } from 'vitest'
import { gatewayForFile } from '../gateway-file.ts'

const file = gatewayForFile({ PORT: 'not-a-port' })

it('runs against the gateway', () => {
  expect(file.gw.url).toMatch(/^http/)
})
