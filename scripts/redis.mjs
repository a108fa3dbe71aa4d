#!/usr/bin/env node
// A throwaway redis-server for development and tests: no persistence, loopback only.
// State per port under .cache/redis/<port>/: redis.pid, redis.log.
// CLI: node scripts/redis.mjs start|stop|status [--port 6379]
import { existsSync, readFileSync, writeFileSync, rmSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  ROOT, say, seconds, isPortFree, isAlive, cmdlineOf, tail, spawnDetached, stopPid, waitFor, which,
  aptInstall, parseCli, runAsCli } from './lib/proc.mjs';

const DEFAULT_PORT = 6379;
const files = (port) => {
  const dir = join(ROOT, '.cache/redis', String(port));
  return { dir, pid: join(dir, 'redis.pid'), log: join(dir, 'redis.log') };
};

/** Path of redis-server; apt-installs it when missing and running as root, else throws saying what to install. */
export async function ensureRedisServer() {
  let bin = which('redis-server');
  if (!bin) {
    await aptInstall(['redis-server'], 'redis: redis-server not found');
    bin = which('redis-server');
    if (!bin) throw new Error('redis: apt-get installed redis-server but it is still not on PATH');
  }
  return bin;
}

function runningPid(port) {
  const f = files(port);
  const pid = Number(existsSync(f.pid) ? readFileSync(f.pid, 'utf8') : 0);
  return isAlive(pid) && cmdlineOf(pid).includes(`redis-server 127.0.0.1:${port}`) ? pid : undefined;
}

const handle = (port, pid) => ({ url: `redis://127.0.0.1:${port}`, port, pid, stop: () => stopRedis({ port }) });

async function ping(port) {
  const { default: Redis } = await import('ioredis');
  const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0,
    retryStrategy: () => null, connectTimeout: 1_000 });
  client.on('error', () => {}); // failures surface through connect()/ping() below
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } finally {
    client.disconnect();
  }
}

/**
 * Starts (or reuses) redis-server on 127.0.0.1:port and resolves once it answers PING.
 * @param {{ port?: number, timeoutMs?: number }} [opts]
 */
export async function startRedis({ port = DEFAULT_PORT, timeoutMs = 30_000 } = {}) {
  const running = runningPid(port);
  if (running) return handle(port, running);
  const bin = await ensureRedisServer();
  if (!(await isPortFree(port))) throw new Error(`redis: port ${port} is already in use`);
  const f = files(port);
  mkdirSync(f.dir, { recursive: true });
  const t0 = Date.now();
  // Foreground (not --daemonize) so the pid we spawn is the server's; --save '' and no AOF: nothing to disk.
  const pid = await spawnDetached(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '',
    '--appendonly', 'no', '--daemonize', 'no', '--dir', f.dir, '--logfile', ''], { logFile: f.log });
  writeFileSync(f.pid, `${pid}\n`);
  try {
    await waitFor(async () => {
      if (!isAlive(pid)) throw Object.assign(new Error('redis-server exited'), { fatal: true });
      return ping(port);
    }, { timeoutMs, intervalMs: 100, what: `redis PING on ${port}`, isFatal: (e) => e.fatal });
  } catch (err) {
    await stopPid(pid, { timeoutMs: 5_000 });
    throw new Error(`redis: not ready on ${port}: ${err.message}\n--- tail of ${f.log}:\n${tail(f.log)}`);
  }
  say(`redis: up on 127.0.0.1:${port} in ${seconds(t0)} (pid ${pid})`);
  return handle(port, pid);
}

/** Stops the redis-server this script started on port (SIGTERM, SIGKILL after timeoutMs). */
export async function stopRedis({ port = DEFAULT_PORT, timeoutMs = 10_000 } = {}) {
  const pid = runningPid(port);
  if (pid) await stopPid(pid, { timeoutMs });
  rmSync(files(port).dir, { recursive: true, force: true });
  return pid;
}

export function redisStatus({ port = DEFAULT_PORT } = {}) {
  const pid = runningPid(port);
  return { running: Boolean(pid), pid, url: `redis://127.0.0.1:${port}` };
}

async function main(argv) {
  const args = parseCli(argv);
  const port = args.port ? Number(args.port) : DEFAULT_PORT;
  switch (args._[0]) {
    case 'start':
      console.log((await startRedis({ port })).url);
      return 0;
    case 'stop': {
      const pid = await stopRedis({ port });
      say(pid ? `redis: stopped pid ${pid}` : 'redis: not running');
      return 0;
    }
    case 'status': {
      const s = redisStatus({ port });
      console.log(s.running ? `running on ${s.url} (pid ${s.pid})` : `not running on port ${port}`);
      return s.running ? 0 : 1;
    }
    default:
      say('usage: node scripts/redis.mjs start|stop|status [--port 6379]');
      return 2;
  }
}

runAsCli(import.meta.url, main);
