import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { Host } from '../../../src/model/fleet.js';
import { renderConfigYaml } from '../../../src/targets/common/config-yaml.js';
import { hostState, renderSshdDropIn, renderUnit, UDP_BUFFERS_SYSCTL } from '../../../src/targets/common/host-state.js';
import { compileFleet } from '../../../src/pipeline.js';
import { sampleFleet } from '../../support/sample-fleet.js';

function host(name: string, change: (h: Host) => void = () => undefined): Host {
  const found = sampleFleet().hosts.find((h) => h.name === name);
  if (!found) throw new Error(`no host ${name} in the sample fleet`);
  change(found);
  return found;
}

/** The unit's [Service] settings, key → value (the last one wins, as in systemd). */
function unitSettings(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\n')
      .filter((line) => /^[A-Za-z]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

describe('config.yml tunnel options', () => {
  it('writes tag as the list of "key=value" strings cloudflared reads, not a mapping (which it refuses)', () => {
    const store = host('store-0001', (h) => (h.options = { ...h.options, tag: { site: 'store 0001', env: 'prod=eu' } }));
    const config = parse(renderConfigYaml(store)) as Record<string, unknown>;
    expect(config.tag).toEqual(['env=prod=eu', 'site=store 0001']);
    expect(renderConfigYaml(store)).toContain('tag:\n  - env=prod=eu\n  - site=store 0001\n');
  });
});

describe('the unit and the origins it must reach', () => {
  it('keeps /tmp private and home directories hidden when no origin lives there', () => {
    const unit = unitSettings(renderUnit(host('store-0001')));
    expect(unit.PrivateTmp).toBe('yes');
    expect(unit.ProtectHome).toBe('yes');
  });

  it('shares /tmp with a unix socket origin or a caPool under /tmp or /var/tmp, which PrivateTmp would hide', () => {
    const socket = host('store-0001', (h) => h.ingress.splice(1, 0, { hostname: 'a.example.com', service: 'unix:/tmp/app.sock', kind: 'unix', isCatchAll: false, isGeneratedHostname: false }));
    expect(unitSettings(renderUnit(socket))).toMatchObject({ PrivateTmp: 'no', ProtectHome: 'yes' });
    const ca = host('store-0001', (h) => (h.originRequest = { caPool: '/var/tmp/ca.pem' }));
    expect(unitSettings(renderUnit(ca))).toMatchObject({ PrivateTmp: 'no', ProtectHome: 'yes' });
  });

  it('makes home directories read-only instead of hidden for origins under /home, /root or /run/user', () => {
    for (const service of ['unix:/home/app/app.sock', 'unix+tls:/run/user/1000/app.sock', 'unix:/root/app.sock']) {
      const h = host('store-0001', (x) => x.ingress.splice(1, 0, { hostname: 'a.example.com', service, kind: 'unix', isCatchAll: false, isGeneratedHostname: false }));
      expect(unitSettings(renderUnit(h)), service).toMatchObject({ PrivateTmp: 'yes', ProtectHome: 'read-only' });
    }
    const ca = host('store-0001', (h) => (must(h.ingress[1]).originRequest = { caPool: '/home/ops/ca.pem' }));
    expect(unitSettings(renderUnit(ca)).ProtectHome).toBe('read-only');
    // /homework is not a home directory.
    const near = host('store-0001', (h) => (h.originRequest = { caPool: '/homework/ca.pem' }));
    expect(unitSettings(renderUnit(near)).ProtectHome).toBe('yes');
  });

  it('never writes a path from the manifest into the unit', () => {
    const hostile = host('store-0001', (h) => (h.originRequest = { caPool: '/home/x\nExecStartPre=/bin/sh -c id' }));
    expect(renderUnit(hostile)).not.toContain('ExecStartPre');
  });
});

describe('UDP buffers for QUIC', () => {
  it('raises net.core.rmem_max/wmem_max to the 7 MiB quic-go asks for, which the unit cannot force without CAP_NET_ADMIN', () => {
    const state = hostState(host('store-0001'));
    expect(state.files.find((f) => f.path === UDP_BUFFERS_SYSCTL)).toMatchObject({
      owner: 'root',
      group: 'root',
      mode: '0644',
      purpose: 'sysctl',
      notifies: 'sysctl',
      content: expect.stringContaining('net.core.rmem_max = 7340032\nnet.core.wmem_max = 7340032\n'),
    });
    expect(unitSettings(renderUnit(host('store-0001'))).CapabilityBoundingSet).toBe('');
  });

  it('leaves the kernel alone when the tunnel is pinned to HTTP/2', () => {
    const http2 = host('store-0001', (h) => (h.options = { protocol: 'http2' }));
    expect(hostState(http2).files.map((f) => f.path)).not.toContain(UDP_BUFFERS_SYSCTL);
  });
});

function must<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('missing');
  return value;
}

describe('sshd for short-lived certificates', () => {
  it('scopes AuthorizedPrincipalsFile to the mapped users, so that any other user keeps sshd\'s default', () => {
    const store = host('store-0001', (h) => (h.ssh.principals = { ops: ['alice'], deploy: ['bob'] }));
    expect(renderSshdDropIn(store)).toBe(
      [
        '# Generated by fleetgen — do not edit; edit fleet.yaml and rebuild.',
        '# Trust the Cloudflare Access SSH CA: users log in with short-lived certificates.',
        'PubkeyAuthentication yes',
        'TrustedUserCAKeys /etc/ssh/cloudflare-access-ca.pub',
        "# Which certificate principals may log in as which local user; other users: the principal is the user name.",
        'Match User ops,deploy',
        '    AuthorizedPrincipalsFile /etc/ssh/auth_principals/%u',
        '',
      ].join('\n'),
    );
    // The Match block is the last thing in the file: nothing global may follow it.
    const lines = renderSshdDropIn(store).trimEnd().split('\n');
    expect(lines.slice(lines.findIndex((l) => l.startsWith('Match ')) + 1).every((l) => l.startsWith('    '))).toBe(true);
    // Without principals, no AuthorizedPrincipalsFile at all.
    expect(renderSshdDropIn(host('store-0001', (h) => (h.ssh.principals = {})))).not.toContain('AuthorizedPrincipalsFile');
  });

  it('creates /etc/ssh/sshd_config.d where sshd is configured: RHEL 8 does not ship it, and a drop-in there would fail', () => {
    const dropIns = { path: '/etc/ssh/sshd_config.d', owner: 'root', group: 'root', mode: '0755' };
    expect(hostState(host('pos-legacy')).directories).toContainEqual(dropIns);
    expect(hostState(host('store-0001')).directories).toContainEqual(dropIns);
    // Lockdown alone configures sshd too.
    expect(hostState(host('lab-pi-3')).directories).toContainEqual(dropIns);
    expect(hostState(host('kiosk-17')).directories).not.toContainEqual(dropIns);
  });
});

describe('a locally managed tunnel without ingress rules', () => {
  it('still gets the catch-all: `ingress: []` fails the ingress validate every target runs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetgen-no-ingress-'));
    try {
      const id = '11111111-1111-4111-8111-111111111111';
      const credentials = JSON.stringify({ AccountTag: 'a'.repeat(32), TunnelSecret: Buffer.from('s'.repeat(32)).toString('base64'), TunnelID: id });
      writeFileSync(join(dir, 'fleet.yaml'), `version: 1\nfleet: acme\nzone: example.com\ndefaults: { cloudflared: { version: "2025.8.1" } }\nhosts:\n  - name: store-1\n    tunnel: { id: ${id}, credentials: { env: CREDENTIALS } }\n`);
      const named = must(compileFleet(join(dir, 'fleet.yaml'), { env: { CREDENTIALS: credentials } }).fleet.hosts[0]);
      expect(named.ingress).toEqual([{ service: 'http_status:404', kind: 'status', isCatchAll: true, isGeneratedHostname: false }]);
      expect(parse(renderConfigYaml(named))).toMatchObject({ ingress: [{ service: 'http_status:404' }] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
