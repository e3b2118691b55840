/**
 * The Debian base roots the test hosts overlay, one per suite (bullseye, bookworm, trixie): each built once with
 * debootstrap from the machine's own Debian mirror (a minute or two) and kept in the cache, keyed by the suite and
 * a hash of what goes into it — change the package list or the setup script and the next run builds a new one
 * (and drops the suite's old one once nothing uses it).
 */
import { createHash } from 'node:crypto';
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { OsId } from '../../../src/model/fleet.js';
import { machineDebianMirror } from './debian-mirror.js';
import { mountsBelow, removeTree } from './mounts.js';
import { CACHE_DIR, E2E_DIR, GUEST_ADMIN_USER, GUEST_MIRROR_PORT } from './places.js';
import { runAsync, runSync, sleepSync, tail } from './run.js';

/** The Debian suites the end-to-end tests run on, and the manifest's `platform.os` of each. */
export const SUITES = { bullseye: 'debian-11', bookworm: 'debian-12', trixie: 'debian-13' } as const satisfies Record<string, OsId>;
export type Suite = keyof typeof SUITES;
/** The suite of the full end-to-end proof (fleet.e2e, refusals.e2e, harness.e2e); the others run a subset. */
export const DEFAULT_SUITE: Suite = 'bookworm';
export const ALL_SUITES = Object.keys(SUITES) as Suite[];
/**
 * SANDBOX.md's list (the same for every suite: debootstrap resolves each release's own versions), plus `locales` (locale-gen, for cloud-init's locale module) and `python3-cffi-backend`:
 * python3-cryptography (for cloud-init) depends on virtual packages only it provides, which debootstrap's
 * resolver does not follow.
 */
export const GUEST_PACKAGES = [
  'systemd',
  'systemd-sysv',
  'dbus',
  'python3',
  'openssh-server',
  'sudo',
  'python3-apt',
  'cloud-init',
  'ca-certificates',
  'iproute2',
  'curl',
  'procps',
  'locales',
  'python3-cffi-backend',
];
const GUEST_DIR = join(E2E_DIR, 'guest');
const SETUP_SCRIPT = join(GUEST_DIR, 'base-setup.sh');
const MIRROR_UNIT = join(GUEST_DIR, 'fleetgen-e2e-mirror.service');
const MIRROR_UNIT_NAME = 'fleetgen-e2e-mirror.service';
/** debootstrap and the setup script run maintainer scripts in the new root: none of this machine's environment
 * (a pyenv PATH, PYTHON* settings) may leak into them. */
const CLEAN_ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8', DEBIAN_FRONTEND: 'noninteractive', HOME: '/root' };

export interface BaseImage {
  suite: Suite;
  /** The root folder: only ever a lower layer, never written to. */
  root: string;
  key: string;
}

/** What the base depends on: a change to any of it builds a new base. */
export function baseImageKey(suite: Suite): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ suite, packages: GUEST_PACKAGES, admin: GUEST_ADMIN_USER }));
  for (const file of [SETUP_SCRIPT, MIRROR_UNIT]) hash.update(readFileSync(file));
  return hash.digest('hex').slice(0, 16);
}

/** base-<suite>-<key>/: a name the cleanup below recognizes (and base-<key>/, the layout before suites). */
const BASE_NAME = /^base-(?:(?<suite>[a-z]+)-)?[0-9a-f]{16}$/;

function paths(suite: Suite, key: string): BaseImage & { dir: string; ready: string; lock: string } {
  const dir = join(CACHE_DIR, `base-${suite}-${key}`);
  return { suite, dir, root: join(dir, 'root'), ready: join(dir, 'ready'), lock: `${dir}.lock`, key };
}

/** The suite's base for the current key: from the cache, or built now (other runs wait for a build in progress). */
export async function ensureBaseImage(suite: Suite, log: (line: string) => void = () => {}): Promise<BaseImage & { builtNow: boolean; seconds: number }> {
  const started = Date.now();
  const key = baseImageKey(suite);
  const p = paths(suite, key);
  const base = { suite, root: p.root, key };
  mkdirSync(CACHE_DIR, { recursive: true });
  if (existsSync(p.ready)) return { ...base, builtNow: false, seconds: 0 };

  const release = acquireLock(p.lock);
  // Interrupted while building: debootstrap's /proc and /sys mounts in the half-built root go, and so does the lock.
  const onSignal = (signal: NodeJS.Signals): void => {
    try {
      removeTree(`${p.dir}.staging`);
      release();
    } finally {
      process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
    }
  };
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const signal of signals) process.prependOnceListener(signal, onSignal);
  try {
    if (existsSync(p.ready)) return { ...base, builtNow: false, seconds: (Date.now() - started) / 1000 };
    await buildBase(suite, p.dir, log);
  } finally {
    for (const signal of signals) process.removeListener(signal, onSignal);
    release();
  }
  dropOtherBases(suite, key);
  return { ...base, builtNow: true, seconds: (Date.now() - started) / 1000 };
}

async function buildBase(suite: Suite, finalDir: string, log: (line: string) => void): Promise<void> {
  const staging = `${finalDir}.staging`;
  removeTree(staging);
  removeTree(finalDir);
  mkdirSync(staging, { recursive: true });
  const root = join(staging, 'root');
  const mirror = machineDebianMirror(suite);
  const logFile = join(staging, 'debootstrap.log');
  const logFd = openSync(logFile, 'a');
  log(`building the Debian ${suite} base root with debootstrap from ${mirror} (cached afterwards under ${finalDir})`);
  try {
    // Debian's archive keyring (debian-archive-keyring, which .ci/run installs) holds the keys of bullseye, bookworm
    // and trixie: debootstrap checks every suite's Release file with it.
    const debootstrap = await runAsync(
      ['debootstrap', '--variant=minbase', `--include=${GUEST_PACKAGES.join(',')}`, '--components=main', suite, root, mirror],
      { env: CLEAN_ENV, timeoutMs: 15 * 60_000, onOutput: (chunk) => writeSync(logFd, chunk) },
    );
    // debootstrap mounts /proc and /sys in the target; a failure can leave them mounted (removeTree below unmounts).
    if (debootstrap.status !== 0) {
      const inner = join(root, 'debootstrap', 'debootstrap.log');
      const detail = existsSync(inner) ? `\n${inner} ends with:\n${tail(readFileSync(inner, 'utf8'), 40)}` : '';
      throw new Error(`debootstrap failed (status ${debootstrap.status}):\n${tail(debootstrap.stdout + debootstrap.stderr, 20)}${detail}`);
    }

    const unit = readFileSync(MIRROR_UNIT, 'utf8');
    if (!unit.includes(`127.0.0.1 --directory /srv/fleetgen-e2e-mirror ${GUEST_MIRROR_PORT}`)) throw new Error(`${MIRROR_UNIT} must serve port ${GUEST_MIRROR_PORT} (places.ts)`);
    copyFileSync(MIRROR_UNIT, join(root, 'etc/systemd/system', MIRROR_UNIT_NAME));
    copyFileSync(SETUP_SCRIPT, join(root, 'tmp/base-setup.sh'));
    // Asynchronous, like debootstrap: the other suites' builds go on meanwhile (global-setup.ts).
    const setup = await runAsync(['chroot', root, '/bin/bash', '/tmp/base-setup.sh', GUEST_ADMIN_USER], {
      env: CLEAN_ENV,
      timeoutMs: 5 * 60_000,
      onOutput: (chunk) => writeSync(logFd, chunk),
    });
    if (setup.status !== 0) throw new Error(`base-setup.sh failed in the ${suite} root (status ${setup.status}):\n${tail(setup.stdout + setup.stderr, 20)}`);
    runSync(['rm', '-f', join(root, 'tmp/base-setup.sh')]);
    const leftover = mountsBelow(root);
    if (leftover.length > 0) throw new Error(`the base root still has mounts: ${leftover.join(', ')}`);
  } catch (err) {
    closeSync(logFd);
    removeTree(staging);
    throw err;
  }
  closeSync(logFd);
  renameSync(staging, finalDir);
  writeFileSync(join(finalDir, 'ready'), `${new Date().toISOString()}\n`);
}

/** A lock folder (mkdir is atomic) holding the owner's pid; a lock whose owner died is taken over. */
function acquireLock(lock: string): () => void {
  const deadline = Date.now() + 20 * 60_000;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), `${process.pid}\n`);
      return () => removeTree(lock);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = Number(readFileOr(join(lock, 'pid'), '0'));
    if (!isAlive(owner)) {
      removeTree(lock);
      continue;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock} (held by pid ${owner})`);
    sleepSync(500);
  }
}

/** The suite's old bases (another key), and bases of the layout before suites, that no running host uses any more. */
function dropOtherBases(suite: Suite, key: string): void {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8');
  for (const name of readdirSync(CACHE_DIR)) {
    const match = BASE_NAME.exec(name);
    if (!match || name === `base-${suite}-${key}` || (match.groups?.suite !== undefined && match.groups.suite !== suite)) continue;
    const dir = join(CACHE_DIR, name);
    if (mounts.includes(dir)) continue;
    removeTree(dir);
  }
}

function readFileOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return fallback;
  }
}

export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
