#!/usr/bin/env node
// `npm start` runs this first: builds the UI (ui/dist) when it is missing or older than
// its sources, so a fresh checkout serves the dashboard without a separate step.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const built = join(root, 'ui/dist/index.html');
const sources = ['ui/src', 'ui/index.html', 'ui/vite.config.ts', 'api/protocol'].map((p) => join(root, p));

function newest(path) {
  if (!existsSync(path)) return 0;
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name))));
}

const builtAt = existsSync(built) ? statSync(built).mtimeMs : 0;
if (builtAt && Math.max(...sources.map(newest)) <= builtAt && process.env.LIVEHOUSE_BUILD_UI !== '1') process.exit(0);
console.log(builtAt ? 'ui: sources changed, rebuilding ui/dist…' : 'ui: ui/dist missing, building it…');
const r = spawnSync(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--config', join(root, 'ui/vite.config.ts'), '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
if (r.status !== 0) {
  console.error('ui: build failed; the API still starts, and `/` explains how to build the UI');
  process.exit(0); // the gateway is useful without its UI
}
