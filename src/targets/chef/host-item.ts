/**
 * A host's data bag items: everything host-specific the cookbook needs, as data. The recipes read these items and
 * contain no manifest value, so nothing from the manifest is ever parsed as Ruby.
 *
 * The non-secret item carries hostState(host) (the files every target puts on the host, with content, owner,
 * group and mode) grouped by the recipe that converges them, plus how to install cloudflared. Secret files appear
 * there without content; their content is in the secrets item, keyed by path.
 */
import { InternalError } from '../../diagnostics/diagnostic.js';
import type { Host } from '../../model/fleet.js';
import {
  APPLY_SYSCTL,
  hostState,
  SERVICE_NAME,
  SERVICE_USER,
  type FilePurpose,
  type ManagedDirectory,
  type ManagedFile,
} from '../common/host-state.js';
import { hostRemoval } from '../common/host-removal.js';
import { packageSource } from '../common/package-source.js';

/** Which recipe converges a file of each purpose. */
type Recipe = 'install' | 'config' | 'register' | 'service' | 'ssh' | 'lockdown';
const RECIPE_OF: Record<FilePurpose, Recipe> = {
  config: 'config',
  credentials: 'config',
  token: 'config',
  'origin-cert': 'config',
  'register-script': 'register',
  unit: 'service',
  'ssh-ca': 'ssh',
  'sshd-drop-in': 'ssh',
  principals: 'ssh',
  'lockdown-script': 'lockdown',
  sysctl: 'service',
  'takeover-script': 'install',
  'egress-check-script': 'service',
  'sshd-check-script': 'ssh',
};

const SSHD = '/usr/sbin/sshd';
const SSHD_CONFIG = '/etc/ssh/sshd_config';

export interface HostItems {
  /** data_bags/<cookbook>/<host>.json: no secret in it. */
  settings: { id: string } & Record<string, unknown>;
  /**
   * data_bags/<cookbook>_secrets/<host>.json: `files` maps each secret file's path to its content. None for a
   * decommissioned host: its run removes the secrets, and it never reads the item.
   */
  secrets?: { id: string; files: Record<string, string> };
}

export function hostItems(host: Host): HostItems {
  if (host.state === 'decommissioned') return { settings: { id: host.name, decommission: removalSettings(host) } };
  const state = hostState(host);
  const byRecipe = (recipe: Recipe): ManagedFile[] => state.files.filter((f) => RECIPE_OF[f.purpose] === recipe);
  const configFiles = byRecipe('config');
  // The sshd check script first: the drop-ins after it are verified with it before they go live.
  const sshFiles = [...byRecipe('ssh')].sort((a, b) => Number(b.purpose === 'sshd-check-script') - Number(a.purpose === 'sshd-check-script'));
  const isSshDirectory = (d: ManagedDirectory): boolean => d.path.startsWith('/etc/ssh/');

  const secretFiles: Record<string, string> = {};
  for (const file of state.files.filter((f) => f.isSecret)) {
    if (RECIPE_OF[file.purpose] !== 'config') throw new InternalError(`secret file ${file.path} is not converged by the config recipe`);
    secretFiles[file.path] = file.content;
  }
  // cert.pem while registering (the register recipe writes it only then).
  const registerCert = state.selfRegister?.originCert;
  if (registerCert) secretFiles[registerCert.path] = registerCert.content;

  const settings: HostItems['settings'] = {
    id: host.name,
    arch: state.arch,
    takeover: { script: fileEntry(state.takeover.script), command: state.takeover.argv, check: state.takeover.check },
    cloudflared: { binary: host.cloudflared.binaryPath, user: SERVICE_USER },
    install: installSettings(host),
    config: {
      directories: state.directories.filter((d) => !isSshDirectory(d)).map(directoryEntry),
      files: configFiles.filter((f) => !f.isSecret).map((f) => ({ ...fileEntry(f), validate: f.purpose === 'config' && state.validatesConfig })),
      secret_files: configFiles.filter((f) => f.isSecret).map(({ content: _content, ...rest }) => attributesOf(rest)),
      stale: state.stale,
    },
    service: {
      name: SERVICE_NAME,
      files: byRecipe('service').map(fileEntry),
      apply_sysctl: APPLY_SYSCTL,
      egress_check: { script: fileEntry(state.egressCheck.script), command: state.egressCheck.argv },
    },
  };

  if (state.selfRegister) {
    const [script] = byRecipe('register');
    const credentials = host.paths.credentials;
    if (!script || !credentials) throw new InternalError(`self-register host ${host.name} has no register script or credentials path`);
    settings.register = {
      script: fileEntry(script),
      command: [state.selfRegister.script, ...state.selfRegister.args],
      // The same script with --check: prints "needed" when there is work to do. The guards ask it.
      check: state.selfRegister.check,
      ...(registerCert ? { origin_cert: attributesOf(registerCert) } : {}),
    };
  }

  if (state.ssh) {
    settings.ssh = {
      daemon: SSHD,
      service: state.ssh.service,
      directories: state.directories.filter(isSshDirectory).map(directoryEntry),
      // checked_by_sshd: verified with `check CANDIDATE PATH` before the file goes live.
      check: state.ssh.check,
      files: sshFiles.map((f) => ({ ...fileEntry(f), checked_by_sshd: f.checkedBySshd === true })),
      ...(state.ssh.needsInclude ? { include: { path: SSHD_CONFIG, line: state.ssh.includeLine } } : {}),
    };
  }

  if (state.lockdown) {
    const [script] = byRecipe('lockdown');
    if (!script) throw new InternalError(`lockdown host ${host.name} has no lockdown script`);
    settings.lockdown = {
      script: fileEntry(script),
      command: [state.lockdown.script, ...state.lockdown.args],
      // What the script writes: the guard compares it, so that a run with the lockdown in place does nothing.
      drop_in: state.lockdown.dropIn,
    };
  }
  if (state.unlock) {
    settings.unlock = { daemon: SSHD, service: state.unlock.sshdService, drop_in: state.unlock.dropIn, script: state.unlock.script };
  }

  return { settings, secrets: { id: host.name, files: secretFiles } };
}

/** The decommission recipe's data: hostRemoval(host), with sshd's binary for `sshd -t`. */
function removalSettings(host: Host): Record<string, unknown> {
  const removal = hostRemoval(host);
  return { ...removal, sshd: { ...removal.sshd, daemon: SSHD } };
}

function installSettings(host: Host): Record<string, unknown> {
  const install = host.cloudflared;
  switch (install.method) {
    case 'binary':
      if (!install.download) throw new InternalError(`binary install for ${host.name} has no download`);
      return { method: 'binary', path: install.binaryPath, url: install.download.url, sha256: install.download.sha256 };
    case 'preinstalled':
      return { method: 'preinstalled', path: install.binaryPath };
    case 'package': {
      const source = packageSource(host);
      if (!source) throw new InternalError(`package install for ${host.name} has no package source`);
      const key =
        source.key &&
        ('url' in source.key
          ? { path: source.key.path, url: source.key.url, ...(source.key.check ? { check: source.key.check } : {}) }
          : { path: source.key.path, content_base64: source.key.content.toString('base64') });
      return {
        method: 'package',
        family: source.family,
        package: 'cloudflared',
        version: install.version,
        installed_query: source.installedQuery,
        repository: {
          source: source.sourceFile,
          stale_sources: source.staleSourceFiles,
          key,
          hold: source.holdFile,
          refresh: source.refresh,
        },
      };
    }
  }
}

function fileEntry(file: ManagedFile): Record<string, unknown> {
  return { ...attributesOf(file), content: file.content };
}

function attributesOf(file: Omit<ManagedFile, 'content'>): Record<string, unknown> {
  return { path: file.path, owner: file.owner, group: file.group, mode: file.mode, notifies: file.notifies };
}

function directoryEntry(directory: ManagedDirectory): Record<string, unknown> {
  return { path: directory.path, owner: directory.owner, group: directory.group, mode: directory.mode };
}
