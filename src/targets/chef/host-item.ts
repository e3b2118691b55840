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
import { contentDigest, keptBesidesWritten, placementOf, type FileStore } from '../common/file-store.js';
import { packageSource } from '../common/package-source.js';
import { Remembered } from '../common/remembered.js';
import { stableJson } from './json.js';

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
  'lockdown-unit': 'lockdown',
  'lockdown-timer': 'lockdown',
  'lockdown-probe': 'config',
  sysctl: 'service',
  'takeover-script': 'install',
  'egress-check-script': 'service',
  'sshd-check-script': 'ssh',
};

const SSHD = '/usr/sbin/sshd';
const SSHD_CONFIG = '/etc/ssh/sshd_config';

export interface HostItems {
  /** data_bags/<cookbook>/<host>.json: what is the host's own (config.yml, the Access CA key, which secrets, the
   * self-register command), and the name of its profile. No secret in it. A decommissioned host: what goes. */
  settings: { id: string } & Record<string, unknown>;
  /** data_bags/<cookbook>_profiles/<profile>.json: everything else, shared by every host with the same profile. None
   * for a decommissioned host. */
  profile?: { id: string } & Record<string, unknown>;
  /**
   * data_bags/<cookbook>_secrets/<host>.json: `files` maps each secret file's path to its content. None for a
   * decommissioned host: its run removes the secrets, and it never reads the item.
   */
  secrets?: { id: string; files: Record<string, string> };
}

/**
 * The host's items. The recipes read the profile and the host's item merged (hashes key by key; the two never set
 * the same value): the profile holds the structure and the attributes of every file, the host's item the values
 * that are its own. Files whose bytes hosts share are put in `store` (the cookbook's files/default/) and named by
 * `source`; the others carry `content`.
 */
export function hostItems(host: Host, store: FileStore): HostItems {
  if (host.state === 'decommissioned') return { settings: { id: host.name, decommission: removalSettings(host) } };
  const state = hostState(host);
  const byRecipe = (recipe: Recipe): ManagedFile[] => state.files.filter((f) => RECIPE_OF[f.purpose] === recipe);
  const isSshDirectory = (d: ManagedDirectory): boolean => d.path.startsWith('/etc/ssh/');
  const stored = (file: Pick<ManagedFile, 'path' | 'content' | 'owner' | 'group' | 'mode' | 'notifies'>): Record<string, unknown> => ({
    ...attributesOf(file),
    source: store.put(file.path, file.content),
  });
  /** Attributes in the profile; the bytes, or the stored file's name, where the file's kind puts them. */
  const split = (files: ManagedFile[], own: Record<string, unknown>, extra: (f: ManagedFile) => Record<string, unknown> = () => ({})): Record<string, unknown> => {
    const shared: Record<string, unknown> = {};
    for (const file of files) {
      switch (placementOf(file.purpose)) {
        case 'stored':
          shared[file.path] = { ...stored(file), ...extra(file) };
          break;
        case 'stored-by-host':
          shared[file.path] = { ...attributesOf(file), ...extra(file) };
          own[file.path] = { source: store.put(file.path, file.content) };
          break;
        case 'inline':
          shared[file.path] = { ...attributesOf(file), ...extra(file) };
          own[file.path] = { content: file.content };
          break;
      }
    }
    return shared;
  };

  const secretFiles: Record<string, string> = {};
  for (const file of state.files.filter((f) => f.isSecret)) {
    if (RECIPE_OF[file.purpose] !== 'config') throw new InternalError(`secret file ${file.path} is not converged by the config recipe`);
    secretFiles[file.path] = file.content;
  }
  // cert.pem while registering (the register recipe writes it only then).
  const registerCert = state.selfRegister?.originCert;
  if (registerCert) secretFiles[registerCert.path] = registerCert.content;

  const configFiles = byRecipe('config');
  const ownConfigFiles: Record<string, unknown> = {};
  const own: Record<string, unknown> = {
    config: {
      files: ownConfigFiles,
      // Named after the tunnel: the host's own, with their attributes (the content is in the secrets item).
      secret_files: Object.fromEntries(configFiles.filter((f) => f.isSecret).map(({ content: _content, path, ...rest }) => [path, attributesOf(rest)])),
    },
  };
  const madeByHost = keptBesidesWritten(state);
  if (madeByHost.length > 0) (own.config as Record<string, unknown>).stale = { keep: madeByHost };
  const shared: Record<string, unknown> = {
    arch: state.arch,
    takeover: { script: stored(state.takeover.script), command: state.takeover.argv, check: state.takeover.check },
    cloudflared: { binary: host.cloudflared.binaryPath, user: SERVICE_USER },
    install: installSettings(host, store),
    config: {
      directories: state.directories.filter((d) => !isSshDirectory(d)).map(directoryEntry),
      files: split(
        configFiles.filter((f) => !f.isSecret),
        ownConfigFiles,
        (f) => ({ validate: f.purpose === 'config' && state.validatesConfig }),
      ),
      stale: { directory: state.stale.directory, patterns: state.stale.patterns },
    },
    service: {
      name: SERVICE_NAME,
      files: split(byRecipe('service'), {}),
      apply_sysctl: APPLY_SYSCTL,
      egress_check: { script: stored(state.egressCheck.script), command: state.egressCheck.argv },
    },
  };

  if (state.selfRegister) {
    const [script] = byRecipe('register');
    const credentials = host.paths.credentials;
    if (!script || !credentials) throw new InternalError(`self-register host ${host.name} has no register script or credentials path`);
    shared.register = { script: stored(script), ...(registerCert ? { origin_cert: attributesOf(registerCert) } : {}) };
    // The tunnel's name and hostnames: the host's own. The same script with --check prints "needed" when there is
    // work to do: the guards ask it.
    own.register = { command: [state.selfRegister.script, ...state.selfRegister.args], check: state.selfRegister.check };
  }

  if (state.ssh) {
    const ownSshFiles: Record<string, unknown> = {};
    const sshCheckScript = byRecipe('ssh').find((f) => f.purpose === 'sshd-check-script');
    if (!sshCheckScript) throw new InternalError(`host ${host.name} configures sshd without the sshd check script`);
    shared.ssh = {
      daemon: SSHD,
      service: state.ssh.service,
      directories: state.directories.filter(isSshDirectory).map(directoryEntry),
      // The sshd check script, written first: the drop-ins are verified with it (`check CANDIDATE PATH`, for those
      // checked_by_sshd) before they go live.
      check: state.ssh.check,
      check_script: stored(sshCheckScript),
      files: split(
        byRecipe('ssh').filter((f) => f !== sshCheckScript),
        ownSshFiles,
        (f) => ({ checked_by_sshd: f.checkedBySshd === true }),
      ),
      ...(state.ssh.needsInclude ? { include: { path: SSHD_CONFIG, line: state.ssh.includeLine } } : {}),
    };
    if (Object.keys(ownSshFiles).length > 0) own.ssh = { files: ownSshFiles };
  }

  if (state.lockdown) {
    const ownLockdownFiles: Record<string, unknown> = {};
    shared.lockdown = {
      // The script and the guard's timer (stored); the guard's service, whose ExecStart names the host's own tunnel
      // hostname, with its bytes in the host's item.
      files: split(byRecipe('lockdown'), ownLockdownFiles),
      timer: state.lockdown.timer,
      // What the script writes: the guard compares it, so that a run with the lockdown in place does nothing.
      drop_in: state.lockdown.dropIn,
    };
    // The command proves SSH through the host's own tunnel hostname: the host's own.
    own.lockdown = { command: [state.lockdown.script, ...state.lockdown.args], files: ownLockdownFiles };
  }
  if (state.unlock) {
    shared.unlock = {
      daemon: SSHD,
      service: state.unlock.sshdService,
      drop_in: state.unlock.dropIn,
      script: state.unlock.script,
      timer: state.unlock.timer,
      units: state.unlock.units,
      keep_dir: state.unlock.keepDir,
    };
  }

  const profileId = profileIdOf(shared);
  return {
    settings: { id: host.name, profile: profileId, ...own },
    profile: { id: profileId, ...shared },
    secrets: { id: host.name, files: secretFiles },
  };
}

/**
 * A profile's name: the digest of its bytes (stableJson). Hosts of one profile build equal data in the same order, so
 * its plain JSON (native, unsorted: several times quicker) finds a name already worked out; equal plain JSON is
 * equal data, hence equal stableJson. At most 256 are kept: more profiles than that are each worked out.
 */
function profileIdOf(shared: Record<string, unknown>): string {
  return profileIds.get(JSON.stringify(shared), () => contentDigest(stableJson(shared)));
}

const profileIds = new Remembered<string>(256);

/** The decommission recipe's data: hostRemoval(host), with sshd's binary for `sshd -t`. */
function removalSettings(host: Host): Record<string, unknown> {
  const removal = hostRemoval(host);
  return { ...removal, sshd: { ...removal.sshd, daemon: SSHD } };
}

function installSettings(host: Host, store: FileStore): Record<string, unknown> {
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
      const repositoryFile = (file: { path: string; content: string | Buffer }, mode = '0644'): Record<string, unknown> => ({
        path: file.path,
        owner: 'root',
        group: 'root',
        mode,
        source: store.put(file.path, file.content),
      });
      const key =
        source.key &&
        ('url' in source.key
          ? {
              path: source.key.path,
              url: source.key.url,
              ...(source.key.check ? { check: { script: repositoryFile(source.key.check.script, '0755'), fingerprints: source.key.check.fingerprints } } : {}),
            }
          : repositoryFile(source.key));
      return {
        method: 'package',
        family: source.family,
        package: 'cloudflared',
        version: install.version,
        installed_query: source.installedQuery,
        repository: {
          source: repositoryFile(source.sourceFile),
          stale_sources: source.staleSourceFiles,
          key,
          hold: source.holdFile && repositoryFile(source.holdFile),
          refresh: source.refresh,
        },
      };
    }
  }
}

/** A file's attributes; `path` is left out where the file is keyed by its path. */
function attributesOf(file: Pick<ManagedFile, 'owner' | 'group' | 'mode' | 'notifies'> & { path?: string }): Record<string, unknown> {
  return { path: file.path, owner: file.owner, group: file.group, mode: file.mode, notifies: file.notifies };
}

function directoryEntry(directory: ManagedDirectory): Record<string, unknown> {
  return { path: directory.path, owner: directory.owner, group: directory.group, mode: directory.mode };
}
