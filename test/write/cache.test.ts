import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CACHE_DIR, CacheDamaged, cachedPartsInOrder, FILE_FIELDS, fileCountOf, forEachPartInText, keptOutOfGitOf, partTagOf, readCache, recordLeftBy, textOf, writeCache, type BuildCache, type CachedFile, type CachedPart } from '../../src/write/cache.js';
import { plainCache } from './plain-cache.js';

const made: string[] = [];
afterAll(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function tempOut(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fleetgen-cache-'));
  made.push(dir);
  return dir;
}

const cachePath = (out: string): string => join(out, CACHE_DIR, 'build.json');

function file(path: string, flags: Partial<CachedFile> = {}): CachedFile {
  return { path, mode: 0o644, isSecret: false, isKeptOutOfGit: false, size: 941, mtimeMs: 1796293732435.9248, ino: 6176823, ...flags };
}

const HOST_FINGERPRINT = 'a'.repeat(64);

/** Two hosts whose Chef summaries are equal but separate objects, as a fresh build makes them. */
function sampleCache(): BuildCache {
  const host = (name: string): BuildCache['hosts'][string] => ({
    chef: {
      fingerprint: HOST_FINGERPRINT,
      summary: { profile: '8ea7d1a3c77f38bb', stored: ['cloudflared.service-53063bf84cf27de3'] },
      warnings: [],
      files: [file(`chef/data_bags/acme/${name}.json`), file(`chef/data_bags/acme_secrets/${name}.json`, { mode: 0o600, isSecret: true, isKeptOutOfGit: true })],
    },
    'cloud-init': { fingerprint: HOST_FINGERPRINT, summary: null, warnings: [], files: [file(`cloud-init/${name}.yaml`, { mode: 0o600, isSecret: true })] },
    terraform: {
      fingerprint: HOST_FINGERPRINT,
      summary: { name },
      warnings: [{ target: 'terraform', code: 'terraform.no-access-policies', host: name, detail: { hostnames: [`${name}.example.com`], count: 1 }, message: `no access.policies for ${name}` }],
      files: [file(`terraform/host-${name}.tf.json`, { isKeptOutOfGit: true })],
    },
  });
  return {
    hosts: { 'web-1': host('web-1'), 'web-2': { ...host('web-2'), ssh: { fingerprint: 'b'.repeat(64), warnings: [], files: [] } } },
    fleet: { chef: { fingerprint: `chef:${'c'.repeat(64)}`, warnings: [{ target: 'chef', code: 'chef.clear-text-secrets', message: 'clear text' }], files: [file('chef/cookbooks/acme/metadata.rb')] } },
  };
}

type CacheJson = {
  summaries: unknown[];
  /** Each host's index (its line before the tab), less its name. */
  hosts: Record<string, [string, Record<string, unknown[]>]>;
  /** Each host's body (its line after the tab): its files, target by target. */
  bodies: Record<string, Record<string, unknown>>;
  fleet: Record<string, unknown[]>;
  version: number;
  record?: unknown;
};

/** The cache file as one object (its first line, with each host's line under hosts and bodies), for a test to look at or damage. */
function parsedCacheFile(out: string): CacheJson {
  const [head = '', ...lines] = readFileSync(cachePath(out), 'utf8').split('\n');
  const json = JSON.parse(head) as CacheJson;
  json.hosts = {};
  json.bodies = {};
  for (const line of lines.filter((l) => l !== '')) {
    const tab = line.indexOf('\t');
    const [host, ...entry] = JSON.parse(line.slice(0, tab)) as [string, string, Record<string, unknown[]>];
    json.hosts[host] = entry;
    json.bodies[host] = JSON.parse(line.slice(tab + 1)) as Record<string, unknown>;
  }
  return json;
}

/** Writes `json` back as parsedCacheFile read it: the head line, then a line per host, its index, a tab and its body. */
function writeCacheFile(out: string, json: CacheJson): void {
  const { hosts, bodies, ...head } = json;
  const lines = [JSON.stringify(head), ...Object.entries(hosts).map(([host, entry]) => `${JSON.stringify([host, ...(entry as unknown[])])}\t${JSON.stringify(bodies[host])}`)];
  writeFileSync(cachePath(out), `${lines.join('\n')}\n`);
}

/** The cache as written, as JSON, for a test to damage. */
function writtenJson(out: string): CacheJson {
  writeCache(out, sampleCache());
  return parsedCacheFile(out);
}

describe('the build cache file', () => {
  it('reads back exactly what was written: summaries (none, null, objects), warnings with and without host and detail, file flags, a part with its own fingerprint', () => {
    const out = tempOut();
    writeCache(out, sampleCache());
    expect(plainCache(readCache(out))).toEqual(sampleCache());
    expect(readCache(out)?.hosts['web-2']?.ssh).not.toHaveProperty('summary');
    expect(readCache(out)?.fleet.chef?.warnings[0]).not.toHaveProperty('host');
  });

  it('reads back text that is not ASCII (a warning, a summary, a path) as written, beside ASCII text', () => {
    const out = tempOut();
    const cache = sampleCache();
    const web1 = cache.hosts['web-1'] as BuildCache['hosts'][string];
    web1.chef = { ...(web1.chef as CachedPart), summary: { profile: 'café — ✓ 𝄞', stored: [] } };
    web1.terraform = { ...(web1.terraform as CachedPart), warnings: [{ target: 'terraform', code: 'x', message: 'naïve — “quoted” 日本' }] };
    web1['cloud-init'] = { ...(web1['cloud-init'] as CachedPart), files: [file('cloud-init/wëb-1.yaml')] };
    writeCache(out, cache);
    expect(readFileSync(cachePath(out)).some((byte) => byte >= 0x80)).toBe(true);
    expect(plainCache(readCache(out))).toEqual(cache);
  });

  it('decodes bytes as UTF-8 does, whether they are ASCII or not (textOf)', () => {
    const samples = [Buffer.from(''), Buffer.from('{"a":1}\n'), Buffer.from('é—✓𝄞'), Buffer.from([0x41, 0xc3]), Buffer.from([0xff, 0xfe, 0x41]), Buffer.from('\u0000\u007f')];
    let seed = 7;
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 500; i++) samples.push(Buffer.from(Array.from({ length: Math.floor(random() * 40) }, () => Math.floor(random() * (random() < 0.8 ? 0x80 : 0x100)))));
    for (const bytes of samples) expect(textOf(bytes)).toBe(bytes.toString('utf8'));
    expect(samples.some((bytes) => bytes.length > 0 && bytes.every((byte) => byte < 0x80))).toBe(true);
    expect(samples.some((bytes) => bytes.some((byte) => byte >= 0x80))).toBe(true);
  });

  it('reads back the record the build left, and takes a cache without one, or with one out of shape, as knowing none', () => {
    const out = tempOut();
    const record = { size: 4096, mtimeMs: 1733300000123.25, ino: 424242, generator: 'a'.repeat(64) };
    writeCache(out, sampleCache(), undefined, record);
    expect(recordLeftBy(readCache(out))).toEqual(record);
    writeCache(out, sampleCache());
    expect(plainCache(readCache(out))).toEqual(sampleCache());
    expect(recordLeftBy(readCache(out))).toBeUndefined();
    const json = writtenJson(out);
    writeCacheFile(out, { ...json, record: { ...record, ino: '424242' } });
    expect(plainCache(readCache(out))).toEqual(sampleCache());
    expect(recordLeftBy(readCache(out))).toBeUndefined();
  });

  it('stores a summary many hosts share once, and reads it back as one object', () => {
    const out = tempOut();
    const json = writtenJson(out);
    // The shared Chef summary, null, and each host's own Terraform summary.
    expect(json.summaries).toHaveLength(4);
    const cache = readCache(out);
    expect(cache?.hosts['web-1']?.chef?.summary).toBe(cache?.hosts['web-2']?.chef?.summary);
    // Written again after being read, it is still stored once.
    const again = tempOut();
    if (cache) writeCache(again, cache);
    expect(parsedCacheFile(again).summaries).toHaveLength(4);
  });

  it("stores a host's fingerprint once when its parts share it, and files without repeating key names", () => {
    const out = tempOut();
    writeCache(out, sampleCache());
    const text = readFileSync(cachePath(out), 'utf8');
    expect(text.split(HOST_FINGERPRINT)).toHaveLength(3); // once for each of the two hosts
    expect(text).toContain('b'.repeat(64)); // web-2's ssh part, whose fingerprint differs
    expect(text).not.toMatch(/"(mtimeMs|ino|isSecret|path)"/);
  });

  it('ignores a cache of the previous formats (version 1, an object per file; version 2, one JSON document)', () => {
    const out = tempOut();
    writeCache(out, sampleCache());
    writeFileSync(cachePath(out), JSON.stringify({ version: 1, ...sampleCache() }));
    expect(readCache(out)).toBeUndefined();
    const { hosts, bodies, ...head } = writtenJson(out);
    writeFileSync(cachePath(out), `${JSON.stringify({ ...head, version: 2, hosts, bodies })}\n`);
    expect(readCache(out)).toBeUndefined();
  });

  it('treats a cache cut off at the end of a line, or with a host twice, as no cache', () => {
    const out = tempOut();
    writeCache(out, sampleCache());
    const text = readFileSync(cachePath(out), 'utf8');
    expect(readCache(out)).toBeDefined();
    writeFileSync(cachePath(out), text.slice(0, -1));
    expect(readCache(out)).toBeUndefined();
    const lines = text.split('\n');
    writeFileSync(cachePath(out), `${[...lines.slice(0, -1), lines[1]].join('\n')}\n`);
    expect(readCache(out)).toBeUndefined();
  });

  type Damage = [string, (json: ReturnType<typeof writtenJson>) => void];
  const chefOf = (json: ReturnType<typeof writtenJson>): unknown[] => json.hosts['web-1']?.[1].chef ?? [];
  /** The part's files in the host's body, six values each: the first file's values come first. */
  const filesOf = (json: ReturnType<typeof writtenJson>): unknown[] => json.bodies['web-1']?.chef as unknown[];
  const damages: Damage[] = [
    ['a summary index past the end', (json) => (chefOf(json)[1] = json.summaries.length)],
    ['a negative summary index', (json) => (chefOf(json)[1] = -1)],
    ['a fractional summary index', (json) => (chefOf(json)[1] = 0.5)],
    ['a summary index as a string', (json) => (chefOf(json)[1] = '0')],
    ['no summary table', (json) => delete (json as Partial<typeof json>).summaries],
    ['a host entry that is not [fingerprint, parts]', (json) => (json.hosts['web-1'] = [HOST_FINGERPRINT] as unknown as [string, Record<string, unknown[]>])],
    ['a host fingerprint that is not a string', (json) => ((json.hosts['web-1'] as unknown[])[0] = 7)],
    ['a fleet part without its own fingerprint', (json) => ((json.fleet.chef ?? [])[0] = null)],
    ['a part of an unknown target', (json) => ((json.hosts['web-1'] ?? ['', {}])[1].puppet = [null, null, [], []])],
    ['a part with an element missing', (json) => chefOf(json).pop()],
    ['a file count that is not a whole number', (json) => (chefOf(json)[3] = 1.5)],
    ['a negative file count', (json) => (chefOf(json)[3] = -2)],
    ['files kept out of git that are not a list of paths', (json) => (chefOf(json)[4] = [7])],
    ['a fleet part whose file has a value missing', (json) => ((json.fleet.chef ?? [])[3] as unknown[]).pop()],
    ['a fleet part whose file leaves out/', (json) => (((json.fleet.chef ?? [])[3] as unknown[])[0] = '../x')],
    ['a warning of an unknown target', (json) => (((json.fleet.chef ?? [])[2] as unknown[][])[0] = ['puppet', 'code', 'message', null, null])],
    ['a warning whose detail holds an object', (json) => (((json.fleet.chef ?? [])[2] as unknown[][])[0] = ['chef', 'code', 'message', 'web-1', { hostnames: { a: 1 } }])],
    ['warnings that are not a list', (json) => (chefOf(json)[2] = {})],
  ];
  it.each(damages)('treats a cache with %s as no cache', (_, damage) => {
    const out = tempOut();
    const json = writtenJson(out);
    damage(json);
    writeCacheFile(out, json);
    expect(readCache(out)).toBeUndefined();
  });

  it('treats a host line without its tab and body as no cache', () => {
    const out = tempOut();
    writeCache(out, sampleCache());
    const [head = '', ...lines] = readFileSync(cachePath(out), 'utf8').split('\n');
    const cut = lines.map((line, index) => (index === 0 ? line.slice(0, line.indexOf('\t')) : line));
    writeFileSync(cachePath(out), [head, ...cut].join('\n'));
    expect(readCache(out)).toBeUndefined();
  });

  // A host's body is decoded when its files are first asked for: a damaged one is found then, and is CacheDamaged
  // (the build starts again without the cache: incremental.test.ts).
  const bodyDamages: Damage[] = [
    ['a file whose path leaves out/', (json) => (filesOf(json)[0] = '../../etc/passwd')],
    ["a file in another target's folder", (json) => (filesOf(json)[0] = 'cloud-init/web-1.yaml')],
    ['a file whose size is a string', (json) => (filesOf(json)[3] = '941')],
    ['a file whose mode is not an integer', (json) => (filesOf(json)[1] = 420.5)],
    ['a file with unknown flags', (json) => (filesOf(json)[2] = 4)],
    ['a file as an object', (json) => (filesOf(json)[0] = { path: 'chef/x', mode: 420 })],
    ['a file with a value missing', (json) => filesOf(json).pop()],
    ['a file more than its count', (json) => filesOf(json).push(...filesOf(json).slice(0, FILE_FIELDS))],
    ['a file kept out of git that its index does not list', (json) => (filesOf(json)[FILE_FIELDS + 2] = 1)],
    ['a file its index lists as kept out of git, not kept', (json) => (filesOf(json)[2] = 2)],
    ['files that are not a list', (json) => ((json.bodies['web-1'] ?? {}).chef = {})],
    ['a body without one of its targets', (json) => delete json.bodies['web-1']?.chef],
    ['a body with its targets in another order', (json) => (json.bodies['web-1'] = Object.fromEntries(Object.entries(json.bodies['web-1'] ?? {}).reverse()))],
    ['a body that is not an object', (json) => (json.bodies['web-1'] = [] as unknown as Record<string, unknown>)],
  ];
  it.each(bodyDamages)("reads a cache with %s in a host's body, and throws CacheDamaged when its files are asked for", (_, damage) => {
    const out = tempOut();
    const json = writtenJson(out);
    damage(json);
    writeCacheFile(out, json);
    const cache = readCache(out);
    const chef = cache?.hosts['web-1']?.chef;
    if (chef === undefined) throw new Error('the cache was not read');
    // What the index says is there without the body.
    expect(fileCountOf(chef)).toBe(2);
    expect(keptOutOfGitOf(chef, 'chef')).toEqual(['data_bags/acme_secrets/web-1.json']);
    expect(() => chef.files).toThrow(CacheDamaged);
    // Another host's body is its own: decoded as written.
    expect(cache?.hosts['web-2']?.chef?.files).toEqual(sampleCache().hosts['web-2']?.chef?.files);
  });

  it("counts a part's files and lists those kept out of git from its line's index, the body left as text", () => {
    const out = tempOut();
    writeCache(out, sampleCache());
    const read = readCache(out);
    for (const [host, parts] of Object.entries(sampleCache().hosts)) {
      for (const [target, part] of Object.entries(parts)) {
        const readPart = read?.hosts[host]?.[target];
        if (readPart === undefined) throw new Error(`${host} ${target} not read`);
        expect({ host, target, count: fileCountOf(readPart), kept: keptOutOfGitOf(readPart, target) }).toEqual({
          host,
          target,
          count: part.files.length,
          kept: part.files.filter((f) => f.isKeptOutOfGit).map((f) => f.path.slice(target.length + 1)),
        });
      }
    }
    // A part built answers the same from its files.
    const built = sampleCache().hosts['web-1']?.terraform as CachedPart;
    expect([fileCountOf(built), keptOutOfGitOf(built, 'terraform')]).toEqual([1, ['host-web-1.tf.json']]);
  });

  it('finds nothing for a host named like an Object property', () => {
    const out = tempOut();
    writeCache(out, sampleCache());
    expect(readCache(out)?.hosts.constructor).toBeUndefined();
  });

  it('writes a host whose parts are the ones it read as the line it read, and reads it back as a fresh write would', () => {
    const out = tempOut();
    writeCache(out, sampleCache());
    const before = readFileSync(cachePath(out), 'utf8').split('\n');
    const read = readCache(out);
    if (!read) throw new Error('no cache read');
    // web-1 as read (a new record holding the same parts); web-2 regenerated: its Terraform summary is new.
    const fresh = sampleCache();
    const web2 = fresh.hosts['web-2'];
    if (web2?.terraform) web2.terraform.summary = { name: 'web-2', moved: true };
    const next: BuildCache = { hosts: { 'web-1': { ...read.hosts['web-1'] }, 'web-2': web2 ?? {} }, fleet: read.fleet };
    writeCache(out, next, read);
    const after = readFileSync(cachePath(out), 'utf8').split('\n');
    expect(after[1]).toBe(before[1]);
    expect(after[2]).not.toBe(before[2]);
    const rewritten = readCache(out);
    const again = tempOut();
    writeCache(again, next);
    expect(plainCache(rewritten)).toEqual(plainCache(readCache(again)));
    expect(rewritten?.hosts['web-2']?.terraform?.summary).toEqual({ name: 'web-2', moved: true });
    // The table read is kept (web-1's line refers to it), the new summary added at its end.
    expect(parsedCacheFile(out).summaries).toHaveLength(5);
  });

  it('writes no line from a cache file that changed since it was read: it encodes every host afresh', () => {
    const out = tempOut();
    writeCache(out, sampleCache());
    const read = readCache(out);
    if (!read) throw new Error('no cache read');
    // Another cache in its place (another build's): same hosts, other stats. Its lines must not stand for `read`'s parts.
    const other = sampleCache();
    for (const parts of Object.values(other.hosts)) for (const part of Object.values(parts)) part.files = part.files.map((f) => ({ ...f, size: f.size + 1, ino: f.ino + 1 }));
    writeCache(out, other);
    const otherLines = readFileSync(cachePath(out), 'utf8').split('\n');
    writeCache(out, { hosts: { ...read.hosts }, fleet: read.fleet }, read);
    const again = tempOut();
    writeCache(again, sampleCache());
    expect(plainCache(readCache(out))).toEqual(plainCache(readCache(again)));
    expect(readFileSync(cachePath(out), 'utf8').split('\n')[1]).not.toBe(otherLines[1]);
  });

  it('starts a new summary table once most of the one it read is no longer referred to', () => {
    const out = tempOut();
    writeCache(out, sampleCache());
    const read = readCache(out);
    if (!read) throw new Error('no cache read');
    // Every host regenerated, with a Terraform summary of a new shape and no Chef part.
    const regenerated = (name: string): Record<string, CachedPart> => ({
      terraform: { fingerprint: HOST_FINGERPRINT, summary: { name, moved: true }, warnings: [], files: [file(`terraform/host-${name}.tf.json`)] },
    });
    const next: BuildCache = { hosts: { 'web-1': regenerated('web-1'), 'web-2': regenerated('web-2') }, fleet: read.fleet };
    writeCache(out, next, read);
    // Of the four read, none is referred to any more: the table holds the two new ones only.
    expect(parsedCacheFile(out).summaries).toEqual([
      { name: 'web-1', moved: true },
      { name: 'web-2', moved: true },
    ]);
    const again = tempOut();
    writeCache(again, next);
    expect(plainCache(readCache(out))).toEqual(plainCache(readCache(again)));
  });
});

describe('the order of cached parts in the stat-ahead report', () => {
  it('is the same in the text (forEachPartInText) as in the cache read from it (cachedPartsInOrder), with host names that look like numbers', () => {
    const out = tempOut();
    const part = (path: string): CachedPart => ({ fingerprint: HOST_FINGERPRINT, warnings: [], files: [file(path), file(`${path}.gz`)] });
    const host = (name: string): BuildCache['hosts'][string] => ({ chef: part(`chef/data_bags/acme/${name}.json`), 'cloud-init': part(`cloud-init/${name}.yaml`) });
    writeCache(out, { hosts: { 'web-1': host('web-1'), '10': host('10'), '2': host('2') }, fleet: sampleCache().fleet });
    // Lines in an order an object would not keep (names that look like numbers first): the text's order is the one.
    const [head = '', ...lines] = readFileSync(cachePath(out), 'utf8').split('\n');
    const hostLines = lines.filter((line) => line !== '');
    expect(hostLines.map((line) => (JSON.parse(line.slice(0, line.indexOf('\t'))) as string[])[0])).toEqual(['2', '10', 'web-1']);
    const text = [head, ...hostLines.reverse(), ''].join('\n');
    writeFileSync(cachePath(out), text);

    const cache = readCache(out);
    if (cache === undefined) throw new Error('the cache was not read back');
    const decoded: string[][] = [];
    const decodedTags: number[] = [];
    const decodedCount = cachedPartsInOrder(cache, (read, index, tag) => {
      decoded[index] = read.files.map((f) => f.path);
      decodedTags[index] = tag;
    });
    const inText: string[][] = [];
    const textTags: number[] = [];
    const textCount = forEachPartInText(text, (fields, index, tag) => {
      inText[index] = (fields ?? []).filter((_, i) => i % FILE_FIELDS === 0) as string[];
      textTags[index] = tag;
    });
    expect(decoded.map((paths) => paths[0])).toEqual(['chef/data_bags/acme/web-1.json', 'cloud-init/web-1.yaml', 'chef/data_bags/acme/10.json', 'cloud-init/10.yaml', 'chef/data_bags/acme/2.json', 'cloud-init/2.yaml', 'chef/cookbooks/acme/metadata.rb']);
    expect(inText).toEqual(decoded);
    expect(textCount).toBe(decodedCount);
    // Each part's tag tells its host (by ordinal) and its target apart from every other part's.
    expect(textTags).toEqual(decodedTags);
    expect(new Set(decodedTags).size).toBe(decodedTags.length);
    expect(decodedTags).toEqual([partTagOf(0, 'chef'), partTagOf(0, 'cloud-init'), partTagOf(1, 'chef'), partTagOf(1, 'cloud-init'), partTagOf(2, 'chef'), partTagOf(2, 'cloud-init'), partTagOf(undefined, 'chef')]);
  });

  it('is not known for a cache the build made rather than read', () => {
    expect(cachedPartsInOrder(sampleCache(), () => {})).toBeUndefined();
  });
});
