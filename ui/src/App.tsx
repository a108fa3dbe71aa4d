import { createSignal, lazy, Match, onCleanup, Show, Suspense, Switch } from 'solid-js'
import { SignIn } from './components/SignIn.tsx'
import { Status } from './components/Status.tsx'
import { AlertsBell } from './alerts/Bell.tsx'
import { RuleFormDialog } from './alerts/RuleForm.tsx'
import { claims, hasRole, signOutEverywhere, startSession, token, type Role } from './session.ts'
import { setTheme, theme } from './theme.ts'
import { Trader } from './views/Trader.tsx'
import { Seller } from './views/Seller.tsx'

const Analyst = lazy(() => import('./views/Analyst.tsx').then((m) => ({ default: m.Analyst })))
const Dashboards = lazy(() => import('./views/Dashboards.tsx').then((m) => ({ default: m.Dashboards })))
const Operator = lazy(() => import('./views/Operator.tsx').then((m) => ({ default: m.Operator })))

type Route = 'trader' | 'seller' | 'analyst' | 'dashboards' | 'operator'
const routes: { id: Route; label: string; roles: Role[] }[] = [
  { id: 'trader', label: 'Markets', roles: ['trader'] },
  { id: 'seller', label: 'Sales', roles: ['seller'] },
  { id: 'analyst', label: 'SQL', roles: ['analyst'] },
  { id: 'dashboards', label: 'Dashboards', roles: ['trader', 'seller', 'analyst'] },
  { id: 'operator', label: 'Operator', roles: ['admin'] },
]

export function App() {
  // A redirect back from the identity provider is completed before anything renders; inside
  // the silent-renewal iframe nothing renders at all.
  const [starting, setStarting] = createSignal(new URL(location.href).searchParams.has('state'))
  const [inRenewalFrame, setInRenewalFrame] = createSignal(false)
  void startSession().then((render) => (setInRenewalFrame(!render), setStarting(false)))
  const [hash, setHash] = createSignal(location.hash)
  const onHash = () => setHash(location.hash)
  window.addEventListener('hashchange', onHash)
  onCleanup(() => window.removeEventListener('hashchange', onHash))
  const allowed = () => routes.filter((r) => hasRole(claims(), ...r.roles))
  const route = (): Route | undefined => {
    const wanted = hash().replace(/^#\/?/, '').split('?')[0]
    return allowed().find((r) => r.id === wanted)?.id ?? allowed()[0]?.id
  }
  return (
    <Show when={!inRenewalFrame() && !starting()} fallback={<p class="loading">Signing in…</p>}>
    <Show when={token()} fallback={<SignIn />}>
      <a class="skip" href="#main">Skip to content</a>
      <header class="top">
        <span class="brand">Livehouse</span>
        <nav aria-label="Views">
          {allowed().map((r) => (
            <a href={`#/${r.id}`} aria-current={route() === r.id ? 'page' : undefined}>{r.label}</a>
          ))}
        </nav>
        <div class="spacer" />
        <Status />
        <Show when={hasRole(claims(), 'trader', 'seller')}><AlertsBell /></Show>
        <button type="button" class="icon" aria-label={`Switch to ${theme() === 'dark' ? 'light' : 'dark'} theme`} onClick={() => setTheme(theme() === 'dark' ? 'light' : 'dark')}>
          {theme() === 'dark' ? '☀' : '☾'}
        </button>
        <span class="who" title={claims()?.roles.join(', ')}>{claims()?.sub}</span>
        <button type="button" onClick={() => void signOutEverywhere()}>Sign out</button>
      </header>
      <main id="main" tabindex="-1">
        <Show when={route()} fallback={claims() ? <p class="empty">This token has no role with a view here (roles: {claims()?.roles.join(', ') || 'none'}).</p> : <p class="loading">Loading…</p>}>
          <Suspense fallback={<p class="loading">Loading…</p>}>
            <Switch>
              <Match when={route() === 'trader'}><Trader /></Match>
              <Match when={route() === 'seller'}><Seller /></Match>
              <Match when={route() === 'analyst'}><Analyst /></Match>
              <Match when={route() === 'dashboards'}><Dashboards /></Match>
              <Match when={route() === 'operator'}><Operator /></Match>
            </Switch>
          </Suspense>
        </Show>
      </main>
      <RuleFormDialog />
    </Show>
    </Show>
  )
}
