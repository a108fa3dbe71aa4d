// Busy-loop workers that keep every core busy while `npm run test:stress` runs the suite, so a
// test that passes only on a quiet machine fails here rather than on a busy CI host.
import { spawn } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { cmdlineOf, isAlive } from './proc.mjs';

const MARK = 'livehouse-stress-burner'; // in each burner's command line, so a stale pid never kills a stranger

/** How many burners: LIVEHOUSE_STRESS_WORKERS, else two per core (each core shared three ways with the tests). */
export function burnerCount(env = process.env) {
  const n = Number(env.LIVEHOUSE_STRESS_WORKERS);
  return Number.isInteger(n) && n >= 0 ? n : 2 * availableParallelism();
}

/** Starts `count` CPU burners at normal priority; returns their pids. */
export function startBurners(count) {
  return Array.from({ length: count }, () => {
    const child = spawn(process.execPath, ['-e', `/* ${MARK} */ for (;;) {}`], { stdio: 'ignore' });
    child.unref();
    return child.pid;
  });
}

/** Kills the burners among `pids` (only processes that are still burners). */
export function stopBurners(pids = []) {
  for (const pid of pids) {
    if (isAlive(pid) && cmdlineOf(pid).includes(MARK)) process.kill(pid, 'SIGKILL');
  }
}

export const loadAverage = () => loadavg().map((l) => l.toFixed(1)).join(' ');
