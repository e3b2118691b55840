import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ParseCache } from '../../src/load/parse-cache.js';
import {
  CACHE_DIR,
  cachedPartsInOrder,
  FILE_FIELDS,
  forEachPartInText,
  identityOf,
  keepCacheAside,
  partPlaceOf,
  partPlaceTagOf,
  readCache,
  readCacheText,
  readParseCache,
  recordLeftBy,
  restoreCache,
  writeCache,
  writeParseCache,
  type BuildCache,
  type CachedFile,
  type CachedPart,
  type RecordLeft,
} from '../../src/write/cache.js';
import { plainCache } from './plain-cache.js';

const made: string[] = [];
afterAll(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function tempOut(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fleetgen-cache-journal-'));
  made.push(dir);
  return dir;
}

const basePath = (out: string): string => join(out, CACHE_DIR, 'build.json');
const journalPath = (out: string): string => join(out, CACHE_DIR, 'build.delta.json');

function file(path: string, flags: Partial<CachedFile> = {}): CachedFile {
  return { path, mode: 0o644, isSecret: false, isKeptOutOfGit: false, size: 941, mtimeMs: 1796293732435.9248, ino: 6176823, ...flags };
}

const HOST_FINGERPRINT = 'a'.repeat(64);
const RECORD: RecordLeft = { size: 1200, mtimeMs: 1796293732435.5, ino: 42, generator: 'g'.repeat(16) };

function hostParts(name: string, fingerprint = HOST_FINGERPRINT, profile = '8ea7d1a3c77f38bb'): Record<string, CachedPart> {
  return {
    chef: { fingerprint, summary: { profile, stored: ['cloudflared.service'] }, warnings: [], files: [file(`chef/data_bags/acme/${name}.json`), file(`chef/data_bags/acme_secrets/${name}.json`, { mode: 0o600, isSecret: true, isKeptOutOfGit: true })] },
    'cloud-init': { fingerprint, summary: null, warnings: [], files: [file(`cloud-init/${name}.yaml`, { mode: 0o600, isSecret: true })] },
    terraform: { fingerprint, summary: { name }, warnings: [{ target: 'terraform', code: 'terraform.no-access-policies', host: name, message: `no access.policies for ${name}` }], files: [file(`terraform/host-${name}.tf.json`)] },
  };
}

/** A cache of `count` hosts: large enough that one host's line is a small share of the file. */
function fleetCache(count: number): BuildCache {
  const hosts: BuildCache['hosts'] = {};
  for (let i = 1; i <= count; i++) hosts[`web-${i}`] = hostParts(`web-${i}`);
  return { hosts, fleet: { chef: { fingerprint: `chef:${'c'.repeat(64)}`, warnings: [], files: [file('chef/cookbooks/acme/metadata.rb')] } } };
}

function readOrThrow(out: string): BuildCache {
  const cache = readCache(out);
  if (cache === undefined) throw new Error(`${out} has no usable cache`);
  return cache;
}

/** `read` with `change` made, as a build would make it: the parts of unchanged hosts are the very objects read. */
function changed(read: BuildCache, change: (hosts: BuildCache['hosts']) => void): BuildCache {
  const hosts: BuildCache['hosts'] = {};
  for (const host of Object.keys(read.hosts)) hosts[host] = { ...read.hosts[host] };
  change(hosts);
  return { hosts, fleet: read.fleet };
}

/** What a whole write of `cache` reads back as. */
function wholeWrite(cache: BuildCache, record?: RecordLeft): BuildCache | undefined {
  const fresh = tempOut();
  writeCache(fresh, cache, undefined, record);
  return plainCache(readCache(fresh));
}

/** A line's index: the JSON before its tab (a removal has no tab, no body). */
function indexOfLine(line: string): unknown[] {
  const tab = line.indexOf('\t');
  return JSON.parse(tab === -1 ? line : line.slice(0, tab)) as unknown[];
}

/** The journal as lines (the head parsed), for a test to look at or damage. */
function journalLines(out: string): { head: Record<string, unknown>; lines: string[] } {
  const [head = '', ...lines] = readFileSync(journalPath(out), 'utf8').split('\n');
  return { head: JSON.parse(head) as Record<string, unknown>, lines: lines.filter((line) => line !== '') };
}

describe('the build cache journal (build.delta.json)', () => {
  it('holds only the hosts that changed: the cache file stays the very file it was, and both read back as a whole write of the same cache', () => {
    const out = tempOut();
    writeCache(out, fleetCache(40), undefined, RECORD);
    const before = statSync(basePath(out));
    const baseText = readFileSync(basePath(out), 'utf8');
    const read = readOrThrow(out);
    const next = changed(read, (hosts) => void (hosts['web-7'] = hostParts('web-7', 'd'.repeat(64))));
    const record = { ...RECORD, ino: 43 };
    writeCache(out, next, read, record);

    expect(identityOf(statSync(basePath(out)))).toEqual(identityOf(before));
    expect(readFileSync(basePath(out), 'utf8')).toBe(baseText);
    const { head, lines } = journalLines(out);
    expect(lines.map((line) => indexOfLine(line)[0])).toEqual(['web-7']);
    expect(head.base).toEqual(identityOf(before));
    expect(statSync(journalPath(out)).mode & 0o777).toBe(0o600);
    expect(plainCache(readCache(out))).toEqual(wholeWrite(next, record));
    expect(recordLeftBy(readCache(out))).toEqual(record);
  });

  it('reads back, after a chain of journals (hosts changed, removed, added, changed back, a new summary), what whole writes of each cache give', () => {
    const out = tempOut();
    writeCache(out, fleetCache(40));
    const baseText = readFileSync(basePath(out), 'utf8');
    const steps: ((hosts: BuildCache['hosts']) => void)[] = [
      (hosts) => void (hosts['web-7'] = hostParts('web-7', 'd'.repeat(64))),
      (hosts) => void (hosts['web-9'] = hostParts('web-9', 'e'.repeat(64), 'another profile')),
      (hosts) => void delete hosts['web-3'],
      (hosts) => void (hosts['web-41'] = hostParts('web-41')),
      // Back to what the cache file has, as new objects: a line in the journal still (it is not the part read from build.json).
      (hosts) => void (hosts['web-7'] = hostParts('web-7')),
      () => {},
    ];
    for (const [index, step] of steps.entries()) {
      const read = readOrThrow(out);
      const next = changed(read, step);
      writeCache(out, next, read);
      expect({ index, cache: plainCache(readCache(out)) }).toEqual({ index, cache: wholeWrite(next) });
      expect(readFileSync(basePath(out), 'utf8')).toBe(baseText);
    }
    const { head, lines } = journalLines(out);
    expect(lines.map((line) => indexOfLine(line)).map((entry) => (entry.length === 1 ? `-${String(entry[0])}` : entry[0])).sort()).toEqual(['-web-3', 'web-41', 'web-7', 'web-9']);
    // The journal's table holds the summaries build.json's has not: "another profile", and the added host's name.
    expect(head.summaries).toEqual([{ profile: 'another profile', stored: ['cloudflared.service'] }, { name: 'web-41' }]);
  });

  it('is written again whole, the journal gone, once it would pass its share of the cache file, and reads back the same', () => {
    const out = tempOut();
    writeCache(out, fleetCache(40));
    const before = statSync(basePath(out));
    let read = readOrThrow(out);
    const few = changed(read, (hosts) => void (hosts['web-1'] = hostParts('web-1', 'd'.repeat(64))));
    writeCache(out, few, read);
    expect(existsSync(journalPath(out))).toBe(true);
    read = readOrThrow(out);
    // A third of the hosts: more than the quarter of the cache file a journal may take.
    const many = changed(read, (hosts) => {
      for (let i = 1; i <= 14; i++) hosts[`web-${i}`] = hostParts(`web-${i}`, 'f'.repeat(64));
    });
    writeCache(out, many, read);
    expect(existsSync(journalPath(out))).toBe(false);
    expect(identityOf(statSync(basePath(out)))).not.toEqual(identityOf(before));
    expect(plainCache(readCache(out))).toEqual(wholeWrite(many));
    expect(statSync(basePath(out)).mode & 0o777).toBe(0o600);
  });

  it('is not written when most of the summary table is no longer referred to: the cache file starts a new table', () => {
    const out = tempOut();
    writeCache(out, fleetCache(4));
    const read = readOrThrow(out);
    // Every host a summary of its own, new: the four read (a profile and one name per host) mostly unused.
    const next = changed(read, (hosts) => {
      for (const host of Object.keys(hosts)) hosts[host] = { terraform: { fingerprint: HOST_FINGERPRINT, summary: { name: host, moved: true }, warnings: [], files: [] } };
    });
    writeCache(out, next, read, undefined, { journalShare: 100 });
    expect(existsSync(journalPath(out))).toBe(false);
    expect(plainCache(readCache(out))).toEqual(wholeWrite(next));
  });

  it('makes the cache unusable (a full build) when it was written over another cache file than the one in place', () => {
    const out = tempOut();
    writeCache(out, fleetCache(40));
    const read = readOrThrow(out);
    writeCache(out, changed(read, (hosts) => void (hosts['web-7'] = hostParts('web-7', 'd'.repeat(64)))), read);
    const journal = readFileSync(journalPath(out));
    // The same cache file written again (another file, the same bytes): the journal is not about it.
    writeCache(out, fleetCache(40));
    expect(plainCache(readCache(out))).toEqual(wholeWrite(fleetCache(40)));
    writeFileSync(journalPath(out), journal);
    expect(readCache(out)).toBeUndefined();
  });

  it('makes the cache unusable when the journal is damaged: cut off, a host twice, a removal of a host the cache file lacks, a summary past both tables, another version', () => {
    const out = tempOut();
    writeCache(out, fleetCache(40));
    const read = readOrThrow(out);
    writeCache(out, changed(read, (hosts) => void (hosts['web-7'] = hostParts('web-7', 'd'.repeat(64)))), read);
    const text = readFileSync(journalPath(out), 'utf8');
    const [head = '', line = ''] = text.split('\n');
    const parsedHead = JSON.parse(head) as Record<string, unknown>;
    const tableLength = (JSON.parse(readFileSync(basePath(out), 'utf8').split('\n')[0] ?? '') as { summaries: unknown[] }).summaries.length + (parsedHead.summaries as unknown[]).length;
    const pastTable = indexOfLine(line) as [string, string, Record<string, unknown[]>];
    for (const part of Object.values(pastTable[2])) part[1] = tableLength;
    const body = line.slice(line.indexOf('\t'));
    const damaged = {
      'cut off': text.slice(0, -1),
      'a host twice': `${head}\n${line}\n${line}\n`,
      'a removal of a host build.json lacks': `${head}\n${line}\n["web-99"]\n`,
      'a summary past both tables': `${head}\n${JSON.stringify(pastTable)}${body}\n`,
      "a host's line without its body": `${head}\n${line.slice(0, line.indexOf('\t'))}\n`,
      'a removal with a body': `${head}\n${line}\n["web-3"]${body}\n`,
      'another version': `${JSON.stringify({ ...parsedHead, version: 2 })}\n${line}\n`,
      'no base': `${JSON.stringify({ ...parsedHead, base: undefined })}\n${line}\n`,
    };
    expect(readCache(out)).toBeDefined();
    for (const [what, damagedText] of Object.entries(damaged)) {
      writeFileSync(journalPath(out), damagedText);
      expect({ what, cache: readCache(out) }).toEqual({ what, cache: undefined });
    }
    writeFileSync(journalPath(out), text);
    expect(readCache(out)).toBeDefined();
  });

  it('leaves no usable cache while the cache file is set aside, and the very cache back once it is restored', () => {
    const out = tempOut();
    writeCache(out, fleetCache(40));
    const read = readOrThrow(out);
    const next = changed(read, (hosts) => void (hosts['web-7'] = hostParts('web-7', 'd'.repeat(64))));
    writeCache(out, next, read);
    keepCacheAside(out);
    expect(existsSync(journalPath(out))).toBe(true);
    expect(readCache(out)).toBeUndefined();
    restoreCache(out);
    expect(plainCache(readCache(out))).toEqual(wholeWrite(next));
  });

  it('is written while the cache file is set aside (as a build does), and puts that file back in place', () => {
    const out = tempOut();
    writeCache(out, fleetCache(40));
    const before = identityOf(statSync(basePath(out)));
    const read = readOrThrow(out);
    keepCacheAside(out);
    const next = changed(read, (hosts) => void (hosts['web-7'] = hostParts('web-7', 'd'.repeat(64))));
    writeCache(out, next, read);
    expect(identityOf(statSync(basePath(out)))).toEqual(before);
    expect(existsSync(`${basePath(out)}.old`)).toBe(false);
    expect(journalLines(out).lines).toHaveLength(1);
    expect(plainCache(readCache(out))).toEqual(wholeWrite(next));
  });
});

describe('the order of cached parts with a journal', () => {
  it('is the same in the texts (forEachPartInText) as in the cache read from them (cachedPartsInOrder): hosts replaced, removed and added', () => {
    const out = tempOut();
    writeCache(out, fleetCache(40));
    let read = readOrThrow(out);
    writeCache(out, changed(read, (hosts) => void (hosts['web-7'] = hostParts('web-7', 'd'.repeat(64)))), read);
    read = readOrThrow(out);
    writeCache(
      out,
      changed(read, (hosts) => {
        delete hosts['web-2'];
        hosts['10'] = hostParts('10');
        hosts['web-3'] = hostParts('web-3', 'e'.repeat(64));
      }),
      read,
    );
    const texts = readCacheText(out);
    if (texts?.journal === undefined) throw new Error('no journal written');
    const cache = readOrThrow(out);
    const decoded: string[][] = [];
    const decodedTags: number[] = [];
    // Each part knows its own place and tag (partPlaceOf): those of the order.
    const places: { index: number; tag: number }[] = [];
    const decodedCount = cachedPartsInOrder(cache, (part, index, tag) => {
      decoded[index] = part.files.map((f) => f.path);
      decodedTags[index] = tag;
      places[index] = { index: partPlaceOf(cache, part), tag: partPlaceTagOf(cache, part) };
    });
    const inText: string[][] = [];
    const textTags: number[] = [];
    const textCount = forEachPartInText(
      texts.text,
      (fields, index, tag) => {
        inText[index] = (fields ?? []).filter((_, i) => i % FILE_FIELDS === 0) as string[];
        textTags[index] = tag;
      },
      texts.journal.text,
    );
    expect(textCount).toBe(decodedCount);
    expect(inText).toEqual(decoded);
    expect(textTags).toEqual(decodedTags);
    expect(places).toEqual(decodedTags.map((tag, index) => ({ index, tag })));
    // A part of another cache, or one built, has no place in this one.
    const other = readOrThrow(out);
    expect(partPlaceOf(cache, other.hosts['web-1']?.chef as CachedPart)).toBe(-1);
    expect(partPlaceOf(cache, other.fleet.chef as CachedPart)).toBe(-1);
    expect(partPlaceOf(cache, hostParts('web-1').chef as CachedPart)).toBe(-1);
    // build.json's lines less those replaced or removed, then the journal's, then the fleet-wide parts.
    const hostOrder = decoded.filter((paths) => paths[0]?.startsWith('cloud-init/')).map((paths) => paths[0]?.slice('cloud-init/'.length, -'.yaml'.length));
    expect(hostOrder.slice(0, 2)).toEqual(['web-1', 'web-4']);
    expect(hostOrder.slice(-3)).toEqual(['10', 'web-3', 'web-7']);
    expect(hostOrder).not.toContain('web-2');
    expect(decodedCount).toBe(40 * 3 + 1);
  });
});

describe('the parse cache journal (parsed.delta.bin)', () => {
  const parsedPath = (out: string): string => join(out, CACHE_DIR, 'parsed.bin');
  const deltaPath = (out: string): string => join(out, CACHE_DIR, 'parsed.delta.bin');
  const keyOf = (i: number): string => ParseCache.keyOf('test', `entry ${i}`);
  const valueOf = (i: number): unknown => ({ name: `host-${i}`, ingress: [{ service: `http://localhost:${8000 + i}` }], padding: 'x'.repeat(300) });

  /** A parse cache of entries `from`..`to` written whole, as a first build leaves it. */
  function writtenWhole(out: string, from: number, to: number): void {
    const cache = new ParseCache();
    for (let i = from; i <= to; i++) cache.remember(keyOf(i), valueOf(i));
    writeParseCache(out, cache);
  }

  /** A build that reads the cache and uses entries `used` (parsing those it lacks), then writes it. */
  function rebuild(out: string, used: readonly number[], options: { journalShare?: number } = {}): { parsed: number[] } {
    const cache = readParseCache(out);
    const parsed: number[] = [];
    for (const i of used) {
      const found = cache.lookup(keyOf(i));
      if (found === undefined) {
        parsed.push(i);
        cache.remember(keyOf(i), valueOf(i));
      } else {
        expect(found.value).toEqual(valueOf(i));
      }
    }
    writeParseCache(out, cache, options);
    return { parsed };
  }

  const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
  const keysRead = (out: string): string[] => [...readParseCache(out)['earlier' as keyof ParseCache] as unknown as Map<string, string>].map(([key]) => key).sort();

  it('holds an entry added and a key no longer used; parsed.bin stays the very file it was; read back, the entries are exactly those used', () => {
    const out = tempOut();
    writtenWhole(out, 1, 100);
    const before = statSync(parsedPath(out));
    // Host 7's entry changed (a new text, entry 101), host 100 removed.
    const used = [...range(1, 99).filter((i) => i !== 7), 101];
    expect(rebuild(out, used)).toEqual({ parsed: [101] });
    expect(identityOf(statSync(parsedPath(out)))).toEqual(identityOf(before));
    expect(statSync(deltaPath(out)).mode & 0o777).toBe(0o600);
    expect(statSync(deltaPath(out)).size).toBeLessThan(before.size / 20);
    expect(keysRead(out)).toEqual(used.map(keyOf).sort());
    // The next build parses nothing, and finds every value as remembered.
    expect(rebuild(out, used)).toEqual({ parsed: [] });
  });

  it('is not applied to another parsed.bin, nor when damaged: parsed.bin alone is read', () => {
    const out = tempOut();
    writtenWhole(out, 1, 100);
    rebuild(out, [...range(1, 99), 101]);
    const delta = readFileSync(deltaPath(out));
    writeFileSync(deltaPath(out), delta.subarray(0, delta.length - 10));
    expect(keysRead(out)).toEqual(range(1, 100).map(keyOf).sort());
    writeFileSync(deltaPath(out), delta);
    expect(keysRead(out)).toEqual([...range(1, 99), 101].map(keyOf).sort());
    // The same entries written whole again: another file.
    writtenWhole(out, 1, 100);
    expect(existsSync(deltaPath(out))).toBe(false);
    writeFileSync(deltaPath(out), delta);
    expect(keysRead(out)).toEqual(range(1, 100).map(keyOf).sort());
  });

  it('writes parsed.bin anew past its share, with exactly the entries used, and no journal', () => {
    const out = tempOut();
    writtenWhole(out, 1, 100);
    const wholeSize = statSync(parsedPath(out)).size;
    // Round after round, a tenth of the entries replaced: the journal grows until parsed.bin is written anew.
    let used = range(1, 100);
    const rounds: { journal: boolean; isWrittenAnew: boolean; bytes: number }[] = [];
    for (let round = 1; round <= 6; round++) {
      const before = identityOf(statSync(parsedPath(out)));
      used = used.map((i) => (i % 10 === round % 10 ? i + 1000 : i));
      rebuild(out, used);
      expect({ round, keys: keysRead(out) }).toEqual({ round, keys: used.map(keyOf).sort() });
      const journal = existsSync(deltaPath(out));
      rounds.push({ journal, isWrittenAnew: !isDeepStrictEqual(identityOf(statSync(parsedPath(out))), before), bytes: statSync(parsedPath(out)).size + (journal ? statSync(deltaPath(out)).size : 0) });
    }
    // A journal for the first rounds; written anew (no journal) once it passed a quarter of parsed.bin; then again.
    expect(rounds.map(({ journal, isWrittenAnew }) => ({ journal, isWrittenAnew }))).toEqual([
      { journal: true, isWrittenAnew: false },
      { journal: true, isWrittenAnew: false },
      { journal: false, isWrittenAnew: true },
      { journal: true, isWrittenAnew: false },
      { journal: true, isWrittenAnew: false },
      { journal: false, isWrittenAnew: true },
    ]);
    // Never much larger than a whole write of the entries used: parsed.bin plus at most a quarter.
    expect(Math.max(...rounds.map((r) => r.bytes))).toBeLessThan(wholeSize * 1.3);
    rebuild(out, used, { journalShare: 0 });
    expect(existsSync(deltaPath(out))).toBe(false);
    expect(keysRead(out)).toEqual(used.map(keyOf).sort());
    expect(Math.abs(statSync(parsedPath(out)).size - wholeSize)).toBeLessThan(wholeSize * 0.02);
  });
});
