/**
 * What Terraform owns for each host, by resource address: the Terraform target declares exactly these, and
 * `fleetgen hosts` shows them. Names derive from the host name and hostname alone, so they are stable (a host keeps
 * its addresses whatever else changes) and collision-free:
 * - a host's objects are named by its host name (`_` in front when it starts with a digit, which Terraform
 *   identifiers cannot; host names never hold `_`, so no two hosts share a name);
 * - a DNS record is `<host>_<hostname relative to the zone>` with `.` and `*` written `_` (hostnames hold no `_`
 *   and no empty label, so `__` can only come from a wildcard, and the apex is `_apex`).
 */
import { runningMode, type Host } from '../../model/fleet.js';
import type { FleetSettings } from '../target.js';

export const RESOURCE = {
  randomId: 'random_id',
  tunnel: 'cloudflare_zero_trust_tunnel_cloudflared',
  tunnelConfig: 'cloudflare_zero_trust_tunnel_cloudflared_config',
  tunnelToken: 'cloudflare_zero_trust_tunnel_cloudflared_token',
  dnsRecord: 'cloudflare_dns_record',
  accessApplication: 'cloudflare_zero_trust_access_application',
  shortLivedCertificate: 'cloudflare_zero_trust_access_short_lived_certificate',
  accessPolicy: 'cloudflare_zero_trust_access_policy',
  serviceToken: 'cloudflare_zero_trust_access_service_token',
} as const;

export function hostResourceName(hostName: string): string {
  return /^[0-9]/.test(hostName) ? `_${hostName}` : hostName;
}

export function dnsRecordName(host: Host, hostname: string, zone: string): string {
  const relative = hostname === zone ? '_apex' : hostname.slice(0, hostname.length - zone.length - 1);
  return `${hostResourceName(host.name)}_${relative.replace(/[.*]/g, '_')}`;
}

/** The public hostnames Terraform routes to a host's tunnel: each once, in rule order; none for self-register. */
export function routedHostnames(host: Host): string[] {
  if (runningMode(host.tunnel) === 'self-register') return [];
  return [...new Set(host.ingress.flatMap((rule) => (rule.hostname !== undefined ? [rule.hostname] : [])))];
}

/** Whether Terraform gives the host an Access application: SSH hostnames and at least one policy. */
export function hasAccessApplication(host: Host): boolean {
  return host.ssh.hostnames.length > 0 && host.access.policies.length > 0;
}

export interface TerraformOwnership {
  /** Folder under out/terraform/. */
  module: string;
  /** Tunnel resource when Terraform creates the tunnel (else the tunnel is external or self-registered). */
  tunnel?: string;
  /** Remote configuration (token tunnels with ingress in the manifest). */
  tunnelConfig?: string;
  /** hostname → DNS record address. */
  dnsRecords: { hostname: string; address: string }[];
  accessApplication?: string;
  shortLivedCertificate?: string;
}

export function terraformOwnership(fleet: FleetSettings, host: Host): TerraformOwnership {
  const name = hostResourceName(host.name);
  const mode = runningMode(host.tunnel);
  const isTerraformTunnel = mode !== 'self-register' && host.tunnel.mode !== 'self-register' && host.tunnel.managedBy === 'terraform';
  const hasApplication = hasAccessApplication(host);
  return {
    module: host.terraformModule,
    ...(isTerraformTunnel ? { tunnel: `${RESOURCE.tunnel}.${name}` } : {}),
    ...(mode === 'token' && host.ingress.length > 0 ? { tunnelConfig: `${RESOURCE.tunnelConfig}.${name}` } : {}),
    dnsRecords: routedHostnames(host).map((hostname) => ({ hostname, address: `${RESOURCE.dnsRecord}.${dnsRecordName(host, hostname, fleet.zone)}` })),
    ...(hasApplication ? { accessApplication: `${RESOURCE.accessApplication}.${name}` } : {}),
    ...(hasApplication && host.ssh.shortLivedCerts ? { shortLivedCertificate: `${RESOURCE.shortLivedCertificate}.${name}` } : {}),
  };
}
