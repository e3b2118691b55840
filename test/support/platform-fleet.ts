/**
 * One host per supported operating system, built from model/platforms.ts's table, so that an OS added there is
 * covered by every test that runs this fleet. What differs between OSes is what the hosts exercise: a package
 * install (apt source format or yum .repo, key handling), short-lived certificates (sshd drop-ins, RHEL 8's
 * Include) and lockdown (the sshd service name). Secrets here are fake and exist only in tests.
 */
import type { Fleet, Host, OsId } from '../../src/model/fleet.js';
import { OS_FACTS } from '../../src/model/platforms.js';
import { sampleFleet } from './sample-fleet.js';

/** The supported OS ids, in the schema's order. */
export const SUPPORTED_OS = Object.keys(OS_FACTS) as OsId[];

/** `on-debian-13`, `on-ubuntu-24-04`: a host name for an OS id. */
export const platformHostName = (os: OsId): string => `on-${os.replace(/\./g, '-')}`;

export function platformFleet(): Fleet {
  const sample = sampleFleet();
  const template = sample.hosts.find((h) => h.name === 'store-0001');
  if (!template) throw new Error('store-0001 is missing from the sample fleet');
  const hosts = SUPPORTED_OS.map((os, i): Host => {
    const family = OS_FACTS[os].family;
    const name = platformHostName(os);
    const host = structuredClone(template);
    const hostname = `${name}.example.com`;
    return {
      ...host,
      name,
      group: 'platforms',
      platform: { os, family, arch: 'amd64' },
      // Half of them from Cloudflare's repository (key by URL), half from a mirror with the manifest's own key.
      cloudflared: {
        method: 'package',
        version: '2025.8.1',
        binaryPath: '/usr/bin/cloudflared',
        repository:
          i % 2 === 0
            ? family === 'rhel'
              ? { url: 'https://pkg.cloudflare.com/cloudflared/rpm', keyUrl: 'https://pkg.cloudflare.com/cloudflare-ascii-pubkey.gpg' }
              : { url: 'https://pkg.cloudflare.com/cloudflared', keyUrl: 'https://pkg.cloudflare.com/cloudflare-main.gpg' }
            : { url: `https://mirror.internal/cloudflared/${family === 'rhel' ? 'rpm' : 'deb'}`, key: { file: 'keys/mirror.asc', content: Buffer.from(MIRROR_KEY), isArmored: true } },
      },
      ingress: [
        { hostname, service: 'ssh://localhost:22', kind: 'ssh', isCatchAll: false, isGeneratedHostname: false },
        { service: 'http_status:404', kind: 'status', isCatchAll: true, isGeneratedHostname: false },
      ],
      lockdown: i % 2 === 1,
      ...(i % 2 === 1 ? { lockdownProbe: { serviceToken: 'lockdown-probe', hostname, tokenId: 'fake-probe-id.access', tokenSecret: 'fake-probe-secret' } } : {}),
      ssh: { ...host.ssh, hostnames: [hostname] },
    };
  });
  return { ...sample, groups: [{ name: 'platforms', hosts: hosts.map((h) => h.name).sort() }], hosts: hosts.sort((a, b) => (a.name < b.name ? -1 : 1)) };
}

const MIRROR_KEY = '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQENBFakekeyArmoredOnlyForTests\n-----END PGP PUBLIC KEY BLOCK-----\n';
