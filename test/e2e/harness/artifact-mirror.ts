/**
 * The artifact mirror the test hosts install cloudflared from — built once per run on the machine, then
 * bind-mounted read-only into every guest and served there on loopback (guest/fleetgen-e2e-mirror.service):
 *
 *   cloudflared/<version>/cloudflared-linux-amd64     the release-binary path (the manifest pins its sha256)
 *   cloudflared/deb/                                  an apt repository, suite "any", component "main", with a
 *                                                     Release file signed by a throwaway key made for this run
 *
 * Both serve the cloudflared STAND-IN (stand-in/cloudflared-stand-in.py), never the real cloudflared. fleetgen
 * learns about the mirror only through the test manifest (cloudflared.mirror, cloudflared.repositoryKey), as an
 * air-gapped fleet would configure it.
 */
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { E2E_DIR } from './places.js';
import { runSync, trySync } from './run.js';

export const STAND_IN_SOURCE = join(E2E_DIR, 'stand-in', 'cloudflared-stand-in.py');
export const STAND_IN_ARCH = 'amd64';

export interface ArtifactMirror {
  /** Folder to bind-mount at GUEST_MIRROR_DIR. */
  root: string;
  /** The repository signing key (ASCII-armored public key), for the manifest's cloudflared.repositoryKey. */
  repositoryKey: string;
  /** Another throwaway public key that signs nothing: a manifest naming it must make apt refuse the repository. */
  unrelatedKey: string;
  version: string;
  /** sha256 of the release binary (the stand-in), as the manifest must pin it. */
  binarySha256: string;
}

/** The version the stand-in reports, which the package and the binary path carry. */
export function standInVersion(): string {
  const match = /^VERSION = "([^"]+)"$/m.exec(readFileSync(STAND_IN_SOURCE, 'utf8'));
  if (!match?.[1]) throw new Error(`${STAND_IN_SOURCE} has no VERSION = "..." line`);
  return match[1];
}

export function standInSha256(): string {
  return createHash('sha256').update(readFileSync(STAND_IN_SOURCE)).digest('hex');
}

export function buildArtifactMirror(runDir: string): ArtifactMirror {
  const version = standInVersion();
  const root = join(runDir, 'mirror');
  const base = join(root, 'cloudflared');

  // The release-binary path: <mirror>/<version>/cloudflared-linux-<arch>.
  const binary = join(base, version, `cloudflared-linux-${STAND_IN_ARCH}`);
  mkdirSync(join(base, version), { recursive: true });
  copyFileSync(STAND_IN_SOURCE, binary);
  chmodSync(binary, 0o755);

  // The package path: a .deb that installs /usr/bin/cloudflared, in a signed apt repository at <mirror>/deb.
  const repo = join(base, 'deb');
  const debName = `cloudflared_${version}_${STAND_IN_ARCH}.deb`;
  const poolDir = join(repo, 'pool', 'main', 'c', 'cloudflared');
  mkdirSync(poolDir, { recursive: true });
  const deb = join(poolDir, debName);
  buildStandInDeb(join(runDir, 'deb-build'), version, deb);

  const packages = packagesStanza(deb, `pool/main/c/cloudflared/${debName}`);
  const binaryDir = join(repo, 'dists', 'any', 'main', `binary-${STAND_IN_ARCH}`);
  mkdirSync(binaryDir, { recursive: true });
  writeFileSync(join(binaryDir, 'Packages'), packages);
  writeFileSync(join(binaryDir, 'Packages.gz'), gzipSync(packages));
  const release = releaseFile(join(repo, 'dists', 'any'), [`main/binary-${STAND_IN_ARCH}/Packages`, `main/binary-${STAND_IN_ARCH}/Packages.gz`]);
  writeFileSync(join(repo, 'dists', 'any', 'Release'), release);

  const repositoryKey = join(runDir, 'repository-key.asc');
  const unrelatedKey = join(runDir, 'unrelated-key.asc');
  signRepository(join(runDir, 'gnupg'), join(repo, 'dists', 'any'), repositoryKey, unrelatedKey);
  return { root, repositoryKey, unrelatedKey, version, binarySha256: standInSha256() };
}

function buildStandInDeb(tree: string, version: string, output: string): void {
  mkdirSync(join(tree, 'DEBIAN'), { recursive: true });
  mkdirSync(join(tree, 'usr', 'bin'), { recursive: true });
  copyFileSync(STAND_IN_SOURCE, join(tree, 'usr', 'bin', 'cloudflared'));
  chmodSync(join(tree, 'usr', 'bin', 'cloudflared'), 0o755);
  const installedKb = Math.ceil(statSync(STAND_IN_SOURCE).size / 1024);
  writeFileSync(
    join(tree, 'DEBIAN', 'control'),
    [
      'Package: cloudflared',
      `Version: ${version}`,
      `Architecture: ${STAND_IN_ARCH}`,
      'Maintainer: fleetgen end-to-end tests <e2e@fleetgen.invalid>',
      `Installed-Size: ${installedKb}`,
      'Depends: python3, python3-yaml',
      'Section: net',
      'Priority: optional',
      'Description: STAND-IN for cloudflared (fleetgen end-to-end tests only)',
      ' Not cloudflared: a script that behaves like it where fleetgen\'s generated',
      ' artifacts depend on it. Installs /usr/bin/cloudflared, like the real package.',
      '',
    ].join('\n'),
  );
  runSync(['dpkg-deb', '--root-owner-group', '-Zgzip', '--build', tree, output], { env: { ...process.env, SOURCE_DATE_EPOCH: '1754006400' } });
}

function digests(bytes: Buffer): { md5: string; sha256: string; size: number } {
  return {
    md5: createHash('md5').update(bytes).digest('hex'),
    sha256: createHash('sha256').update(bytes).digest('hex'),
    size: bytes.length,
  };
}

/** The Packages stanza of one .deb: its control fields plus where it is and its checksums. */
function packagesStanza(deb: string, filename: string): string {
  const control = runSync(['dpkg-deb', '--field', deb]).stdout.trimEnd();
  const d = digests(readFileSync(deb));
  const [head, ...description] = control.split(/\n(?=Description:)/);
  return [head, `Filename: ${filename}`, `Size: ${d.size}`, `MD5sum: ${d.md5}`, `SHA256: ${d.sha256}`, ...description].join('\n') + '\n';
}

function releaseFile(distDir: string, files: string[]): string {
  const sums = files.map((f) => ({ f, ...digests(readFileSync(join(distDir, f))) }));
  return [
    'Origin: fleetgen-e2e',
    'Label: fleetgen e2e stand-in repository',
    'Suite: any',
    'Codename: any',
    `Date: ${new Date().toUTCString().replace('GMT', 'UTC')}`,
    `Architectures: ${STAND_IN_ARCH}`,
    'Components: main',
    'Description: cloudflared STAND-IN for fleetgen end-to-end tests; signed by a throwaway key',
    'MD5Sum:',
    ...sums.map((s) => ` ${s.md5} ${String(s.size).padStart(8)} ${s.f}`),
    'SHA256:',
    ...sums.map((s) => ` ${s.sha256} ${String(s.size).padStart(8)} ${s.f}`),
    '',
  ].join('\n');
}

/** A throwaway signing key for this run; InRelease and Release.gpg as apt fetches them. The agent gpg starts
 * is stopped again before returning (killGpgAgent also runs at cleanup, for a run that died here). */
function signRepository(home: string, distDir: string, publicKeyOut: string, unrelatedKeyOut: string): void {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const gpg = (...args: string[]): string =>
    runSync(['gpg', '--homedir', home, '--batch', '--yes', '--pinentry-mode', 'loopback', '--passphrase', '', ...args]).stdout;
  try {
    const makeKey = (uid: string): string => {
      gpg('--quick-generate-key', uid, 'ed25519', 'sign', '2d');
      const found = /^fpr:+([0-9A-F]{40}):/m.exec(gpg('--with-colons', '--list-secret-keys', uid))?.[1];
      if (!found) throw new Error(`gpg made no key for ${uid}`);
      return found;
    };
    const fingerprint = makeKey('fleetgen e2e stand-in repository (throwaway) <e2e@fleetgen.invalid>');
    writeFileSync(unrelatedKeyOut, gpg('--armor', '--export', makeKey('fleetgen e2e unrelated key (throwaway) <unrelated@fleetgen.invalid>')));
    gpg('--local-user', fingerprint, '--clearsign', '--output', join(distDir, 'InRelease'), join(distDir, 'Release'));
    gpg('--local-user', fingerprint, '--armor', '--detach-sign', '--output', join(distDir, 'Release.gpg'), join(distDir, 'Release'));
    writeFileSync(publicKeyOut, gpg('--armor', '--export', fingerprint));
  } finally {
    killGpgAgent(home);
  }
}

export function killGpgAgent(home: string): void {
  trySync(['gpgconf', '--homedir', home, '--kill', 'gpg-agent']);
}
