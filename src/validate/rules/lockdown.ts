/**
 * Lockdown keeps sshd on 127.0.0.1:<ssh.port> only, so the tunnel must carry SSH there, or the host is cut off.
 * Reported where `lockdown: true` is written, once for all the hosts that inherit it from there.
 */
import { quote } from '../../diagnostics/diagnostic.js';
import type { AccessPolicy, AccessRules } from '../../manifest/types.generated.js';
import { closest } from '../closest.js';
import { parseService } from '../service.js';
import { describeHosts, effectiveIngress, tunnelMode, type FleetRule } from './context.js';
import type { EffectiveSettings } from '../../model/merge.js';
import { HostsByPlace } from './hosts-by-place.js';

const DEFAULT_SSH_PORT = 22;
/** Where the lockdown drop-in lets sshd listen: IPv4 loopback only (see renderLockdownDropIn). */
const REACHES_LOCKED_SSHD = new Set(['localhost', '127.0.0.1']);

const sshPortOf = (host: EffectiveSettings): number => host.settings.ssh?.port ?? DEFAULT_SSH_PORT;

function carriesSshToLoopback(host: EffectiveSettings): boolean {
  const port = sshPortOf(host);
  return (effectiveIngress(host)?.rules ?? []).some((rule) => {
    const service = parseService(rule.service);
    return service.ok && service.kind === 'ssh' && REACHES_LOCKED_SSHD.has(service.host ?? '') && service.port === port;
  });
}

export const checkLockdownKeepsSsh: FleetRule = ({ hosts, source }) => {
  const cutOff = new HostsByPlace();
  const unseen = new HostsByPlace();
  for (const host of hosts) {
    if (!host.settings.lockdown) continue;
    const at = host.originOf(['lockdown']);
    const port = String(sshPortOf(host));
    if (tunnelMode(host) === 'token' && !effectiveIngress(host)) unseen.add(at, port, host.host.name);
    else if (!carriesSshToLoopback(host)) cutOff.add(at, port, host.host.name);
  }
  return [
    ...cutOff.entries().map(({ path, detail: port, hosts: names }) =>
      source.error(
        'lockdown.cuts-off-ssh',
        path,
        `lockdown leaves sshd listening on 127.0.0.1:${port} only, and ${describeHosts(names)} ${names.length === 1 ? 'has' : 'have'} no ssh:// ingress rule to it: SSH would be cut off entirely`,
        `add { service: "ssh://localhost:${port}" } to the ingress (ssh://[::1] does not reach it), or set lockdown: false`,
      ),
    ),
    ...unseen.entries().map(({ path, detail: port, hosts: names }) =>
      source.warning(
        'lockdown.remote-ingress',
        path,
        `${describeHosts(names)} ${names.length === 1 ? 'runs a remotely managed tunnel' : 'run remotely managed tunnels'} (token mode) whose ingress the manifest does not give: fleetgen cannot see the ingress, so it cannot check that SSH still reaches sshd under lockdown`,
        `give the host its ingress in the manifest (Terraform then writes it as the tunnel's configuration), or point the dashboard's SSH public hostname to ssh://localhost:${port} (sshd will listen on 127.0.0.1:${port} only)`,
      ),
    ),
  ];
};

/**
 * Lockdown is applied only once SSH through the host's own tunnel hostname is proven, with an Access service token
 * that the host's Access application admits (lockdown.probe.serviceToken). Without one there is no way to prove it:
 * `lockdown: true` alone is refused. The token must be one of access.serviceTokens (Terraform creates it; its ID and
 * secret come back with Terraform's outputs) and a non_identity policy of the host must admit it.
 */
export const checkLockdownCanProve: FleetRule = ({ manifest, hosts, source }) => {
  const tokens = Object.keys(manifest.access?.serviceTokens ?? {});
  const policies = manifest.access?.policies ?? {};
  const noProof = new HostsByPlace();
  const unknown = new HostsByPlace();
  const notAdmitted = new HostsByPlace();
  for (const host of hosts) {
    const lockdown = host.settings.lockdown;
    if (lockdown === undefined || lockdown === false) continue;
    if (lockdown === true) {
      noProof.add(host.originOf(['lockdown']), '', host.host.name);
      continue;
    }
    const token = lockdown.probe.serviceToken;
    const at = host.originOf(['lockdown', 'probe', 'serviceToken']);
    if (!tokens.includes(token)) unknown.add(at, token, host.host.name);
    else if (!(host.settings.access?.policies ?? []).some((name) => admits(policies[name], token))) notAdmitted.add(at, token, host.host.name);
  }
  return [
    ...noProof.entries().map(({ path, hosts: names }) =>
      source.error(
        'lockdown.no-proof',
        path,
        `lockdown: true gives no way to prove that SSH through ${describeHosts(names)}'s own tunnel hostname works before sshd is locked to loopback`,
        'give lockdown: { probe: { serviceToken: NAME } } with NAME under access.serviceTokens, admitted by a non_identity policy in the host\'s access.policies',
      ),
    ),
    ...unknown.entries().map(({ path, detail: token }) => {
      const guess = closest(token, tokens);
      return source.error(
        'lockdown.unknown-probe-token',
        path,
        `service token ${quote(token)} is not defined under access.serviceTokens`,
        guess ? `did you mean ${quote(guess)}?` : `define it there (Terraform creates it), e.g. access: { serviceTokens: { ${token}: {} } }`,
      );
    }),
    ...notAdmitted.entries().map(({ path, detail: token, hosts: names }) =>
      source.error(
        'lockdown.probe-not-admitted',
        path,
        `no policy in the access.policies of ${describeHosts(names)} admits service token ${quote(token)}: the lockdown's proof would be refused by Access, and lockdown would never apply`,
        `add a policy such as { decision: non_identity, include: { serviceTokens: [${token}] } } under access.policies and name it in the host's access.policies`,
      ),
    ),
  ];
};

/** A non_identity policy whose include names the token (or any valid token), with nothing else required, not excluded. */
function admits(policy: AccessPolicy | undefined, token: string): boolean {
  if (policy?.decision !== 'non_identity') return false;
  const listed = (rules: AccessRules | undefined): readonly string[] => rules?.serviceTokens ?? [];
  const names = (rules: AccessRules | undefined): boolean => rules?.anyValidServiceToken === true || listed(rules).includes(token);
  const { require: required, exclude } = policy;
  const requireOk = required === undefined || (Object.keys(required).every((k) => k === 'serviceTokens' || k === 'anyValidServiceToken') && names(required));
  return names(policy.include) && requireOk && !listed(exclude).includes(token) && exclude?.anyValidServiceToken !== true;
}
