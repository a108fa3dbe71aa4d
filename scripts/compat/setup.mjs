#!/usr/bin/env node
// Installs the real ClickHouse clients the analyst SQL port's compatibility suite runs
// (test/compat/clients.compat.test.ts), each from its own registry, all cached under
// .cache/compat so a second run costs seconds:
//   Python clickhouse-connect (PyPI, a venv), Go clickhouse-go/v2 (Go module proxy, one binary),
//   Java JDBC v2 (Maven Central, jars + one compiled class).
// Each part is redone only when its inputs (pinned versions, sources) change. Prints a JSON
// summary with the client versions as the only stdout, and writes it to `--out <file>` too.
// The tools' own output (pip, go, Maven's colour codes, javac) goes to stderr.
// `node scripts/compat/setup.mjs [python|go|java]… [--out file]`; LIVEHOUSE_COMPAT_CACHE moves the cache.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CACHE = process.env.LIVEHOUSE_COMPAT_CACHE || join(ROOT, '.cache/compat');
const SRC = join(ROOT, 'test/compat');

// stdout is the hand-over to the caller: a tool whose output is not read writes to stderr.
const LOUD = ['ignore', 2, 2];
const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', ...opts });
const has = (cmd) => { try { run('sh', ['-c', `command -v ${cmd}`]); return true; } catch { return false; } };
const digest = (files) => createHash('sha256').update(files.map((f) => readFileSync(f)).join('\0')).digest('hex').slice(0, 16);

/** Runs `build` unless the stamp of its inputs is unchanged and `output` exists. */
function cached(name, inputs, output, build) {
  const stamp = join(CACHE, `${name}.stamp`);
  const want = digest(inputs);
  if (existsSync(output) && existsSync(stamp) && readFileSync(stamp, 'utf8') === want) return false;
  mkdirSync(CACHE, { recursive: true });
  build();
  writeFileSync(stamp, want);
  return true;
}

function aptInstall(packages) {
  const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
  run(sudo[0] ?? 'apt-get', [...sudo.slice(1), ...(sudo.length ? ['apt-get'] : []), 'update'], { stdio: LOUD });
  run(sudo[0] ?? 'apt-get', [...sudo.slice(1), ...(sudo.length ? ['apt-get'] : []), 'install', '-y', ...packages], { stdio: LOUD, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

function python() {
  const venv = join(CACHE, 'python');
  const bin = join(venv, 'bin/python');
  cached('python', [join(SRC, 'python/requirements.txt')], bin, () => {
    try { run('python3', ['-m', 'venv', '--clear', venv]); } catch { aptInstall(['python3-venv']); run('python3', ['-m', 'venv', '--clear', venv]); }
    run(bin, ['-m', 'pip', 'install', '-q', '--disable-pip-version-check', '-r', join(SRC, 'python/requirements.txt')], { stdio: LOUD });
  });
  const version = run(bin, ['-c', 'from importlib.metadata import version; print(version("clickhouse-connect"))']).trim();
  return { python: bin, script: join(SRC, 'python/compat.py'), version: `clickhouse-connect ${version}` };
}

function go() {
  if (!has('go')) throw new Error('compat: the Go toolchain (go ≥ 1.23) is needed for the clickhouse-go check; install it from go.dev or the distribution');
  const out = join(CACHE, 'go/compat');
  const env = { ...process.env, GOFLAGS: '-mod=mod', GOMODCACHE: join(CACHE, 'gomod'), GOCACHE: join(CACHE, 'gocache') };
  cached('go', ['go.mod', 'go.sum', 'main.go'].map((f) => join(SRC, 'go', f)), out, () => {
    run('go', ['build', '-o', out, '.'], { cwd: join(SRC, 'go'), env, stdio: LOUD });
  });
  const version = /clickhouse-go\/v2 (v[\d.]+)/.exec(readFileSync(join(SRC, 'go/go.mod'), 'utf8'))?.[1];
  return { binary: out, version: `clickhouse-go/v2 ${version}` };
}

function java() {
  if (!has('javac')) aptInstall(['openjdk-17-jdk-headless']);
  if (!has('mvn')) aptInstall(['maven']);
  const lib = join(CACHE, 'java/lib');
  const classes = join(CACHE, 'java/classes');
  cached('java', [join(SRC, 'java/pom.xml'), join(SRC, 'java/Compat.java')], join(classes, 'Compat.class'), () => {
    run('mvn', ['-q', '-B', '-f', join(SRC, 'java/pom.xml'), `-Dmaven.repo.local=${join(CACHE, 'm2')}`,
      'org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies', `-DoutputDirectory=${lib}`], { stdio: LOUD });
    mkdirSync(classes, { recursive: true });
    run('javac', ['-d', classes, '-cp', `${lib}/*`, join(SRC, 'java/Compat.java')], { stdio: LOUD });
  });
  const version = /<artifactId>jdbc-v2<\/artifactId>\s*<version>([^<]+)</.exec(readFileSync(join(SRC, 'java/pom.xml'), 'utf8'))?.[1];
  return { classpath: `${lib}/*:${classes}`, version: `com.clickhouse:jdbc-v2 ${version}` };
}

const parts = { python, go, java };
const args = process.argv.slice(2);
const outAt = args.indexOf('--out');
const outFile = outAt >= 0 ? args.splice(outAt, 2)[1] : undefined;
if (outAt >= 0 && !outFile) throw new Error('compat: --out needs a file name');
const unknown = args.filter((a) => !Object.hasOwn(parts, a));
if (unknown.length) throw new Error(`compat: unknown part ${unknown.join(', ')} (python, go, java)`);
const wanted = args.length ? args : Object.keys(parts);
const result = {};
for (const name of wanted) {
  const t0 = Date.now();
  result[name] = parts[name]();
  process.stderr.write(`compat: ${name} ready (${result[name].version}) in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
}
if (outFile) writeFileSync(outFile, JSON.stringify(result));
process.stdout.write(`${JSON.stringify(result)}\n`);
