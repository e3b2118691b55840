/**
 * How cloudflared gets onto each host (FACTS.md, "Installing"): a binary install must pin a version and a sha256
 * for every arch (cloudflared publishes no checksum file), a package install should pin a version, and the mirror
 * and repository key must fit the method.
 */
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { quote } from '../../diagnostics/diagnostic.js';
import type { ManifestPath } from '../../load/source-map.js';
import type { EffectiveSettings } from '../../model/merge.js';
import { checkOpenPgpPublicKey, normalizeFingerprint, primaryKeyFingerprints } from '../openpgp.js';
import { describeHosts, describeReference, goesWithChoice, readReference, type FleetRule, type HostContext, type HostRule } from './context.js';
import { HostsByPlace } from './hosts-by-place.js';

const INSTALL: readonly string[] = ['cloudflared', 'install'];
const DEFAULT_ARCH = 'amd64';

export const checkBinaryInstalls: FleetRule = ({ hosts, source }) => {
  const missingVersion = new HostsByPlace();
  const missingSha256 = new HostsByPlace();
  for (const host of hosts) {
    const cloudflared = host.settings.cloudflared ?? {};
    if (cloudflared.install !== 'binary') continue;
    const installedAt = host.originOf(INSTALL);
    if (cloudflared.version === undefined) missingVersion.add(installedAt, '', host.host.name);
    const arch = host.settings.platform?.arch ?? DEFAULT_ARCH;
    if (cloudflared.sha256?.[arch] === undefined) {
      missingSha256.add(cloudflared.sha256 ? host.originOf(['cloudflared', 'sha256']) : installedAt, arch, host.host.name);
    }
  }
  return [
    ...missingVersion.entries().map(({ path, hosts: names }) =>
      source.error(
        'cloudflared.binary-version',
        path,
        `install: binary needs a version (for ${describeHosts(names)})`,
        'add version: the cloudflared release to download, e.g. "2025.8.1" (quoted)',
      ),
    ),
    ...missingSha256.entries().map(({ path, detail: arch, hosts: names }) =>
      source.error(
        'cloudflared.binary-sha256',
        path,
        `install: binary has no sha256 for arch ${quote(arch)}, needed by ${describeHosts(names)}`,
        `add cloudflared.sha256.${arch}: the SHA-256 of cloudflared-linux-${arch} from the release notes (cloudflared publishes no checksum file)`,
      ),
    ),
  ];
};

export const checkInstallSettings: HostRule = (fleet, host) => {
  const { source } = fleet;
  const cloudflared = host.settings.cloudflared ?? {};
  const install = cloudflared.install ?? 'package';
  const out: Diagnostic[] = [];
  if (install === 'package' && cloudflared.version === undefined) {
    out.push(
      source.warning(
        'cloudflared.unpinned',
        unpinnedPlace(fleet, host),
        'cloudflared is not pinned to a version: install: package takes whatever the repository holds at each converge',
        'add cloudflared.version, e.g. "2025.8.1", so every host runs the same reviewed release',
      ),
    );
  }
  if (cloudflared.mirror !== undefined && install === 'preinstalled') {
    const path = host.originOf(['cloudflared', 'mirror']);
    if (goesWithChoice(host, path, INSTALL)) {
      out.push(source.warning('cloudflared.mirror-unused', path, 'mirror is not used: install: preinstalled downloads nothing', 'remove mirror, or choose install: package or binary', 'key'));
    }
  }
  if (cloudflared.repositoryKey !== undefined) {
    const path = host.originOf(['cloudflared', 'repositoryKey']);
    if (install !== 'package') {
      if (goesWithChoice(host, path, INSTALL)) {
        out.push(
          source.warning(
            'cloudflared.repository-key-unused',
            path,
            `repositoryKey is not used: it signs a package repository, and install is ${install}`,
            'remove repositoryKey, or choose install: package',
            'key',
          ),
        );
      }
    } else if (cloudflared.mirror === undefined) {
      out.push(
        source.warning(
          'cloudflared.repository-key-without-mirror',
          path,
          "repositoryKey is given without a mirror: Cloudflare's own repository is signed with Cloudflare's key, not this one",
          'set mirror to the repository this key signs, or remove repositoryKey',
          'key',
        ),
      );
    }
    out.push(...checkRepositoryKey(fleet, path, cloudflared.repositoryKey.file, cloudflared.repositoryKeyFingerprints));
    if (cloudflared.repositoryKeyUrl !== undefined) {
      out.push(
        source.error(
          'cloudflared.repository-key-twice',
          host.originOf(['cloudflared', 'repositoryKeyUrl']),
          'repositoryKeyUrl and repositoryKey both name the repository key',
          'keep one: repositoryKey ships the key with the artifacts, repositoryKeyUrl has each host fetch it',
          'key',
        ),
      );
    }
  }
  for (const key of ['repositoryKeyUrl', 'repositoryKeyFingerprints'] as const) {
    if (cloudflared[key] === undefined || install === 'package') continue;
    const path = host.originOf(['cloudflared', key]);
    if (goesWithChoice(host, path, INSTALL)) {
      out.push(source.warning('cloudflared.repository-key-unused', path, `${key} is not used: it is about a package repository, and install is ${install}`, `remove ${key}, or choose install: package`, 'key'));
    }
  }
  return out;
};

/** The most specific place that could hold the version; a fleet without any cloudflared settings is told once. */
function unpinnedPlace(fleet: HostContext, host: EffectiveSettings): ManifestPath {
  if (host.settings.cloudflared?.install !== undefined) return host.originOf(INSTALL);
  if (host.settings.cloudflared !== undefined) return host.originOf(['cloudflared']);
  return fleet.frame.defaults ? ['defaults'] : [];
}

function checkRepositoryKey(fleet: HostContext, path: ManifestPath, file: string, pinned: readonly string[] | undefined): Diagnostic[] {
  const ref = { file };
  const read = readReference(fleet, path, ref, 'cloudflared.repository-key-unreadable');
  if (!read.ok) return [read.diagnostic];
  const key = checkOpenPgpPublicKey(read.bytes);
  if (!key.ok) return [fleet.source.error('cloudflared.repository-key-invalid', [...path, 'file'], `repositoryKey ${describeReference(ref)} ${key.message}`, key.hint)];
  if (!pinned) return [];
  // The same rule the hosts apply to a downloaded key: every key in the file is pinned (rpm trusts them all).
  const found = primaryKeyFingerprints(read.bytes);
  const allowed = new Set(pinned.map(normalizeFingerprint));
  const message = !found.ok ? found.message : found.fingerprints.filter((f) => !allowed.has(f)).map((f) => `holds key ${f}, which repositoryKeyFingerprints does not pin`)[0];
  if (message === undefined) return [];
  return [
    fleet.source.error(
      'cloudflared.repository-key-fingerprint',
      [...path, 'file'],
      `repositoryKey ${describeReference(ref)} ${message}`,
      'pin the fingerprint of the key that signs the repository (gpg --show-keys FILE), or reference the right key',
    ),
  ];
}
