/**
 * What decommissioning (state: decommissioned) cannot take away, said where `state` is written, once for all the
 * hosts that inherit it from there: a self-registered tunnel lives in Cloudflare, made by the host, and no Terraform of
 * fleetgen's deletes it; a preinstalled cloudflared belongs to the image.
 */
import { describeHosts, tunnelMode, type FleetRule } from './context.js';
import { HostsByPlace } from './hosts-by-place.js';

export const warnWhatDecommissionLeaves: FleetRule = ({ hosts, source }) => {
  const selfRegistered = new HostsByPlace();
  const preinstalled = new HostsByPlace();
  for (const host of hosts) {
    if (host.settings.state !== 'decommissioned') continue;
    const at = host.originOf(['state']);
    if (tunnelMode(host) === 'self-register') selfRegistered.add(at, '', host.host.name);
    if (host.settings.cloudflared?.install === 'preinstalled') preinstalled.add(at, '', host.host.name);
  }
  return [
    ...selfRegistered.entries().map(({ path, hosts: names }) =>
      source.warning(
        'state.self-registered-tunnel-stays',
        path,
        `${describeHosts(names)} registered ${names.length === 1 ? 'its own tunnel' : 'their own tunnels'} in Cloudflare: decommissioning removes cloudflared from the host, but not the tunnel and the DNS records it routed`,
        'once the host is clean, delete them where cert.pem is: `cloudflared tunnel delete NAME` (tunnel.name, by default FLEET-HOST), and the DNS records in the zone',
      ),
    ),
    ...preinstalled.entries().map(({ path, hosts: names }) =>
      source.warning(
        'state.preinstalled-binary-stays',
        path,
        `${describeHosts(names)} ${names.length === 1 ? 'has' : 'have'} install: preinstalled: decommissioning removes the service, its files and user, but not the cloudflared binary the image ships`,
        'remove it with the image, or set cloudflared.install to how it got there',
      ),
    ),
  ];
};
