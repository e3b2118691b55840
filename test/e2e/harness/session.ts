/**
 * The test files' side of a run: the run's folder and base (from global setup), and hosts that are always
 * stopped — after the file (afterAll), and on SIGINT/SIGTERM/SIGHUP of the worker. (Global teardown and the next
 * run's start clean up whatever a killed worker could not.)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, inject } from 'vitest';
import type { AnsibleSetup } from './ansible.js';
import type { Suite } from './base-image.js';
import { processStartTime, TestHost, type HostOptions } from './test-host.js';

export interface E2eRun {
  runId: string;
  runDir: string;
  /** Each suite's base root, built (or found in the cache) by the global setup. */
  bases: Record<Suite, string>;
  /** The run's throwaway admin key (private half; `.pub` beside it), authorized on every host. */
  adminKey: string;
  mirrorDir: string;
  repositoryKey: string;
  unrelatedKey: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    e2eRun: E2eRun;
  }
}

export interface Session {
  run: E2eRun;
  /** A folder of this test file's own under the run folder. */
  workDir: string;
  /** Boots hosts in parallel (each waits for a clean boot unless `waitForBoot: false`). */
  bootHosts(hosts: (HostOptions & { waitForBoot?: boolean })[]): Promise<TestHost[]>;
  /** Stops these hosts now, before the end of the file (e.g. a describe block's hosts in its afterAll). */
  stopHosts(hosts: TestHost[]): void;
  /** How runPlaybook plays the generated ansible/ folder in `outDir` on `hosts`, keeping its files in `workDir`. */
  ansibleSetup(outDir: string, hosts: Map<string, TestHost>, workDir: string): AnsibleSetup;
}

const live = new Set<TestHost>();
let handlersInstalled = false;

function stopLiveHosts(hosts: TestHost[] = [...live]): void {
  const errors: string[] = [];
  for (const host of hosts.filter((h) => live.has(h))) {
    try {
      host.stop();
    } catch (err) {
      errors.push(String(err));
    }
    live.delete(host);
  }
  if (errors.length > 0) throw new Error(errors.join('\n'));
}

/**
 * On SIGINT/SIGTERM/SIGHUP: stop this worker's hosts, then end the worker for good. (Vitest turns process.exit in
 * a worker into an error, and the worker would go on running its test against hosts that are gone.)
 */
function installSignalHandlers(runDir: string): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  // The global setup's own handler ends the workers of the run it knows from here before it cleans up.
  mkdirSync(join(runDir, 'workers'), { recursive: true });
  writeFileSync(join(runDir, 'workers', String(process.pid)), processStartTime(process.pid));
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.prependOnceListener(signal, () => {
      try {
        stopLiveHosts();
      } finally {
        process.kill(process.pid, 'SIGKILL');
      }
    });
  }
}

/** Call once at the top of a test file. */
export function useSession(name: string): Session {
  const run = inject('e2eRun');
  const workDir = join(run.runDir, 'files', name);
  mkdirSync(workDir, { recursive: true });
  installSignalHandlers(run.runDir);
  afterAll(() => stopLiveHosts());
  return {
    run,
    workDir,
    async bootHosts(hosts) {
      const booted = hosts.map((options) => new TestHost(run, options));
      booted.forEach((host) => live.add(host));
      await Promise.all(
        booted.map(async (host, i) => {
          if (hosts[i]?.waitForBoot === false) await host.boot();
          else await host.bootAndWait();
        }),
      );
      return booted;
    },
    stopHosts(hosts) {
      stopLiveHosts(hosts);
    },
    ansibleSetup(outDir, hosts, ansibleWorkDir) {
      return { outDir, hosts, workDir: ansibleWorkDir, adminKey: run.adminKey, controlDir: join(run.runDir, 'ssh-control') };
    },
  };
}
