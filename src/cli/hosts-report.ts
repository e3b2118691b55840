/** What `fleetgen hosts` shows: per host its group, tunnel mode, and which public hostname goes to which service. */
import type { Fleet } from '../model/fleet.js';

export interface HostRoute {
  /** null on the catch-all rule (cloudflared's `*`). */
  hostname: string | null;
  path: string | null;
  service: string;
  /** The hostname was generated and is recorded in the lock file. */
  isGenerated: boolean;
  isCatchAll: boolean;
}

export interface HostReport {
  name: string;
  group: string | null;
  mode: 'named' | 'token' | 'self-register';
  /** Empty in token mode: a remotely managed tunnel's ingress lives in Cloudflare. */
  ingress: HostRoute[];
}

export function hostReports(fleet: Fleet): HostReport[] {
  return fleet.hosts.map((host) => ({
    name: host.name,
    group: host.group ?? null,
    mode: host.tunnel.mode,
    ingress: host.ingress.map((rule) => ({
      hostname: rule.hostname ?? null,
      path: rule.path ?? null,
      service: rule.service,
      isGenerated: rule.isGeneratedHostname,
      isCatchAll: rule.isCatchAll,
    })),
  }));
}

type Row = [host: string, group: string, mode: string, hostname: string, service: string];

/** One line per ingress rule; the host's columns are filled on its first line only. */
export function renderHostsTable(reports: readonly HostReport[]): string {
  const header: Row = ['HOST', 'GROUP', 'MODE', 'HOSTNAME', 'SERVICE'];
  const rows: Row[] = [header];
  for (const host of reports) {
    const routes: [string, string][] =
      host.mode === 'token'
        ? [['(ingress managed in Cloudflare)', '']]
        : host.ingress.map((route) => [describeHostname(route), route.service]);
    routes.forEach(([hostname, service], index) => {
      rows.push(index === 0 ? [host.name, host.group ?? '-', host.mode, hostname, service] : ['', '', '', hostname, service]);
    });
  }
  const widths = header.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd()).join('\n') + '\n';
}

function describeHostname(route: HostRoute): string {
  const hostname = route.hostname ?? '*';
  return route.path !== null ? `${hostname} (path ${route.path})` : hostname;
}
