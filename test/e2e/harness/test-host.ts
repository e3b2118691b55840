/**
 * Throwaway Debian hosts with systemd as PID 1, booted with systemd-nspawn exactly as SANDBOX.md measured:
 * an overlay per host over the cached base root, a fresh identity (machine-id, hostname, SSH host keys), the
 * starting shell moved into a cgroup of its own first, `--register=no --keep-unit --private-network
 * --console=read-only`, started with setsid. Commands run inside with `nsenter -t <guest systemd> -a`; sshd is
 * reached with `ProxyCommand nsenter -t <guest systemd> -n nc 127.0.0.1 22` — no addresses, no ports.
 *
 * Everything a host leaves on the machine sits in its folder under the run folder (and its cgroups), so that
 * stopHostFolder() can always remove it, from this process or from the next run after a crash.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, chmodSync, chownSync, closeSync, copyFileSync, existsSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_SUITE, type Suite } from './base-image.js';
import { removeTree } from './mounts.js';
import { CGROUP_PARENT, CGROUP_ROOTS, GUEST_ADMIN_USER, GUEST_MIRROR_DIR } from './places.js';
import { runSync, sleepSync, tail, trySync, type RunOptions, type RunResult } from './run.js';

export interface HostOptions {
  /** The host's name (its hostname), e.g. the manifest host it plays. */
  hostname: string;
  /** Unique in the run: names the container and its folder, e.g. "ansible-web-1". */
  label: string;
  /** A NoCloud seed: cloud-init runs this user-data on first boot. */
  cloudInit?: { userData: string | Buffer; instanceId: string };
  /** The Debian release it runs. Default: DEFAULT_SUITE (bookworm). */
  suite?: Suite;
}

export interface HostContext {
  runId: string;
  runDir: string;
  /** Each suite's base root (base-image.ts). */
  bases: Record<Suite, string>;
  /** The run's admin key (its private half is `${adminKey}`, the public one `${adminKey}.pub`). */
  adminKey: string;
  mirrorDir: string;
}

const GUEST_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Options of a command run inside a guest: `env` adds to the guest's clean environment. */
export type GuestRunOptions = Omit<RunOptions, 'env'> & { env?: Record<string, string> };

export class TestHost {
  readonly machine: string;
  readonly dir: string;
  /** The host's root as the machine sees it (the overlay mount): files can be read here directly. */
  readonly root: string;
  readonly upper: string;
  private nspawnPid = 0;
  private guestPid = 0;

  constructor(
    readonly context: HostContext,
    readonly options: HostOptions,
  ) {
    this.machine = `e2e-${context.runId}-${options.label}`.slice(0, 63);
    this.dir = join(context.runDir, 'hosts', this.machine);
    this.root = join(this.dir, 'root');
    this.upper = join(this.dir, 'upper');
  }

  get hostname(): string {
    return this.options.hostname;
  }

  get suite(): Suite {
    return this.options.suite ?? DEFAULT_SUITE;
  }

  /** PID (on the machine) of the guest's systemd: what nsenter enters. */
  get pid(): number {
    if (!this.guestPid) throw new Error(`${this.machine} is not running`);
    return this.guestPid;
  }

  /** ssh's ProxyCommand to this host's sshd. */
  get proxyCommand(): string {
    return `nsenter -t ${this.pid} -n nc 127.0.0.1 22`;
  }

  /** Lays out the overlay and the host's identity, then starts the container (returns once its systemd answers). */
  async boot(): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    writeFileSync(join(this.dir, 'machine'), `${this.machine}\n`);
    for (const sub of ['upper', 'work', 'root']) mkdirSync(join(this.dir, sub));
    const base = this.context.bases[this.suite];
    runSync(['mount', '-t', 'overlay', 'overlay', '-o', `lowerdir=${base},upperdir=${this.upper},workdir=${join(this.dir, 'work')}`, this.root]);

    writeFileSync(join(this.root, 'etc/machine-id'), `${randomBytes(16).toString('hex')}\n`);
    writeFileSync(join(this.root, 'etc/hostname'), `${this.hostname}\n`);
    chmodSync(join(this.root, 'etc/hostname'), 0o644); // debootstrap left it 0755; cloud-init writes it 0644
    appendFileSync(join(this.root, 'etc/hosts'), `127.0.1.1\t${this.hostname}\n`);
    runSync(['ssh-keygen', '-A', '-f', this.root]);
    this.authorizeAdminKey();
    if (this.options.cloudInit) {
      const seed = join(this.root, 'var/lib/cloud/seed/nocloud');
      mkdirSync(seed, { recursive: true });
      writeFileSync(join(seed, 'user-data'), this.options.cloudInit.userData, { mode: 0o600 });
      writeFileSync(join(seed, 'meta-data'), `instance-id: ${this.options.cloudInit.instanceId}\nlocal-hostname: ${this.hostname}\n`);
    }
    await this.start();
  }

  /** The run's admin key in the admin user's authorized_keys (owned by that user, 0600, as sshd's StrictModes wants). */
  private authorizeAdminKey(): void {
    const entry = readFileSync(join(this.root, 'etc/passwd'), 'utf8')
      .split('\n')
      .map((line) => line.split(':'))
      .find((fields) => fields[0] === GUEST_ADMIN_USER);
    if (!entry) throw new Error(`the ${this.suite} base has no user ${GUEST_ADMIN_USER}`);
    const [uid, gid, home] = [Number(entry[2]), Number(entry[3]), entry[5] ?? ''];
    const file = join(this.root, home, '.ssh', 'authorized_keys');
    writeFileSync(file, readFileSync(`${this.context.adminKey}.pub`, 'utf8'), { mode: 0o600 });
    chownSync(file, uid, gid);
  }

  /**
   * Shuts the guest down cleanly (SIGTERM to systemd-nspawn: the guest powers off) and boots it again from the
   * same root: what a reboot is to the host. Returns once its systemd answers again.
   */
  async reboot(): Promise<void> {
    const nspawnPid = this.nspawnPid;
    process.kill(nspawnPid, 'SIGTERM');
    const deadline = Date.now() + 30_000;
    while (isRunning(nspawnPid)) {
      if (Date.now() > deadline) throw new Error(`${this.machine} did not power off within 30 s`);
      await delay(100);
    }
    this.guestPid = 0;
    await this.start();
  }

  private async start(): Promise<void> {
    // Its own cgroup first: otherwise two containers share one cgroup tree and their units mix (SANDBOX.md).
    const cgroups = CGROUP_ROOTS.map((root) => join(root, CGROUP_PARENT, this.machine));
    for (const cgroup of cgroups) mkdirSync(cgroup, { recursive: true });
    const logFd = openSync(join(this.dir, 'nspawn.log'), 'a');
    const nspawn = [
      'systemd-nspawn',
      '--quiet',
      `--directory=${this.root}`,
      `--machine=${this.machine}`,
      '--boot',
      '--register=no',
      '--keep-unit',
      '--private-network',
      '--console=read-only',
      `--bind-ro=${this.context.mirrorDir}:${GUEST_MIRROR_DIR}`,
    ];
    const child = spawn('sh', ['-c', 'echo $$ > "$1/cgroup.procs" && echo $$ > "$2/cgroup.procs" && shift 2 && exec "$@"', 'sh', ...cgroups, ...nspawn], {
      detached: true, // setsid: the container never gets the terminal's signals; stop() powers it off cleanly.
      stdio: ['ignore', logFd, logFd],
    });
    closeSync(logFd);
    child.unref();
    if (!child.pid) throw new Error(`cannot start systemd-nspawn for ${this.machine}`);
    this.nspawnPid = child.pid;
    writeFileSync(join(this.dir, 'nspawn.pid'), `${child.pid}\n`);

    const deadline = Date.now() + 30_000;
    while (!this.guestPid) {
      if (!isRunning(this.nspawnPid)) throw new Error(`systemd-nspawn for ${this.machine} exited:\n${tail(this.nspawnLog())}`);
      if (Date.now() > deadline) throw new Error(`no systemd appeared in ${this.machine}:\n${tail(this.nspawnLog())}`);
      // systemd-nspawn forks short-lived helpers too: the guest is the child whose command is systemd.
      const guest = childrenOf(this.nspawnPid).find((pid) => commandOf(pid) === 'systemd');
      if (guest) this.guestPid = guest;
      else await delay(50);
    }
    writeFileSync(join(this.dir, 'guest.pid'), `${this.guestPid}\n`);
  }

  /**
   * Waits until the guest's boot is over (cloud-init's stages included: they are boot jobs) and returns
   * `systemctl is-system-running`: "running", or "degraded" when a unit failed.
   */
  async waitForBoot(timeoutMs = 180_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const state = this.exec(['systemctl', 'is-system-running'], { okStatuses: Array.from({ length: 256 }, (_, i) => i) }).stdout.trim();
      if (state === 'running' || state === 'degraded') return state;
      if (Date.now() > deadline) throw new Error(`${this.machine} did not finish booting (state "${state}"):\n${this.describeJobs()}`);
      await delay(200);
    }
  }

  /** Boots and requires a clean boot: no failed unit. */
  async bootAndWait(): Promise<void> {
    await this.boot();
    const state = await this.waitForBoot();
    if (state !== 'running') throw new Error(`${this.machine} booted "${state}":\n${this.exec(['systemctl', '--failed', '--no-pager']).stdout}`);
  }

  private describeJobs(): string {
    return trySync(this.nsenter(['systemctl', 'list-jobs', '--no-pager'])).stdout;
  }

  /** The argv that runs `argv` inside the guest (all its namespaces, a clean environment). */
  nsenter(argv: readonly string[], env: Record<string, string> = {}): string[] {
    const vars = Object.entries({ PATH: GUEST_PATH, LANG: 'C.UTF-8', TERM: 'dumb', ...env }).map(([k, v]) => `${k}=${v}`);
    return ['nsenter', '-t', String(this.pid), '-a', '--', '/usr/bin/env', '-i', ...vars, ...argv];
  }

  /** Runs a command inside the guest as root; throws (with its output) unless it exits with an allowed status. */
  exec(argv: readonly string[], options: GuestRunOptions = {}): RunResult {
    const { env, ...rest } = options;
    return runSync(this.nsenter(argv, env), { timeoutMs: 120_000, ...rest });
  }

  /** `sh -c SCRIPT` inside the guest. */
  shell(script: string, options: GuestRunOptions = {}): RunResult {
    return this.exec(['sh', '-c', script], options);
  }

  /** The guest's SSH host key (public, one line), for a known_hosts file. */
  sshHostKey(): string {
    return readFileSync(join(this.root, 'etc/ssh/ssh_host_ed25519_key.pub'), 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
  }

  nspawnLog(): string {
    return existsSync(join(this.dir, 'nspawn.log')) ? readFileSync(join(this.dir, 'nspawn.log'), 'utf8') : '';
  }

  /** Powers the guest off and removes everything it left on the machine (overlay, cgroups, folder). Its journal,
   * cloud-init's output and the nspawn log are kept in the run's host-logs/ first (cleanup.ts keeps them). */
  stop(): void {
    if (this.guestPid && isRunning(this.guestPid)) {
      const logs = join(this.context.runDir, 'host-logs');
      mkdirSync(logs, { recursive: true });
      writeFileSync(join(logs, `${this.machine}.journal.log`), trySync(this.nsenter(['journalctl', '-b', '--no-pager', '-o', 'short-precise'])).stdout);
      const cloudInitOutput = join(this.root, 'var/log/cloud-init-output.log');
      if (existsSync(cloudInitOutput)) copyFileSync(cloudInitOutput, join(logs, `${this.machine}.cloud-init-output.log`));
      writeFileSync(join(logs, `${this.machine}.nspawn.log`), this.nspawnLog());
    }
    stopHostFolder(this.dir);
    this.guestPid = 0;
    this.nspawnPid = 0;
  }
}

/**
 * Stops the container of a host folder and removes it: SIGTERM to systemd-nspawn (the guest powers off in 1-2 s),
 * SIGKILL to whatever is left in its cgroups after a grace period, then the overlay mount, the cgroup folders and
 * the folder itself. Synchronous, so that signal handlers and exit paths can use it; safe to repeat.
 */
export function stopHostFolder(dir: string): void {
  const machine = readText(join(dir, 'machine'));
  const nspawnPid = Number(readText(join(dir, 'nspawn.pid')) || 0);
  // Only ever signal the process that is still this host's systemd-nspawn (pids are reused).
  if (nspawnPid && isRunning(nspawnPid) && readCmdline(nspawnPid).includes(`--machine=${machine}`)) {
    process.kill(nspawnPid, 'SIGTERM');
    const deadline = Date.now() + 20_000;
    while (isRunning(nspawnPid) && Date.now() < deadline) sleepSync(100);
    if (isRunning(nspawnPid)) process.kill(nspawnPid, 'SIGKILL');
  }
  if (machine) removeCgroups(machine);
  removeTree(dir);
}

/** Kills what is left in a host's cgroups (both hierarchies) and removes the folders, deepest first. */
export function removeCgroups(machine: string): void {
  for (const root of CGROUP_ROOTS) {
    const top = join(root, CGROUP_PARENT, machine);
    if (!existsSync(top)) continue;
    const deadline = Date.now() + 10_000;
    for (;;) {
      const pids = cgroupPids(top);
      if (pids.length === 0) break;
      for (const pid of pids) trySignal(pid, 'SIGKILL');
      if (Date.now() > deadline) throw new Error(`processes ${pids.join(' ')} in ${top} do not die`);
      sleepSync(100);
    }
    for (const folder of foldersDeepestFirst(top)) rmdirWithRetry(folder);
  }
}

function cgroupPids(folder: string): number[] {
  return foldersDeepestFirst(folder).flatMap((f) =>
    readText(join(f, 'cgroup.procs'))
      .split('\n')
      .filter(Boolean)
      .map(Number),
  );
}

function foldersDeepestFirst(folder: string): string[] {
  if (!existsSync(folder)) return [];
  const below = readdirSync(folder, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .flatMap((e) => foldersDeepestFirst(join(folder, e.name)));
  return [...below, folder];
}

function rmdirWithRetry(folder: string): void {
  for (let attempt = 0; ; attempt++) {
    try {
      rmdirSync(folder);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY' || attempt > 50) throw new Error(`cannot remove cgroup ${folder}: ${code}`);
      sleepSync(100);
    }
  }
}

function trySignal(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // gone already
  }
}

/** Alive and not a zombie. */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** A process's start time (clock ticks after boot, /proc/<pid>/stat field 22): with the pid, names one process. */
export function processStartTime(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
  } catch {
    return '';
  }
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

function readCmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return [];
  }
}

function childrenOf(pid: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) found.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Whether `path` (inside a host root) is there, without following a final symlink. */
export function existsNoFollow(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
