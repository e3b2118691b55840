/**
 * A public hostname routes to one tunnel, so no two hosts may claim it (token-mode hosts too: their ingress is the
 * remote configuration Terraform writes).
 */
import { quote } from '../../diagnostics/diagnostic.js';
import { CATCH_ALL_HOSTNAME } from '../hostname.js';
import { addClaim, findConflicts, type Claim } from './conflicts.js';
import { describeHosts, effectiveIngress, effectiveIngressRules, lineOf, type FleetRule } from './context.js';

export const checkHostnamesClaimedOnce: FleetRule = ({ hosts, source }) => {
  // First which hostnames two hosts claim, without a claim for each of the tens of thousands that one host claims;
  // then the claims of those, as a claim of every hostname would be.
  const claimedBy = new Map<string, number>();
  const contested = new Set<string>();
  for (const host of hosts) {
    for (const rule of effectiveIngressRules(host) ?? []) {
      const hostname = rule.hostname;
      if (hostname === undefined || hostname === CATCH_ALL_HOSTNAME) continue;
      const owner = claimedBy.get(hostname);
      if (owner === undefined) claimedBy.set(hostname, host.hostIndex);
      else if (owner !== host.hostIndex) contested.add(hostname);
    }
  }
  const claims = new Map<string, Claim[]>();
  for (const host of contested.size > 0 ? hosts : []) {
    const ingress = effectiveIngress(host);
    if (!ingress) continue;
    const mine = new Set<string>();
    ingress.rules.forEach((rule, j) => {
      if (rule.hostname === undefined || rule.hostname === CATCH_ALL_HOSTNAME || mine.has(rule.hostname)) return;
      mine.add(rule.hostname);
      if (contested.has(rule.hostname)) addClaim(claims, { value: rule.hostname, owner: host.host.name, path: [...ingress.path, j, 'hostname'] });
    });
  }
  const hint = 'a public hostname routes to one tunnel: give each host its own hostname, or leave hostname out to get a generated one';
  return findConflicts(claims).map((conflict) =>
    conflict.kind === 'shared'
      ? source.error(
          'ingress.hostname-taken',
          conflict.claim.path,
          `hostname ${quote(conflict.claim.value)} is inherited by ${describeHosts(conflict.owners)}; only one host can serve it`,
          hint,
        )
      : source.error(
          'ingress.hostname-taken',
          conflict.claim.path,
          `hostname ${quote(conflict.claim.value)} is already used by host ${quote(conflict.first.owner)} (line ${lineOf(source, conflict.first.path)})`,
          hint,
        ),
  );
};
