/**
 * The targets' warnings as `fleetgen build` prints them. A kind of host warning that more than a handful of hosts
 * share is one line naming how many hosts and the first of them: at fleet scale, one line per host (10,000 hosts
 * without Access policies) would bury everything else. Grouped by the warning's code, never by its text; each group
 * stands where its first host's warning stood, so the order follows the targets and the manifest's hosts, whether a
 * warning was generated now or kept in the build cache. `--verbose` prints every warning host by host.
 */
import { TARGET_PARTS } from '../build.js';
import type { HostWarningKind, TargetWarning } from '../targets/target.js';
import { listHosts } from '../validate/rules/context.js';

/** Up to this many hosts with one kind of warning get a line each, as they always did. */
export const MOST_LINES_PER_KIND = 3;

const HOST_WARNING_KINDS = new Map(Object.values(TARGET_PARTS).flatMap((parts) => parts.hostWarningKinds.map((kind) => [kind.code, kind] as const)));

export function formatTargetWarnings(warnings: readonly TargetWarning[], options: { isVerbose?: boolean } = {}): string[] {
  if (options.isVerbose) return warnings.map(formatTargetWarning);
  const hostsByKind = new Map<HostWarningKind, Set<string>>();
  for (const warning of warnings) {
    const kind = kindOf(warning);
    if (kind === undefined || warning.host === undefined) continue;
    const hosts = hostsByKind.get(kind);
    if (hosts) hosts.add(warning.host);
    else hostsByKind.set(kind, new Set([warning.host]));
  }
  const lines: string[] = [];
  const printed = new Set<HostWarningKind>();
  for (const warning of warnings) {
    const kind = kindOf(warning);
    const hosts = kind && hostsByKind.get(kind);
    if (kind === undefined || hosts === undefined || hosts.size <= MOST_LINES_PER_KIND) lines.push(formatTargetWarning(warning));
    else if (!printed.has(kind)) {
      printed.add(kind);
      lines.push(`fleetgen: warning: ${kind.target}: ${kind.many(`${hosts.size} hosts (${listHosts([...hosts])})`)}; --verbose lists each host`);
    }
  }
  return lines;
}

function formatTargetWarning(warning: TargetWarning): string {
  return `fleetgen: warning: ${warning.target}${warning.host ? ` ${warning.host}` : ''}: ${warning.message}`;
}

/** The kind of a host's warning; undefined for a target's fleet-wide warnings. */
function kindOf(warning: TargetWarning): HostWarningKind | undefined {
  const kind = warning.host !== undefined ? HOST_WARNING_KINDS.get(warning.code) : undefined;
  return kind?.target === warning.target ? kind : undefined;
}
