import { describe, expect, it } from 'vitest';
import { assignHostnames, type HostnameRequest } from '../../src/hostnames/assign.js';
import { diffLockfiles, frozenLockfileDiagnostics } from '../../src/hostnames/frozen.js';
import { parseLockfile, serializeLockfile, type Lockfile } from '../../src/hostnames/lockfile.js';

const SSH = { service: 'ssh://localhost:22' };
const API = { service: 'http://localhost:8080', path: '^/api' };

const run = (requests: HostnameRequest[], lock: Lockfile | undefined, options: { taken?: string[]; zone?: string } = {}) =>
  assignHostnames({ fleet: 'acme-pos', zone: options.zone ?? 'example.com', requests, taken: new Set(options.taken ?? []), lock });

const BASE: HostnameRequest[] = [
  { host: 'store-0001', rules: [SSH, API] },
  { host: 'store-0002', rules: [SSH] },
];

function readBack(lock: Lockfile) {
  const parsed = parseLockfile(serializeLockfile(lock), 'fleet.lock.yaml');
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.diagnostics));
  return parsed;
}

describe('--frozen-lockfile', () => {
  it('finds nothing when the run changes nothing', () => {
    const { lock, source } = readBack(run(BASE, undefined).lock);
    const again = run(BASE, lock);
    expect(again.changed).toBe(false);
    expect(frozenLockfileDiagnostics(lock, again.lock, 'fleet.lock.yaml', source)).toEqual([]);
  });

  it('names each added, dropped and renamed entry, located in the lock file', () => {
    const { lock, source } = readBack(run(BASE, undefined).lock);
    const renamed = lock.hosts['store-0001']?.['ssh://localhost:22'] ?? '';
    const after = run([{ host: 'store-0001', rules: [SSH] }, { host: 'store-0003', rules: [SSH] }], lock, { taken: [renamed] });
    const diagnostics = frozenLockfileDiagnostics(lock, after.lock, 'fleet.lock.yaml', source);
    expect(diagnostics.map((d) => [d.code, d.line, d.path])).toEqual([
      ['lockfile.frozen', 8, 'hosts.store-0001["http://localhost:8080 path=^/api"]'],
      ['lockfile.frozen', 9, 'hosts.store-0001["ssh://localhost:22"]'],
      ['lockfile.frozen', 11, 'hosts.store-0002["ssh://localhost:22"]'],
      // Not in the lock yet: points at hosts, the nearest thing that is.
      ['lockfile.frozen', 7, 'hosts.store-0003["ssh://localhost:22"]'],
    ]);
    expect(diagnostics.map((d) => d.message)).toEqual([
      expect.stringMatching(/no longer needs a generated hostname.*would drop when-hit\.example\.com/),
      expect.stringMatching(new RegExp(`records ${renamed.replace(/\./g, '\\.')}, but this run would use `)),
      expect.stringMatching(/would drop salt-felt\.example\.com/),
      expect.stringMatching(/no hostname is recorded for this rule; this run would record [a-z]+-[a-z]+\.example\.com/),
    ]);
    expect(diagnostics[0]?.hint).toBe('run fleetgen without --frozen-lockfile and commit the updated fleet.lock.yaml');
  });

  it('reports a missing lock file only when names must be recorded', () => {
    expect(frozenLockfileDiagnostics(undefined, run(BASE, undefined).lock, 'fleet.lock.yaml')).toEqual([
      expect.objectContaining({ code: 'lockfile.frozen', line: 1, column: 1, path: '', message: 'does not exist, but 3 generated hostname(s) must be recorded in it' }),
    ]);
    expect(frozenLockfileDiagnostics(undefined, run([{ host: 'a', rules: [] }], undefined).lock, 'fleet.lock.yaml')).toEqual([]);
  });

  it('reports a zone change', () => {
    const { lock, source } = readBack(run(BASE, undefined).lock);
    const after = run(BASE, lock, { zone: 'example.org' });
    const [zone] = frozenLockfileDiagnostics(lock, after.lock, 'fleet.lock.yaml', source);
    expect(zone).toMatchObject({ line: 5, path: 'zone', message: "records zone example.com, but the manifest's zone is example.org" });
  });

  it('counts a host recorded with no rules as a change, as the text does', () => {
    const before: Lockfile = { version: 1, fleet: 'acme-pos', zone: 'example.com', hosts: { empty: {} } };
    const after = run([], before);
    expect(after.changed).toBe(true);
    expect(diffLockfiles(before, after.lock)).toEqual([{ kind: 'removed', path: ['hosts', 'empty'] }]);
  });

  it('fails exactly when changed is true', () => {
    const first = run(BASE, undefined).lock;
    const scenarios: [HostnameRequest[], Lockfile | undefined, { taken?: string[]; zone?: string }][] = [
      [BASE, undefined, {}],
      [[], undefined, {}],
      [BASE, first, {}],
      [[...BASE].reverse(), first, {}],
      [BASE.slice(1), first, {}],
      [[...BASE, { host: 'store-0003', rules: [SSH] }], first, {}],
      [BASE, first, { zone: 'example.org' }],
      [BASE, first, { taken: [first.hosts['store-0002']?.['ssh://localhost:22'] ?? ''] }],
      [[], first, {}],
    ];
    for (const [requests, lock, options] of scenarios) {
      const result = run(requests, lock, options);
      expect(diffLockfiles(lock, result.lock).length > 0).toBe(result.changed);
      if (lock) expect(serializeLockfile(result.lock) !== serializeLockfile(lock)).toBe(result.changed);
    }
  });
});
