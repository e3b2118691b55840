/**
 * What --frozen-lockfile reports when the run would change fleet.lock.yaml: each difference located in the lock
 * file (from compileFleet), then one line naming the hosts and saying what to do; and, without it, the lock written.
 */
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { CompileResult } from '../pipeline.js';
import { writeFileAtomic } from '../write/atomic.js';
import { UserError } from './failure.js';

export interface FrozenLockfileReport {
  /** One error per difference; at least one. */
  errors: Diagnostic[];
  /** `fleetgen: fleet.lock.yaml is out of date …`: the hosts concerned and the command that fixes it. */
  summary: string;
}

/**
 * Writes fleet.lock.yaml when this run changed it (`build` and `hosts` do, unless --frozen-lockfile) and returns the
 * line that says so; undefined when it was already up to date. A lock file that cannot be written is a user error.
 */
export function writeChangedLockfile(lockfile: CompileResult['lockfile']): string | undefined {
  if (!lockfile.changed) return undefined;
  try {
    writeFileAtomic(lockfile.path, lockfile.text(), { mode: 0o644 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new UserError(`cannot write the lock file ${lockfile.path} (${code})`, 'check that its folder exists and is writable');
  }
  return `fleetgen: updated ${lockfile.path}; commit it so generated hostnames stay stable`;
}

export function frozenLockfileReport(manifestPath: string, result: Pick<CompileResult, 'fleet' | 'lockfile'>): FrozenLockfileReport {
  const { lockfile } = result;
  const located = lockfile.frozenDiagnostics();
  const errors = located.length > 0 ? located : [lockfileOutOfDate(manifestPath, lockfile)];
  const isMissing = !existsSync(lockfile.path);
  // Without a lock every host with a generated hostname is concerned; the diff of a missing lock names none.
  const hosts = isMissing ? result.fleet.hosts.filter((host) => host.ingress.some((rule) => rule.isGeneratedHostname)).map((host) => host.name) : lockfile.hostsWithNewNames;
  const state = isMissing ? 'does not exist' : 'is out of date';
  const concerned = hosts.length > 0 ? ` (generated hostnames to record or change: ${listNames(hosts)})` : '';
  return { errors, summary: `fleetgen: ${lockfile.path} ${state}${concerned}; ${fixHint(manifestPath, lockfile.path)}` };
}

/** The whole story in one diagnostic (code `lockfile.out-of-date`), for callers that print a single line. */
export function lockfileOutOfDate(manifestPath: string, lockfile: CompileResult['lockfile']): Diagnostic {
  const isMissing = !existsSync(lockfile.path);
  const hosts = lockfile.hostsWithNewNames;
  let message: string;
  if (isMissing) message = 'does not exist, but generated hostnames must be recorded in it';
  else if (hosts.length > 0) message = `is out of date: the generated hostnames of ${listNames(hosts)} would be recorded or changed`;
  else message = 'is out of date';
  return { severity: 'error', code: 'lockfile.out-of-date', file: lockfile.path, line: 1, column: 1, path: '', message, hint: fixHint(manifestPath, lockfile.path) };
}

function fixHint(manifestPath: string, lockfilePath: string): string {
  return `run "fleetgen hosts ${manifestPath}" (or "fleetgen build") without --frozen-lockfile, then commit ${basename(lockfilePath)}`;
}

/** `a, b, c, d, e and 4 more`: enough to act on, short enough for one line in a fleet of thousands. */
export function listNames(names: readonly string[], shown = 5): string {
  const sorted = [...names].sort();
  if (sorted.length <= shown) return sorted.join(', ');
  return `${sorted.slice(0, shown).join(', ')} and ${sorted.length - shown} more`;
}
