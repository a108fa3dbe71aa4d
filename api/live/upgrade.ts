import { type Auth } from '../auth.ts'
import type { Principal } from '../../core/roles.ts'
import * as access from '../access.ts'
import { AppError, isAppError } from '../../core/errors.ts'
import { TOKEN_SUBPROTOCOL_PREFIX } from '../protocol/index.ts'
import { bearerToken } from '../http/middleware.ts'

/**
 * The JWT of a WebSocket upgrade, from (in this order) `Authorization: Bearer`, a
 * `Sec-WebSocket-Protocol` entry `bearer.<jwt>` or the `access_token` query parameter:
 * browsers cannot set headers on a WebSocket.
 */
export function getUpgradeToken(request: Request): string | undefined {
  const bearer = bearerToken(request.headers.get('authorization'))
  if (bearer) return bearer
  const protocols = (request.headers.get('sec-websocket-protocol') ?? '').split(',').map((p) => p.trim())
  const fromProtocol = protocols.find((p) => p.startsWith(TOKEN_SUBPROTOCOL_PREFIX))
  if (fromProtocol) return fromProtocol.slice(TOKEN_SUBPROTOCOL_PREFIX.length)
  return new URL(request.url).searchParams.get('access_token') ?? undefined
}

/** Verifies the upgrade's token, synchronously; a refusal carries the error body of docs/errors.md. */
export function authenticateUpgrade(auth: Auth, request: Request): Principal | AppError {
  try {
    const token = getUpgradeToken(request)
    if (!token) throw new AppError(401, 'UNAUTHENTICATED', 'a Bearer token is required')
    const principal = auth.verifySync(token)
    access.enforce(access.role(principal, access.surfaceRoles.live))
    return principal
  } catch (e) {
    return isAppError(e) ? e : new AppError(500, 'INTERNAL', 'internal error')
  }
}
