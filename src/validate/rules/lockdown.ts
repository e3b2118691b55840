/**
 * Lockdown keeps sshd on 127.0.0.1:<ssh.port> only, so the tunnel must carry SSH there, or the host is cut off.
 * Reported where `lockdown: true` is written, once for all the hosts that inherit it from there.
 */
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
    if (host.settings.lockdown !== true) continue;
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
