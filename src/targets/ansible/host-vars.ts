/**
 * inventory/host_vars/<host>/: the host's data for the role. cloudflared.yml holds everything but secrets (install,
 * directories, the non-secret files of hostState with content, owner, group and mode, the self-register and
 * lockdown argv, sshd settings); secrets.yml holds the secret files and nothing else. Every string is `!unsafe`.
 */
import { createHash } from 'node:crypto';
import type { Host } from '../../model/fleet.js';
import { InternalError } from '../../diagnostics/diagnostic.js';
import { hostState, type ManagedDirectory, type ManagedFile } from '../common/host-state.js';
import { hostRemoval } from '../common/host-removal.js';
import { packageSource } from '../common/package-source.js';
import { ansibleYaml, unsafe } from './ansible-yaml.js';

/** A repository key shipped in the role's files/ (a public key: safe to commit). */
export interface ShippedKey {
  /** File name under roles/<role>/files/, named by content so that hosts with different keys never collide. */
  name: string;
  content: Buffer;
}

export interface HostVars {
  /** host_vars/<host>/cloudflared.yml */
  settings: string;
  /** host_vars/<host>/secrets.yml, before any vault encryption. None for a decommissioned host: its run removes them. */
  secrets?: string;
  shippedKey?: ShippedKey;
}

export function buildHostVars(host: Host, roleName: string): HostVars {
  if (host.state === 'decommissioned') return { settings: removalVars(host, roleName) };
  const state = hostState(host);
  const vars: Record<string, unknown> = {};
  const install = host.cloudflared;

  vars.cloudflared_install_method = unsafe(install.method);
  if (install.version !== undefined) vars.cloudflared_version = unsafe(install.version);
  vars.cloudflared_binary_path = unsafe(install.binaryPath);

  vars.cloudflared_arch = unsafe(state.arch.manifest);
  vars.cloudflared_takeover_script = fileEntry(state.takeover.script);
  vars.cloudflared_takeover_argv = state.takeover.argv.map(unsafe);
  vars.cloudflared_egress_check_script = fileEntry(state.egressCheck.script);
  vars.cloudflared_egress_check_argv = state.egressCheck.argv.map(unsafe);
  vars.cloudflared_arch_query = state.arch.query.map(unsafe);
  vars.cloudflared_arch_accepted = state.arch.accepted.map(unsafe);

  let shippedKey: ShippedKey | undefined;
  const source = packageSource(host);
  if (source) {
    const repositoryFiles = [source.sourceFile, ...(source.holdFile ? [source.holdFile] : [])];
    vars.cloudflared_package_manager = unsafe(source.family === 'rhel' ? 'dnf' : 'apt');
    vars.cloudflared_package = unsafe(source.packageSpec);
    vars.cloudflared_package_refresh_argv = source.refresh.map(unsafe);
    vars.cloudflared_repository_files = repositoryFiles.map((f) => fileEntry({ ...f, owner: 'root', group: 'root', mode: '0644' }));
    if (source.family === 'debian') vars.cloudflared_repository_stale_files = source.staleSourceFiles.map(unsafe);
    if (source.key) {
      vars.cloudflared_repository_key_path = unsafe(source.key.path);
      if ('url' in source.key) {
        vars.cloudflared_repository_key_url = unsafe(source.key.url);
        if (source.key.check) {
          vars.cloudflared_repository_key_check = fileEntry({ ...source.key.check.script, owner: 'root', group: 'root', mode: '0755' });
          vars.cloudflared_repository_key_fingerprints = source.key.check.fingerprints.map(unsafe);
        }
      } else {
        shippedKey = shippedKeyOf(source.key);
        vars.cloudflared_repository_key_file = unsafe(shippedKey.name);
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
  const secretFiles = state.files.filter((f) => f.isSecret);
  for (const file of secretFiles) {
    // The role writes every secret file with one task that notifies "Restart cloudflared".
    if (file.notifies !== 'cloudflared') throw new InternalError(`secret file ${file.path} does not restart cloudflared`);
  }
  const plain = state.files.filter((f) => !f.isSecret && f.purpose !== 'config');

  vars.cloudflared_directories = state.directories.map(directoryEntry);
  vars.cloudflared_stale = { directory: unsafe(state.stale.directory), patterns: state.stale.patterns.map(unsafe), keep: state.stale.keep.map(unsafe) };
  vars.cloudflared_config = fileEntry(config);
  vars.cloudflared_validate_config = state.validatesConfig;
  vars.cloudflared_files = plain.filter((f) => f.notifies === 'cloudflared').map(fileEntry);
  vars.cloudflared_helper_files = plain.filter((f) => f.notifies === undefined).map(fileEntry);
  vars.cloudflared_sysctl_files = plain.filter((f) => f.notifies === 'sysctl').map(fileEntry);
  vars.cloudflared_self_register_argv = state.selfRegister ? [state.selfRegister.script, ...state.selfRegister.args].map(unsafe) : [];
  vars.cloudflared_self_register_check_argv = state.selfRegister ? state.selfRegister.check.map(unsafe) : [];

  const sshFiles = plain.filter((f) => f.notifies === 'sshd');
  // validate: Ansible runs it on the rendered file before it replaces the live one (%s is that temporary file).
  vars.cloudflared_ssh_files = sshFiles.map((f) => ({
    ...fileEntry(f),
    ...(f.checkedBySshd && state.ssh ? { validate: unsafe(`${state.ssh.check} %s ${f.path}`) } : {}),
  }));
  if (state.ssh) {
    vars.cloudflared_sshd_service = unsafe(state.ssh.service);
    vars.cloudflared_sshd_include_line = unsafe(state.ssh.needsInclude ? state.ssh.includeLine : '');
  }
  // lockdown: the script's argv. Off: what lifting an earlier lockdown removes, and the sshd unit to reload then.
  vars.cloudflared_ssh_lockdown_argv = state.lockdown ? [state.lockdown.script, ...state.lockdown.args].map(unsafe) : [];
  if (state.unlock) {
    vars.cloudflared_ssh_lockdown_drop_in = unsafe(state.unlock.dropIn);
    vars.cloudflared_ssh_lockdown_script = unsafe(state.unlock.script);
    vars.cloudflared_sshd_service = unsafe(state.unlock.sshdService);
  }

  const settings = ansibleYaml(vars, [
    `${host.name}: what the ${roleName} role puts on this host. No secret here (see secrets.yml).`,
    'Every string is !unsafe: Ansible never templates a value that came from fleet.yaml.',
  ]);
  const registerCert = state.selfRegister?.originCert;
  const secrets = ansibleYaml({ cloudflared_secret_files: secretFiles.map(fileEntry), ...(registerCert ? { cloudflared_self_register_origin_cert: fileEntry(registerCert) } : {}) }, [
    `${host.name}: secret files (tunnel credentials, token, origin certificate). Mode 0600.`,
    'Commit it only encrypted (fleetgen build --vault-password-file FILE).',
  ]);
  return { settings, secrets, ...(shippedKey ? { shippedKey } : {}) };
}

/** A decommissioned host: what the role removes (hostRemoval), and nothing else. */
function removalVars(host: Host, roleName: string): string {
  const removal = hostRemoval(host);
  const strings = (list: readonly string[]): unknown[] => list.map(unsafe);
  const vars = {
    cloudflared_state: unsafe(host.state),
    cloudflared_decommission: {
      sshd: { service: unsafe(removal.sshd.service), files: strings(removal.sshd.files), directories: strings(removal.sshd.directories) },
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

function shippedKeyOf(key: { content: Buffer; isArmored: boolean }): ShippedKey {
  const digest = createHash('sha256').update(key.content).digest('hex').slice(0, 16);
  return { name: `cloudflared-repository-${digest}.${key.isArmored ? 'asc' : 'gpg'}`, content: key.content };
}

function fileEntry(file: Pick<ManagedFile, 'path' | 'owner' | 'group' | 'mode' | 'content'>): Record<string, unknown> {
  return {
    path: unsafe(file.path),
    owner: unsafe(file.owner),
    group: unsafe(file.group),
    mode: unsafe(file.mode),
    content: unsafe(file.content),
  };
}

function directoryEntry(directory: ManagedDirectory): Record<string, unknown> {
  return { path: unsafe(directory.path), owner: unsafe(directory.owner), group: unsafe(directory.group), mode: unsafe(directory.mode) };
}
