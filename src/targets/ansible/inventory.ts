/**
 * The two inventories. hosts.yml reaches hosts directly (ansible_host = the manifest's address); access.yml reaches
 * the same hosts through Cloudflare Access, with `cloudflared access ssh` as ssh's ProxyCommand. Both sit in
 * inventory/ so that they share host_vars/.
 */
import type { Host } from '../../model/fleet.js';
import { Styled } from '../common/yaml-writer.js';
import type { FleetSettings } from '../target.js';
import { ansibleYaml, commentText, unsafe } from './ansible-yaml.js';

/** ssh hands %h (ansible_host, the host's SSH hostname) to cloudflared, which dials it through Access. */
export const ACCESS_SSH_ARGS = '-o ProxyCommand="cloudflared access ssh --hostname %h"';

/** What the inventories (and the fleet-wide warnings) read of a host. */
export interface AnsibleHostView {
  name: string;
  group?: string;
  address?: string;
  port: number;
  /** The host's SSH hostname (the first of its SSH ingress rules), if it has one. */
  sshHostname?: string;
  user?: string;
  isActive: boolean;
}

export function ansibleHostView(host: Host): AnsibleHostView {
  const [sshHostname] = host.ssh.hostnames;
  return {
    name: host.name,
    ...(host.group !== undefined ? { group: host.group } : {}),
    ...(host.address !== undefined ? { address: host.address } : {}),
    port: host.ssh.port,
    ...(sshHostname !== undefined ? { sshHostname } : {}),
    ...(host.ssh.user !== undefined ? { user: host.ssh.user } : {}),
    isActive: host.state === 'active',
  };
}

type HostVarsOf = (host: AnsibleHostView) => Record<string, unknown> | undefined;

export function renderHostsInventory(fleet: FleetSettings, hosts: readonly AnsibleHostView[]): string {
  return renderInventory(
    fleet,
    hosts,
    (host) => ({
      ...(host.address !== undefined ? { ansible_host: unsafe(host.address) } : {}),
      // Through Access the port does not matter (the tunnel's ingress names it); directly, sshd's own port does.
      ...(host.port !== 22 ? { ansible_port: host.port } : {}),
    }),
    {},
    [
      `The ${fleet.name} fleet, reached directly (ansible_host: the host's address when the manifest gives one).`,
      'inventory/access.yml reaches the same hosts through Cloudflare Access.',
    ],
  );
}

export function renderAccessInventory(fleet: FleetSettings, hosts: readonly AnsibleHostView[]): string {
  const comment = [
    `The ${fleet.name} fleet reached through Cloudflare Access: ssh runs \`cloudflared access ssh\` as its ProxyCommand.`,
    'Automation authenticates with an Access service token from the environment, never written here:',
  ];
  const token = fleet.client.serviceToken;
  if (token) comment.push(`  export TUNNEL_SERVICE_TOKEN_ID="$${token.idEnv}" TUNNEL_SERVICE_TOKEN_SECRET="$${token.secretEnv}"`);
  else comment.push('  export TUNNEL_SERVICE_TOKEN_ID=... TUNNEL_SERVICE_TOKEN_SECRET=...');
  return renderInventory(
    fleet,
    hosts,
    (host) => {
      if (host.sshHostname === undefined) return undefined;
      return { ansible_host: unsafe(host.sshHostname), ...(host.user !== undefined ? { ansible_user: unsafe(host.user) } : {}) };
    },
    { ansible_ssh_common_args: ACCESS_SSH_ARGS },
    comment,
  );
}

/**
 * `all:` with the fleet's groups as children and ungrouped hosts directly under it. A host for which `varsOf`
 * returns undefined is left out, with a comment saying why; a group's description is a comment above it. (Comments
 * above entries: Styled values, so that the file is written by the YamlWriter like every other YAML file, not by the
 * library's nodes: at 10,000 hosts the two inventories took a quarter of a second of a first build.)
 */
function renderInventory(fleet: FleetSettings, fleetHosts: readonly AnsibleHostView[], varsOf: HostVarsOf, allVars: Record<string, unknown>, comment: string[]): string {
  const why = (names: string[]): string =>
    `Left out: ${names.join(', ')} — no SSH ingress hostname, so Cloudflare Access cannot reach ${names.length > 1 ? 'them' : 'it'}.`;
  /** The hosts' entries, and the names of those left out. */
  const hostsOf = (hosts: readonly AnsibleHostView[]): { entries: Record<string, unknown>; leftOut: string[] } => {
    const entries: Record<string, unknown> = {};
    const leftOut: string[] = [];
    for (const host of hosts) {
      const vars = varsOf(host);
      if (vars === undefined) leftOut.push(host.name);
      else entries[host.name] = vars;
    }
    return { entries, leftOut };
  };

  const byName = new Map(fleetHosts.map((h) => [h.name, h]));
  const all: Record<string, unknown> = {};
  if (Object.keys(allVars).length > 0) all.vars = allVars;
  const ungrouped = hostsOf(fleetHosts.filter((h) => h.group === undefined));
  if (Object.keys(ungrouped.entries).length > 0 || ungrouped.leftOut.length > 0) {
    all.hosts = withComment(ungrouped.entries, ungrouped.leftOut.length > 0 ? [why(ungrouped.leftOut)] : []);
  }
  const children: Record<string, unknown> = {};
  for (const group of fleet.groups) {
    const { entries, leftOut } = hostsOf(group.hosts.map((name) => byName.get(name)).filter((h): h is AnsibleHostView => h !== undefined));
    const lines: string[] = [];
    if (group.description !== undefined) lines.push(`${group.name}: ${commentText(group.description)}`);
    if (leftOut.length > 0) lines.push(why(leftOut));
    children[group.name] = withComment(Object.keys(entries).length > 0 ? { hosts: entries } : {}, lines);
  }
  if (fleet.groups.length > 0) all.children = children;

  return ansibleYaml({ all }, comment);
}

/** `value` with comment `lines` above its entry (each line after a space, as `# line`); as it is without any. */
function withComment(value: object, lines: readonly string[]): unknown {
  return lines.length === 0 ? value : new Styled(value, { commentBefore: lines.map((line) => ` ${line}`).join('\n') });
}
