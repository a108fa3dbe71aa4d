import { createSignal } from 'solid-js'

export type Theme = 'light' | 'dark'
const [theme, setThemeSignal] = createSignal<Theme>((document.documentElement.dataset.theme as Theme) || 'light')
export { theme }

export function setTheme(t: Theme) {
  document.documentElement.dataset.theme = t
  localStorage.setItem('livehouse.theme', t)
  setThemeSignal(t)
}

/** Chart colours come from the CSS custom properties of the current theme. */
export function palette() {
  const css = getComputedStyle(document.documentElement)
  const v = (name: string) => css.getPropertyValue(name).trim()
  return { fg: v('--fg'), muted: v('--muted'), grid: v('--grid'), up: v('--up'), down: v('--down'), accent: v('--accent'), accent2: v('--accent-2') }
}

const [now, setNow] = createSignal(Date.now())
setInterval(() => setNow(Date.now()), 500)
/** Wall clock, ticking twice a second: what freshness labels compare against. */
export { now }
