/**
 * Tunnel identities that must differ between hosts: the name a self-registering host creates its tunnel under,
 * and the UUID of a named tunnel (two hosts running one tunnel would receive each other's requests at random).
 */
import { quote } from '../../diagnostics/diagnostic.js';
import { addClaim, findConflicts, type Claim } from './conflicts.js';
import { describeHosts, lineOf, tunnelMode, type FleetRule } from './context.js';

interface NameClaim extends Claim {
  isDefault: boolean;
}

export const checkTunnelNamesUnique: FleetRule = ({ fleetName, hosts, source }) => {
  const claims = new Map<string, NameClaim[]>();
  for (const host of hosts) {
    if (tunnelMode(host) !== 'self-register') continue;
    const name = host.settings.tunnel?.name;
    if (name === undefined && fleetName === undefined) continue;
    addClaim(
      claims,
      name !== undefined
        ? { value: name, owner: host.host.name, path: host.originOf(['tunnel', 'name']), isDefault: false }
        : { value: `${fleetName}-${host.host.name}`, owner: host.host.name, path: [...host.hostPath, 'name'], isDefault: true },
    );
  }
  const hint = 'each self-registering host creates its own tunnel: set tunnel.name per host, or leave it out to get <fleet>-<host name>';
  return findConflicts(claims).map((conflict) => {
    if (conflict.kind === 'shared') {
      return source.error('tunnel.duplicate-name', conflict.claim.path, `tunnel name ${quote(conflict.claim.value)} is inherited by ${describeHosts(conflict.owners)}`, hint);
    }
    const { claim, first } = conflict;
    const which = claim.isDefault ? `the default tunnel name ${quote(claim.value)} (<fleet>-<host name>)` : `tunnel name ${quote(claim.value)}`;
    return source.error('tunnel.duplicate-name', claim.path, `${which} is already used by host ${quote(first.owner)} (line ${lineOf(source, first.path)})`, hint);
  });
};

export const checkTunnelIdsUnique: FleetRule = ({ hosts, source }) => {
  // First which ids two hosts claim (a claim for each of 10,000 ids that one host claims is a lot of paths); then
  // the claims of those, as a claim of every id would be.
  const claimed = new Set<string>();
  const contested = new Set<string>();
  for (const host of hosts) {
    const id = host.settings.tunnel?.id;
    if (id === undefined || tunnelMode(host) !== 'named') continue;
    if (claimed.has(id)) contested.add(id);
    else claimed.add(id);
  }
  const claims = new Map<string, Claim[]>();
  for (const host of contested.size > 0 ? hosts : []) {
    const id = host.settings.tunnel?.id;
    if (tunnelMode(host) !== 'named' || id === undefined || !contested.has(id)) continue;
    addClaim(claims, { value: id, owner: host.host.name, path: host.originOf(['tunnel', 'id']) });
  }
  const hint = 'each host runs its own tunnel: create one per host with `cloudflared tunnel create` and set tunnel.id on the host';
  return findConflicts(claims).map((conflict) =>
    conflict.kind === 'shared'
      ? source.error('tunnel.duplicate-id', conflict.claim.path, `tunnel.id ${conflict.claim.value} is inherited by ${describeHosts(conflict.owners)}`, hint)
      : source.error('tunnel.duplicate-id', conflict.claim.path, `tunnel ${conflict.claim.value} is already used by host ${quote(conflict.first.owner)} (line ${lineOf(source, conflict.first.path)})`, hint),
  );
};
