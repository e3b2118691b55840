import { describe, expect, it } from 'vitest';
import { InternalError } from '../../src/diagnostics/diagnostic.js';
import { assignHostnames, lockWarningDiagnostics, type HostnameRequest } from '../../src/hostnames/assign.js';
import { candidateHostname } from '../../src/hostnames/candidate.js';
import { parseLockfile, serializeLockfile, type Lockfile } from '../../src/hostnames/lockfile.js';
import { ruleKeys } from '../../src/hostnames/rule-key.js';
import { defaultHostnameWords } from '../../src/hostnames/words.js';

const SSH = { service: 'ssh://localhost:22' };
const API = { service: 'http://localhost:8080', path: '^/api' };
const FIVE_WORDS = ['amber', 'birch', 'cedar', 'delta', 'ember'];

function assign(
  requests: HostnameRequest[],
  options: { lock?: Lockfile; taken?: string[]; words?: readonly string[]; zone?: string; fleet?: string } = {},
) {
  return assignHostnames({
    fleet: options.fleet ?? 'acme-pos',
    zone: options.zone ?? 'example.com',
    requests,
    taken: new Set(options.taken ?? []),
    lock: options.lock,
    ...(options.words ? { words: options.words } : {}),
  });
}

const hosts = (...names: string[]): HostnameRequest[] => names.map((host) => ({ host, rules: [SSH] }));
const nameOf = (result: ReturnType<typeof assign>, host: string, index = 0): string | undefined => result.names.get(host)?.[index];

describe('assignHostnames', () => {
  it('gives the pinned names to a known fleet', () => {
    const result = assign([
      { host: 'store-0001', rules: [SSH, API] },
      { host: 'store-0002', rules: [SSH] },
    ]);
    expect(Object.fromEntries(result.names)).toEqual({
      'store-0001': ['explore-obtain.example.com', 'when-hit.example.com'],
      'store-0002': ['salt-felt.example.com'],
    });
    expect(result.lock).toEqual({
      version: 1,
      fleet: 'acme-pos',
      zone: 'example.com',
      hosts: {
        'store-0001': { 'ssh://localhost:22': 'explore-obtain.example.com', 'http://localhost:8080 path=^/api': 'when-hit.example.com' },
        'store-0002': { 'ssh://localhost:22': 'salt-felt.example.com' },
      },
    });
    expect(result.warnings).toEqual([]);
  });

  it('gives the same names on every run', () => {
    const requests = [{ host: 'a', rules: [SSH, API] }, ...hosts('b', 'c')];
    const first = assign(requests);
    const second = assign(structuredClone(requests));
    expect(second.names).toEqual(first.names);
    expect(serializeLockfile(second.lock)).toBe(serializeLockfile(first.lock));
  });

  it('gives unique names of two a–z words across 5,000 hosts with two generated rules each', () => {
    const requests: HostnameRequest[] = [];
    for (let i = 0; i < 5000; i++) requests.push({ host: `store-${String(i).padStart(4, '0')}`, rules: [SSH, API] });
    // Explicit hostnames that are exactly what some hosts would get first: those hosts must move on.
    const taken = requests.slice(0, 50).map(({ host }) => candidateHostname({ fleet: 'acme-pos', host, ruleIndex: 0, attempt: 0 }, 'example.com', defaultHostnameWords()));
    const result = assign(requests, { taken });
    const all = [...result.names.values()].flat();
    expect(all).toHaveLength(10_000);
    expect(new Set(all).size).toBe(10_000);
    for (const name of all) {
      expect(taken).not.toContain(name);
      const match = /^([a-z]+)-([a-z]+)\.example\.com$/.exec(name);
      expect(match).not.toBeNull();
      expect(match?.[1]).not.toBe(match?.[2]);
    }
    expect(Object.keys(result.lock.hosts)).toHaveLength(5000);
    // The taken names forced at least 50 second attempts: collision handling was exercised, not just luck.
    const firstChoices = requests.map(({ host }) => candidateHostname({ fleet: 'acme-pos', host, ruleIndex: 0, attempt: 0 }, 'example.com', defaultHostnameWords()));
    const moved = firstChoices.filter((name, i) => result.names.get(requests[i]?.host ?? '')?.[0] !== name);
    expect(moved.length).toBeGreaterThanOrEqual(50);
  });

  it('keeps a locked name the generator would never produce', () => {
    const lock: Lockfile = { version: 1, fleet: 'acme-pos', zone: 'example.com', hosts: { 'store-0001': { 'ssh://localhost:22': 'legacy.example.com' } } };
    const result = assign(hosts('store-0001'), { lock });
    expect(nameOf(result, 'store-0001')).toBe('legacy.example.com');
    expect(result.changed).toBe(false);
    expect(result.warnings).toEqual([]);
  });

  it('keeps locked names when the word list changes', () => {
    const before = assign(hosts('a', 'b', 'c'), { words: FIVE_WORDS });
    const otherWords = ['fjord', 'glade', 'heath', 'inlet', 'knoll'];
    const after = assign(hosts('a', 'b', 'c', 'd'), { words: otherWords, lock: before.lock });
    for (const host of ['a', 'b', 'c']) expect(nameOf(after, host)).toBe(nameOf(before, host));
    // Only the new host is made of the new words.
    const [first, second] = (nameOf(after, 'd') ?? '').replace('.example.com', '').split('-');
    expect(otherWords).toContain(first);
    expect(otherWords).toContain(second);
  });

  it('keeps existing hostnames when a host is added, even one whose first choice is taken by them', () => {
    const before = assign(hosts('store-0002'), { words: FIVE_WORDS });
    const locked = nameOf(before, 'store-0002');
    // Find a new host, sorting first, whose first choice is exactly store-0002's name.
    const intruder = firstHostWithCandidate(locked, FIVE_WORDS);
    expect(intruder < 'store-0002').toBe(true);
    const after = assign(hosts(intruder, 'store-0002'), { words: FIVE_WORDS, lock: before.lock });
    expect(nameOf(after, 'store-0002')).toBe(locked);
    expect(nameOf(after, intruder)).not.toBe(locked);
    expect(after.changed).toBe(true);
  });

  it('keeps other hostnames and drops the entries when hosts and rules are removed', () => {
    const before = assign([{ host: 'a', rules: [SSH, API] }, ...hosts('b', 'c')]);
    const after = assign([{ host: 'a', rules: [SSH] }, ...hosts('c')], { lock: before.lock });
    expect(nameOf(after, 'a')).toBe(nameOf(before, 'a'));
    expect(nameOf(after, 'c')).toBe(nameOf(before, 'c'));
    expect(Object.keys(after.lock.hosts)).toEqual(['a', 'c']);
    expect(Object.keys(after.lock.hosts['a'] ?? {})).toEqual(['ssh://localhost:22']);
    expect(after.changed).toBe(true);
  });

  it('gives the same names and lock whatever the order of hosts, with or without a lock', () => {
    const requests = [{ host: 'c', rules: [SSH, API] }, ...hosts('a', 'b', 'd')];
    const forward = assign(requests, { words: FIVE_WORDS });
    const reversed = assign([...requests].reverse(), { words: FIVE_WORDS });
    expect(Object.fromEntries(reversed.names)).toEqual(Object.fromEntries(forward.names));
    expect(serializeLockfile(reversed.lock)).toBe(serializeLockfile(forward.lock));
    const relocked = assign([...requests].reverse(), { words: FIVE_WORDS, lock: forward.lock });
    expect(Object.fromEntries(relocked.names)).toEqual(Object.fromEntries(forward.names));
    expect(relocked.changed).toBe(false);
  });

  it('keeps names with their rules when a host reorders its rules', () => {
    const before = assign([{ host: 'a', rules: [SSH, API] }]);
    const after = assign([{ host: 'a', rules: [API, SSH] }], { lock: before.lock });
    expect(after.names.get('a')).toEqual([nameOf(before, 'a', 1), nameOf(before, 'a', 0)]);
    expect(after.changed).toBe(false);
  });

  it('names repeated rules of one host apart', () => {
    const result = assign([{ host: 'a', rules: [SSH, SSH] }]);
    expect(Object.keys(result.lock.hosts['a'] ?? {})).toEqual(['ssh://localhost:22', 'ssh://localhost:22 #2']);
    expect(nameOf(result, 'a', 0)).not.toBe(nameOf(result, 'a', 1));
  });

  it('renames a locked host, with a warning, when an explicit hostname now takes its name', () => {
    const before = assign(hosts('a', 'b'));
    const lost = nameOf(before, 'a') ?? '';
    const after = assign(hosts('a', 'b'), { lock: before.lock, taken: [lost] });
    expect(nameOf(after, 'a')).not.toBe(lost);
    expect(nameOf(after, 'b')).toBe(nameOf(before, 'b'));
    expect(after.changed).toBe(true);
    expect(after.warnings).toEqual([
      expect.objectContaining({ code: 'hostname.lock-conflict', host: 'a', ruleIndex: 0, lockPath: ['hosts', 'a', 'ssh://localhost:22'] }),
    ]);
    expect(after.warnings[0]?.message).toContain(lost);
    expect(after.warnings[0]?.message).toContain(nameOf(after, 'a'));
  });

  it('locates warnings in the lock file', () => {
    const parsed = parseLockfile(serializeLockfile(assign(hosts('a', 'b')).lock), 'fleet.lock.yaml');
    if (!parsed.ok) throw new Error('lock refused');
    const lost = parsed.lock.hosts['b']?.['ssh://localhost:22'] ?? '';
    const result = assign(hosts('a', 'b'), { lock: parsed.lock, taken: [lost], zone: 'example.com' });
    expect(lockWarningDiagnostics(result.warnings, parsed.source)).toEqual([
      expect.objectContaining({ severity: 'warning', code: 'hostname.lock-conflict', file: 'fleet.lock.yaml', line: 10, column: 25, path: 'hosts.b["ssh://localhost:22"]' }),
    ]);
    const moved = assign(hosts('a', 'b'), { lock: parsed.lock, zone: 'example.org' });
    expect(lockWarningDiagnostics(moved.warnings, parsed.source)).toEqual([
      expect.objectContaining({ severity: 'warning', code: 'lockfile.zone-changed', line: 5, column: 7, path: 'zone' }),
    ]);
  });

  it('compares explicit hostnames without regard to case', () => {
    const first = candidateHostname({ fleet: 'acme-pos', host: 'a', ruleIndex: 0, attempt: 0 }, 'example.com', FIVE_WORDS);
    const result = assign(hosts('a'), { words: FIVE_WORDS, taken: [first.toUpperCase()] });
    expect(nameOf(result, 'a')).not.toBe(first);
  });

  it('renames the later of two hosts locked under one name, with a warning', () => {
    const lock: Lockfile = {
      version: 1,
      fleet: 'acme-pos',
      zone: 'example.com',
      hosts: { a: { 'ssh://localhost:22': 'same.example.com' }, b: { 'ssh://localhost:22': 'same.example.com' } },
    };
    const result = assign(hosts('b', 'a'), { lock });
    expect(nameOf(result, 'a')).toBe('same.example.com');
    expect(nameOf(result, 'b')).not.toBe('same.example.com');
    expect(result.warnings.map((w) => [w.code, w.host])).toEqual([['hostname.lock-conflict', 'b']]);
  });

  it('resolves collisions deterministically: the host sorting first keeps its first choice, the other its next free one', () => {
    const taken = candidateHostname({ fleet: 'acme-pos', host: 'store-0001', ruleIndex: 0, attempt: 0 }, 'example.com', FIVE_WORDS);
    const bumped = assign(hosts('store-0001'), { words: FIVE_WORDS, taken: [taken] });
    expect(nameOf(bumped, 'store-0001')).toBe('cedar-ember.example.com');

    const rival = firstHostWithCandidate(taken, FIVE_WORDS, 'store-0001');
    const forward = assign(hosts('store-0001', rival), { words: FIVE_WORDS });
    const backward = assign(hosts(rival, 'store-0001'), { words: FIVE_WORDS });
    expect(Object.fromEntries(backward.names)).toEqual(Object.fromEntries(forward.names));
    const [winner, loser] = [rival, 'store-0001'].sort();
    expect(nameOf(forward, winner ?? '')).toBe(taken);
    expect(nameOf(forward, loser ?? '')).not.toBe(taken);
  });

  it('recomputes every name in the new zone, with a warning, when the zone changes', () => {
    const lock: Lockfile = { version: 1, fleet: 'acme-pos', zone: 'old.example', hosts: { 'store-0001': { 'ssh://localhost:22': 'legacy.old.example' } } };
    const result = assign(hosts('store-0001', 'store-0002'), { lock, zone: 'new.example' });
    const fresh = assign(hosts('store-0001', 'store-0002'), { zone: 'new.example' });
    expect(result.names).toEqual(fresh.names);
    expect(nameOf(result, 'store-0001')).toBe('explore-obtain.new.example');
    expect(result.lock.zone).toBe('new.example');
    expect(result.changed).toBe(true);
    expect(result.warnings.map((w) => [w.code, w.lockPath])).toEqual([['lockfile.zone-changed', ['zone']]]);
  });

  it('reuses no name, with a warning, from the lock of another fleet', () => {
    const lock: Lockfile = { version: 1, fleet: 'other-fleet', zone: 'example.com', hosts: { 'store-0001': { 'ssh://localhost:22': 'legacy.example.com' } } };
    const result = assign(hosts('store-0001'), { lock });
    expect(nameOf(result, 'store-0001')).toBe('explore-obtain.example.com');
    expect(result.lock.fleet).toBe('acme-pos');
    expect(result.changed).toBe(true);
    expect(result.warnings.map((w) => w.code)).toEqual(['lockfile.other-fleet']);
  });

  describe('changed', () => {
    it('is true without a lock when names must be recorded', () => {
      expect(assign(hosts('a')).changed).toBe(true);
    });

    it('is false without a lock when no rule needs a generated name', () => {
      const result = assign([{ host: 'a', rules: [] }]);
      expect(result.changed).toBe(false);
      expect(result.names.get('a')).toEqual([]);
      expect(result.lock.hosts).toEqual({});
    });

    it('is false when the lock read back from its own text needs nothing new', () => {
      const requests = [{ host: 'a', rules: [SSH, API] }, ...hosts('0001', 'true')];
      const first = assign(requests);
      const text = serializeLockfile(first.lock);
      const parsed = parseLockfile(text, 'fleet.lock.yaml');
      if (!parsed.ok) throw new Error(JSON.stringify(parsed.diagnostics));
      const second = assign(requests, { lock: parsed.lock });
      expect(second.changed).toBe(false);
      expect(serializeLockfile(second.lock)).toBe(text);
    });

    it('is true when a rule of a host is added', () => {
      const first = assign(hosts('a'));
      expect(assign([{ host: 'a', rules: [SSH, API] }], { lock: first.lock }).changed).toBe(true);
    });

    it('is true exactly when the lock text changes, and the lock holds exactly the names given (random fleets and locks)', () => {
      let seed = 11;
      const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
      const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
      const RULES = [SSH, API, { service: 'http://localhost:9000' }, SSH];
      const someRequests = (): HostnameRequest[] =>
        ['a', 'b', 'c', 'd'].filter(() => random() < 0.8).map((host) => ({ host, rules: RULES.filter(() => random() < 0.5) }));
      const seen = { changed: 0, unchanged: 0 };
      for (let round = 0; round < 400; round++) {
        const requests = someRequests();
        // Mostly the lock of these very requests, often edited a little: an entry, a rule or a name more or less.
        const lock = structuredClone(assign(random() < 0.7 ? requests : someRequests()).lock);
        const hostsInLock = Object.keys(lock.hosts);
        const edit = pick(['none', 'none', 'none', 'drop host', 'drop rule', 'add rule', 'add host', 'rename', 'empty host', 'zone']);
        const host = pick(hostsInLock.length > 0 ? hostsInLock : ['a']);
        const rules = (lock.hosts[host] ??= {});
        const firstRule = Object.keys(rules)[0];
        if (edit === 'drop host') lock.hosts = Object.fromEntries(Object.entries(lock.hosts).filter(([name]) => name !== host));
        if (edit === 'drop rule') lock.hosts[host] = Object.fromEntries(Object.entries(rules).slice(1));
        if (edit === 'add rule') rules['tcp://localhost:5432'] = 'extra-rule.example.com';
        if (edit === 'add host') lock.hosts['e'] = { 'ssh://localhost:22': 'extra-host.example.com' };
        if (edit === 'rename' && firstRule !== undefined) rules[firstRule] = pick(['other-name.example.com', ...Object.values(lock.hosts).flatMap((r) => Object.values(r))]);
        if (edit === 'empty host') lock.hosts['f'] = {};
        if (edit === 'zone') lock.zone = 'example.org';
        const taken = random() < 0.2 ? [...Object.values(lock.hosts).flatMap((r) => Object.values(r)).slice(0, 1)] : [];

        const result = assign(requests, { lock, taken });
        const isSameText = serializeLockfile(result.lock) === serializeLockfile(lock);
        expect(result.changed, `${serializeLockfile(lock)}\n--- edit: ${edit}\n${serializeLockfile(result.lock)}`).toBe(!isSameText);
        seen[result.changed ? 'changed' : 'unchanged'] += 1;
        const fromNames = Object.fromEntries(
          requests.filter((r) => r.rules.length > 0).map((r) => [r.host, Object.fromEntries(ruleKeys(r.rules).map((key, i) => [key, result.names.get(r.host)?.[i]]))]),
        );
        expect(result.lock).toEqual({ version: 1, fleet: 'acme-pos', zone: 'example.com', hosts: fromNames });
      }
      // Both answers were given often enough for the property to mean something.
      expect(Math.min(seen.changed, seen.unchanged)).toBeGreaterThan(50);
    });

    it('is true when every entry is dropped', () => {
      const first = assign(hosts('a'));
      const result = assign([], { lock: first.lock });
      expect(result.changed).toBe(true);
      expect(result.lock.hosts).toEqual({});
    });
  });

  it('refuses a host requested twice: validation must have caught it', () => {
    expect(() => assign(hosts('a', 'a'))).toThrow(InternalError);
  });
});

/** A host name (other than `except`) whose first candidate is `name`: forces a collision. */
function firstHostWithCandidate(name: string | undefined, words: readonly string[], except?: string): string {
  for (let i = 0; i < 10_000; i++) {
    const host = `h${i}`;
    if (host === except) continue;
    if (candidateHostname({ fleet: 'acme-pos', host, ruleIndex: 0, attempt: 0 }, 'example.com', words) === name) return host;
  }
  throw new Error(`no host found whose first candidate is ${name}`);
}
