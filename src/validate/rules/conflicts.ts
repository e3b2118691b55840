/** Finding values that must be unique across hosts (public hostnames, tunnel names) but are claimed twice. */
import { formatPath } from '../../diagnostics/diagnostic.js';
import type { ManifestPath } from '../../load/source-map.js';

export interface Claim {
  /** The value that must be unique (a hostname, a tunnel name). */
  value: string;
  /** Name of the host claiming the value. */
  owner: string;
  /** Where the value was written (for an inherited value, the defaults or group that holds it). */
  path: ManifestPath;
}

export type Conflict<T extends Claim> =
  /** `claim` is written elsewhere than `first`'s location: report it there, naming the first owner. */
  | { kind: 'taken'; claim: T; first: T }
  /** One written value is inherited by several hosts (`owners`): report it once, where it is written. */
  | { kind: 'shared'; claim: T; owners: string[] };

/**
 * Claims grouped by value, one claim per owner and value, in host order. Reports each location once: the same
 * defaults line inherited by fifty hosts is one diagnostic, not forty-nine.
 */
export function findConflicts<T extends Claim>(claimsByValue: ReadonlyMap<string, readonly T[]>): Conflict<T>[] {
  const conflicts: Conflict<T>[] = [];
  for (const claims of claimsByValue.values()) {
    const first = claims[0];
    if (!first || claims.length < 2) continue;
    const firstAt = formatPath(first.path);
    const reported = new Set<string>();
    for (const claim of claims.slice(1)) {
      const at = formatPath(claim.path);
      if (reported.has(at)) continue;
      reported.add(at);
      if (at === firstAt) {
        conflicts.push({ kind: 'shared', claim: first, owners: claims.filter((c) => formatPath(c.path) === at).map((c) => c.owner) });
      } else {
        conflicts.push({ kind: 'taken', claim, first });
      }
    }
  }
  return conflicts;
}

/** Adds a claim to a map of claims by value. */
export function addClaim<T extends Claim>(claims: Map<string, T[]>, claim: T): void {
  const list = claims.get(claim.value);
  if (list) list.push(claim);
  else claims.set(claim.value, [claim]);
}
