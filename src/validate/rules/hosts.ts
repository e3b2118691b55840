/** Rules about the host list itself: unique names, groups that exist. */
import { quote } from '../../diagnostics/diagnostic.js';
import { closest } from '../closest.js';
import { lineOf, type FleetRule, type HostRule } from './context.js';

export const checkHostNamesUnique: FleetRule = ({ manifest, source }) => {
  const firstIndex = new Map<string, number>();
  return manifest.hosts.flatMap((host, i) => {
    const first = firstIndex.get(host.name);
    if (first === undefined) {
      firstIndex.set(host.name, i);
      return [];
    }
    return [
      source.error(
        'host.duplicate-name',
        ['hosts', i, 'name'],
        `host name ${quote(host.name)} is used twice (first at line ${lineOf(source, ['hosts', first, 'name'])})`,
        'host names name Chef nodes, inventory hosts and user-data files: give each host its own name',
      ),
    ];
  });
};

export const checkGroupExists: HostRule = ({ frame, source }, { host, hostPath }) => {
  const groups = Object.keys(frame.groups ?? {});
  if (host.group === undefined || groups.includes(host.group)) return [];
  const guess = closest(host.group, groups);
  const hint = guess
    ? `did you mean ${quote(guess)}?`
    : groups.length === 0
      ? `there are no groups: define groups.${host.group}, or remove group`
      : `define it under groups, or use one of ${groups.join(', ')}`;
  return [source.error('host.unknown-group', [...hostPath, 'group'], `group ${quote(host.group)} is not defined in groups`, hint)];
};
