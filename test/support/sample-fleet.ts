/**
 * A hand-built Fleet model covering every tunnel mode, install method, both OS families, several arches and
 * short-lived certificates on and off — for target tests that must not depend on the loader.
 * Secrets here are fake and exist only in tests.
 */
import type { Fleet, Host, HostPaths } from '../../src/model/fleet.js';

const paths = (extra: Partial<HostPaths>): HostPaths => ({
  configDir: '/etc/cloudflared',
  config: '/etc/cloudflared/config.yml',
  unit: '/etc/systemd/system/cloudflared.service',
  sshCaKey: '/etc/ssh/cloudflare-access-ca.pub',
  sshdDropIn: '/etc/ssh/sshd_config.d/50-cloudflare-access.conf',
  principalsDir: '/etc/ssh/auth_principals',
  sshdLockdownDropIn: '/etc/ssh/sshd_config.d/60-cloudflared-lockdown.conf',
  ...extra,
});

export const FAKE_TUNNEL_SECRET = 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldC0xMjM0';
export const FAKE_TOKEN = Buffer.from(
  JSON.stringify({ a: '0123456789abcdef0123456789abcdef', t: '9b1c6f5e-3d2a-4c8b-9e7f-1a2b3c4d5e6f', s: 'dG9rZW4tc2VjcmV0LXRva2VuLXNlY3JldA==' }),
).toString('base64');
export const FAKE_CERT_PEM = `-----BEGIN ARGO TUNNEL TOKEN-----\n${Buffer.from(
  JSON.stringify({ zoneID: 'z0ne', accountID: '0123456789abcdef0123456789abcdef', apiToken: 'api-token-secret-value', endpoint: '' }),
).toString('base64')}\n-----END ARGO TUNNEL TOKEN-----\n`;
const CA_KEY = 'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBFAKEKEYFAKEKEYFAKEKEY= open-ssh-ca@cloudflareaccess.org';

const store: Host = {
  name: 'store-0001',
  state: 'active',
  group: 'stores',
  platform: { os: 'ubuntu-22.04', family: 'debian', arch: 'arm64' },
  cloudflared: {
    method: 'binary',
    version: '2025.8.1',
    binaryPath: '/usr/local/bin/cloudflared',
    download: {
      url: 'https://github.com/cloudflare/cloudflared/releases/download/2025.8.1/cloudflared-linux-arm64',
      sha256: 'aa'.repeat(32),
    },
  },
  tunnel: {
    mode: 'named',
    managedBy: 'terraform',
    id: '6ff42ae2-765d-4adf-8112-31c55c1551ef',
    accountTag: '0123456789abcdef0123456789abcdef',
    credentials: {
      origin: { kind: 'file', file: 'secrets/6ff42ae2-765d-4adf-8112-31c55c1551ef.json' },
      value: JSON.stringify({ AccountTag: '0123456789abcdef0123456789abcdef', TunnelSecret: FAKE_TUNNEL_SECRET, TunnelID: '6ff42ae2-765d-4adf-8112-31c55c1551ef' }),
    },
  },
  ingress: [
    { hostname: 'amber-harbor.example.com', service: 'ssh://localhost:22', kind: 'ssh', isCatchAll: false, isGeneratedHostname: true },
    { hostname: 'store-0001-web.example.com', service: 'http://localhost:8080', kind: 'http', isCatchAll: false, isGeneratedHostname: false, originRequest: { connectTimeout: '10s' } },
    { service: 'http_status:404', kind: 'status', isCatchAll: true, isGeneratedHostname: false },
  ],
  options: { loglevel: 'info', protocol: 'quic' },
  metrics: '127.0.0.1:20241',
  lockdown: false,
  ssh: { port: 22, user: 'ops', hostnames: ['amber-harbor.example.com'], shortLivedCerts: { caPublicKey: CA_KEY, isCaFromTerraform: true }, principals: { ops: ['alice', 'bob'] } },
  access: { policies: ['ops', 'deploy'], sessionDuration: '8h' },
  terraformModule: 'group-stores',
  paths: paths({ credentials: '/etc/cloudflared/6ff42ae2-765d-4adf-8112-31c55c1551ef.json' }),
};

const kiosk: Host = {
  name: 'kiosk-17',
  state: 'active',
  group: 'kiosks',
  platform: { os: 'rhel-9', family: 'rhel', arch: 'amd64' },
  cloudflared: {
    method: 'package',
    version: '2025.8.1',
    binaryPath: '/usr/bin/cloudflared',
    repository: { url: 'https://pkg.cloudflare.com/cloudflared/rpm', keyUrl: 'https://pkg.cloudflare.com/cloudflare-ascii-pubkey.gpg' },
  },
  tunnel: {
    mode: 'token',
    managedBy: 'external',
    id: '9b1c6f5e-3d2a-4c8b-9e7f-1a2b3c4d5e6f',
    accountTag: '0123456789abcdef0123456789abcdef',
    token: { origin: { kind: 'env', env: 'KIOSK17_TUNNEL_TOKEN' }, value: FAKE_TOKEN },
  },
  ingress: [],
  options: {},
  metrics: '127.0.0.1:20241',
  lockdown: false,
  ssh: { port: 22, hostnames: [], principals: {} },
  access: { policies: ['ops'] },
  terraformModule: 'group-kiosks',
  paths: paths({ tokenEnv: '/etc/cloudflared/tunnel-token.env' }),
};

const KIOSK_18_TUNNEL = '5c2d8e1f-7a4b-4c3d-9e8f-0a1b2c3d4e5f';
/** A remotely managed tunnel that Terraform creates, whose ingress Terraform writes as the tunnel's configuration. */
const kioskScreen: Host = {
  name: 'kiosk-18',
  state: 'active',
  group: 'kiosks',
  platform: { os: 'debian-12', family: 'debian', arch: 'arm64' },
  cloudflared: {
    method: 'package',
    version: '2025.8.1',
    binaryPath: '/usr/bin/cloudflared',
    repository: { url: 'https://pkg.cloudflare.com/cloudflared', keyUrl: 'https://pkg.cloudflare.com/cloudflare-main.gpg' },
  },
  tunnel: {
    mode: 'token',
    managedBy: 'terraform',
    id: KIOSK_18_TUNNEL,
    accountTag: '0123456789abcdef0123456789abcdef',
    token: {
      origin: { kind: 'file', file: 'secrets/terraform/group-kiosks.json' },
      value: Buffer.from(JSON.stringify({ a: '0123456789abcdef0123456789abcdef', t: KIOSK_18_TUNNEL, s: 'a2lvc2stMTgtdG9rZW4tc2VjcmV0LXZhbHVlLTEyMzQ=' })).toString('base64'),
    },
  },
  ingress: [
    {
      hostname: 'kiosk-18.example.com',
      path: '^/screen/',
      service: 'https://localhost:8443',
      kind: 'http',
      isCatchAll: false,
      isGeneratedHostname: false,
      originRequest: { connectTimeout: '1m30s', noTLSVerify: true, originServerName: 'kiosk.internal', access: { required: true, teamName: 'acme', audTag: ['ab'.repeat(32)] } },
    },
    { service: 'http_status:404', kind: 'status', isCatchAll: true, isGeneratedHostname: false },
  ],
  originRequest: { keepAliveTimeout: '90s', http2Origin: true },
  options: {},
  metrics: '127.0.0.1:20241',
  lockdown: false,
  ssh: { port: 22, hostnames: [], principals: {} },
  access: { policies: ['ops'] },
  terraformModule: 'group-kiosks',
  paths: paths({ tokenEnv: '/etc/cloudflared/tunnel-token.env' }),
};

/** The lockdown probe's Access service token (fake): what Terraform's shared module outputs as service_tokens. */
export const FAKE_PROBE_TOKEN_ID = '5e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b.access';
export const FAKE_PROBE_TOKEN_SECRET = 'fake-probe-secret-0f1e2d3c4b5a69788796a5b4c3d2e1f0';

const pi: Host = {
  name: 'lab-pi-3',
  state: 'active',
  group: 'lab',
  platform: { os: 'debian-12', family: 'debian', arch: 'armhf' },
  cloudflared: {
    method: 'package',
    version: '2025.8.1',
    binaryPath: '/usr/bin/cloudflared',
    repository: { url: 'https://mirror.internal/cloudflared/deb', keyUrl: 'https://mirror.internal/cloudflared/cloudflare-main.gpg' },
  },
  tunnel: {
    mode: 'self-register',
    name: 'acme-pos-lab-pi-3',
    originCert: { origin: { kind: 'file', file: 'secrets/cert.pem' }, value: FAKE_CERT_PEM },
    keepsOriginCert: false,
  },
  ingress: [
    { hostname: 'quiet-meadow.example.com', service: 'ssh://localhost:22', kind: 'ssh', isCatchAll: false, isGeneratedHostname: true },
    { service: 'http_status:404', kind: 'status', isCatchAll: true, isGeneratedHostname: false },
  ],
  options: {},
  metrics: '127.0.0.1:20241',
  lockdown: true,
  lockdownProbe: { serviceToken: 'lockdown-probe', hostname: 'quiet-meadow.example.com', tokenId: FAKE_PROBE_TOKEN_ID, tokenSecret: FAKE_PROBE_TOKEN_SECRET },
  ssh: { port: 22, hostnames: ['quiet-meadow.example.com'], principals: {} },
  access: { policies: ['ops'] },
  terraformModule: 'group-lab',
  paths: paths({ credentials: '/etc/cloudflared/acme-pos-lab-pi-3.json', originCert: '/etc/cloudflared/cert.pem' }),
};

const legacy: Host = {
  name: 'pos-legacy',
  state: 'active',
  platform: { os: 'rhel-8', family: 'rhel', arch: '386' },
  cloudflared: { method: 'preinstalled', binaryPath: '/opt/cloudflared/bin/cloudflared' },
  tunnel: {
    mode: 'named',
    managedBy: 'external',
    id: '11111111-2222-4333-8444-555555555555',
    accountTag: '0123456789abcdef0123456789abcdef',
    credentials: {
      origin: { kind: 'env', env: 'POS_LEGACY_CREDENTIALS' },
      value: JSON.stringify({ AccountTag: '0123456789abcdef0123456789abcdef', TunnelSecret: FAKE_TUNNEL_SECRET, TunnelID: '11111111-2222-4333-8444-555555555555' }),
    },
  },
  ingress: [
    { hostname: 'legacy-ssh.example.com', service: 'ssh://127.0.0.1:2222', kind: 'ssh', isCatchAll: false, isGeneratedHostname: false },
    { hostname: '*.apps.example.com', path: '^/api/.*$', service: 'https://localhost:8443', kind: 'http', isCatchAll: false, isGeneratedHostname: false, originRequest: { noTLSVerify: true } },
    { service: 'http_status:503', kind: 'status', isCatchAll: true, isGeneratedHostname: false },
  ],
  originRequest: { connectTimeout: '30s' },
  options: { 'edge-ip-version': '6' },
  metrics: '127.0.0.1:20242',
  lockdown: false,
  ssh: { port: 2222, hostnames: ['legacy-ssh.example.com'], shortLivedCerts: { caPublicKey: CA_KEY, isCaFromTerraform: false }, principals: {} },
  // No policies: its SSH hostname gets no Access application (the Terraform target warns).
  access: { policies: [] },
  terraformModule: 'ungrouped',
  paths: paths({ credentials: '/etc/cloudflared/11111111-2222-4333-8444-555555555555.json' }),
};

export function sampleFleet(): Fleet {
  return structuredClone({
    name: 'acme-pos',
    zone: 'example.com',
    cookbookName: 'acme_pos',
    roleName: 'acme_pos',
    groups: [
      { name: 'kiosks', description: 'Self-service kiosks', hosts: ['kiosk-17'] },
      { name: 'lab', hosts: ['lab-pi-3'] },
      { name: 'stores', description: 'Point-of-sale servers', hosts: ['store-0001'] },
    ],
    hosts: [kiosk, pi, legacy, store].sort((a, b) => (a.name < b.name ? -1 : 1)),
    client: { serviceToken: { idEnv: 'CF_ACCESS_CLIENT_ID', secretEnv: 'CF_ACCESS_CLIENT_SECRET' }, sshUser: 'ops' },
    cloudflare: { accountId: '0123456789abcdef0123456789abcdef', split: 'group', outputsDir: 'secrets/terraform' },
    access: {
      policies: [
        { name: 'deploy', decision: 'non_identity', include: { serviceTokens: ['ci'] } },
        {
          name: 'ops',
          decision: 'allow',
          include: {
            emails: ['alice@example.com', 'bob@example.com'],
            emailDomains: ['ops.example.com'],
            identityProviderGroups: [{ provider: 'okta', identityProviderId: '0d7f1c2e-3b4a-4c5d-8e6f-7a8b9c0d1e2f', group: 'sre' }],
          },
          require: { emailDomains: ['example.com'] },
          exclude: { emails: ['mallory@example.com'] },
          sessionDuration: '12h',
        },
      ],
      serviceTokens: [{ name: 'ci', duration: '8760h' }],
    },
  } satisfies Fleet);
}

/**
 * The sample fleet plus kiosk-18, a token tunnel Terraform creates, with ingress (no SSH) that Terraform writes as
 * the tunnel's remote configuration: for the Terraform target, which the other targets' tests need not see.
 */
export function sampleFleetWithRemoteIngress(): Fleet {
  const fleet = sampleFleet();
  fleet.hosts = [...fleet.hosts, structuredClone(kioskScreen)].sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const group of fleet.groups) if (group.name === 'kiosks') group.hosts = ['kiosk-17', 'kiosk-18'];
  return fleet;
}

/** A copy of `fleet` in which host `host`'s http:// ingress rule goes to `port` (a change that reaches only that host). */
export function withPort(fleet: Fleet, host: string, port: number): Fleet {
  const changed = structuredClone(fleet);
  const rule = changed.hosts.find((h) => h.name === host)?.ingress.find((r) => r.kind === 'http');
  if (!rule) throw new Error(`${host} has no http rule`);
  rule.service = `http://localhost:${port}`;
  return changed;
}
