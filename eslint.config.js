// `npm run lint`: the import boundaries of docs/architecture.md, checked on every file.
//   core/    imports neither api/ nor ingest/ (it is the vocabulary both share);
//   ingest/  does not import api/; api/ uses ingest/ only through types, except the
//            composition root api/livehouse.ts, which wires the two;
//   ui/src/  imports from the server only the shared protocol and dashboard schema;
//   production code (api/, core/, ingest/, ui/src/) imports no test file or test support.
import tseslint from 'typescript-eslint'

const up = '^(\\.\\./)+' // a relative specifier climbing to the repository root, e.g. ../../

const forbid = {
  api: { regex: `${up}api(/|$)`, message: 'ingest/ and core/ must not import api/ (only api/livehouse.ts wires api/ and ingest/)' },
  ingest: { regex: `${up}ingest(/|$)`, message: 'core/ must not import ingest/' },
  ingestValues: {
    regex: `${up}ingest(/|$)`,
    allowTypeImports: true,
    message: 'api/ takes ingest/ as types only; the composition root api/livehouse.ts creates and wires it',
  },
  testCode: {
    regex: '(^|/)(test|__tests__)/|\\.(test|spec)(\\.[mc]?[jt]sx?)?$|(^|/)(fixtures|raw-equivalents|test-client|event-checks)(\\.ts)?$',
    message: 'production code must not import tests or test support',
  },
  serverCode: {
    regex: `${up}(api|core|ingest)/(?!protocol/|dashboards/schema\\.ts$|alerts/schema\\.ts$|csv\\.ts$)`,
    message: 'the browser imports only the shared protocol (api/protocol/), schemas (api/dashboards/schema.ts, api/alerts/schema.ts) and the one CSV writer (core/csv.ts)',
  },
}

const tests = ['**/*.test.ts', '**/*.test.tsx', 'test/**', 'ui/test/**']
const restrict = (...patterns) => ({ '@typescript-eslint/no-restricted-imports': ['error', { patterns }] })

export default tseslint.config(
  { ignores: ['node_modules/**', '.cache/**', 'data/**', 'dist/**', 'ui/dist/**', 'bench/results/**'] },
  {
    files: ['**/*.{ts,tsx,js,mjs}'],
    languageOptions: { parser: tseslint.parser, ecmaVersion: 'latest', sourceType: 'module' },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: { 'no-control-regex': 'error', 'no-debugger': 'error', 'no-dupe-keys': 'error', 'no-unreachable': 'error', 'no-self-assign': 'error' },
  },
  // Each block lists every pattern its files need: a later block's options replace an earlier one's.
  { files: ['core/**'], rules: restrict(forbid.api, forbid.ingest, forbid.testCode) },
  { files: ['ingest/**'], rules: restrict(forbid.api, forbid.testCode) },
  { files: ['api/**'], rules: restrict(forbid.ingestValues, forbid.testCode) },
  { files: ['api/livehouse.ts'], rules: restrict(forbid.testCode) },
  { files: ['ui/src/**'], rules: restrict(forbid.serverCode, forbid.testCode) },
  // Tests may use test support and build whatever they test, but keep the folder boundaries.
  { files: tests.map((t) => `core/${t}`), rules: restrict(forbid.api, forbid.ingest) },
  { files: tests.map((t) => `ingest/${t}`), rules: restrict(forbid.api) },
  { files: tests.map((t) => `api/${t}`), rules: restrict() },
  { files: tests.map((t) => `ui/${t}`), rules: restrict() },
)
