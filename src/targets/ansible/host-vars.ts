/**
 * A host's data for the role, split in two. inventory/host_vars/<host>/cloudflared.yml holds what is the host's own
 * (config.yml, the Access CA key's stored name, the self-register argv and what that registration leaves to keep, the
 * lockdown argv and its guard's service, which name the host's own tunnel hostname) and the name of its profile;
 * the profile, roles/<role>/vars/profiles/<name>.yml, holds everything hosts share (install, directories, every
 * file's owner, group, mode and stored name, sshd and other lockdown settings) and the role loads it first. Files
 * whose bytes hosts share are in the role's files/, named by content. secrets.yml holds the secret files and nothing
 * else (the lockdown probe's service token among them). Every string is `!unsafe`.
 */
import type { Host } from '../../model/fleet.js';
import { InternalError } from '../../diagnostics/diagnostic.js';
import { contentDigest, keptBesidesWritten, type FileStore } from '../common/file-store.js';
import { hostState, type ManagedDirectory, type ManagedFile } from '../common/host-state.js';
import { hostRemoval } from '../common/host-removal.js';
import { packageSource } from '../common/package-source.js';
import { ansibleYaml, rememberedAnsibleYaml, unsafe } from './ansible-yaml.js';

export interface HostVars {
  /** host_vars/<host>/cloudflared.yml */
  settings: string;
  /** The profile's name and roles/<role>/vars/profiles/<name>.yml. None for a decommissioned host. */
  profile?: { name: string; content: string };
  /** host_vars/<host>/secrets.yml, before any vault encryption. None for a decommissioned host: its run removes them. */
  secrets?: string;
}

export function buildHostVars(host: Host, roleName: string, store: FileStore): HostVars {
  if (host.state === 'decommissioned') return { settings: removalVars(host, roleName) };
  const state = hostState(host);
  /** The profile's variables: what hosts share. */
  const vars: Record<string, unknown> = {};
  /** The host's own. */
  const own: Record<string, unknown> = {};
  const install = host.cloudflared;
  const stored = (file: Pick<ManagedFile, 'path' | 'owner' | 'group' | 'mode' | 'content'>): Record<string, unknown> => ({
    path: unsafe(file.path),
    owner: unsafe(file.owner),
    group: unsafe(file.group),
    mode: unsafe(file.mode),
    source: unsafe(store.put(file.path, file.content)),
  });

  vars.cloudflared_install_method = unsafe(install.method);
  if (install.version !== undefined) vars.cloudflared_version = unsafe(install.version);
  vars.cloudflared_binary_path = unsafe(install.binaryPath);

  vars.cloudflared_arch = unsafe(state.arch.manifest);
  vars.cloudflared_takeover_script = stored(state.takeover.script);
  vars.cloudflared_takeover_argv = state.takeover.argv.map(unsafe);
  vars.cloudflared_egress_check_script = stored(state.egressCheck.script);
  vars.cloudflared_egress_check_argv = state.egressCheck.argv.map(unsafe);
  vars.cloudflared_arch_query = state.arch.query.map(unsafe);
  vars.cloudflared_arch_accepted = state.arch.accepted.map(unsafe);

  const source = packageSource(host);
  if (source) {
    const repositoryFiles = [source.sourceFile, ...(source.holdFile ? [source.holdFile] : [])];
    vars.cloudflared_package_manager = unsafe(source.family === 'rhel' ? 'dnf' : 'apt');
    vars.cloudflared_package = unsafe(source.packageSpec);
    vars.cloudflared_package_refresh_argv = source.refresh.map(unsafe);
    vars.cloudflared_repository_files = repositoryFiles.map((f) => stored({ ...f, owner: 'root', group: 'root', mode: '0644' }));
    if (source.family === 'debian') vars.cloudflared_repository_stale_files = source.staleSourceFiles.map(unsafe);
    if (source.key) {
      vars.cloudflared_repository_key_path = unsafe(source.key.path);
      if ('url' in source.key) {
        vars.cloudflared_repository_key_url = unsafe(source.key.url);
        if (source.key.check) {
          vars.cloudflared_repository_key_check = stored({ ...source.key.check.script, owner: 'root', group: 'root', mode: '0755' });
          vars.cloudflared_repository_key_fingerprints = source.key.check.fingerprints.map(unsafe);
        }
      } else {
        vars.cloudflared_repository_key_file = unsafe(store.put(source.key.path, source.key.content));
      }
    }
  }
  if (install.method === 'binary') {
    if (!install.download) throw new InternalError(`host ${host.name}: binary install without a download`);
    vars.cloudflared_download_url = unsafe(install.download.url);
    vars.cloudflared_download_sha256 = unsafe(install.download.sha256);
  }

  const [config, ...otherConfigs] = state.files.filter((f) => f.purpose === 'config');
  if (!config || otherConfigs.length > 0 || config.isSecret) throw new InternalError(`host ${host.name}: expected exactly one non-secret config.yml`);
  // The lockdown probe's token is written by the lockdown tasks, restarting nothing.
  const secretFiles = state.files.filter((f) => f.isSecret && f.purpose !== 'lockdown-probe');
  const probe = state.files.find((f) => f.purpose === 'lockdown-probe');
  for (const file of secretFiles) {
    // The role writes every secret file with one task that notifies "Restart cloudflared".
    if (file.notifies !== 'cloudflared') throw new InternalError(`secret file ${file.path} does not restart cloudflared`);
  }
  // The lockdown's script and timer are stored (shared), its guard's service is the host's own; the lockdown tasks
  // write all three.
  const storedLockdownFile = (f: ManagedFile): boolean => f.purpose === 'lockdown-script' || f.purpose === 'lockdown-timer';
  const plain = state.files.filter((f) => !f.isSecret && f.purpose !== 'config' && f.purpose !== 'ssh-ca' && f.purpose !== 'lockdown-unit' && !storedLockdownFile(f));
  const [sshCa] = state.files.filter((f) => f.purpose === 'ssh-ca');

  vars.cloudflared_directories = state.directories.map(directoryEntry);
  vars.cloudflared_stale = { directory: unsafe(state.stale.directory), patterns: state.stale.patterns.map(unsafe) };
  vars.cloudflared_config = attributesOf(config);
  vars.cloudflared_validate_config = state.validatesConfig;
  vars.cloudflared_files = plain.filter((f) => f.notifies === 'cloudflared').map(stored);
  vars.cloudflared_helper_files = plain.filter((f) => f.notifies === undefined).map(stored);
  vars.cloudflared_sysctl_files = plain.filter((f) => f.notifies === 'sysctl').map(stored);
  // validate: Ansible runs it on the new file before it replaces the live one (%s is that temporary file).
  vars.cloudflared_ssh_files = plain
    .filter((f) => f.notifies === 'sshd')
    .map((f) => ({ ...stored(f), ...(f.checkedBySshd && state.ssh ? { validate: unsafe(`${state.ssh.check} %s ${f.path}`) } : {}) }));
  if (sshCa) vars.cloudflared_ssh_ca = attributesOf(sshCa);
  if (state.ssh) {
    vars.cloudflared_sshd_service = unsafe(state.ssh.service);
    vars.cloudflared_sshd_include_line = unsafe(state.ssh.needsInclude ? state.ssh.includeLine : '');
  }
  // lockdown: the script's argv, the script and its guard. Off: what lifting an earlier lockdown removes, and the sshd
  // unit to reload then.
  // The argv and the guard's service (whose ExecStart is that argv) name the host's own tunnel hostname: host_vars.
  const lockdownService = state.files.find((f) => f.purpose === 'lockdown-unit');
  if (state.lockdown) {
    if (!lockdownService) throw new InternalError(`lockdown host ${host.name} has no lockdown guard service`);
    vars.cloudflared_ssh_lockdown_files = state.files.filter(storedLockdownFile).map(stored);
    vars.cloudflared_ssh_lockdown_service = attributesOf(lockdownService);
    vars.cloudflared_ssh_lockdown_timer = unsafe(state.lockdown.timer);
  }
  if (state.unlock) {
    vars.cloudflared_ssh_lockdown_timer = unsafe(state.unlock.timer);
    vars.cloudflared_ssh_lockdown_remove = [...state.unlock.units, state.unlock.keepDir, state.unlock.script, state.unlock.dropIn].map(unsafe);
    vars.cloudflared_sshd_service = unsafe(state.unlock.sshdService);
  }

  const profileContent = rememberedAnsibleYaml(vars, [
    `A profile of the ${roleName} role: what the hosts that name it in their host_vars (cloudflared_profile) share.`,
    'The role loads it first; files are in the role\'s files/, named by content. Every string is !unsafe.',
  ]);
  const profileName = contentDigest(profileContent);
  own.cloudflared_profile = unsafe(profileName);
  own.cloudflared_config_content = unsafe(config.content);
  const madeByHost = keptBesidesWritten(state);
  if (madeByHost.length > 0) own.cloudflared_stale_keep = madeByHost.map(unsafe);
  // Stored, named here: the profile stays shared whether the CA is the fleet's or this host's own.
  if (sshCa) own.cloudflared_ssh_ca_source = unsafe(store.put(sshCa.path, sshCa.content));
  if (state.selfRegister) {
    own.cloudflared_self_register_argv = [state.selfRegister.script, ...state.selfRegister.args].map(unsafe);
    own.cloudflared_self_register_check_argv = state.selfRegister.check.map(unsafe);
  }
  if (state.lockdown && lockdownService) {
    own.cloudflared_ssh_lockdown_argv = [state.lockdown.script, ...state.lockdown.args].map(unsafe);
    own.cloudflared_ssh_lockdown_service_content = unsafe(lockdownService.content);
  }

  const settings = ansibleYaml(own);
  const registerCert = state.selfRegister?.originCert;
  const secrets = ansibleYaml(
    {
      cloudflared_secret_files: secretFiles.map(fileEntry),
      ...(registerCert ? { cloudflared_self_register_origin_cert: fileEntry(registerCert) } : {}),
      ...(probe ? { cloudflared_lockdown_probe: fileEntry(probe) } : {}),
    },
    [`${host.name}: secret files (tunnel credentials, token, origin certificate, lockdown probe). Mode 0600.`, 'Commit it only encrypted (fleetgen build --vault-password-file FILE).'],
  );
  return { settings, profile: { name: profileName, content: profileContent }, secrets };
}

/** A decommissioned host: what the role removes (hostRemoval), and nothing else. */
function removalVars(host: Host, roleName: string): string {
  const removal = hostRemoval(host);
  const strings = (list: readonly string[]): unknown[] => list.map(unsafe);
  const vars = {
    cloudflared_state: unsafe(host.state),
    cloudflared_decommission: {
      sshd: { service: unsafe(removal.sshd.service), guard: strings(removal.sshd.guard), files: strings(removal.sshd.files), directories: strings(removal.sshd.directories) },
      service: { name: unsafe(removal.service.name), unit: unsafe(removal.service.unit) },
      directories: strings(removal.directories),
      files: strings(removal.files),
      sysctl_file: unsafe(removal.sysctl.file),
      package_manager: unsafe(removal.package?.manager ?? ''),
      package: unsafe(removal.package?.name ?? ''),
      binary: unsafe(removal.binary ?? ''),
      stop: { unit: unsafe(removal.stop.unit), check: strings(removal.stop.check), schedule: strings(removal.stop.schedule), finish: strings(removal.stop.finish) },
    },
  };
  return ansibleYaml(vars, [
    `${host.name}: decommissioned (state: decommissioned in fleet.yaml). The ${roleName} role removes what it put on this host.`,
    'Every string is !unsafe: Ansible never templates a value that came from fleet.yaml.',
  ]);
}

function attributesOf(file: Pick<ManagedFile, 'path' | 'owner' | 'group' | 'mode'>): Record<string, unknown> {
  return { path: unsafe(file.path), owner: unsafe(file.owner), group: unsafe(file.group), mode: unsafe(file.mode) };
}

function fileEntry(file: Pick<ManagedFile, 'path' | 'owner' | 'group' | 'mode' | 'content'>): Record<string, unknown> {
  return { ...attributesOf(file), content: unsafe(file.content) };
}

function directoryEntry(directory: ManagedDirectory): Record<string, unknown> {
  return { path: unsafe(directory.path), owner: unsafe(directory.owner), group: unsafe(directory.group), mode: unsafe(directory.mode) };
}
