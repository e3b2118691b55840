/** Helpers shared by the Ansible target's tests: build, parse host_vars, write output to disk, run real tools. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument, type ScalarTag } from 'yaml';
import type { Fleet, Host } from '../../../src/model/fleet.js';
import { sampleFleet } from '../../support/sample-fleet.js';
import type { TargetOptions } from '../../../src/targets/target.js';
import type { FileSet } from '../../../src/targets/fileset.js';
import { ansible } from '../../../src/targets/ansible/index.js';
import { hostState } from '../../../src/targets/common/host-state.js';
import { writeFileSetToTemp } from '../../support/fileset-on-disk.js';
import { ansibleHostVars } from '../../support/host-data.js';
import { runCommand, type CommandResult } from '../../support/run-command.js';

export const ROLE = 'acme_pos';

export const build = (fleet: Fleet, options: TargetOptions = {}): FileSet => ansible(fleet, options).files;

export function text(files: FileSet, path: string): string {
  const content = files.get(path)?.content;
  if (typeof content !== 'string') throw new Error(`no text file ${path}`);
  return content;
}

/** Reads `!unsafe` the way Ansible does: a plain string (the tag stays visible on the parsed node). */
export const unsafeTag: ScalarTag = { tag: '!unsafe', identify: () => false, resolve: (source) => source };

export const parseAnsibleYaml = (source: string) => parseDocument(source, { version: '1.1', customTags: [unsafeTag] });

export interface FileEntry {
  path: string;
  owner: string;
  group: string;
  mode: string;
  content: string;
}

export interface HostVarsData {
  cloudflared_install_method: string;
  cloudflared_config: FileEntry;
  cloudflared_validate_config: boolean;
  cloudflared_files: FileEntry[];
  cloudflared_helper_files: FileEntry[];
  cloudflared_sysctl_files: FileEntry[];
  cloudflared_ssh_files: (FileEntry & { validate?: string })[];
  cloudflared_directories: Omit<FileEntry, 'content'>[];
  cloudflared_self_register_argv: string[];
  cloudflared_secret_files: FileEntry[];
  cloudflared_ssh_lockdown_files: FileEntry[];
  cloudflared_lockdown_probe: Partial<FileEntry>;
  [key: string]: unknown;
}

/** The host's variables as the role sees them: its profile, then cloudflared.yml and secrets.yml; stored files with
 * their bytes (see test/support/host-data.ts). */
export function hostVars(files: FileSet, host: string): HostVarsData {
  // The role's defaults, for what a host's data leaves out.
  const defaults = { cloudflared_ssh_lockdown_argv: [], cloudflared_ssh_lockdown_files: [], cloudflared_lockdown_probe: {} };
  return { ...defaults, ...ansibleHostVars(files, ROLE, host) } as unknown as HostVarsData;
}

/** The value, or a test failure naming what was missing. */
export function must<T>(value: T | undefined | null, what = 'value'): T {
  if (value === undefined || value === null) throw new Error(`missing ${what}`);
  return value;
}

/** The config.yml content the shared host state gives a host. */
export function configOf(host: Host): string {
  return must(hostState(host).files.find((f) => f.purpose === 'config'), `config.yml of ${host.name}`).content;
}

export function hostNamed(fleet: Fleet, name: string): Host {
  const host = fleet.hosts.find((h) => h.name === name);
  if (!host) throw new Error(`no host ${name}`);
  return host;
}

/** Writes a FileSet to a fresh temp dir (with its modes) and returns the dir, removed after the test file. */
export const writeToTemp = (files: FileSet, prefix = 'fleetgen-ansible-'): string => writeFileSetToTemp(files, prefix);

/** A scratch HOME: ansible and ansible-lint write caches there, never into the real one. Made on first use. */
let home: string | undefined;
export function scratchHome(): string {
  home ??= mkdtempSync(join(tmpdir(), 'fleetgen-ansible-home-'));
  return home;
}

/**
 * Runs a real tool from Debian's packages. A missing tool is a failure, not a skip: CI must install it
 * (apt-get install ansible-core ansible-lint).
 */
export function runTool(tool: string, args: string[], cwd: string): Promise<CommandResult> {
  return runCommand(tool, args, {
    cwd,
    timeoutMs: 50_000,
    installHint: 'apt-get install ansible-core ansible-lint',
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: scratchHome(),
      LANG: 'C.UTF-8',
      ANSIBLE_NOCOLOR: '1',
      ANSIBLE_FORCE_COLOR: '0',
      NO_COLOR: '1',
      PY_COLORS: '0',
      ANSIBLE_LOCAL_TEMP: join(scratchHome(), 'tmp'),
      ANSIBLE_RETRY_FILES_ENABLED: '0',
    },
  });
}

export const output = (r: CommandResult): string => `${r.stdout}\n${r.stderr}`;

export const ARMORED_KEY = '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQENBFakekeyArmoredOnlyForTests\n-----END PGP PUBLIC KEY BLOCK-----\n';
export const BINARY_KEY = Buffer.from([0x99, 0x01, 0x0d, 0x04, 0x00, 0xff, 0x10, 0x80]);

/** The sample fleet with repository keys given in the manifest: armored for the apt host, binary for the rpm one. */
export function keyedFleet(): Fleet {
  const fleet = sampleFleet();
  const pi = hostNamed(fleet, 'lab-pi-3');
  pi.cloudflared.repository = { url: must(pi.cloudflared.repository).url, key: { file: 'keys/mirror.asc', content: Buffer.from(ARMORED_KEY), isArmored: true } };
  const kiosk = hostNamed(fleet, 'kiosk-17');
  kiosk.cloudflared.repository = { url: must(kiosk.cloudflared.repository).url, key: { file: 'keys/mirror.gpg', content: BINARY_KEY, isArmored: false } };
  return fleet;
}
