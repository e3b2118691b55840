/**
 * The package repository a host installs cloudflared from (install: package): the files that configure it and the
 * package to ask for. Shared so that every target configures the same repository in the same files; a target
 * decides only how to put them there (write_files, a template, a resource) and how to fetch a key by URL.
 */
import { InternalError } from '../../diagnostics/diagnostic.js';
import type { Host } from '../../model/fleet.js';
import { osFacts, type AptSourceFormat } from '../../model/platforms.js';
import { readGeneratorFile } from '../templates.js';
import { GENERATED_HEADER } from './config-yaml.js';

/** Where the apt source goes, by format (model/platforms.ts decides which format a release gets). */
export const APT_SOURCE_PATHS: Record<AptSourceFormat, string> = {
  'one-line': '/etc/apt/sources.list.d/cloudflared.list',
  deb822: '/etc/apt/sources.list.d/cloudflared.sources',
};
/** apt preferences that hold cloudflared at the pinned release (preferences.d reads files without or with .pref). */
export const APT_PREFERENCES_PATH = '/etc/apt/preferences.d/cloudflared.pref';
/** Checks a downloaded rpm repository key against the pinned fingerprints before it goes in place. */
export const KEY_CHECK_SCRIPT = '/usr/local/sbin/cloudflared-repository-key-check';
export const YUM_REPO_PATH = '/etc/yum.repos.d/cloudflared.repo';
/** FACTS.md: the rpm repository's id. */
export const YUM_REPO_ID = 'cloudflared-stable';
/** apt reads a binary keyring from `*.gpg`, an ASCII-armored one only from `*.asc` (apt ≥ 1.4). */
const APT_KEYRING_BINARY = '/usr/share/keyrings/cloudflared.gpg';
const APT_KEYRING_ARMORED = '/usr/share/keyrings/cloudflared.asc';
/** Every keyring path an apt host may hold (decommissioning removes them all). */
export const APT_KEYRINGS = [APT_KEYRING_BINARY, APT_KEYRING_ARMORED];
export const RPM_KEY_PATH = '/etc/pki/rpm-gpg/RPM-GPG-KEY-cloudflared';

export interface PackageSource {
  family: 'debian' | 'rhel';
  /** The repository definition: an apt source (one-line `.list` or deb822 `.sources`) or a yum .repo file. */
  sourceFile: { path: string; content: string };
  /**
   * fleetgen's source file in the other apt format, removed where it exists: a host upgraded in place to a release
   * with the other format (Debian 12 → 13) would otherwise list the repository twice. Empty for rpm.
   */
  staleSourceFiles: string[];
  /**
   * The signing key on the host, when a target has to put it there: the manifest's own key (content given), or
   * (apt only) a key the target downloads from `url` into `path` before `apt-get update`. dnf fetches an rpm
   * `gpgkey=` URL itself, so an rpm repository without a key of its own has no `key` here.
   */
  key?: { path: string; content: Buffer; isArmored: boolean } | { path: string; url: string; check?: KeyCheck };
  /**
   * apt, version pinned: preferences that hold cloudflared at that release (Pin-Priority 1001: `apt upgrade` leaves it,
   * and an install picks it even when a newer one is installed). dnf has no hold without a plugin; every target
   * installs the pinned version, up or down, on its next run instead.
   */
  holdFile?: { path: string; content: string };
  /** What to ask the package manager for: `cloudflared=<version>` (apt) or `cloudflared-<version>` (dnf). */
  packageSpec: string;
  /** The pinned release, when there is one. */
  version?: string;
  /**
   * Refreshes this repository's metadata. Targets run it when the repository (source or key) changed, or when the
   * pinned version is not the installed one (it may be newer than the index) — never on a run with nothing to install.
   */
  refresh: string[];
  /** Prints `installed <version>` when cloudflared is installed (and something else, or fails, when it is not). */
  installedQuery: string[];
}

/** rpm trusts every key in a gpgkey file: the downloaded file goes in place only when every key in it is pinned. */
export interface KeyCheck {
  script: { path: string; content: string };
  /** The check runs as: script DOWNLOADED_FILE FINGERPRINT... */
  fingerprints: string[];
}

/** The repository setup for a host with `install: package`; undefined for the other install methods. */
export function packageSource(host: Host): PackageSource | undefined {
  const install = host.cloudflared;
  if (install.method !== 'package') return undefined;
  const repository = install.repository;
  if (!repository) throw new InternalError(`host ${host.name}: package install without a repository`);
  assertUrl(repository.url);
  if (repository.keyUrl !== undefined) assertUrl(repository.keyUrl);
  const version = install.version;
  const fingerprints = repository.keyFingerprints ?? [];
  const pinned = version === undefined ? {} : { version };

  if (host.platform.family === 'debian') {
    let key: PackageSource['key'];
    if (repository.key) {
      const { content, isArmored } = repository.key;
      key = { path: isArmored ? APT_KEYRING_ARMORED : APT_KEYRING_BINARY, content, isArmored };
    } else if (repository.keyUrl !== undefined) {
      // Cloudflare serves a binary keyring (cloudflare-main.gpg), and a mirror of it serves the same file.
      key = { path: APT_KEYRING_BINARY, url: repository.keyUrl };
    } else {
      throw new InternalError(`host ${host.name}: apt repository without a key`);
    }
    const format = osFacts(host.platform.os).aptSourceFormat;
    if (!format) throw new InternalError(`host ${host.name}: ${host.platform.os} has no apt source format`);
    return {
      family: 'debian',
      sourceFile: { path: APT_SOURCE_PATHS[format], content: aptSource(format, repository.url, key.path, fingerprints) },
      staleSourceFiles: Object.entries(APT_SOURCE_PATHS).flatMap(([other, path]) => (other === format ? [] : [path])),
      key,
      ...(version === undefined ? {} : { holdFile: { path: APT_PREFERENCES_PATH, content: aptHold(version) } }),
      packageSpec: version === undefined ? 'cloudflared' : `cloudflared=${version}`,
      ...pinned,
      refresh: ['apt-get', 'update'],
      installedQuery: ['dpkg-query', '--show', '--showformat=${db:Status-Status} ${Version}', 'cloudflared'],
    };
  }

  let gpgkey: string;
  let key: PackageSource['key'];
  if (repository.key) {
    key = { path: RPM_KEY_PATH, content: repository.key.content, isArmored: repository.key.isArmored };
    gpgkey = `file://${RPM_KEY_PATH}`;
  } else if (repository.keyUrl !== undefined && fingerprints.length > 0) {
    // Pinned: the host downloads the key itself and checks it before dnf may import it.
    const script = { path: KEY_CHECK_SCRIPT, content: readGeneratorFile('common/cloudflared-repository-key-check.sh') };
    key = { path: RPM_KEY_PATH, url: repository.keyUrl, check: { script, fingerprints } };
    gpgkey = `file://${RPM_KEY_PATH}`;
  } else if (repository.keyUrl !== undefined) {
    // dnf fetches it itself, and again whenever a package is signed by a key it has not imported (a rotation).
    gpgkey = repository.keyUrl;
  } else {
    throw new InternalError(`host ${host.name}: rpm repository without a key`);
  }
  const content = [
    `# ${GENERATED_HEADER}`,
    `[${YUM_REPO_ID}]`,
    `name=${YUM_REPO_ID}`,
    `baseurl=${repository.url}`,
    'enabled=1',
    'type=rpm',
    'gpgcheck=1',
    `gpgkey=${gpgkey}`,
    '',
  ].join('\n');
  return {
    family: 'rhel',
    sourceFile: { path: YUM_REPO_PATH, content },
    staleSourceFiles: [],
    ...(key ? { key } : {}),
    packageSpec: version === undefined ? 'cloudflared' : `cloudflared-${version}`,
    ...pinned,
    // --refresh: makecache alone keeps metadata until it expires (48 h), so a new release would stay unseen.
    refresh: ['dnf', 'makecache', '--refresh', '--repo', YUM_REPO_ID],
    installedQuery: ['rpm', '--query', '--queryformat=installed %{VERSION}', 'cloudflared'],
  };
}

function aptHold(version: string): string {
  return [
    `# ${GENERATED_HEADER}`,
    '# Holds cloudflared at the release fleet.yaml pins, up or down.',
    'Package: cloudflared',
    `Pin: version ${version}`,
    'Pin-Priority: 1001',
    '',
  ].join('\n');
}

/**
 * FACTS.md: the `any` suite works on every Debian and Ubuntu release; the same fields in either format. Signed-By
 * takes the keyring and, pinned, the fingerprints of the keys to accept from it (apt ≥ 1.8; commas or spaces): apt
 * itself then refuses a Release file signed by any other key.
 */
function aptSource(format: AptSourceFormat, url: string, keyring: string, fingerprints: readonly string[]): string {
  const lines =
    format === 'one-line'
      ? [`deb [signed-by=${[keyring, ...fingerprints].join(',')}] ${url} any main`]
      : ['Types: deb', `URIs: ${url}`, 'Suites: any', 'Components: main', `Signed-By: ${[keyring, ...fingerprints].join(' ')}`];
  return [`# ${GENERATED_HEADER}`, ...lines, ''].join('\n');
}

/** URLs end up in line-based files (apt sources, .repo): one with whitespace would add lines or fields. */
function assertUrl(url: string): void {
  if (!/^(https?|file):\/\/[^\s"'\\]+$/.test(url)) {
    throw new InternalError(`repository URL ${JSON.stringify(url)} is not a plain URL (the schema should have rejected it)`);
  }
}
