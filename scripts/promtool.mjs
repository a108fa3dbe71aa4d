#!/usr/bin/env node
// promtool (Prometheus's rule checker) for the operator alerts' test (deploy/prometheus/).
// Debian's `prometheus` package ships it; installed without its recommends (node exporter),
// when missing and running as root, like redis-server and chromium.
// CLI: node scripts/promtool.mjs   (prints promtool's path)
import { aptInstall, runAsCli, which } from './lib/proc.mjs';

/** Path of promtool; apt-installs `prometheus` when missing and running as root, else throws saying what to install. */
export async function ensurePromtool() {
  let bin = which('promtool');
  if (!bin) {
    await aptInstall(['--no-install-recommends', 'prometheus'], 'promtool not found');
    bin = which('promtool');
    if (!bin) throw new Error('promtool: apt-get installed prometheus but promtool is still not on PATH');
  }
  return bin;
}

runAsCli(import.meta.url, async () => {
  console.log(await ensurePromtool());
  return 0;
});
