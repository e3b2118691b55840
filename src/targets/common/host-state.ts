/**
 * What a host looks like once converged, whatever the target: the same files with the same content, owners and
 * modes. Chef, Ansible and cloud-init each carry this list to the host their own way; none of them decides
 * content on its own, so the three cannot drift apart.
 */
import { posix } from 'node:path';
import { InternalError } from '../../diagnostics/diagnostic.js';
import type { Arch, Host } from '../../model/fleet.js';
import { osFacts } from '../../model/platforms.js';
import { readGeneratorFile, template } from '../templates.js';
import { renderConfigYaml } from './config-yaml.js';
import { packageSource } from './package-source.js';

export const SERVICE_USER = 'cloudflared';
export const SERVICE_NAME = 'cloudflared';
/** Where fleetgen's helper scripts go on the host. */
export const SELF_REGISTER_SCRIPT = '/usr/local/sbin/cloudflared-self-register';
export const LOCKDOWN_SCRIPT = '/usr/local/sbin/cloudflared-ssh-lockdown';
export const TAKEOVER_SCRIPT = '/usr/local/sbin/cloudflared-takeover';
export const EGRESS_CHECK_SCRIPT = '/usr/local/sbin/cloudflared-egress-check';
/** Checks an sshd drop-in with `sshd -t` before it goes live (see its usage line). */
export const SSHD_CHECK_SCRIPT = '/usr/local/sbin/cloudflared-sshd-check';
/** How long the lockdown waits for SSH through the tunnel to be proven before it gives up, leaving SSH open. */
export const LOCKDOWN_TIMEOUT_SECONDS = 60;
/** The lockdown's guard: a oneshot service its timer runs after boot and every few minutes. */
export const LOCKDOWN_SERVICE = 'cloudflared-ssh-lockdown.service';
export const LOCKDOWN_TIMER = 'cloudflared-ssh-lockdown.timer';
/** Where the lockdown keeps the config and credentials that last proved SSH through the tunnel (root-only). */
export const LOCKDOWN_KEEP_DIR = '/var/lib/cloudflared-ssh-lockdown';
/** The Access service token the lockdown proves SSH with: TUNNEL_SERVICE_TOKEN_ID=… and TUNNEL_SERVICE_TOKEN_SECRET=… */
export const LOCKDOWN_PROBE_ENV_NAME = 'lockdown-probe.env';
const SSHD_INCLUDE_LINE = 'Include /etc/ssh/sshd_config.d/*.conf';
/**
 * QUIC (quic-go) asks the kernel for 7 MiB UDP socket buffers and, when net.core.rmem_max/wmem_max are lower, for
 * SO_RCVBUFFORCE, which needs CAP_NET_ADMIN — which the unit's empty CapabilityBoundingSet takes away. So the host
 * raises the limits instead. A low number, so that an admin's own sysctl.d file with larger values wins.
 */
export const UDP_BUFFERS_SYSCTL = '/etc/sysctl.d/50-cloudflared-udp-buffers.conf';
const UDP_BUFFER_BYTES = 7 * 1024 * 1024;
/** Applies every sysctl.d file, as at boot; skipped by systemd (and so harmless) where /proc/sys is read-only. */
export const APPLY_SYSCTL = ['systemctl', 'restart', 'systemd-sysctl.service'];

/** sshd's systemd unit: `ssh` on Debian and Ubuntu, `sshd` on RHEL. */
export type SshdService = 'ssh' | 'sshd';

export type FilePurpose =
  | 'config'
  | 'credentials'
  | 'token'
  | 'origin-cert'
  | 'unit'
  | 'register-script'
  | 'lockdown-script'
  | 'lockdown-probe'
  | 'lockdown-unit'
  | 'lockdown-timer'
  | 'ssh-ca'
  | 'sshd-drop-in'
  | 'principals'
  | 'sysctl'
  | 'takeover-script'
  | 'egress-check-script'
  | 'sshd-check-script';

export interface ManagedFile {
  path: string;
  content: string;
  owner: string;
  group: string;
  /** Octal string, as every target writes it ("0640"). */
  mode: string;
  isSecret: boolean;
  purpose: FilePurpose;
  /** Changing it must restart this service (cloudflared), reload it (ssh), or apply the sysctl.d files. */
  notifies?: 'cloudflared' | 'sshd' | 'sysctl';
  /**
   * An sshd drop-in: `sshd -t` must accept the configuration with the new content in place BEFORE the file goes live
   * (ssh.check CANDIDATE PATH: Chef's verify, Ansible's validate, cloud-init's --install of a candidate).
   */
  checkedBySshd?: boolean;
}

export interface ManagedDirectory {
  path: string;
  owner: string;
  group: string;
  mode: string;
}

export interface ArchCheck {
  /** Prints the host's architecture: dpkg's name on Debian and Ubuntu (the userland's, which a binary must match), uname -m on RHEL. */
  query: string[];
  /** What the query prints on a host of the manifest's arch. */
  accepted: string[];
  /** The manifest's platform.arch, for the message. */
  manifest: Arch;
}

export interface HostState {
  /**
   * Checked before anything is installed: a wrong platform.arch would install a binary that cannot execute over the
   * good one, and the host would lose its tunnel at the next restart.
   */
  arch: ArchCheck;
  directories: ManagedDirectory[];
  /** Sorted by path. */
  files: ManagedFile[];
  /** config.yml must pass `cloudflared tunnel --config <file> ingress validate` before it replaces the old one
   * (locally managed ingress only: a token-mode config has none, and validation would fail on it). */
  validatesConfig: boolean;
  /**
   * self-register: run the register script (as root) before the service starts, when `check` (the same script with
   * --check) prints "needed": the tunnel is not registered yet, or a hostname is not routed. `originCert` is cert.pem,
   * which the targets write (root-only) just before the script runs and which the script removes once it is done —
   * cloudflared runs on the credentials alone. Absent with tunnel.keepOriginCert: cert.pem is then one of `files`.
   */
  selfRegister?: { script: string; args: string[]; check: string[]; originCert?: ManagedFile };
  /** sshd facts, when fleetgen configures sshd at all (short-lived certificates, lockdown). */
  ssh?: {
    service: SshdService;
    /** RHEL 8's sshd_config does not include sshd_config.d: the line must be added at its top. */
    needsInclude: boolean;
    includeLine: string;
    /** The sshd check script (one of `files`), which every target writes before any sshd drop-in. */
    check: string;
  };
  /**
   * lockdown: true. Run the lockdown script (as root) once cloudflared has started and the restarts this run
   * caused have happened. It waits for /ready, then writes `dropIn` with exactly this content, checks it with
   * `sshd -t` and reloads sshd; it changes nothing when the tunnel is not ready in time.
   */
  lockdown?: {
    script: string;
    args: string[];
    dropIn: { path: string; content: string };
    /** The guard's service and timer (both among `files`): targets reload systemd, enable and start the timer. */
    service: string;
    timer: string;
  };
  /**
   * lockdown: false. Chef and Ansible lift a lockdown an earlier run applied: remove the drop-in (sshd -t, then
   * reload) and the script. cloud-init only ever sets up a fresh host, where there is nothing to lift.
   */
  unlock?: { dropIn: string; script: string; sshdService: SshdService; timer: string; units: string[]; keepDir: string };
  /**
   * What an earlier manifest may have left in the config folder: the secret files of another tunnel id, token or
   * mode. Chef and Ansible remove every file there that matches `patterns` (shell globs, matched within `directory`)
   * and is not in `keep`, so that a rotation or a mode change leaves no old secret behind. cloud-init sets up a fresh
   * host, where there is nothing to remove.
   */
  stale: { directory: string; patterns: string[]; keep: string[] };
  /**
   * Chef and Ansible run it first, before anything is installed (as root): takes over a host where cloudflared ran
   * before fleetgen (`cloudflared service install`'s self-update timer, a stray /root/.cloudflared/config.yml, another
   * apt source for the same repository). `script` is written just before; `check` prints "needed" when there is
   * something to do. cloud-init sets up a fresh instance, where there is nothing to take over (and every byte of its
   * user-data counts against EC2's 16 KB).
   */
  takeover: { script: ManagedFile; argv: string[]; check: string[] };
  /**
   * Run just before the service is started, while it is not running yet (the script checks): do the edge names
   * resolve, does TCP 7844 connect? It prints plain warnings (what is blocked, what the tunnel falls back to) and
   * never fails the run; targets show them in the run's output (cloud-init: its output log).
   */
  egressCheck: { script: ManagedFile; argv: string[] };
}

/** The secret files fleetgen ever puts in the config folder, in any mode: credentials (and self-register's list of
 * routed hostnames beside them), the token file, the origin certificate. */
const SECRET_FILE_PATTERNS = ['*.json', '*.json.routed', 'tunnel-token.env', 'cert.pem', LOCKDOWN_PROBE_ENV_NAME];

const own = (path: string, mode: string, content: string, purpose: FilePurpose, extra: Partial<ManagedFile> = {}): ManagedFile => ({
  path,
  content,
  owner: 'root',
  group: 'root',
  mode,
  isSecret: false,
  purpose,
  ...extra,
});

/** The host whose state shareHostState is keeping, and that state once a target asked for it. */
let shared: { host: Host; state?: HostState } | undefined;

/**
 * Runs `generate` (every target's part for one host) with hostState(host) worked out once, not once per target: a
 * build generates a host's targets one after the other, and the model does not change meanwhile. Kept for that
 * host only, and only until `generate` returns, so memory stays flat and a later change to the model is never missed.
 */
export function shareHostState<T>(host: Host, generate: () => T): T {
  shared = { host };
  try {
    return generate();
  } finally {
    shared = undefined;
  }
}

export function hostState(host: Host): HostState {
  if (shared?.host !== host) return workOutHostState(host);
  shared.state ??= workOutHostState(host);
  return shared.state;
}

function workOutHostState(host: Host): HostState {
  const p = host.paths;
  const files: ManagedFile[] = [];
  // Root-owned: the daemon can read its secrets but not rewrite them. The group lets cloudflared read what it reads.
  const readBySecret = { group: SERVICE_USER, isSecret: true, notifies: 'cloudflared' as const };
  const rootSecret = { isSecret: true, notifies: 'cloudflared' as const };

  files.push(own(p.config, '0640', renderConfigYaml(host), 'config', { group: SERVICE_USER, notifies: 'cloudflared' }));
  files.push(own(p.unit, '0644', renderUnit(host), 'unit', { notifies: 'cloudflared' }));

  let selfRegister: HostState['selfRegister'];
  switch (host.tunnel.mode) {
    case 'named':
      files.push(own(required(p.credentials, 'credentials'), '0640', ensureNewline(host.tunnel.credentials.value), 'credentials', readBySecret));
      break;
    case 'token':
      // systemd reads EnvironmentFile as root before dropping to the service user: cloudflared itself never reads it.
      files.push(own(required(p.tokenEnv, 'tokenEnv'), '0600', `TUNNEL_TOKEN=${host.tunnel.token.value}\n`, 'token', rootSecret));
      break;
    case 'awaiting-terraform':
      throw new InternalError(`host ${host.name}: its tunnel awaits Terraform's outputs; the pipeline should have refused to build it`);
    case 'self-register': {
      // Only the register script (root) reads cert.pem: `tunnel run` does not need it.
      const certPath = required(p.originCert, 'originCert');
      const originCert = own(certPath, '0600', ensureNewline(host.tunnel.originCert.value), 'origin-cert', rootSecret);
      if (host.tunnel.keepsOriginCert) files.push(originCert);
      files.push(own(SELF_REGISTER_SCRIPT, '0755', readGeneratorFile('common/cloudflared-self-register.sh'), 'register-script'));
      const operands = [host.cloudflared.binaryPath, certPath, required(p.credentials, 'credentials'), host.tunnel.name, ...routedHostnames(host)];
      selfRegister = {
        script: SELF_REGISTER_SCRIPT,
        args: [...(host.tunnel.keepsOriginCert ? ['--keep-origin-cert'] : []), ...operands],
        check: [SELF_REGISTER_SCRIPT, '--check', ...operands],
        ...(host.tunnel.keepsOriginCert ? {} : { originCert }),
      };
      break;
    }
  }

  if (usesQuic(host)) files.push(own(UDP_BUFFERS_SYSCTL, '0644', renderUdpBuffersSysctl(), 'sysctl', { notifies: 'sysctl' }));
  let lockdown: HostState['lockdown'];
  if (host.lockdown) {
    const probe = host.lockdownProbe;
    if (probe?.tokenId === undefined || probe.tokenSecret === undefined) {
      throw new InternalError(`host ${host.name}: its lockdown probe's service token awaits Terraform's outputs; the pipeline should have refused to build it`);
    }
    const probeEnv = `${p.configDir}/${LOCKDOWN_PROBE_ENV_NAME}`;
    // Root only: the lockdown (root) reads it, cloudflared never does.
    files.push(own(probeEnv, '0600', `TUNNEL_SERVICE_TOKEN_ID=${probe.tokenId}\nTUNNEL_SERVICE_TOKEN_SECRET=${probe.tokenSecret}\n`, 'lockdown-probe', { isSecret: true }));
    files.push(own(LOCKDOWN_SCRIPT, '0755', readGeneratorFile('common/cloudflared-ssh-lockdown.sh'), 'lockdown-script'));
    // What proves the tunnel works and what a restore puts back: config.yml and the tunnel's secret.
    const kept = files.filter((f) => f.purpose === 'config' || f.purpose === 'credentials' || f.purpose === 'token').map((f) => f.path);
    if (host.tunnel.mode === 'self-register' && p.credentials) kept.push(p.credentials);
    const args = [
      readyAddress(host.metrics),
      String(host.ssh.port),
      sshdService(host),
      String(LOCKDOWN_TIMEOUT_SECONDS),
      p.sshdLockdownDropIn,
      SSHD_CHECK_SCRIPT,
      host.cloudflared.binaryPath,
      probe.hostname,
      probeEnv,
      LOCKDOWN_KEEP_DIR,
      ...kept.sort(),
    ];
    files.push(own(`/etc/systemd/system/${LOCKDOWN_SERVICE}`, '0644', renderLockdownService(LOCKDOWN_SCRIPT, args), 'lockdown-unit'));
    files.push(own(`/etc/systemd/system/${LOCKDOWN_TIMER}`, '0644', renderLockdownTimer(), 'lockdown-timer'));
    lockdown = {
      script: LOCKDOWN_SCRIPT,
      args,
      dropIn: { path: p.sshdLockdownDropIn, content: renderLockdownDropIn(host.ssh.port) },
      service: LOCKDOWN_SERVICE,
      timer: LOCKDOWN_TIMER,
    };
  }

  let ssh: HostState['ssh'];
  if (host.ssh.shortLivedCerts) {
    const caPublicKey = host.ssh.shortLivedCerts.caPublicKey;
    if (caPublicKey === undefined) throw new InternalError(`host ${host.name}: its SSH CA awaits Terraform's outputs; the pipeline should have refused to build it`);
    files.push(own(p.sshCaKey, '0644', `${caPublicKey}\n`, 'ssh-ca', { notifies: 'sshd' }));
    files.push(own(p.sshdDropIn, '0644', renderSshdDropIn(host), 'sshd-drop-in', { notifies: 'sshd', checkedBySshd: true }));
    for (const [user, principals] of Object.entries(host.ssh.principals)) {
      files.push(own(`${p.principalsDir}/${user}`, '0644', principals.map((x) => `${x}\n`).join(''), 'principals', { notifies: 'sshd' }));
    }
  }
  if (host.ssh.shortLivedCerts || host.lockdown) {
    ssh = { service: sshdService(host), needsInclude: !osFacts(host.platform.os).sshdReadsDropIns, includeLine: SSHD_INCLUDE_LINE, check: SSHD_CHECK_SCRIPT };
    files.push(own(SSHD_CHECK_SCRIPT, '0755', readGeneratorFile('common/cloudflared-sshd-check.sh'), 'sshd-check-script'));
  }

  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const directories: ManagedDirectory[] = [{ path: p.configDir, owner: 'root', group: SERVICE_USER, mode: '0750' }];
  if (host.ssh.shortLivedCerts && Object.keys(host.ssh.principals).length > 0) {
    directories.push({ path: p.principalsDir, owner: 'root', group: 'root', mode: '0755' });
  }
  // The drop-ins' folder: RHEL 8 does not ship it (its sshd_config has no Include), and writing a drop-in into a
  // folder that does not exist fails (Chef: EnclosingDirectoryDoesNotExist).
  if (ssh) directories.push({ path: posix.dirname(p.sshdDropIn), owner: 'root', group: 'root', mode: '0755' });
  return {
    arch: archCheck(host),
    directories,
    files,
    validatesConfig: host.tunnel.mode !== 'token',
    ...(selfRegister ? { selfRegister } : {}),
    ...(ssh ? { ssh } : {}),
    ...(lockdown
      ? { lockdown }
      : {
          unlock: {
            dropIn: p.sshdLockdownDropIn,
            script: LOCKDOWN_SCRIPT,
            sshdService: sshdService(host),
            timer: LOCKDOWN_TIMER,
            units: [LOCKDOWN_SERVICE, LOCKDOWN_TIMER].map((unit) => `/etc/systemd/system/${unit}`),
            keepDir: LOCKDOWN_KEEP_DIR,
          },
        }),
    stale: staleFiles(host, files),
    takeover: takeoverStep(host),
    egressCheck: {
      script: own(EGRESS_CHECK_SCRIPT, '0755', readGeneratorFile('common/cloudflared-egress-check.sh'), 'egress-check-script'),
      argv: [EGRESS_CHECK_SCRIPT, SERVICE_NAME, ...edgeNames(host)],
    },
  };
}

/** FACTS.md: the tunnel's edge, region1/region2.v2.argotunnel.com, or us-region1/us-region2 with region: us. */
function edgeNames(host: Host): string[] {
  const prefix = host.options.region ? `${host.options.region}-` : '';
  return [`${prefix}region1.v2.argotunnel.com`, `${prefix}region2.v2.argotunnel.com`];
}

function takeoverStep(host: Host): HostState['takeover'] {
  const source = packageSource(host);
  // The repository's sources are compared by URL; only apt refuses two sources of one repository.
  const operands = source?.family === 'debian' && host.cloudflared.repository ? [source.sourceFile.path, host.cloudflared.repository.url] : [];
  return {
    script: own(TAKEOVER_SCRIPT, '0755', readGeneratorFile('common/cloudflared-takeover.sh'), 'takeover-script'),
    argv: [TAKEOVER_SCRIPT, ...operands],
    check: [TAKEOVER_SCRIPT, '--check', ...operands],
  };
}

function staleFiles(host: Host, files: ManagedFile[]): HostState['stale'] {
  const p = host.paths;
  const keep = new Set(files.map((f) => f.path).filter((path) => posix.dirname(path) === p.configDir));
  // Self-register: the credentials the host created, its record of routed hostnames, and cert.pem, which the register
  // script removes itself once it is done (unless kept).
  if (host.tunnel.mode === 'self-register' && p.credentials && p.originCert) {
    for (const path of [p.credentials, `${p.credentials}.routed`, p.originCert]) keep.add(path);
  }
  return { directory: p.configDir, patterns: SECRET_FILE_PATTERNS, keep: [...keep].sort() };
}

/** dpkg --print-architecture and uname -m names of each cloudflared release arch. */
const DPKG_ARCH: Record<Arch, string[]> = { amd64: ['amd64'], arm64: ['arm64'], armhf: ['armhf'], arm: ['armel'], '386': ['i386'] };
const UNAME_ARCH: Record<Arch, string[]> = { amd64: ['x86_64'], arm64: ['aarch64'], armhf: ['armv7l'], arm: ['armv5tel', 'armv6l'], '386': ['i386', 'i686'] };

function archCheck(host: Host): ArchCheck {
  const arch = host.platform.arch;
  return host.platform.family === 'debian'
    ? { query: ['dpkg', '--print-architecture'], accepted: DPKG_ARCH[arch], manifest: arch }
    : { query: ['uname', '-m'], accepted: UNAME_ARCH[arch], manifest: arch };
}

export function sshdService(host: Host): SshdService {
  return host.platform.family === 'rhel' ? 'sshd' : 'ssh';
}

/**
 * One word of a unit's command line (systemd.service(5), "Command lines"): double-quoted, with \\ and " escaped, and %
 * (a specifier) and $ (a variable) doubled, so that systemd passes the value through as it is.
 */
function systemdWord(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`).replace(/%/g, '%%').replace(/\$/g, '$$$$')}"`;
}

/** The lockdown's guard: runs the script with the host's argv (see its usage line). */
export function renderLockdownService(script: string, args: readonly string[]): string {
  return [
    '# Generated by fleetgen — do not edit; edit fleet.yaml and rebuild.',
    '# Lockdown guard: locks sshd to loopback once SSH through this host\'s tunnel hostname is proven; after a change or a',
    '# restart that broke the tunnel, restores the config and credentials that last proved it, or lifts the lockdown.',
    '[Unit]',
    'Description=SSH lockdown to the Cloudflare Tunnel, proven or lifted (fleetgen)',
    'After=cloudflared.service network-online.target',
    'Wants=network-online.target',
    '',
    '[Service]',
    'Type=oneshot',
    '# Proving takes up to a minute, twice when it restores: never hold up anything that long past that.',
    'TimeoutStartSec=10min',
    // One word a line (a trailing backslash continues it): the line stays readable and within linters' lengths.
    `ExecStart=${[script, ...args].map(systemdWord).join(' \\\n    ')}`,
    '',
  ].join('\n');
}

/**
 * Runs the guard 2 minutes after the timer starts (at boot, or when a converge enables it: not during the converge's own
 * run of the script) and 5 minutes after each run: a cloud-init host retries until the lockdown applies.
 */
export function renderLockdownTimer(): string {
  return [
    '# Generated by fleetgen — do not edit; edit fleet.yaml and rebuild.',
    '[Unit]',
    'Description=Check the SSH lockdown to the Cloudflare Tunnel every 5 minutes (fleetgen)',
    '',
    '[Timer]',
    'OnActiveSec=2min',
    'OnUnitInactiveSec=5min',
    'RandomizedDelaySec=30s',
    '',
    '[Install]',
    'WantedBy=timers.target',
    '',
  ].join('\n');
}

/**
 * Where cloud-init writes an sshd drop-in before `cloudflared-sshd-check --install` checks it and moves it into place:
 * beside it, in the same folder (an atomic rename), under a name sshd's `*.conf` Include does not read.
 */
export function sshdCandidatePath(path: string): string {
  return `${path}.fleetgen-candidate`;
}

/** Where to ask for /ready: a metrics server on every address (0.0.0.0) answers on loopback too. */
export function readyAddress(metrics: string): string {
  return metrics.replace(/^0\.0\.0\.0:/, '127.0.0.1:');
}

/**
 * The lockdown drop-in, byte for byte as generators/common/cloudflared-ssh-lockdown.sh writes it (a test runs the
 * script to prove it). IPv4 loopback only: a [::1] address makes sshd reject its whole configuration on hosts
 * with `AddressFamily inet`; the tunnel's ssh:// ingress reaches sshd as localhost or 127.0.0.1.
 */
export function renderLockdownDropIn(port: number): string {
  return [
    '# Generated by fleetgen — do not edit; edit fleet.yaml and rebuild.',
    '# Lockdown: sshd listens on loopback only; inbound SSH comes through the Cloudflare Tunnel.',
    `ListenAddress 127.0.0.1:${port}`,
    '',
  ].join('\n');
}

/** Hostnames a self-registering host routes to its tunnel: every explicit or generated one but wildcards. */
export function routedHostnames(host: Host): string[] {
  return [...new Set(host.ingress.flatMap((r) => (r.hostname && !r.hostname.startsWith('*') ? [r.hostname] : [])))];
}

export function renderUnit(host: Host): string {
  const reached = originPaths(host);
  return template('common/cloudflared.service.hbs')({
    binaryPath: host.cloudflared.binaryPath,
    config: host.paths.config,
    tokenEnv: host.tunnel.mode === 'token' ? host.paths.tokenEnv : undefined,
    // Booleans only: a path from the manifest never reaches the unit.
    hasTmpOrigins: reached.some((path) => TMP_DIRS.some((dir) => isUnder(path, dir))),
    hasHomeOrigins: reached.some((path) => HOME_DIRS.some((dir) => isUnder(path, dir))),
  });
}

/** What PrivateTmp= replaces with an empty private directory, and what ProtectHome= hides. */
const TMP_DIRS = ['/tmp', '/var/tmp'];
const HOME_DIRS = ['/home', '/root', '/run/user'];

function isUnder(path: string, dir: string): boolean {
  return path === dir || path.startsWith(`${dir}/`);
}

/** Files the daemon opens for its origins: unix: / unix+tls: sockets and caPool bundles, sorted, each once. */
export function originPaths(host: Host): string[] {
  const paths = new Set<string>();
  if (host.originRequest?.caPool) paths.add(host.originRequest.caPool);
  for (const rule of host.ingress) {
    const socket = /^unix(\+tls)?:(.*)$/.exec(rule.service);
    if (socket?.[2]) paths.add(socket[2]);
    if (rule.originRequest?.caPool) paths.add(rule.originRequest.caPool);
  }
  return [...paths].sort();
}

/** QUIC may carry the tunnel unless the manifest pins HTTP/2 (token mode: the dashboard cannot change protocol). */
function usesQuic(host: Host): boolean {
  return host.options.protocol !== 'http2';
}

export function renderUdpBuffersSysctl(): string {
  return [
    '# Generated by fleetgen — do not edit; edit fleet.yaml and rebuild.',
    '# QUIC wants 7 MiB UDP buffers; cloudflared\'s unit has no capability to force them past these limits.',
    `net.core.rmem_max = ${UDP_BUFFER_BYTES}`,
    `net.core.wmem_max = ${UDP_BUFFER_BYTES}`,
    '',
  ].join('\n');
}

export function renderSshdDropIn(host: Host): string {
  const lines = [
    '# Generated by fleetgen — do not edit; edit fleet.yaml and rebuild.',
    '# Trust the Cloudflare Access SSH CA: users log in with short-lived certificates.',
    'PubkeyAuthentication yes',
    `TrustedUserCAKeys ${host.paths.sshCaKey}`,
  ];
  const mapped = Object.keys(host.ssh.principals);
  if (mapped.length > 0) {
    // Scoped to the mapped users: a global AuthorizedPrincipalsFile would refuse every certificate login as a user
    // without a file (sshd reads none, and accepts no principal). The others keep sshd's default: a certificate logs
    // in as the user its principal names. The Match block ends with this file (sshd ≥ 8.2 keeps an Include's Match
    // state out of what comes after it).
    lines.push('# Which certificate principals may log in as which local user; other users: the principal is the user name.');
    lines.push(`Match User ${mapped.join(',')}`);
    lines.push(`    AuthorizedPrincipalsFile ${host.paths.principalsDir}/%u`);
  }
  return `${lines.join('\n')}\n`;
}

function required(path: string | undefined, what: string): string {
  if (path === undefined) throw new InternalError(`the model gives no ${what} path for this tunnel mode`);
  return path;
}

function ensureNewline(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}
