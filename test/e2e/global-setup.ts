/**
 * Once per `npm run test:e2e`: check the machine, clean up after crashed runs, make sure the Debian base roots
 * (bullseye, bookworm, trixie) are built (cached between runs), make this run's folder, admin key and artifact
 * mirror, and hand them to the test files.
 * Teardown — and SIGINT/SIGTERM/SIGHUP — stop every host of the run and remove everything it made.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { buildArtifactMirror } from './harness/artifact-mirror.js';
import { ALL_SUITES, ensureBaseImage, type Suite } from './harness/base-image.js';
import { cleanupAbandonedRuns, cleanupRun, createRunDir, keepLogs, killWorkers, LAST_RUN_LOGS } from './harness/cleanup.js';
import { runSync, trySync } from './harness/run.js';
import type { E2eRun } from './harness/session.js';

/** Tools the harness runs on the machine, and the Debian package each comes from (.ci/run installs them). */
const TOOLS: Record<string, string> = {
  debootstrap: 'debootstrap',
  'systemd-nspawn': 'systemd-container',
  nsenter: 'util-linux',
  nc: 'netcat-openbsd',
  gpg: 'gnupg',
  'dpkg-deb': 'dpkg',
  'ansible-playbook': 'ansible-core',
  ssh: 'openssh-client',
  'ssh-keygen': 'openssh-client',
};

function preflight(): void {
  const problems: string[] = [];
  if (process.getuid?.() !== 0) problems.push('the end-to-end tests boot containers: run them as root');
  const missing = Object.entries(TOOLS).filter(([tool]) => trySync(['sh', '-c', `command -v ${tool}`]).status !== 0);
  if (missing.length > 0) {
    problems.push(`missing tools: ${missing.map(([t]) => t).join(', ')} — apt-get install ${[...new Set(missing.map(([, p]) => p))].join(' ')} (.ci/run does)`);
  }
  if (trySync(['sh', '-c', 'test -d /sys/fs/cgroup/systemd && test -d /sys/fs/cgroup/unified']).status !== 0) {
    problems.push('the harness expects the hybrid cgroup layout of SANDBOX.md (/sys/fs/cgroup/systemd and /sys/fs/cgroup/unified)');
  }
  if (problems.length > 0) throw new Error(`cannot run the end-to-end tests on this machine:\n- ${problems.join('\n- ')}`);
}

export default async function setup(project: TestProject): Promise<() => void> {
  preflight();
  const log = (line: string): void => console.log(`[e2e] ${line}`);
  cleanupAbandonedRuns(log);

  // The suites' bases are built side by side on a cold cache: each debootstrap waits on the mirror much of its time.
  const started = Date.now();
  const built = await Promise.all(
    ALL_SUITES.map(async (suite) => {
      const base = await ensureBaseImage(suite, log);
      log(base.builtNow ? `${suite} base root built in ${base.seconds.toFixed(0)} s (key ${base.key})` : `${suite} base root from the cache (key ${base.key})`);
      return [suite, base] as const;
    }),
  );
  if (built.some(([, base]) => base.builtNow)) log(`base roots ready in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  const bases = Object.fromEntries(built.map(([suite, base]) => [suite, base.root])) as Record<Suite, string>;

  const runId = randomBytes(3).toString('hex');
  const runDir = createRunDir(runId);
  let isCleanedUp = false;
  const cleanup = (): void => {
    if (isCleanedUp) return;
    isCleanedUp = true;
    cleanupRun(runDir);
  };
  // Ahead of vitest's own handlers (which exit without a teardown): end the workers first, so that none starts
  // another host, then stop every host of the run and remove the rest.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.prependOnceListener(signal, () => {
      log(`${signal}: stopping this run's hosts and removing ${runDir}`);
      try {
        killWorkers(runDir);
        cleanup();
      } finally {
        process.exit(128 + ({ SIGINT: 2, SIGTERM: 15, SIGHUP: 1 } as const)[signal]);
      }
    });
  }

  try {
    const started = Date.now();
    const mirror = buildArtifactMirror(runDir);
    log(`artifact mirror (cloudflared stand-in ${mirror.version}, signed apt repository) built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    // The user Ansible and ssh log in as gets this run's throwaway key on every host (test-host.ts).
    const adminKey = join(runDir, 'admin_ed25519');
    runSync(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'fleetgen-e2e-admin (throwaway)', '-f', adminKey]);
    const run: E2eRun = {
      runId,
      runDir,
      bases,
      adminKey,
      mirrorDir: mirror.root,
      repositoryKey: mirror.repositoryKey,
      unrelatedKey: mirror.unrelatedKey,
    };
    project.provide('e2eRun', run);
  } catch (err) {
    cleanup();
    throw err;
  }
  return () => {
    keepLogs(runDir);
    log(`stopping what is left of run ${runId} and removing ${runDir}; its logs (Ansible output, nspawn) are in ${LAST_RUN_LOGS}`);
    cleanup();
  };
}
