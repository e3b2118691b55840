/**
 * "Every target must leave the host in the same state" (DESIGN.md), checked file by file: a host converged by
 * Ansible against a host of the same manifest host booted with its cloud-init user-data.
 *
 * What is compared: every path either host's first boot or converge wrote (its overlay's upper layer) under the
 * folders that make up a host's configuration, by type, owner and group (by name), mode and content; the cloudflared
 * user; the service's state and process. A difference fails the test unless ALLOWED_DIFFERENCES below names it,
 * with the reason the design allows it.
 */
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Host } from '../../../src/model/fleet.js';
import { SERVICE_USER } from '../../../src/targets/common/host-state.js';
import { fileFacts, passwdEntry, serviceFacts, type FileFacts } from './host-facts.js';
import type { TestHost } from './test-host.js';

/** Folders (relative to /) whose changes make up a host's configuration. */
const COMPARED_ROOTS = ['etc', 'usr', 'opt', 'srv', 'root', 'home', 'var/tmp', 'var/lib/cloudflared-stand-in', 'var/lib/apt/lists', 'var/lib/dpkg'];

export interface Difference {
  path: string;
  ansible: string;
  cloudInit: string;
  /** Why the design allows it (from ALLOWED_DIFFERENCES); undefined: it does not. */
  allowedBecause?: string;
}

export interface Comparison {
  compared: number;
  unexpected: Difference[];
  allowed: Difference[];
}

interface AllowedDifference {
  /** Paths it covers. */
  path: RegExp;
  /** When given, only a difference where this holds (e.g. "present on one side only"). */
  applies?: (ansible: FileFacts, cloudInit: FileFacts, host: Host) => boolean;
  because: string;
}

const onlyCloudInit = (a: FileFacts, c: FileFacts): boolean => a.type === 'missing' && c.type !== 'missing';
const onlyAnsible = (a: FileFacts, c: FileFacts): boolean => c.type === 'missing' && a.type !== 'missing';
const sameMetadata = (a: FileFacts, c: FileFacts): boolean => a.type === c.type && a.owner === c.owner && a.group === c.group && a.mode === c.mode;

/** The differences the design allows, each with its reason. Anything else is a bug in one of the two targets. */
export const ALLOWED_DIFFERENCES: AllowedDifference[] = [
  {
    path: /^\/etc\/(machine-id|ssh\/ssh_host_[a-z0-9]+_key(\.pub)?)$/,
    because: 'per-host identity: every test host gets its own machine-id and SSH host keys (cloud-init regenerates the keys on first boot)',
  },
  {
    path: /^\/(etc\/cloud|var\/lib\/cloud)(\/|$)/,
    because: "cloud-init's own configuration and state: only the cloud-init host runs cloud-init",
  },
  {
    path: /^\/etc\/(passwd|group|shadow|gshadow|subuid|subgid)-?$/,
    because:
      'user databases: uids and gids are allocated in creation order, and cloud-init creates the distribution\'s default user ("users: [default, …]"); the cloudflared entries are compared on their own (name, group, home, shell, system account)',
  },
  {
    path: /^\/(home\/debian(\/.*)?|etc\/sudoers\.d\/90-cloud-init-users)$/,
    applies: onlyCloudInit,
    because: "cloud-init's default user (the image's own login user, kept by `users: [default, …]`): an Ansible-managed host has its users already",
  },
  {
    path: /^\/etc\/sudoers\.d$/,
    applies: (a, c) => a.mode === '0755' && c.mode === '0750',
    because: 'cloud-init makes /etc/sudoers.d 0750 when it writes its default user\'s sudo rule',
  },
  {
    path: /^\/root\/\.ssh(\/authorized_keys)?$/,
    applies: onlyCloudInit,
    because: "cloud-init's ssh module (disable_root) writes root's authorized_keys on first boot",
  },
  {
    path: /^\/(root|home\/ops)\/\.ansible(\/|$)/,
    applies: onlyAnsible,
    because: "Ansible's remote temporary folder on the managed host",
  },
  {
    path: /^\/home\/ops\/\.sudo_as_admin_successful$/,
    applies: onlyAnsible,
    because: "sudo's first-use marker of the admin user Ansible connects as",
  },
  {
    path: /^\/var\/tmp\/systemd-private-[0-9a-f]{32}-[^/]+(\/tmp)?$/,
    because: "systemd's PrivateTmp= folders of running services: new random names on every boot",
  },
  {
    path: /^\/var\/lib\/cloudflared-stand-in\/(tunnels\/[^/]+\.json|routes)$/,
    applies: (a, c) => sameMetadata(a, c),
    because: 'self-register: the stand-in "Cloudflare" records a new tunnel UUID for each host that creates its tunnel (content differs, owner and mode must not)',
  },
  {
    path: /^\/usr\/local\/sbin\/cloudflared-takeover$/,
    applies: (_a, c) => c.type === 'missing',
    because: 'Chef and Ansible take over a host where cloudflared ran before (host state `takeover`); cloud-init sets up a fresh instance, where there is nothing to take over',
  },
  {
    path: /^\/etc\/cloudflared\/[^/]+\.json$/,
    applies: (a, c, host) => host.tunnel.mode === 'self-register' && a.path === host.paths.credentials && sameMetadata(a, c) && sameJsonKeys(a, c),
    because: 'self-register: `cloudflared tunnel create` on each host makes new credentials (TunnelID, TunnelSecret); keys, owner and mode must match',
  },
];

function sameJsonKeys(a: FileFacts, c: FileFacts): boolean {
  try {
    const keys = (f: FileFacts): string => Object.keys(JSON.parse(f.content?.toString() ?? '') as object).sort().join(',');
    return keys(a) === keys(c);
  } catch {
    return false;
  }
}

/** Paths below `roots` present in a host's upper layer (written, changed or deleted on this host). */
function writtenPaths(host: TestHost): string[] {
  const found: string[] = [];
  const visit = (relative: string): void => {
    let stat;
    try {
      stat = lstatSync(join(host.upper, relative));
    } catch {
      return;
    }
    found.push(`/${relative}`);
    if (stat.isDirectory()) for (const name of readdirSync(join(host.upper, relative))) visit(`${relative}/${name}`);
  };
  COMPARED_ROOTS.forEach(visit);
  return found;
}

function describe(f: FileFacts): string {
  if (f.type === 'missing') return 'missing';
  const meta = `${f.type} ${f.owner}:${f.group} ${f.mode}`;
  if (f.type === 'symlink') return `${meta} -> ${f.target}`;
  if (f.type !== 'file') return meta;
  const text = f.content?.toString('utf8') ?? '';
  return `${meta} (${f.content?.length} bytes)${isPrintable(text) && text.length < 2000 ? `:\n${text}` : ''}`;
}

/** Text worth printing in a failure message: tabs, newlines and printable characters only. */
function isPrintable(text: string): boolean {
  return [...text].every((ch) => ch === '\t' || ch === '\n' || (ch >= ' ' && ch !== '\x7f'));
}

function isSame(a: FileFacts, c: FileFacts): boolean {
  if (!sameMetadata(a, c)) return false;
  if (a.type === 'symlink') return a.target === c.target;
  if (a.type === 'file') return Buffer.compare(a.content ?? Buffer.alloc(0), c.content ?? Buffer.alloc(0)) === 0;
  return true;
}

export function compareHosts(ansible: TestHost, cloudInit: TestHost, host: Host): Comparison {
  const result: Comparison = { compared: 0, unexpected: [], allowed: [] };
  const record = (difference: Difference): void => {
    (difference.allowedBecause ? result.allowed : result.unexpected).push(difference);
  };

  const paths = [...new Set([...writtenPaths(ansible), ...writtenPaths(cloudInit)])].sort();
  for (const path of paths) {
    const a = fileFacts(ansible, path);
    const c = fileFacts(cloudInit, path);
    result.compared++;
    if (isSame(a, c)) continue;
    const allowed = ALLOWED_DIFFERENCES.find((rule) => rule.path.test(path) && (rule.applies?.(a, c, host) ?? true));
    record({ path, ansible: describe(a), cloudInit: describe(c), ...(allowed ? { allowedBecause: allowed.because } : {}) });
  }

  // The service user, without its numeric ids.
  const userA = JSON.stringify(passwdEntry(ansible, SERVICE_USER));
  const userC = JSON.stringify(passwdEntry(cloudInit, SERVICE_USER));
  result.compared++;
  if (userA !== userC) record({ path: `passwd entry of ${SERVICE_USER}`, ansible: userA, cloudInit: userC });

  // The service: state, enablement, process user and arguments (not its PID or restart count).
  const serviceOf = (h: TestHost): string => {
    const s = serviceFacts(h);
    return JSON.stringify({ state: `${s.activeState}/${s.subState}`, enabled: s.unitFileState, user: `${s.processUser}:${s.processGroup}`, argv: s.argv });
  };
  result.compared++;
  const serviceA = serviceOf(ansible);
  const serviceC = serviceOf(cloudInit);
  if (serviceA !== serviceC) record({ path: 'cloudflared.service (state, process)', ansible: serviceA, cloudInit: serviceC });
  return result;
}

export function formatDifferences(comparison: Comparison): string {
  const show = (d: Difference): string => `  ${d.path}\n    ansible:    ${d.ansible.replace(/\n/g, '\n      ')}\n    cloud-init: ${d.cloudInit.replace(/\n/g, '\n      ')}`;
  return [
    `${comparison.compared} paths and facts compared.`,
    comparison.unexpected.length > 0 ? `Differences the design does not allow:\n${comparison.unexpected.map(show).join('\n')}` : 'No difference the design does not allow.',
    comparison.allowed.length > 0 ? `Allowed differences:\n${comparison.allowed.map((d) => `  ${d.path}: ${d.allowedBecause}`).join('\n')}` : '',
  ].join('\n');
}
