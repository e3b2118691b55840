import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { Host } from '../../../src/model/fleet.js';
import { renderConfigYaml } from '../../../src/targets/common/config-yaml.js';
import { hostState, renderUnit, UDP_BUFFERS_SYSCTL } from '../../../src/targets/common/host-state.js';
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
