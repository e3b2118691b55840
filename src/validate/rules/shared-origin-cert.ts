/**
 * A cert.pem lets whoever holds it create tunnels and DNS records in the zone, and self-register mode copies it
 * to every host that uses it. Warned once per distinct cert (one file, or one environment variable), at the first
 * place (in host order) that references it, naming every host it is copied to — not once per host, which would
 * bury the warning under a thousand copies of itself.
 */
import { quote } from '../../diagnostics/diagnostic.js';
import type { ManifestPath } from '../../load/source-map.js';
import { describeHosts, tunnelMode, type FleetRule } from './context.js';

export const warnSharedOriginCert: FleetRule = ({ zone, hosts, source, secrets }) => {
  const certs = new Map<string, { path: ManifestPath; hosts: string[] }>();
  for (const host of hosts) {
    const originCert = host.settings.tunnel?.originCert;
    if (tunnelMode(host) !== 'self-register' || originCert === undefined) continue;
    const key = originCert.file !== undefined ? `file:${secrets.resolve(originCert.file)}` : `env:${originCert.env ?? ''}`;
    const cert = certs.get(key);
    if (cert) cert.hosts.push(host.host.name);
    else certs.set(key, { path: host.originOf(['tunnel', 'originCert']), hosts: [host.host.name] });
  }
  return [...certs.values()].map((cert) =>
    source.warning(
      'tunnel.shared-origin-cert',
      cert.path,
      `this cert.pem goes to ${describeHosts(cert.hosts)}; anyone holding it can create tunnels and DNS records in the zone${zone !== undefined ? ` ${quote(zone)}` : ''}`,
      'prefer named tunnels with per-host credentials (tunnel.mode: named); keep cert.pem out of version control',
      'key',
    ),
  );
};
