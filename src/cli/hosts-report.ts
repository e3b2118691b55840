/**
 * What `fleetgen hosts` shows: per host its group, tunnel mode, which public hostname goes to which service, and what
 * of it the Terraform target owns (module and resource addresses).
 */
import { runningMode, type Fleet, type Host, type HostLifecycle } from '../model/fleet.js';
import { terraformOwnership, type TerraformOwnership } from '../targets/terraform/addresses.js';

export interface HostRoute {
  /** null on the catch-all rule (cloudflared's `*`). */
  hostname: string | null;
  path: string | null;
  service: string;
  /** The hostname was generated and is recorded in the lock file. */
  isGenerated: boolean;
  isCatchAll: boolean;
}

/** Who creates the host's tunnel: fleetgen's Terraform, someone before (given by id/credentials or token), or the host. */
export type TunnelCreator = 'terraform' | 'existing' | 'host';

export interface HostReport {
  name: string;
  /** decommissioned: the next Chef or Ansible run removes cloudflared from it; Terraform keeps its objects meanwhile. */
  state: HostLifecycle;
  group: string | null;
  mode: 'named' | 'token' | 'self-register';
  tunnel: TunnelCreator;
  /** The tunnel's UUID when known (an existing tunnel, or one whose Terraform outputs are saved). */
  tunnelId: string | null;
  /** Empty in token mode when the manifest gives no ingress: then it is managed in Cloudflare. */
  ingress: HostRoute[];
  /** What the Terraform target declares for this host (out/terraform/<module>/host-<name>.tf.json); null: not declared. */
  terraform: {
    module: string;
    tunnel: string | null;
    tunnelConfig: string | null;
    dnsRecords: { hostname: string; address: string }[];
    accessApplication: string | null;
    shortLivedCertificate: string | null;
  };
}

function tunnelCreator(host: Host): TunnelCreator {
  if (host.tunnel.mode === 'self-register') return 'host';
  return host.tunnel.managedBy === 'terraform' ? 'terraform' : 'existing';
}

export function hostReports(fleet: Fleet): HostReport[] {
  return fleet.hosts.map((host) => ({
    name: host.name,
    state: host.state,
    group: host.group ?? null,
    mode: runningMode(host.tunnel),
    tunnel: tunnelCreator(host),
    tunnelId: host.tunnel.mode === 'named' || host.tunnel.mode === 'token' ? host.tunnel.id : null,
    ingress: host.ingress.map((rule) => ({
      hostname: rule.hostname ?? null,
      path: rule.path ?? null,
      service: rule.service,
      isGenerated: rule.isGeneratedHostname,
      isCatchAll: rule.isCatchAll,
    })),
    terraform: withNulls(terraformOwnership(fleet, host)),
  }));
}

function withNulls(owned: TerraformOwnership): HostReport['terraform'] {
  return {
    module: owned.module,
    tunnel: owned.tunnel ?? null,
    tunnelConfig: owned.tunnelConfig ?? null,
    dnsRecords: owned.dnsRecords,
    accessApplication: owned.accessApplication ?? null,
    shortLivedCertificate: owned.shortLivedCertificate ?? null,
  };
}

/** Two tables: the routes (one line per ingress rule), then what Terraform owns per host. */
export function renderHostsTable(reports: readonly HostReport[]): string {
  const routes: string[][] = [['HOST', 'GROUP', 'MODE', 'HOSTNAME', 'SERVICE']];
  for (const host of reports) {
    const lines: [string, string][] =
      host.ingress.length === 0 ? [['(ingress managed in Cloudflare)', '']] : host.ingress.map((route) => [describeHostname(route), route.service]);
    lines.forEach(([hostname, service], index) => {
      routes.push(index === 0 ? [host.name, host.group ?? '-', host.mode, hostname, service] : ['', '', '', hostname, service]);
    });
  }
  const owned: string[][] = [['HOST', 'TUNNEL', 'TERRAFORM MODULE', 'TERRAFORM OWNS']];
  for (const host of reports) owned.push([host.name, host.tunnel, `out/terraform/${host.terraform.module}`, describeOwnership(host.terraform)]);
  return `${renderTable(routes)}\n${renderTable(owned)}${describeDecommissioning(reports)}`;
}

/** The hosts on their way out, and what comes next for them; nothing when there are none. */
function describeDecommissioning(reports: readonly HostReport[]): string {
  const leaving = reports.filter((host) => host.state === 'decommissioned').map((host) => host.name);
  if (leaving.length === 0) return '';
  return [
    '',
    `DECOMMISSIONING (state: decommissioned): ${leaving.join(', ')}`,
    'The next Chef or Ansible run removes cloudflared from them (sshd restored first, the tunnel stopped after the run).',
    'Then remove them from fleet.yaml: the next terraform apply of their modules deletes their tunnels, DNS records and Access applications.',
    '',
  ].join('\n');
}

function renderTable(rows: readonly string[][]): string {
  // A loop, not Math.max(...rows): spreading a 100,000-host fleet's rows into arguments overflows the stack.
  const widths = (rows[0] ?? []).map((_, column) => rows.reduce((width, row) => Math.max(width, row[column]?.length ?? 0), 0));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd()).join('\n') + '\n';
}

function describeOwnership(owned: HostReport['terraform']): string {
  const records = owned.dnsRecords.length;
  const parts = [
    ...(owned.tunnel ? ['tunnel'] : []),
    ...(owned.tunnelConfig ? ['ingress'] : []),
    ...(records > 0 ? [`${records} DNS ${records === 1 ? 'record' : 'records'}`] : []),
    ...(owned.accessApplication ? ['Access app'] : []),
    ...(owned.shortLivedCertificate ? ['SSH CA'] : []),
  ];
  return parts.length > 0 ? parts.join(', ') : '-';
}

function describeHostname(route: HostRoute): string {
  const hostname = route.hostname ?? '*';
  return route.path !== null ? `${hostname} (path ${route.path})` : hostname;
}
