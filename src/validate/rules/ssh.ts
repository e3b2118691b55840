/**
 * Whether each host is reachable over SSH through its tunnel, and whether its ssh:// rule goes where sshd listens.
 * Token-mode hosts without ingress are left out: their ingress is managed in Cloudflare, where fleetgen cannot see it.
 */
import { quote } from '../../diagnostics/diagnostic.js';
import { parseService } from '../service.js';
import { describeHosts, effectiveIngress, effectiveIngressRules, tunnelMode, type FleetRule, type HostRule } from './context.js';
import { HostsByPlace } from './hosts-by-place.js';

const DEFAULT_SSH_PORT = 22;
const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1']);

function isSshRule(rule: { service: string }): boolean {
  const service = parseService(rule.service);
  return service.ok && service.kind === 'ssh';
}

export const warnHostsWithoutSsh: FleetRule = ({ hosts, source }) => {
  const unreachable = new HostsByPlace();
  // Most hosts share their ssh:// rule's text (often from the defaults): each service is parsed once.
  const isSsh = new Map<string, boolean>();
  const isSshService = (rule: { service: string }): boolean => {
    let found = isSsh.get(rule.service);
    if (found === undefined) {
      found = isSshRule(rule);
      isSsh.set(rule.service, found);
    }
    return found;
  };
  for (const host of hosts) {
    const rules = effectiveIngressRules(host);
    if (tunnelMode(host) === 'token' && !rules) continue;
    if (rules?.some(isSshService) === true) continue;
    unreachable.add(effectiveIngress(host)?.path ?? host.hostPath, '', host.host.name);
  }
  return unreachable.entries().map(({ path, hosts: names }) =>
    source.warning(
      'ssh.no-ingress-rule',
      path,
      `no ssh:// ingress rule: ${describeHosts(names)} ${names.length === 1 ? 'is' : 'are'} not reachable over SSH through the tunnel`,
      'add a rule such as { service: "ssh://localhost:22" } (a hostname is generated when none is given)',
      path.at(-1) === 'ingress' ? 'key' : 'value',
    ),
  );
};

export const warnSshPortMismatch: HostRule = ({ source }, host) => {
  const ingress = effectiveIngress(host);
  if (!ingress) return [];
  const sshPort = host.settings.ssh?.port;
  const listening = sshPort ?? DEFAULT_SSH_PORT;
  return ingress.rules.flatMap((rule, j) => {
    const service = parseService(rule.service);
    if (!service.ok || service.kind !== 'ssh' || !LOOPBACK.has(service.host ?? '') || service.port === listening) return [];
    const said = sshPort === undefined ? `sshd listens on ${DEFAULT_SSH_PORT} (ssh.port is not set)` : `ssh.port is ${sshPort}`;
    return [
      source.warning(
        'ssh.port-mismatch',
        [...ingress.path, j, 'service'],
        `${quote(rule.service)} goes to port ${service.port}, but ${said}`,
        'make them agree: set ssh.port to the port sshd listens on, and use the same port in the ssh:// service',
      ),
    ];
  });
};

/**
 * sshd's AuthorizedPrincipalsFile applies only to the users ssh.principals maps (a Match User block): any other user
 * is admitted only with a certificate whose principal — the e-mail's local part — is the user's own name. The ssh
 * user people and automation log in as (ssh.user, or client.sshUser) is usually meant to be mapped.
 */
export const warnSshUserWithoutPrincipals: FleetRule = ({ manifest, hosts, source }) => {
  const unmapped = new HostsByPlace();
  for (const host of hosts) {
    const ssh = host.settings.ssh;
    const user = ssh?.user ?? manifest.client?.sshUser;
    if (!ssh?.shortLivedCerts || !ssh.principals || Object.keys(ssh.principals).length === 0 || user === undefined) continue;
    if (user in ssh.principals) continue;
    unmapped.add(host.originOf(['ssh', 'principals']), user, host.host.name);
  }
  return unmapped.entries().map(({ path, detail: user, hosts: names }) =>
    source.warning(
      'ssh.user-without-principals',
      path,
      `the ssh user ${quote(user)} has no principals here (${describeHosts(names)}): a short-lived certificate logs in as ${quote(user)} only when its principal, the e-mail's local part, is ${quote(user)}`,
      `add ${user}: [<e-mail local parts>] to ssh.principals, if other people log in as ${quote(user)}`,
      'key',
    ),
  );
};
