// vitest's global setup: runs once per test run, before any file.
import { buildUi } from '../../ui/test/browser.ts'

/** The browser files serve ui/dist: built here once (a no-op when it is newer than its sources). */
export default function setup() {
  buildUi()
}
