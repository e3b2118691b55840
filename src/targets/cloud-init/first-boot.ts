/**
 * What a fresh VM runs on first boot, as cloud-init `runcmd` entries. Every entry is an argv list (cloud-init
 * single-quotes each element), never a shell string: values from the manifest reach the shell as arguments only.
 */
import { posix } from 'node:path';
import { InternalError } from '../../diagnostics/diagnostic.js';
import type { Host } from '../../model/fleet.js';
import type { HostState } from '../common/host-state.js';
import { APPLY_SYSCTL, SERVICE_NAME, sshdCandidatePath } from '../common/host-state.js';
import type { PackageSource } from '../common/package-source.js';
import { readGeneratorFile } from '../templates.js';

/** One runcmd entry, with the reason for it (written as a YAML comment above it) when it is not obvious. */
export interface Step {
  argv: string[];
  why?: string;
}

/** A file the install itself needs on the host besides the host state (checksum list, repository files). */
export interface InstallFile {
  path: string;
  content: string | Buffer;
  mode: string;
}

/** Release binaries are downloaded and checked here, then installed and the folder removed: nothing stays. */
export const DOWNLOAD_DIR = '/var/tmp/fleetgen-cloudflared';
const SSHD_CONFIG = '/etc/ssh/sshd_config';
/** curl: fail on HTTP errors, follow redirects (release assets redirect), retry transient failures. */
const CURL = ['curl', '--fail', '--silent', '--show-error', '--location', '--retry', '5'];

export interface FirstBoot {
  installFiles: InstallFile[];
  steps: Step[];
}

export function firstBoot(host: Host, state: HostState, source: PackageSource | undefined): FirstBoot {
  const install = installCloudflared(host, source);
  const steps: Step[] = [
    {
      argv: ['set', '-e'],
      why:
        'cloud-init runs these entries as one /bin/sh script without -e: stop at the first failure, so that a config ' +
        'that fails validation never starts the service. They run in the final stage (scripts_user), after every file ' +
        'above is in place.',
    },
    {
      argv: ['sh', '-c', shellCode('cloud-init/check-arch.sh'), 'sh', state.arch.manifest, state.arch.accepted.join(' '), ...state.arch.query],
      why: 'Before anything is installed: a binary for another architecture could not run.',
    },
    ...install.steps,
  ];

  state.directories.forEach((dir, i) =>
    steps.push({
      argv: ['install', '-d', '-o', dir.owner, '-g', dir.group, '-m', dir.mode, dir.path],
      ...(i === 0 ? { why: 'write_files creates parent folders with default owner and mode: set them as every target does.' } : {}),
    }),
  );

  if (state.selfRegister) {
    steps.push({
      argv: [state.selfRegister.script, ...state.selfRegister.args],
      why: 'Create this host\'s tunnel with the shared origin certificate (once) and route its hostnames.',
    });
  }
  if (state.validatesConfig) {
    steps.push({
      argv: [host.cloudflared.binaryPath, 'tunnel', '--config', host.paths.config, 'ingress', 'validate'],
      why: 'cloudflared\'s own check of the ingress rules, before the service ever reads them.',
    });
  }
  if (state.files.some((f) => f.notifies === 'sysctl')) {
    steps.push({
      argv: APPLY_SYSCTL,
      why: 'systemd-sysctl ran early in this boot, before write_files: apply the new UDP buffer limits before cloudflared starts.',
    });
  }
  steps.push({
    argv: state.egressCheck.argv,
    why: 'Can the host reach Cloudflare\'s edge? Only warns (in this log): what is blocked, what the tunnel falls back to.',
  });
  steps.push({ argv: ['systemctl', 'daemon-reload'] });
  steps.push({
    argv: ['systemctl', 'enable', '--now', '--no-block', SERVICE_NAME],
    why:
      'Type=notify: the unit is ready only once the tunnel reaches Cloudflare. --no-block queues the start instead ' +
      'of waiting for it, so a host without egress cannot hang the boot.',
  });

  if (state.ssh) {
    const sshdCheck = state.ssh.check;
    if (state.ssh.needsInclude) {
      steps.push({
        argv: ['sh', '-c', shellCode('cloud-init/prepend-line-once.sh'), 'sh', state.ssh.includeLine, SSHD_CONFIG],
        why: 'RHEL 8\'s sshd_config does not read sshd_config.d: include it, at the top (first value wins), once.',
      });
    }
    // Files for sshd (short-lived certificates): the lockdown script checks and reloads on its own.
    if (state.files.some((f) => f.notifies === 'sshd')) {
      state.files
        .filter((f) => f.checkedBySshd)
        .forEach((f, i) =>
          steps.push({
            argv: [sshdCheck, '--install', sshdCandidatePath(f.path), f.path],
            ...(i === 0
              ? {
                  why:
                    'After the tunnel: an sshd problem must not keep the tunnel down. The drop-in was written beside its place; ' +
                    'it goes live only once `sshd -t` accepts the whole configuration with it (else it is removed and this fails).',
                }
              : {}),
          }),
        );
      steps.push({
        argv: ['systemctl', 'try-reload-or-restart', state.ssh.service],
        why: 'Reload a running sshd; an sshd not started yet (or socket-activated) reads the new config when it starts.',
      });
    }
  }
  if (state.lockdown) {
    steps.push({
      argv: ['systemctl', 'enable', '--now', state.lockdown.timer],
      why:
        'The lockdown\'s guard: after boot and every 5 minutes it runs the lockdown script, so a lockdown not proven ' +
        'now is retried until it is, and a tunnel that a later change or restart broke gets its last proven config back, or the lockdown is lifted.',
    });
    steps.push({
      argv: [state.lockdown.script, ...state.lockdown.args],
      why:
        'Last: lock inbound SSH down to the tunnel (sshd on 127.0.0.1 only) once SSH through this host\'s own hostname is ' +
        'proven with the probe\'s Access service token. Not proven in time: nothing changes, SSH stays open, this step fails and the timer tries again.',
    });
  }
  return { installFiles: install.files, steps };
}

/**
 * Constant shell code from generators/ for `sh -c CODE sh ARG…`: the values it works on arrive as positional
 * parameters, never inside the code. Full-line comments are dropped so the entry stays on one line.
 */
export function shellCode(relativePath: string): string {
  return readGeneratorFile(relativePath)
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.trimStart().startsWith('#'))
    .join('\n');
}

function installCloudflared(host: Host, source: PackageSource | undefined): { files: InstallFile[]; steps: Step[] } {
  const install = host.cloudflared;
  switch (install.method) {
    case 'preinstalled':
      return {
        files: [],
        steps: [{ argv: ['test', '-x', install.binaryPath], why: 'install: preinstalled — the image must already have cloudflared.' }],
      };
    case 'binary': {
      const download = install.download;
      if (!download) throw new InternalError(`host ${host.name}: binary install without a download`);
      if (!/^[0-9a-f]{64}$/.test(download.sha256)) throw new InternalError(`host ${host.name}: sha256 is not 64 hex digits`);
      const downloaded = `${DOWNLOAD_DIR}/cloudflared`;
      const checksums = `${DOWNLOAD_DIR}/cloudflared.sha256`;
      return {
        files: [{ path: checksums, content: `${download.sha256}  ${downloaded}\n`, mode: '0644' }],
        steps: [
          { argv: [...CURL, '--output', downloaded, download.url], why: `install: binary — cloudflared ${install.version ?? ''} for ${host.platform.arch}, pinned by sha256.` },
          { argv: ['sha256sum', '--check', '--strict', checksums] },
          { argv: ['install', '-D', '-o', 'root', '-g', 'root', '-m', '0755', downloaded, install.binaryPath] },
          { argv: ['rm', '-rf', DOWNLOAD_DIR] },
        ],
      };
    }
    case 'package': {
      if (!source) throw new InternalError(`host ${host.name}: package install without a package source`);
      const files: InstallFile[] = [];
      const steps: Step[] = [];
      const key = source.key;
      if (key && 'content' in key) {
        files.push({ path: key.path, content: key.isArmored ? key.content.toString('utf8') : key.content, mode: '0644' });
      } else if (key?.check) {
        const downloaded = `${DOWNLOAD_DIR}/repository-key`;
        files.push({ path: key.check.script.path, content: key.check.script.content, mode: '0755' });
        steps.push({ argv: [...CURL, '--create-dirs', '--output', downloaded, key.url], why: 'The key that signs the repository; it goes in place only once every key in it is pinned.' });
        steps.push({ argv: [key.check.script.path, downloaded, ...key.check.fingerprints] });
        steps.push({ argv: ['install', '-o', 'root', '-g', 'root', '-m', '0644', downloaded, key.path] });
      } else if (key) {
        steps.push({ argv: [...CURL, '--output', key.path, key.url], why: 'The key that signs the repository, for signed-by.' });
      }
      // The repository files wait outside apt's and dnf's reach until the key is in place: an apt-get update in
      // between (apt-daily, another module) would otherwise fail on a source whose key is missing.
      const repositoryFiles = [source.sourceFile, ...(source.holdFile ? [source.holdFile] : [])];
      repositoryFiles.forEach((file, i) => {
        const staged = `${DOWNLOAD_DIR}/${posix.basename(file.path)}`;
        files.push({ path: staged, content: file.content, mode: '0644' });
        steps.push({
          argv: ['install', '-o', 'root', '-g', 'root', '-m', '0644', staged, file.path],
          ...(i === 0 ? { why: 'The repository, now that its key is in place.' } : {}),
        });
      });
      if (source.family === 'debian') {
        // The image's own apt jobs (apt-daily, unattended-upgrades) may hold the lock on first boot: wait for it.
        const apt = ['apt-get', '-o', 'DPkg::Lock::Timeout=300'];
        steps.push({ argv: [...apt, 'update'], why: `install: package — ${source.packageSpec} from ${source.sourceFile.path}.` });
        steps.push({ argv: ['env', 'DEBIAN_FRONTEND=noninteractive', ...apt, 'install', '-y', source.packageSpec] });
      } else {
        steps.push({ argv: ['dnf', 'install', '-y', source.packageSpec], why: `install: package — ${source.packageSpec} from ${source.sourceFile.path}.` });
      }
      steps.push({ argv: ['rm', '-rf', DOWNLOAD_DIR] });
      return { files, steps };
    }
  }
}
