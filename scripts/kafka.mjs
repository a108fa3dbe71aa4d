#!/usr/bin/env node
// A single-node Apache Kafka (KRaft, no ZooKeeper, no Docker) for development and tests.
// Jars come from Maven Central via scripts/kafka/pom.xml; everything else lives in one data dir:
//   server.properties, kafka.json (ports), kafka.pid, kafka.log (broker output), logs/ (topic data).
// CLI: node scripts/kafka.mjs start|stop|status|restart [--port 9092] [--dir .cache/kafka/dev] [--fresh] [--kill]
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  ROOT, say, seconds, getFreePort, isPortFree, isAlive, cmdlineOf, readJson, writeJson, tail,
  spawnDetached, stopPid, waitFor, run, which, runAsCli } from './lib/proc.mjs';

export { getFreePort } from './lib/proc.mjs'; // for tests that start a broker of their own

const POM = join(ROOT, 'scripts/kafka/pom.xml');
const LOG4J = join(ROOT, 'scripts/kafka/log4j.properties');
export const KAFKA_LIBS = join(ROOT, '.cache/kafka/libs');
const DEFAULT_DIR = '.cache/kafka/dev';
const KAFKA_VERSION = /<kafka\.version>([^<]+)</.exec(readFileSync(POM, 'utf8'))[1];

// Kafka's own kafka-server-start.sh JVM flags, with a heap sized for a 2-core dev box.
const JVM_OPTS = [
  '-Xms256m', '-Xmx768m', '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20',
  '-XX:InitiatingHeapOccupancyPercent=35', '-XX:+ExplicitGCInvokesConcurrent', '-Djava.awt.headless=true',
  `-Dlog4j.configuration=${pathToFileURL(LOG4J).href}`,
];

const files = (dataDir) => ({
  props: join(dataDir, 'server.properties'),
  state: join(dataDir, 'kafka.json'),
  pid: join(dataDir, 'kafka.pid'),
  log: join(dataDir, 'kafka.log'),
  logDirs: join(dataDir, 'logs'),
});

const resolveDir = (dataDir) => resolve(ROOT, dataDir ?? DEFAULT_DIR);
const classpath = () => `${KAFKA_LIBS}/*`; // java expands the wildcard itself; no shell involved

/** Copies the broker's runtime jars into .cache/kafka/libs with Maven, unless this version is already there. */
export async function ensureKafkaJars() {
  if (existsSync(join(KAFKA_LIBS, `kafka_2.13-${KAFKA_VERSION}.jar`))) return KAFKA_LIBS;
  for (const [bin, pkg] of [['java', 'openjdk-17-jre-headless'], ['mvn', 'maven']]) {
    if (!which(bin)) throw new Error(`kafka: \`${bin}\` not found on PATH; install it (e.g. apt-get install -y ${pkg})`);
  }
  const t0 = Date.now();
  say(`kafka: resolving Kafka ${KAFKA_VERSION} jars with Maven…`);
  // Copy into a private dir and rename, so concurrent runs never see a half-filled libs dir.
  // The output dir must be absolute: Maven resolves relative ones against the pom's folder.
  const tmp = `${KAFKA_LIBS}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  try {
    await run('mvn', ['-q', '-B', '-Dstyle.color=never', '-f', POM, 'dependency:copy-dependencies',
      `-DoutputDirectory=${tmp}`, '-DincludeScope=runtime']);
    if (!existsSync(join(KAFKA_LIBS, `kafka_2.13-${KAFKA_VERSION}.jar`))) {
      rmSync(KAFKA_LIBS, { recursive: true, force: true }); // jars of another version would clash
      renameSync(tmp, KAFKA_LIBS);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  say(`kafka: ${readdirSync(KAFKA_LIBS).length} jars ready in ${seconds(t0)}`);
  return KAFKA_LIBS;
}

function serverProperties({ port, controllerPort, logDirs }) {
  return `# Written by scripts/kafka.mjs on every start; edit that script instead.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${controllerPort}
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}
advertised.listeners=PLAINTEXT://127.0.0.1:${port}
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=${logDirs}
num.partitions=1
default.replication.factor=1
auto.create.topics.enable=true
min.insync.replicas=1
offsets.topic.replication.factor=1
# Fewer internal partitions than the default 50: a faster first consumer-group join on a small box.
offsets.topic.num.partitions=8
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=8
group.initial.rebalance.delay.ms=0
# After a kill -9 the controller rejects the restarted broker (DUPLICATE_BROKER_REGISTRATION) until the
# dead incarnation's session expires: ~20 s with the 9 s default, ~10 s with 4 s. Shorter risks
# spurious fencing when the 2 cores are saturated.
broker.heartbeat.interval.ms=1000
broker.session.timeout.ms=4000
`;
}

/** The broker pid recorded for dataDir if that process is alive and really is this broker. */
function runningPid(dataDir) {
  const f = files(dataDir);
  const pid = Number(existsSync(f.pid) ? readFileSync(f.pid, 'utf8') : 0);
  if (!isAlive(pid)) return undefined;
  const cmd = cmdlineOf(pid);
  return cmd.includes('kafka.Kafka') && cmd.includes(f.props) ? pid : undefined;
}

function handle(dataDir, port, pid) {
  return { brokers: `127.0.0.1:${port}`, port, pid, dataDir, logFile: files(dataDir).log, stop: () => stopKafka({ dataDir }) };
}

// Kafka's Uuid: 16 random bytes, base64url; ids starting with '-' confuse command lines, so redraw.
function newClusterId() {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/**
 * Starts (or reuses) the broker for dataDir and resolves once a kafkajs admin can list topics.
 * Restarting on the same dataDir keeps topics, offsets and the port recorded in kafka.json.
 * @param {{ port?: number, dataDir?: string, fresh?: boolean, timeoutMs?: number }} [opts]
 */
export async function startKafka({ port, dataDir, fresh = false, timeoutMs = 120_000 } = {}) {
  dataDir = resolveDir(dataDir);
  const f = files(dataDir);
  await ensureKafkaJars();
  const running = runningPid(dataDir);
  if (running && fresh) await stopKafka({ dataDir });
  else if (running) {
    const state = readJson(f.state);
    if (port && port !== state.port) throw new Error(`kafka: ${dataDir} is already running on port ${state.port}`);
    return handle(dataDir, state.port, running);
  }
  if (fresh) rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });

  const prev = readJson(f.state) ?? {};
  port = port ?? prev.port ?? 9092;
  if (!(await isPortFree(port))) throw new Error(`kafka: port ${port} is already in use`);
  const controllerPort = prev.controllerPort && (await isPortFree(prev.controllerPort)) ? prev.controllerPort : await getFreePort();
  writeFileSync(f.props, serverProperties({ port, controllerPort, logDirs: f.logDirs }));

  if (!existsSync(join(f.logDirs, 'meta.properties'))) {
    await run('java', ['-Xmx256m', `-Dlog4j.configuration=${pathToFileURL(LOG4J).href}`, '-cp', classpath(),
      'kafka.tools.StorageTool', 'format', '-t', newClusterId(), '-c', f.props, '--ignore-formatted']);
  }

  const t0 = Date.now();
  writeFileSync(f.log, `--- start ${new Date().toISOString()} port ${port} controller ${controllerPort}\n`, { flag: 'a' });
  const pid = await spawnDetached('java', [...JVM_OPTS, '-cp', classpath(), 'kafka.Kafka', f.props], { logFile: f.log });
  writeFileSync(f.pid, `${pid}\n`);
  writeJson(f.state, { port, controllerPort });
  try {
    await waitForBroker(`127.0.0.1:${port}`, pid, timeoutMs);
  } catch (err) {
    await stopPid(pid, { timeoutMs: 5_000 });
    throw new Error(`kafka: broker on ${port} not ready: ${err.message}\n--- tail of ${f.log}:\n${tail(f.log)}`);
  }
  say(`kafka: up on 127.0.0.1:${port} in ${seconds(t0)} (pid ${pid}, ${dataDir})`);
  return handle(dataDir, port, pid);
}

async function waitForBroker(brokers, pid, timeoutMs) {
  const { Kafka, logLevel } = (await import('kafkajs')).default;
  const kafka = new Kafka({ clientId: 'livehouse-kafka-script', brokers: [brokers], logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000, requestTimeout: 5_000, retry: { retries: 0 } });
  await waitFor(async () => {
    if (!isAlive(pid)) throw Object.assign(new Error('the java process exited'), { fatal: true });
    const admin = kafka.admin();
    try {
      await admin.connect();
      await admin.listTopics();
      return true;
    } finally {
      await admin.disconnect().catch(() => {});
    }
  }, { timeoutMs, intervalMs: 250, what: `a Kafka admin on ${brokers}`, isFatal: (e) => e.fatal });
}

/**
 * Stops the broker of dataDir: SIGTERM (a clean shutdown) and SIGKILL after timeoutMs.
 * signal 'SIGKILL' simulates a crash; the data dir stays usable either way.
 * @param {{ dataDir?: string, timeoutMs?: number, signal?: 'SIGTERM' | 'SIGKILL' }} [opts]
 */
export async function stopKafka({ dataDir, timeoutMs = 30_000, signal = 'SIGTERM' } = {}) {
  dataDir = resolveDir(dataDir);
  const pid = runningPid(dataDir);
  if (pid) await stopPid(pid, { timeoutMs, signal });
  rmSync(files(dataDir).pid, { force: true });
  // The kernel may release the listening sockets a moment after the pid is gone; a restart needs them.
  const { port, controllerPort } = readJson(files(dataDir).state) ?? {};
  if (pid && port) {
    await waitFor(async () => (await isPortFree(port)) && (await isPortFree(controllerPort)),
      { timeoutMs: 15_000, intervalMs: 100, what: `ports ${port} and ${controllerPort} to be released` });
  }
  return pid;
}

/** Stops (or kills, with kill: true) and starts the broker again on the same data, and on `port` or else the same port. */
export async function restartKafka({ dataDir, port, kill = false, timeoutMs } = {}) {
  await stopKafka({ dataDir, signal: kill ? 'SIGKILL' : 'SIGTERM' });
  return startKafka({ dataDir, port, timeoutMs });
}

/** { running, pid, brokers } for dataDir, without touching the broker. */
export function kafkaStatus({ dataDir } = {}) {
  dataDir = resolveDir(dataDir);
  const pid = runningPid(dataDir);
  const state = readJson(files(dataDir).state);
  return { running: Boolean(pid), pid, dataDir, brokers: state ? `127.0.0.1:${state.port}` : undefined };
}

async function main(argv) {
  const { values: args, positionals } = parseArgs({
    args: argv, allowPositionals: true,
    options: { port: { type: 'string' }, dir: { type: 'string' }, fresh: { type: 'boolean' }, kill: { type: 'boolean' } },
  });
  const opts = { dataDir: args.dir, port: args.port ? Number(args.port) : undefined };
  switch (positionals[0]) {
    case 'start': {
      const k = await startKafka({ ...opts, fresh: Boolean(args.fresh) });
      console.log(k.brokers);
      return 0;
    }
    case 'stop': {
      const pid = await stopKafka({ ...opts, signal: args.kill ? 'SIGKILL' : 'SIGTERM' });
      say(pid ? `kafka: stopped pid ${pid}` : 'kafka: not running');
      return 0;
    }
    case 'restart':
      console.log((await restartKafka({ ...opts, kill: Boolean(args.kill) })).brokers);
      return 0;
    case 'status': {
      const s = kafkaStatus(opts);
      console.log(s.running ? `running on ${s.brokers} (pid ${s.pid}, ${s.dataDir})` : `not running (${s.dataDir})`);
      return s.running ? 0 : 1;
    }
    default:
      say('usage: node scripts/kafka.mjs start|stop|status|restart [--port 9092] [--dir .cache/kafka/dev] [--fresh] [--kill]');
      return 2;
  }
}

runAsCli(import.meta.url, main);
