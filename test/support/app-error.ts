// Errors are matched by code, never by message (a message can be reworded freely).
import { AppError } from '../../core/errors.ts'

/** What `f` throws: `status CODE` of an AppError, any other error as its text; 'returned' if nothing. */
export function thrownCode(f: () => unknown): string {
  try {
    f()
    return 'returned'
  } catch (e) {
    return e instanceof AppError ? `${e.status} ${e.code}` : String(e)
  }
}
