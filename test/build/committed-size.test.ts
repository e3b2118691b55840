/**
 * What users commit grows by a few hundred bytes per host, not by every shared file per host: a generated
 * 1,000-host fleet (named tunnels, short-lived certificates, package install, 10 groups), built for Chef and Ansible.
 * The shared files (unit, scripts, drop-ins) and settings exist once in the cookbook and the role; each host's data
 * carries only its own config.yml and the names of what it shares.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildFleet } from '../../src/build.js';
import { compileFleet } from '../../src/pipeline.js';
import { hostState } from '../../src/targets/common/host-state.js';
import type { FileSet } from '../../src/targets/fileset.js';

const HOSTS = 1000;
const dir = mkdtempSync(join(tmpdir(), 'fleetgen-size-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeManifest(changedHost?: number): string {
  mkdirSync(join(dir, 'secrets'), { recursive: true });
  const hosts: string[] = [];
  for (let i = 0; i < HOSTS; i++) {
    const id = `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
    const credentials = { AccountTag: '0123456789abcdef0123456789abcdef', TunnelSecret: Buffer.alloc(32, i % 251).toString('base64'), TunnelID: id };
    writeFileSync(join(dir, 'secrets', `${id}.json`), JSON.stringify(credentials));
    hosts.push(
      `  - { name: host-${i}, group: g${i % 10}, tunnel: { id: ${id}, credentials: { file: secrets/${id}.json } }, ` +
        `ingress: [ { service: "ssh://localhost:22" }, { hostname: web-${i}.example.com, service: "http://localhost:${i === changedHost ? 8081 : 8080}" } ] }`,
    );
  }
  const groups = Array.from({ length: 10 }, (_, g) => `  g${g}: { description: group ${g} }`).join('\n');
  const manifest =
    'version: 1\nfleet: bench\nzone: example.com\ndefaults:\n  cloudflared: { version: "2025.8.1", install: package }\n' +
    '  ssh: { shortLivedCerts: { caPublicKey: "ecdsa-sha2-nistp256 AAAAE2VjZHNh open-ssh-ca@cloudflareaccess.org" } }\n' +
    `groups:\n${groups}\nhosts:\n${hosts.join('\n')}\n`;
  writeFileSync(join(dir, 'fleet.yaml'), manifest);
  return join(dir, 'fleet.yaml');
}

function build(changedHost?: number): { files: FileSet; fleet: ReturnType<typeof compileFleet>['fleet'] } {
  const { fleet } = compileFleet(writeManifest(changedHost), { env: {} });
  return { fleet, files: buildFleet(fleet, { targets: ['chef', 'ansible'], options: {} }).files };
}

const { files, fleet } = build();
const committed = files.list().filter((f) => !f.isSecret && !f.path.endsWith('.gitignore'));
const perHost = (path: string): boolean => /\/(host-\d+)(\.json|\/cloudflared\.yml)$/.test(path);

describe('committed output of a 1,000-host fleet', () => {
  it('averages under 2 KB per host for Chef and Ansible together, secrets aside', () => {
    const bytes = committed.reduce((sum, f) => sum + Buffer.byteLength(f.content), 0);
    expect(bytes / HOSTS).toBeLessThan(2 * 1024);
  });

  it('keeps each host’s own data small: a data bag item and a host_vars file under 1 KB each', () => {
    const own = committed.filter((f) => perHost(f.path) && !f.path.includes('/nodes/'));
    expect(own.length).toBe(2 * HOSTS); // a data bag item and a host_vars file each
    for (const file of own) expect(Buffer.byteLength(file.content), file.path).toBeLessThan(1024);
  });

  it('carries no byte of a shared file in any host’s data: the unit and scripts exist once, in the cookbook and the role', () => {
    const state = hostState(must(fleet.hosts[0], 'the first host'));
    const shared = state.files.filter((f) => f.purpose === 'unit' || f.purpose === 'sshd-drop-in').concat(state.takeover.script, state.egressCheck.script);
    // The file's longest line: never the generated-by header every file has.
    const snippet = (content: string): string => must([...content.split('\n')].sort((a, b) => b.length - a.length)[0], 'a line');
    for (const file of committed.filter((f) => perHost(f.path))) {
      for (const s of shared) {
        expect(String(file.content), file.path).not.toContain(snippet(s.content));
        expect(String(file.content), file.path).not.toContain(JSON.stringify(snippet(s.content)).slice(1, -1));
      }
    }
    for (const s of shared) {
      expect(committed.filter((f) => f.path.includes('/files/') && f.content === s.content).map((f) => f.path.split('/')[0])).toEqual(['ansible', 'chef']);
    }
  });

  it('rewrites only the changed host’s data when one host changes', () => {
    const before = files.toRecord();
    const after = build(HOSTS / 2).files.toRecord();
    const changed = Object.keys(after).filter((path) => after[path] !== before[path]);
    expect(changed.sort()).toEqual([`ansible/inventory/host_vars/host-${HOSTS / 2}/cloudflared.yml`, `chef/data_bags/bench/host-${HOSTS / 2}.json`]);
    expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
  });
});

function must<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} is missing`);
  return value;
}
