// Process helpers shared by scripts/kafka.mjs, scripts/redis.mjs and scripts/test.mjs.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, readdirSync, writeFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Repository root, whatever the caller's working directory. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** One progress line on stderr, so stdout stays clean for whoever pipes it. */
export function say(msg) {
  process.stderr.write(`${msg}\n`);
}

/** Runs `main(argv)` and exits with its code when `moduleUrl` is the script node was started with. */
export function runAsCli(moduleUrl, main) {
  if (moduleUrl !== pathToFileURL(process.argv[1] ?? '').href) return;
  main(process.argv.slice(2)).then((code) => process.exit(code), (err) => {
    say(err.message);
    process.exit(1);
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function seconds(sinceMs) {
  return `${((Date.now() - sinceMs) / 1000).toFixed(1)} s`;
}

/** A TCP port that was free a moment ago (the OS picks it). */
export function getFreePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

export function isPortFree(port) {
  return new Promise((res) => {
    const srv = createServer();
    srv.once('error', () => res(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => res(true)));
  });
}

export function isAlive(pid) {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return err.code === 'EPERM';
  }
  // A zombie still answers signal 0, so it counts as gone; but a killed multi-threaded process (a JVM)
  // shows its leader as a zombie while the other threads still tear down and hold its sockets.
  try {
    if (!/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))) return true;
    return readdirSync(`/proc/${pid}/task`).length > 1;
  } catch {
    return false;
  }
}

/** The command line of a live pid, '' when unknown; used so a stale pid file never kills a stranger. */
export function cmdlineOf(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

export function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

export function writeJson(file, value) {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

/** Last lines of a log file, for error messages. */
export function tail(file, lines = 30) {
  if (!existsSync(file)) return `(no log at ${file})`;
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

/**
 * Starts a long-running server in its own process group (so a Ctrl-C meant for the
 * caller does not reach it before the caller can stop it cleanly), output to logFile.
 */
export function spawnDetached(cmd, args, { logFile, cwd = ROOT, env = process.env }) {
  mkdirSync(dirname(logFile), { recursive: true });
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(cmd, args, { cwd, env, detached: true, stdio: ['ignore', fd, fd] });
    child.unref();
    return new Promise((res, rej) => {
      child.once('error', rej);
      child.once('spawn', () => res(child.pid));
    });
  } finally {
    closeSync(fd);
  }
}

/** SIGTERM, then SIGKILL after timeoutMs; resolves once the pid is gone. */
export async function stopPid(pid, { timeoutMs = 30_000, signal = 'SIGTERM' } = {}) {
  if (!isAlive(pid)) return;
  try {
    process.kill(pid, signal);
  } catch {
    return;
  }
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
      await waitFor(() => !isAlive(pid), { timeoutMs: 10_000, what: `pid ${pid} to die` });
      return;
    }
    await sleep(100);
  }
}

/**
 * Polls check() until it returns truthy; throws `timed out waiting for <what>` at the deadline,
 * or at once when isFatal(error) says retrying is pointless (e.g. the server process died).
 */
export async function waitFor(check, { timeoutMs = 60_000, intervalMs = 200, what = 'condition', isFatal = () => false } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastErr;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      if (isFatal(err)) throw err;
      lastErr = err;
    }
    if (Date.now() > deadline) {
      const why = lastErr ? ` (last error: ${lastErr.message ?? lastErr})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await sleep(intervalMs);
  }
}

/** Runs a command to completion; throws with its output when it fails. */
export function run(cmd, args, { cwd = ROOT, env = process.env, inherit = false } = {}) {
  return new Promise((res, rej) => {
    const child = spawn(cmd, args, { cwd, env, stdio: inherit ? 'inherit' : ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout?.on('data', (d) => (out += d));
    child.stderr?.on('data', (d) => (out += d));
    child.once('error', rej);
    child.once('close', (code, sig) => {
      if (code === 0) res(out);
      else rej(new Error(`${cmd} ${args.join(' ')} failed (${sig ?? `exit ${code}`})\n${out.trimEnd()}`));
    });
  });
}

/** Absolute path of an executable on PATH, or undefined. */
export function which(name) {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

export const isRoot = () => process.getuid?.() === 0;

/** apt-get install as root, or a clear error naming what to install. */
export async function aptInstall(pkgs, why) {
  if (!isRoot()) {
    throw new Error(`${why}: install it first, e.g. \`sudo apt-get install -y ${pkgs.join(' ')}\``);
  }
  say(`${why}: apt-get install -y ${pkgs.join(' ')}…`);
  // noninteractive: debconf must not prompt; policy-rc.d absent in CI containers is fine.
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await run('apt-get', ['update'], { env });
  await run('apt-get', ['install', '-y', ...pkgs], { env });
}

export function removeDir(dir) {
  rmSync(dir, { recursive: true, force: true });
}

/** Minimal `--key value` / `--flag` parser (scripts/redis.mjs); positional args in `_`. New CLIs use node:util parseArgs, which knows option types. */
export function parseCli(argv) {
  const out = { _: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) out._.push(a);
    else if (a.includes('=')) out[a.slice(2, a.indexOf('='))] = a.slice(a.indexOf('=') + 1);
    else if (argv[i + 1] !== undefined && !argv[i + 1].startsWith('--')) out[a.slice(2)] = argv[++i];
    else out[a.slice(2)] = true;
  }
  return out;
}
