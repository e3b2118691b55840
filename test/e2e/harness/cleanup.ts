/**
 * Removing what a run leaves on the machine — containers, overlay mounts, cgroups, ssh control masters, the gpg
 * agent, files — from the run itself (afterAll, global teardown, signal handlers) and, at the start of the next
 * run, from runs that crashed or were killed. A run folder holds the pid of the process that owns it; a folder
 * whose owner is alive belongs to a concurrent run and is left alone.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { killGpgAgent } from './artifact-mirror.js';
import { isAlive } from './base-image.js';
import { removeTree } from './mounts.js';
import { CACHE_DIR, CGROUP_PARENT, CGROUP_ROOTS, RUNS_DIR } from './places.js';
import { trySync } from './run.js';
import { processStartTime, removeCgroups, stopHostFolder } from './test-host.js';

export function createRunDir(runId: string): string {
  const dir = join(RUNS_DIR, runId);
  mkdirSync(join(dir, 'hosts'), { recursive: true });
  writeFileSync(join(dir, 'owner.pid'), `${process.pid}\n`);
  return dir;
}

/** Where the logs of the last run stay (Ansible output, nspawn logs), for reading after a failure. */
export const LAST_RUN_LOGS = join(CACHE_DIR, 'last-run-logs');

/** Copies a run's logs (*.log below its folder) to LAST_RUN_LOGS, replacing the previous run's. */
export function keepLogs(dir: string): void {
  rmSync(LAST_RUN_LOGS, { recursive: true, force: true });
  const visit = (relative: string): void => {
    for (const entry of readdirSync(join(dir, relative), { withFileTypes: true })) {
      const path = relative ? `${relative}/${entry.name}` : entry.name;
      // Not into a host's file systems (its overlay layers and their mount).
      if (entry.isDirectory() && !/^hosts\/[^/]+\/(root|upper|work)$/.test(path)) visit(path);
      else if (entry.isFile() && entry.name.endsWith('.log')) {
        mkdirSync(join(LAST_RUN_LOGS, relative), { recursive: true });
        cpSync(join(dir, path), join(LAST_RUN_LOGS, path));
      }
    }
  };
  if (existsSync(dir)) visit('');
}

/** SIGKILLs the test workers of a run (their pids are files in its workers/ folder), checking each is still one. */
export function killWorkers(dir: string): void {
  const workers = join(dir, 'workers');
  if (!existsSync(workers)) return;
  for (const name of readdirSync(workers)) {
    const pid = Number(name);
    // Still the same process (pids are reused): same start time as it recorded.
    if (pid === process.pid || !isAlive(pid) || processStartTime(pid) !== readOr(join(workers, name))) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}

/** Stops every host of a run and removes everything else it made. Synchronous; safe to call twice. */
export function cleanupRun(dir: string): void {
  const problems: string[] = [];
  const hostsDir = join(dir, 'hosts');
  if (existsSync(hostsDir)) {
    for (const name of readdirSync(hostsDir)) {
      try {
        stopHostFolder(join(hostsDir, name));
      } catch (err) {
        problems.push(String(err));
      }
    }
  }
  const controlDir = join(dir, 'ssh-control');
  if (existsSync(controlDir)) {
    for (const socket of readdirSync(controlDir)) trySync(['ssh', '-o', `ControlPath=${join(controlDir, socket)}`, '-O', 'exit', 'fleetgen-e2e'], { timeoutMs: 5_000 });
  }
  if (existsSync(join(dir, 'gnupg'))) killGpgAgent(join(dir, 'gnupg'));
  // The shared parent cgroups go once no run has hosts in them (a concurrent run's hosts keep them busy).
  for (const root of CGROUP_ROOTS) {
    try {
      rmdirSync(join(root, CGROUP_PARENT));
    } catch {
      // still in use, or gone
    }
  }
  try {
    removeTree(dir);
  } catch (err) {
    problems.push(String(err));
  }
  if (problems.length > 0) throw new Error(`cleaning up ${dir} left problems:\n${problems.join('\n')}`);
}

/** Runs whose owner is gone (a crash, a kill -9, a CI job cancelled) and cgroups no run claims any more. */
export function cleanupAbandonedRuns(log: (line: string) => void = () => {}): void {
  if (existsSync(RUNS_DIR)) {
    for (const runId of readdirSync(RUNS_DIR)) {
      const dir = join(RUNS_DIR, runId);
      const owner = Number(readOr(join(dir, 'owner.pid')));
      if (isAlive(owner) && owner !== process.pid) continue;
      log(`removing what an earlier run left behind: ${dir}`);
      killWorkers(dir);
      cleanupRun(dir);
    }
  }
  const live = existsSync(RUNS_DIR) ? readdirSync(RUNS_DIR) : [];
  for (const root of CGROUP_ROOTS) {
    const parent = join(root, CGROUP_PARENT);
    if (!existsSync(parent)) continue;
    for (const machine of readdirSync(parent, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name)) {
      const runId = /^e2e-([a-z0-9]+)-/.exec(machine)?.[1];
      if (runId && live.includes(runId)) continue;
      log(`removing a leftover cgroup: ${join(parent, machine)}`);
      removeCgroups(machine);
    }
  }
}

function readOr(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}
