#!/usr/bin/env node
// `npm test`: type-check, lint, start a private Kafka and Redis on free ports, run vitest against them,
// and always stop what it started. Extra arguments go to vitest: `npm test -- api/ -t cache`.
// `npm run test:stress` (`--stress`) does the same with busy-loop workers on every core the whole time.
// Tests find the services through LIVEHOUSE_TEST_KAFKA_BROKERS, LIVEHOUSE_TEST_KAFKA_DIR and
// LIVEHOUSE_TEST_REDIS_URL (see scripts/README.md).
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { ROOT, say, seconds, getFreePort, isAlive, readJson, writeJson, aptInstall, isRoot } from './lib/proc.mjs';
import { ensureKafkaJars, startKafka, stopKafka } from './kafka.mjs';
import { ensureRedisServer, startRedis, stopRedis } from './redis.mjs';
import { burnerCount, loadAverage, startBurners, stopBurners } from './lib/stress.mjs';
import { ensurePromtool } from './promtool.mjs';

const RUNS = join(ROOT, '.cache/test-runs'); // one file per live `npm test`, so a crashed run's leftovers can be found
const CHROMIUM = '/usr/bin/chromium';
const started = { kafkaDir: undefined, redisPort: undefined, burners: [] };
let child; // the tsc or vitest process in the foreground

/** Installs Chromium when browser tests exist and LIVEHOUSE_TEST_BROWSER is not 0; returns its path or undefined. */
export async function ensureBrowser() {
  if (process.env.LIVEHOUSE_TEST_BROWSER === '0' || !hasBrowserTests()) return undefined;
  if (!existsSync(CHROMIUM)) {
    if (!isRoot()) throw new Error(`test: browser tests need ${CHROMIUM}: apt-get install -y chromium (or set LIVEHOUSE_TEST_BROWSER=0)`);
    await aptInstall(['chromium'], 'test: chromium not found');
  }
  return CHROMIUM;
}

function hasBrowserTests() {
  if (existsSync(join(ROOT, 'test/browser'))) return true;
  const walk = (dir) => readdirSync(dir, { withFileTypes: true }).some((e) =>
    e.isDirectory() ? e.name !== 'node_modules' && walk(join(dir, e.name)) : /\.browser\.test\.tsx?$/.test(e.name));
  return existsSync(join(ROOT, 'ui')) && walk(join(ROOT, 'ui'));
}

/** Runs a node script in the foreground; resolves with its exit code (128+n when killed by a signal). */
function runNode(script, args, env = process.env) {
  return new Promise((res, rej) => {
    child = spawn(process.execPath, [join(ROOT, script), ...args], { cwd: ROOT, env, stdio: 'inherit' });
    child.once('error', rej);
    child.once('exit', (code, sig) => {
      child = undefined;
      res(code ?? 128 + (sig === 'SIGINT' ? 2 : 15));
    });
  });
}

/** Stops brokers and servers left by earlier runs that died before their cleanup (kill -9, OOM). */
async function reapStaleRuns() {
  if (!existsSync(RUNS)) return;
  for (const name of readdirSync(RUNS)) {
    const pid = Number(name.replace(/\.json$/, ''));
    if (pid === process.pid || isAlive(pid)) continue;
    const run = readJson(join(RUNS, name)) ?? {};
    say(`test: cleaning up after dead run ${pid}`);
    await stopServices(run);
    rmSync(join(RUNS, name), { force: true });
  }
}

async function stopServices({ kafkaDir, redisPort, burners }) {
  stopBurners(burners);
  await Promise.all([
    kafkaDir && stopKafka({ dataDir: kafkaDir }).then(() => rmSync(kafkaDir, { recursive: true, force: true })),
    redisPort && stopRedis({ port: redisPort }),
  ]);
}

let cleaning;
function cleanup() {
  cleaning ??= (async () => {
    const t0 = Date.now();
    await stopServices(started).catch((err) => say(`test: cleanup failed: ${err.message}`));
    rmSync(join(RUNS, `${process.pid}.json`), { force: true });
    if (started.burners.length) say(`test: ${started.burners.length} stress workers stopped (load average ${loadAverage()})`);
    if (started.kafkaDir || started.redisPort) say(`test: kafka and redis stopped in ${seconds(t0)}`);
  })();
  return cleaning;
}

for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]]) {
  process.on(sig, () => {
    say(`test: ${sig}, stopping…`);
    child?.kill(sig);
    cleanup().finally(() => process.exit(code));
  });
}

async function main(argv) {
  const t0 = Date.now();
  await reapStaleRuns();
  const stress = argv.includes('--stress');
  const vitestArgs = argv.filter((a) => a !== '--stress');
  if (stress) {
    // From the first step on: type-checking, broker start-up and every test run on a loaded machine.
    started.burners = startBurners(burnerCount());
    writeJson(join(RUNS, `${process.pid}.json`), started);
    say(`test: stress: ${started.burners.length} busy-loop workers on ${availableParallelism()} cores (LIVEHOUSE_STRESS_WORKERS), load average ${loadAverage()}`);
  }
  if (existsSync(join(ROOT, 'tsconfig.json')) && process.env.LIVEHOUSE_TEST_TYPECHECK !== '0') {
    say('test: tsc --noEmit…');
    const code = await runNode('node_modules/typescript/bin/tsc', ['--noEmit', '-p', '.']);
    if (code !== 0) {
      say('test: type errors (set LIVEHOUSE_TEST_TYPECHECK=0 to run the tests anyway)');
      return code;
    }
  }
  if (existsSync(join(ROOT, 'eslint.config.js')) && process.env.LIVEHOUSE_TEST_LINT !== '0') {
    say('test: eslint (import boundaries, docs/architecture.md)…');
    const code = await runNode('node_modules/eslint/bin/eslint.js', ['.']);
    if (code !== 0) {
      say('test: lint errors (npm run lint; set LIVEHOUSE_TEST_LINT=0 to run the tests anyway)');
      return code;
    }
  }
  const [chromium, , , promtool] = await Promise.all([ensureBrowser(), ensureKafkaJars(), ensureRedisServer(), ensurePromtool()]);

  const [kafkaPort, redisPort] = [await getFreePort(), await getFreePort()];
  started.kafkaDir = join(ROOT, '.cache/kafka', `test-${process.pid}`);
  started.redisPort = redisPort;
  writeJson(join(RUNS, `${process.pid}.json`), started);
  // allSettled: if one fails, the other must have finished starting before cleanup stops it.
  const results = await Promise.allSettled([
    startKafka({ port: kafkaPort, dataDir: started.kafkaDir, fresh: true }),
    startRedis({ port: redisPort }),
  ]);
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  const [kafka, redis] = results.map((r) => r.value);

  const env = {
    ...process.env,
    LIVEHOUSE_TEST_KAFKA_BROKERS: kafka.brokers,
    LIVEHOUSE_TEST_KAFKA_DIR: kafka.dataDir,
    LIVEHOUSE_TEST_REDIS_URL: redis.url,
    ...(chromium && { LIVEHOUSE_TEST_CHROMIUM: chromium }),
    LIVEHOUSE_TEST_PROMTOOL: promtool,
  };
  // With no arguments an empty suite passes; with a filter, matching nothing should fail loudly.
  const args = ['run', ...(vitestArgs.length ? vitestArgs : ['--passWithNoTests'])];
  say(`test: vitest ${args.join(' ')} (services ready ${seconds(t0)} after start)`);
  return runNode('node_modules/vitest/vitest.mjs', args, env);
}

let exitCode = 1;
try {
  exitCode = await main(process.argv.slice(2));
} catch (err) {
  say(`test: ${err.message}`);
} finally {
  await cleanup();
}
process.exit(exitCode);
