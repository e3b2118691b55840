/**
 * The operator's ssh_config: `ssh <host name>` (or `ssh <its SSH hostname>`) goes through Cloudflare Access with
 * `cloudflared access ssh`. It holds no secret, so it is safe to commit and share.
 *
 * How the blocks combine (ssh_config(5)): for each option the first value found wins, and `Match host` tests the
 * target hostname after substitution by an earlier `HostName`. So for `ssh store-0001`, the `Host` block first
 * sets HostName to the SSH hostname; the host's `Match host <SSH hostname> exec "…ssh-gen…"` block after it then
 * matches too, and adds the short-lived certificate (when `ssh-gen` succeeds) for the alias and the hostname alike.
 */
import { InternalError } from '../../diagnostics/diagnostic.js';
import type { Host } from '../../model/fleet.js';
import type { FleetSettings } from '../target.js';
import { GENERATED_HEADER } from '../common/config-yaml.js';

/** FACTS.md "Client side". %h is the hostname after HostName substitution. */
const PROXY_COMMAND = 'cloudflared access ssh --hostname %h';
const SSH_GEN = 'cloudflared access ssh-gen --hostname %h';
/** Where `cloudflared access ssh-gen` leaves the key pair and the certificate for hostname %h. */
const IDENTITY_FILE = '~/.cloudflared/%h-cf_key';
const CERTIFICATE_FILE = '~/.cloudflared/%h-cf_key-cert.pub';

/** What ssh/config reads of a host. */
export interface SshHostView {
  name: string;
  hostnames: readonly string[];
  user?: string;
  hasShortLivedCerts: boolean;
  /** Token mode without ingress rules of its own: the tunnel's ingress is managed in Cloudflare. */
  isIngressInCloudflare: boolean;
}

export function sshHostView(host: Host): SshHostView {
  return {
    name: host.name,
    hostnames: host.ssh.hostnames,
    ...(host.ssh.user !== undefined ? { user: host.ssh.user } : {}),
    hasShortLivedCerts: host.ssh.shortLivedCerts !== undefined,
    isIngressInCloudflare: host.tunnel.mode === 'token' && host.ingress.length === 0,
  };
}

export function renderSshConfig(fleet: FleetSettings, hosts: readonly SshHostView[]): string {
  const reachable = hosts.filter((h) => h.hostnames.length > 0);
  const unreachable = hosts.filter((h) => h.hostnames.length === 0);

  const lines = [
    `# ${GENERATED_HEADER}`,
    `# ssh_config for the ${safe(fleet.name, 'fleet name')} fleet: reaches every host through Cloudflare Access (needs cloudflared).`,
    '# Use it with `ssh -F <this file> <host>`, or put `Include <this file>` near the top of ~/.ssh/config.',
  ];
  const token = fleet.client.serviceToken;
  if (token) {
    lines.push(
      '#',
      '# Automation (no browser login) uses the Access service token; this file holds no secret. cloudflared reads',
      '# the token from the environment, so export it from the variables your automation already has:',
      `#   export TUNNEL_SERVICE_TOKEN_ID="$${safe(token.idEnv, 'environment variable name')}"`,
      `#   export TUNNEL_SERVICE_TOKEN_SECRET="$${safe(token.secretEnv, 'environment variable name')}"`,
    );
  } else {
    lines.push(
      '#',
      '# Automation (no browser login) can use an Access service token: cloudflared reads it from the environment',
      '# variables TUNNEL_SERVICE_TOKEN_ID and TUNNEL_SERVICE_TOKEN_SECRET, so none needs to be written here.',
    );
  }
  if (unreachable.length > 0) {
    lines.push('#', '# Hosts without an SSH hostname, not reachable with this file:');
    for (const host of unreachable) {
      const why = host.isIngressInCloudflare ? 'token mode: its ingress is managed in Cloudflare' : 'no ssh:// ingress rule';
      lines.push(`#   ${safe(host.name, 'host name')} (${why})`);
    }
  }
  for (const host of reachable) lines.push('', ...hostBlock(host));
  return `${lines.join('\n')}\n`;
}

function hostBlock(host: SshHostView): string[] {
  const name = safe(host.name, 'host name');
  const hostnames = host.hostnames.map((h) => safe(h, 'SSH hostname'));
  const [primary] = hostnames;
  if (primary === undefined) throw new InternalError(`host ${name} has no SSH hostname`);
  const patterns = [...new Set([name, ...hostnames])];
  const block = [
    `Host ${patterns.join(' ')}`,
    `  HostName ${primary}`,
    ...(host.user !== undefined ? [`  User ${safe(host.user, 'SSH user')}`] : []),
    `  ProxyCommand ${PROXY_COMMAND}`,
  ];
  if (host.hasShortLivedCerts) {
    block.push(
      // After the Host block: HostName has replaced the alias by the time this is tested. The certificate comes
      // from `ssh-gen` (which logs in through the browser when needed); when it fails the block does not apply and
      // ssh falls back to the user's own keys through the same ProxyCommand.
      `Match host ${hostnames.join(',')} exec "${SSH_GEN}"`,
      `  ProxyCommand ${PROXY_COMMAND}`,
      `  IdentityFile ${IDENTITY_FILE}`,
      `  CertificateFile ${CERTIFICATE_FILE}`,
    );
  }
  return block;
}

/**
 * Host names, hostnames, users and variable names are restricted by the manifest schema; this checks again that
 * nothing that could end a token, start a comment or open a quote (whitespace, quotes, `#`, `,`, `*`, `%`, `!`)
 * reaches ssh_config, where it would change what ssh does.
 */
function safe(value: string, what: string): string {
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(value)) {
    throw new InternalError(`${what} ${JSON.stringify(value)} cannot be written to ssh_config (the schema should have rejected it)`);
  }
  return value;
}
