/**
 * Generated hostnames: every ingress rule without a hostname gets `<word>-<word>.<zone>`, the same on every
 * run, unique in the fleet, and pinned in fleet.lock.yaml so that nothing but a deliberate act renames a live
 * host — not a new random-words release, not another host being added, removed or moved in the manifest.
 */
import { InternalError, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { ManifestPath, SourceMap } from '../load/source-map.js';
import { candidateHostname } from './candidate.js';
import type { Lockfile } from './lockfile.js';
import { ruleKeys, type RuleIdentity } from './rule-key.js';
import { compareCodeUnits, defaultHostnameWords } from './words.js';

/**
 * Attempts per rule before giving up: with ~3 million word pairs a fleet needs a handful at most; running out
 * means an injected word list far too small for the fleet, a bug rather than a user mistake.
 */
const MAX_ATTEMPTS = 10_000;

export interface HostnameRequest {
  /** Host name. */
  host: string;
  /** The host's ingress rules that need a generated hostname: their service and path identify them. */
  rules: RuleIdentity[];
}

/**
 * Something the user should know about the names, though nothing is wrong with the manifest:
 * - `lockfile.other-fleet`: the lock was written for another fleet; none of its names is reused.
 * - `lockfile.zone-changed`: the lock holds names in another zone; none of its names is reused.
 * - `hostname.lock-conflict`: a locked name now clashes (with an explicit hostname in the manifest, or with
 *   another locked entry) and that rule gets a new name — a live host is renamed.
 * Locate it in the lock file with lockWarningDiagnostics and the SourceMap parseLockfile returns, or in the
 * manifest through `host` and `ruleIndex`.
 */
export interface HostnameWarning {
  code: 'lockfile.other-fleet' | 'lockfile.zone-changed' | 'hostname.lock-conflict';
  /** Where in the lock file: `['fleet']`, `['zone']` or `['hosts', host, ruleKey]`. */
  lockPath: ManifestPath;
  /** hostname.lock-conflict: the host and the index of the rule in its request. */
  host?: string;
  ruleIndex?: number;
  message: string;
  hint: string;
}

export interface HostnameAssignment {
  /** host → generated hostnames, index-aligned with the request's rules (an empty list for a host with none). */
  names: Map<string, string[]>;
  /** The lock as it must be written: entries of hosts and rules that no longer exist are dropped. */
  lock: Lockfile;
  /**
   * true when the text serializeLockfile(lock) differs from serializeLockfile of the lock that was read — any
   * name added, dropped or changed, or another fleet or zone. Without a lock, true exactly when some name must
   * be recorded (a fleet with only explicit hostnames needs no lock file). `--frozen-lockfile` fails on it;
   * frozenLockfileDiagnostics says why.
   */
  changed: boolean;
  /** In a stable order: lock-level warnings first, then conflicts by host and rule order. */
  warnings: HostnameWarning[];
}

/**
 * Gives every rule without a hostname a `<word>-<word>.<zone>` name: reused from the lock when recorded there,
 * otherwise generated from a seed of fleet and host name, never equal to a name in `taken` or given before.
 *
 * Order of work, which is what keeps names stable: first every usable lock entry is claimed, so a new host can
 * never take a live host's name; then the remaining rules are named host by host in sorted order (not manifest
 * order), each trying attempt 0, 1, 2, … of its own seed until the name is free.
 */
export function assignHostnames(input: {
  fleet: string;
  zone: string;
  requests: HostnameRequest[];
  /** Hostnames written in the manifest: generated names must avoid them. */
  taken: ReadonlySet<string>;
  lock: Lockfile | undefined;
  /** The words names are made of; tests inject their own. Default: random-words, filtered (see words.ts). */
  words?: readonly string[];
}): HostnameAssignment {
  const { fleet, zone, lock } = input;
  const warnings: HostnameWarning[] = [];
  // DNS names compare case-insensitively; the manifest demands lowercase, but a stray capital must not slip by.
  const taken = new Set<string>();
  for (const name of input.taken) taken.add(name.toLowerCase());

  // Requests given in host order (normalize gives them so) are sorted in one pass over them.
  const requests = [...input.requests].sort((a, b) => compareCodeUnits(a.host, b.host));
  const usableLock = usableLockEntries(lock, fleet, zone, warnings);
  const claimed = new Set<string>();

  // Pass 1: reuse what the lock records, even if today's word list would never produce it.
  const slotsByHost: HostSlots[] = [];
  let previous: string | undefined;
  for (const request of requests) {
    if (previous === request.host) {
      throw new InternalError(`host ${request.host} is requested twice; validation must reject duplicate host names`);
    }
    previous = request.host;
    const recorded = usableLock !== undefined && Object.hasOwn(usableLock, request.host) ? usableLock[request.host] : undefined;
    const keys = ruleKeys(request.rules);
    const names: (string | undefined)[] = new Array<string | undefined>(keys.length).fill(undefined);
    let conflicts: (LockConflict | undefined)[] | undefined;
    let isAsRecorded = recorded !== undefined;
    for (let ruleIndex = 0; ruleIndex < keys.length; ruleIndex++) {
      const key = keys[ruleIndex] as string;
      const name = recorded !== undefined && Object.hasOwn(recorded, key) ? recorded[key] : undefined;
      if (name === undefined) {
        isAsRecorded = false;
        continue;
      }
      const clash = taken.has(name.toLowerCase()) ? 'explicit' : claimed.has(name) ? 'locked' : undefined;
      if (clash) {
        (conflicts ??= [])[ruleIndex] = { host: request.host, key, ruleIndex, name, clash };
        isAsRecorded = false;
        continue;
      }
      claimed.add(name);
      names[ruleIndex] = name;
    }
    // Keys are distinct: every one recorded, and no other, is the very entry the lock holds.
    if (isAsRecorded && recorded !== undefined && Object.keys(recorded).length !== keys.length) isAsRecorded = false;
    slotsByHost.push({ host: request.host, keys, names, conflicts, recorded: isAsRecorded ? recorded : undefined });
  }

  // Pass 2: generate what is missing, host by host in sorted order.
  const names = new Map<string, string[]>();
  const entries: [string, Record<string, string>][] = [];
  let isEveryEntryAsRecorded = usableLock !== undefined;
  for (const slots of slotsByHost) {
    const { host, keys, conflicts } = slots;
    const assigned = slots.names;
    for (let ruleIndex = 0; ruleIndex < assigned.length; ruleIndex++) {
      if (assigned[ruleIndex] !== undefined) continue;
      // The words only when a name is drawn: a rebuild finds every name in the lock (see words.ts).
      const name = generate(fleet, host, ruleIndex, zone, input.words ?? defaultHostnameWords(), taken, claimed);
      assigned[ruleIndex] = name;
      const conflict = conflicts?.[ruleIndex];
      if (conflict) warnings.push(lockConflictWarning(conflict, name));
    }
    names.set(host, assigned as string[]);
    if (keys.length === 0) continue;
    if (slots.recorded !== undefined) entries.push([host, slots.recorded]);
    else {
      isEveryEntryAsRecorded = false;
      entries.push([host, Object.fromEntries(keys.map((key, ruleIndex) => [key, assigned[ruleIndex] as string]))]);
    }
  }

  // Every entry is the lock's own, and there are as many as it holds: the lock needs nothing new, and the one read is
  // kept (what isSameLockfile would find out host by host).
  const isLockAsRead = usableLock !== undefined && isEveryEntryAsRecorded && entries.length === Object.keys(usableLock).length;
  const newLock: Lockfile = { version: 1, fleet, zone, hosts: isLockAsRead ? usableLock : Object.fromEntries(entries) };
  const changed = lock === undefined ? entries.length > 0 : !isLockAsRead;
  return { names, lock: newLock, changed, warnings };
}

/**
 * Warnings as diagnostics located in the lock file, through the SourceMap parseLockfile returned. Every warning
 * comes from a lock that was read, so there is always one to point into.
 */
export function lockWarningDiagnostics(warnings: readonly HostnameWarning[], lockSource: SourceMap): Diagnostic[] {
  return warnings.map((w) => lockSource.warning(w.code, w.lockPath, w.message, w.hint));
}

/** The lock's entries when they may be reused: only for the same fleet and the same zone. */
function usableLockEntries(
  lock: Lockfile | undefined,
  fleet: string,
  zone: string,
  warnings: HostnameWarning[],
): Lockfile['hosts'] | undefined {
  if (!lock) return undefined;
  const count = Object.values(lock.hosts).reduce((n, rules) => n + Object.keys(rules).length, 0);
  if (lock.fleet !== fleet) {
    // A copied manifest with its lock would otherwise give a second fleet the first one's live names.
    warnings.push({
      code: 'lockfile.other-fleet',
      lockPath: ['fleet'],
      message: `the lock file was written for fleet ${lock.fleet}, not ${fleet}: none of its ${count} hostname(s) is reused, every generated hostname is new`,
      hint: `if you renamed the fleet and want to keep the names, change fleet: ${lock.fleet} to fleet: ${fleet} in the lock file; otherwise commit the new lock file and update DNS and Access`,
    });
    return undefined;
  }
  if (lock.zone !== zone) {
    // Names outside the zone cannot be routed; new ones come from the same seeds, mostly the same words.
    warnings.push({
      code: 'lockfile.zone-changed',
      lockPath: ['zone'],
      message: `the lock file holds names in ${lock.zone}, but the zone is now ${zone}: all ${count} generated hostname(s) are recomputed in ${zone}`,
      hint: `if the zone change is intended, commit the new lock file and update DNS and Access for the new names; otherwise set zone: ${lock.zone} again`,
    });
    return undefined;
  }
  return lock.hosts;
}

/** One host's rules on their way through the two passes. */
interface HostSlots {
  host: string;
  /** The lock file keys of its rules (ruleKeys). */
  keys: string[];
  /** Rule by rule: the name from the lock when it may be reused (pass 1), then generated where there was none (pass 2). */
  names: (string | undefined)[];
  /** Rule by rule: the name from the lock, when it may not be reused. */
  conflicts?: (LockConflict | undefined)[];
  /** The host's entry in the lock, when it holds exactly the names pass 1 reused: the new lock keeps it as it is. */
  recorded?: Record<string, string>;
}

interface LockConflict {
  host: string;
  key: string;
  ruleIndex: number;
  name: string;
  /** explicit: the name is now written in the manifest; locked: an earlier lock entry holds it too. */
  clash: 'explicit' | 'locked';
}

function lockConflictWarning({ host, key, ruleIndex, name, clash }: LockConflict, newName: string): HostnameWarning {
  const why = clash === 'explicit' ? 'is now an explicit hostname in the manifest' : 'is recorded for another rule too';
  const fix = clash === 'explicit' ? `, or give the explicit hostname another name to keep ${name} here` : '';
  return {
    code: 'hostname.lock-conflict',
    lockPath: ['hosts', host, key],
    host,
    ruleIndex,
    message: `host ${host}, rule ${key}: its locked hostname ${name} ${why}; it is renamed to ${newName}`,
    hint: `${host} is reachable only under the new name: update whatever uses ${name}${fix}`,
  };
}

function generate(
  fleet: string,
  host: string,
  ruleIndex: number,
  zone: string,
  words: readonly string[],
  taken: ReadonlySet<string>,
  claimed: Set<string>,
): string {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const name = candidateHostname({ fleet, host, ruleIndex, attempt }, zone, words);
    if (!taken.has(name) && !claimed.has(name)) {
      claimed.add(name);
      return name;
    }
  }
  throw new InternalError(`no free hostname for host ${host} after ${MAX_ATTEMPTS} attempts: the word list (${words.length} words) is too small for the fleet`);
}
