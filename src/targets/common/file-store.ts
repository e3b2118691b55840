/**
 * What hosts share exists once. Chef and Ansible ship a file whose bytes hosts have in common (the unit, the helper
 * scripts, the sysctl and sshd drop-ins, the repository files) in their cookbook or role, named by its content, and a
 * host's data names the stored file instead of carrying its bytes. A host's data carries bytes inline only for the
 * kinds of files that are the host's own (config.yml, the Access CA key, secrets).
 *
 * Which files are stored depends on the file's kind alone, never on other hosts, so a change to one host never
 * changes another host's data; the store itself is fleet-wide: a name appears when a host needs new bytes and goes
 * when no host needs them any more. The bytes still come from hostState (or packageSource), the one place that
 * decides them: Chef, Ansible and cloud-init keep putting identical files on the host.
 */
import { hash } from 'node:crypto';
import { posix } from 'node:path';
import { InternalError } from '../../diagnostics/diagnostic.js';
import type { Host } from '../../model/fleet.js';
import type { FleetInputs } from '../target.js';
import type { FilePurpose, HostState } from './host-state.js';
import { Remembered } from './remembered.js';

/**
 * Where a file's bytes go, by its kind alone:
 * - `inline`: the host's own bytes (config.yml names its tunnel) or a secret: carried in the host's data;
 * - `stored-by-host`: stored, and named in the host's own data: the Access CA key is the fleet's or a group's in
 *   one fleet and each host's own (one Access application each) in another; named by the host, it never makes
 *   the profile the host's own;
 * - `stored`: stored, and named in the profile: bytes that follow from settings hosts share (install method, ssh
 *   users, lockdown), never from the host's identity.
 */
export type FilePlacement = 'inline' | 'stored-by-host' | 'stored';

const PLACEMENT: Partial<Record<FilePurpose, FilePlacement>> = {
  config: 'inline',
  credentials: 'inline',
  token: 'inline',
  'origin-cert': 'inline',
  'ssh-ca': 'stored-by-host',
  // The lockdown guard's service: its ExecStart names the host's own tunnel hostname (the probe's target).
  'lockdown-unit': 'inline',
  'lockdown-probe': 'inline',
};

export function placementOf(purpose: FilePurpose): FilePlacement {
  return PLACEMENT[purpose] ?? 'stored';
}

/** Hex digits of SHA-256 in a name: 64 bits, and the store refuses two different contents under one name. */
const DIGEST_CHARS = 16;

export function contentDigest(content: string | Buffer): string {
  // Called for every stored file and profile of every host (hundreds of thousands of times in a large build), mostly
  // with the same few strings, often the very same objects: a Map finds those without hashing their bytes again.
  if (typeof content === 'string') return digests.get(content, () => sha256Prefix(content));
  return sha256Prefix(content);
}

function sha256Prefix(content: string | Buffer): string {
  return hash('sha256', content, 'hex').slice(0, DIGEST_CHARS);
}

/** The digests of the first 1,024 distinct texts: what hosts share, and for a fleet whose hosts all differ, no more. */
const digests = new Remembered<string>(1024);

/**
 * The stored file's name: the base name it has on the host (a fixed name, never one from the manifest) and the
 * digest of its bytes, e.g. `cloudflared-takeover-3f0c2a9d81b4e6c7`. Hosts with the same bytes name the same file.
 */
export function storedFileName(hostPath: string, content: string | Buffer): string {
  return `${posix.basename(hostPath)}-${contentDigest(content)}`;
}

/** The stored files of a fleet, by name; the same name for different bytes would be a bug (or a digest collision). */
export class FileStore {
  private readonly files = new Map<string, string | Buffer>();

  /** Stores the bytes (once) and returns their name. */
  put(hostPath: string, content: string | Buffer): string {
    const name = storedFileName(hostPath, content);
    const known = this.files.get(name);
    if (known === undefined) this.files.set(name, content);
    // The same string (the common case: every host stores the same scripts) needs no copy into Buffers to compare.
    else if (known !== content && !Buffer.from(known).equals(Buffer.from(content))) throw new InternalError(`stored file ${name}: two different contents share one name`);
    return name;
  }

  /** Sorted by name. */
  entries(): [string, string | Buffer][] {
    return [...this.files.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /**
   * The names, sorted, for a host's summary, which a build keeps for every host until the fleet-wide files are made:
   * hosts that store the same files share one frozen list instead of each keeping its own copy.
   */
  names(): readonly string[] {
    const names = [...this.files.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return sharedNameLists.get(names.join('\0'), () => Object.freeze(names));
  }
}

/** Beyond 1,024 distinct lists (hosts that hardly share anything), each host keeps its own. */
const sharedNameLists = new Remembered<readonly string[]>(1024);

/**
 * What Chef and Ansible keep in the config folder besides the files they write there (which they keep anyway): what
 * the host made itself (self-register's credentials and routed list, cert.pem while the script needs it). Empty for
 * most hosts, so their data need not repeat the paths of the files it already names.
 */
export function keptBesidesWritten(state: HostState): string[] {
  const written = new Set(state.files.map((f) => f.path));
  return state.stale.keep.filter((path) => !written.has(path));
}

/** What a host's summary says of the shared parts it uses: its profile's name and the stored files it names. */
export interface SharedPartsSummary {
  readonly profile?: string;
  readonly stored: readonly string[];
}

/**
 * The stored files and profiles the hosts name, from their summaries: the bytes come from rendering again the first
 * host that names each (a handful of hosts, whatever the fleet's size), so a build that reuses a host's summary
 * never needs that host's files. `render` renders one host into the store and returns its profile (name, content).
 */
export function sharedParts(
  inputs: Pick<FleetInputs<SharedPartsSummary | undefined, unknown>, 'summaries' | 'hostForContent'>,
  render: (host: Host, store: FileStore) => { name: string; content: string } | undefined,
): { store: FileStore; profiles: Map<string, string> } {
  const store = new FileStore();
  const profiles = new Map<string, string>();
  const stored = new Set<string>();
  inputs.summaries.forEach((summary, index) => {
    if (!summary) return;
    const needsProfile = summary.profile !== undefined && !profiles.has(summary.profile);
    if (!needsProfile && summary.stored.every((name) => stored.has(name))) return;
    const profile = render(inputs.hostForContent(index), store);
    if (profile) profiles.set(profile.name, profile.content);
    for (const name of summary.stored) stored.add(name);
  });
  return { store, profiles };
}
