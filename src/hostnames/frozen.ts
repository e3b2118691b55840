/**
 * `--frozen-lockfile` (CI): the run must not change fleet.lock.yaml. `HostnameAssignment.changed` says whether
 * it would; this says what would change, one located error per difference, so CI output names the hosts.
 */
import { basename } from 'node:path';
import { formatPath, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { ManifestPath, SourceMap } from '../load/source-map.js';
import type { Lockfile } from './lockfile.js';
import { compareCodeUnits } from './words.js';

export type LockfileChange =
  /** There is no lock file, but names must be recorded. */
  | { kind: 'missing'; path: ManifestPath; count: number }
  | { kind: 'fleet' | 'zone'; path: ManifestPath; before: string; after: string }
  /** A rule gets a name the lock does not record. */
  | { kind: 'added'; path: ManifestPath; after: string }
  /** A recorded rule (or host) no longer needs a generated name; `before` is absent for a host recorded empty. */
  | { kind: 'removed'; path: ManifestPath; before?: string }
  /** A recorded rule gets another name. */
  | { kind: 'renamed'; path: ManifestPath; before: string; after: string };

/**
 * What would change from the lock that was read to the one the run needs, in the lock file's own order.
 * Empty exactly when `assignHostnames(…).changed` is false.
 */
export function diffLockfiles(before: Lockfile | undefined, after: Lockfile): LockfileChange[] {
  const afterCount = Object.values(after.hosts).reduce((n, rules) => n + Object.keys(rules).length, 0);
  const hasAfterHosts = Object.keys(after.hosts).length > 0;
  if (!before) return hasAfterHosts ? [{ kind: 'missing', path: [], count: afterCount }] : [];

  const changes: LockfileChange[] = [];
  if (before.fleet !== after.fleet) changes.push({ kind: 'fleet', path: ['fleet'], before: before.fleet, after: after.fleet });
  if (before.zone !== after.zone) changes.push({ kind: 'zone', path: ['zone'], before: before.zone, after: after.zone });
  for (const host of sortedUnion(before.hosts, after.hosts)) {
    const old = Object.hasOwn(before.hosts, host) ? before.hosts[host] : undefined;
    const now = Object.hasOwn(after.hosts, host) ? after.hosts[host] : undefined;
    // A host recorded with no rules differs from no host at all in the text, so it counts as a change too.
    if (old && !now && Object.keys(old).length === 0) changes.push({ kind: 'removed', path: ['hosts', host] });
    for (const rule of sortedUnion(old ?? {}, now ?? {})) {
      const path = ['hosts', host, rule];
      const was = old && Object.hasOwn(old, rule) ? old[rule] : undefined;
      const is = now && Object.hasOwn(now, rule) ? now[rule] : undefined;
      if (was === is) continue;
      if (was === undefined && is !== undefined) changes.push({ kind: 'added', path, after: is });
      else if (was !== undefined && is === undefined) changes.push({ kind: 'removed', path, before: was });
      else if (was !== undefined && is !== undefined) changes.push({ kind: 'renamed', path, before: was, after: is });
    }
  }
  return changes;
}

/**
 * One `lockfile.frozen` error per change, for `--frozen-lockfile`. `file` is the lock file as the user would
 * name it; with the `source` parseLockfile returned, each error points at the entry (or its host) in the lock.
 */
export function frozenLockfileDiagnostics(
  before: Lockfile | undefined,
  after: Lockfile,
  file: string,
  source?: SourceMap,
): Diagnostic[] {
  const hint = `run fleetgen without --frozen-lockfile and commit the updated ${basename(file)}`;
  return diffLockfiles(before, after).map((change) => {
    const message = describeChange(change);
    if (source) return source.error('lockfile.frozen', change.path, message, hint);
    return { severity: 'error', code: 'lockfile.frozen', file, line: 1, column: 1, path: formatPath(change.path), message, hint };
  });
}

function describeChange(change: LockfileChange): string {
  switch (change.kind) {
    case 'missing':
      return `does not exist, but ${change.count} generated hostname(s) must be recorded in it`;
    case 'fleet':
      return `records fleet ${change.before}, but the manifest's fleet is ${change.after}`;
    case 'zone':
      return `records zone ${change.before}, but the manifest's zone is ${change.after}`;
    case 'added':
      return `no hostname is recorded for this rule; this run would record ${change.after}`;
    case 'removed':
      return change.before === undefined
        ? 'records a host with no rules; this run would drop it'
        : `the rule no longer needs a generated hostname (removed, or given an explicit one); this run would drop ${change.before}`;
    case 'renamed':
      return `records ${change.before}, but this run would use ${change.after}`;
  }
}

function sortedUnion(a: object, b: object): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].sort(compareCodeUnits);
}
