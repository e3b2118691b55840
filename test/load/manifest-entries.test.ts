import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { deserialize, serialize } from 'node:v8';
import { afterEach, describe, expect, it } from 'vitest';
import { Document, Scalar } from 'yaml';
import { findHostEntries, readByEntry } from '../../src/load/manifest-entries.js';
import { ParseCache } from '../../src/load/parse-cache.js';
import { MAX_ALIAS_COUNT, parseManifest } from '../../src/load/manifest.js';
import type { YamlParseOptions } from '../../src/load/parse-yaml.js';
import { readParseCache, writeParseCache } from '../../src/write/cache.js';
import { seeded } from '../support/seeded.js';

const OPTIONS: YamlParseOptions = { version: '1.2', merge: true, strict: true, prettyErrors: false };

/**
 * Lines of one host entry's body (after `name:`), `at` spaces in, each a construct that could fool a cut at `- `
 * lines or that YAML reads in a way of its own; `list` is the indent of the hosts list's dashes.
 */
function entryLines(next: () => number, at: string, list: string): string[] {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const variants: (() => string[])[] = [
    () => [`${at}group: ${pick(['g1', "'g2'", '"g3"', 'yes', 'No', '0o17', '017', '.nan', '-0', '0x1F', '1e3', '~', 'null', '2001-12-14', ''])}`],
    () => [`${at}description: "two words\\t\\u00e9 \\"quoted\\""`],
    // A quoted scalar or a flow collection left open across a line that looks like the next entry.
    () => [`${at}description: "open`, `${list}- name: not-a-host"`],
    () => [`${at}description: 'open`, `${list}- name: not-a-host'`],
    () => [`${at}tags: [a,`, `${list}- b]`],
    () => [`${at}labels: { a: 1,`, `${list}- b: 2 }`],
    // Block scalars whose lines look like entries and comments.
    () => [`${at}script: ${pick(['|', '|-', '|+', '>', '>-', '|2'])}`, `${at}  - name: inside`, `${at}  # not a comment`, '', `${at}    deeper`],
    () => [`${at}note: plain words`, `${at}  continued deeper`],
    () => [`${at}ingress:`, `${at}  - service: ssh://localhost:22`, `${at}  - { hostname: "*.example.com", service: "http://localhost:8080" }`],
    () => [`${at}ingress:`, `${at}- service: ssh://localhost:22`],
    () => [`# a comment at the left edge`, `${at}# one in place`, '', `${list}# one at the dashes`],
    () => [`${at}<<: { group: merged, extra: 1 }`],
    () => [`${at}shared: &anchor { a: 1 }`, `${at}again: *anchor`],
    () => [`${at}uses: *defaults`],
    () => [`${at}__proto__: { polluted: true }`],
    () => [`${at}typed: !!str 123`],
    () => [`${at}custom: !thing x`],
    () => [`${at}group: a`, `${at}group: b`],
    () => [`${at}tab: "a\tb"`],
    () => [`${at}empty:`],
    () => [`${list}  misplaced: at the wrong indent`],
    () => [`${list}-not-an-item: x`],
    () => [`${at}nested:`, `${at}  - - a`, `${at}    - b`],
  ];
  const lines: string[] = [];
  for (let n = Math.floor(next() * 4); n > 0; n--) lines.push(...pick(variants)());
  return lines;
}

/** A manifest: a frame (keys before and after `hosts:`) and 0–6 entries, mostly plain, sometimes tricky. */
function randomManifest(next: () => number): string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const list = pick(['', '  ', '    ']);
  const tricky = next() < 0.5;
  const lines: string[] = [];
  if (next() < 0.1) lines.push('---');
  if (next() < 0.1) lines.push('%YAML 1.2', '---');
  const isFlow = next() < 0.05; // the whole manifest one flow mapping: a block list inside it is an error
  if (isFlow) lines.push('{ version: 1,', 'fleet: demo,');
  else lines.push('# fleet', 'version: 1', 'fleet: demo');
  if (!isFlow && next() < 0.3) lines.push('defaults: &defaults', '  group: from-defaults');
  if (!isFlow && next() < 0.05) lines.push('description: "quoted', 'hosts:', '  - name: in-the-quotes"');
  lines.push(pick(['hosts:', 'hosts:   # the fleet', 'hosts: # x', 'hosts:#x', 'hosts: []', 'hosts: ~']));
  if (next() < 0.2) lines.push('', '# before the first host');
  for (let i = Math.floor(next() * 7); i > 0; i--) {
    const at = `${list}  `;
    lines.push(pick([`${list}- name: host-${i}`, `${list}-   name: host-${i}`, `${list}-`, `${list}- name: host-${i} # named`]));
    if (lines.at(-1) === `${list}-`) lines.push(`${at}name: host-${i}`);
    if (tricky) lines.push(...entryLines(next, at, list));
    else lines.push(`${at}group: g${i % 3}`, `${at}ingress:`, `${at}  - service: ssh://localhost:22`);
    if (next() < 0.15) lines.push('');
  }
  if (isFlow) lines.push('}');
  else lines.push(...pick([[], ['zone: example.com'], ['# trailing comment'], ['groups:', '  g1: { description: one }'], ['...'], ['hosts: again']]));
  const text = lines.join('\n') + pick(['\n', '', '\n\n']);
  return next() < 0.03 ? text.replace(/\n/g, '\r\n') : text;
}

/** The yaml library writing a random host entry (styles, flow, comments, odd strings) into a hosts list. */
function renderedManifest(next: () => number): string {
  const words = ['a', 'yes', '0640', '- x', '#x', 'a: b', '"q"', '*x', '&x', '!t', '---', ' x', 'é', 'line\nnext', 'l1\n- l2\n', 'x'.repeat(90)];
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const value = (depth: number): unknown => {
    const shape = next();
    if (depth > 2 || shape < 0.5) {
      const scalar = new Scalar(pick(words));
      scalar.type = pick([Scalar.PLAIN, Scalar.QUOTE_DOUBLE, Scalar.QUOTE_SINGLE, Scalar.BLOCK_LITERAL, Scalar.BLOCK_FOLDED]);
      return scalar;
    }
    if (shape < 0.75) return Array.from({ length: Math.floor(next() * 3) }, () => value(depth + 1));
    return Object.fromEntries(Array.from({ length: Math.floor(next() * 3) }, (_, i) => [`k${i}`, value(depth + 1)]));
  };
  const hosts = Array.from({ length: 1 + Math.floor(next() * 4) }, (_, i) => ({ name: `host-${i}`, extra: value(0) }));
  const doc = new Document({ version: 1, hosts, zone: 'example.com' });
  return doc.toString({ indentSeq: next() < 0.5, lineWidth: pick([0, 20, 80]) });
}

const parsedWhole = (text: string): unknown => {
  const result = parseManifest(text, 'fleet.yaml');
  return result.ok ? result.manifest.value : undefined;
};

describe('reading a manifest host entry by host entry', () => {
  it('gives exactly what the whole parse gives, or nothing, on generated manifests', () => {
    const next = seeded(10);
    let answered = 0;
    let refused = 0;
    const total = 3000;
    for (let i = 0; i < total; i++) {
      const text = i % 3 === 2 ? renderedManifest(next) : randomManifest(next);
      const whole = parsedWhole(text);
      const byEntry = readByEntry(text, OPTIONS, new ParseCache(), MAX_ALIAS_COUNT);
      if (byEntry === undefined) {
        refused++;
        continue;
      }
      answered++;
      // Equal data, keys in the same order (v8's serialization keeps the order, NaN and -0).
      if (!isDeepStrictEqual(byEntry.value, whole) || !serialize(byEntry.value).equals(serialize(whole))) expect({ text, byEntry: byEntry.value }).toEqual({ text, byEntry: whole });
    }
    // Both ways are exercised: most plain manifests are read by entry, the tricky ones mostly are not.
    expect(answered).toBeGreaterThan(total / 4);
    expect(refused).toBeGreaterThan(total / 4);
  });

  it('gives exactly what the whole parse gives when read again with what a first read remembered', () => {
    const next = seeded(11);
    // Values JSON does not keep (NaN, -0, infinities) beside ones it does, then generated manifests.
    const texts = ['hosts:\n  - name: a\n    weight: .nan\n  - name: b\n    offset: -0\n  - name: c\n    limit: -.inf\n  - name: d\n    port: 1e3\n'];
    for (let i = 0; i < 2000; i++) texts.push(i % 3 === 2 ? renderedManifest(next) : randomManifest(next));
    let remembered = 0;
    for (const text of texts) {
      const first = new ParseCache();
      if (readByEntry(text, OPTIONS, first, MAX_ALIAS_COUNT) === undefined) continue;
      // Through the form the build stores (out/.fleetgen-cache/parsed.bin), as the next run reads it.
      const again = readByEntry(text, OPTIONS, new ParseCache(new Map(first.entries())), MAX_ALIAS_COUNT);
      remembered += first.entries().size;
      const whole = parsedWhole(text);
      if (!serialize(again?.value).equals(serialize(whole))) expect({ text, again: again?.value }).toEqual({ text, again: whole });
    }
    expect(remembered).toBeGreaterThan(1000);
  });

  it('refuses what would change meaning across entries, and reads plain lists at any indent', () => {
    const refused = [
      'hosts:\n  - name: a\n    description: "open\n  - name: b"\n',
      'hosts:\n  - name: a\n    tags: [x,\n  - y]\n',
      'defaults: &d\n  group: g\nhosts:\n  - name: a\n    <<: *d\n',
      '%YAML 1.1\n---\nhosts:\n  - name: a\n    on: yes\n',
      'hosts:\n  - name: a\n  oops: b\n',
      'hosts:\n\t- name: a\n',
      'hosts: # x\nhosts:\n  - name: a\n',
      'hosts:#x\n  - name: a\n',
      'hosts:\n',
      'hosts: []\n',
      'hosts:\n  - name: a\n...\n',
      // The first `hosts:` line is inside a quoted scalar (which YAML refuses at the left edge), the key comes later.
      'description: "text\nhosts:\n  - name: fake"\nhosts:\n',
      '{ version: 1,\nhosts:\n  - name: a\n}\n',
      'hosts:\n  - name: a\n---\nhosts:\n  - name: b\n',
    ];
    for (const text of refused) expect(readByEntry(text, OPTIONS, new ParseCache(), MAX_ALIAS_COUNT), text).toBeUndefined();
    const read = [
      'version: 1\nhosts:\n  - name: a\n    group: g\n  # between\n  - name: b\nzone: z\n',
      'hosts:\n- name: a\n  tags:\n  - x\nzone: z\n',
      'hosts:   # the fleet\n\n    - name: a\n      script: |\n        - name: inside\n    - name: b\n',
      '---\nhosts:\n  - name: a\n# at the edge\n  - name: b\n',
    ];
    for (const text of read) {
      const byEntry = readByEntry(text, OPTIONS, new ParseCache(), MAX_ALIAS_COUNT);
      expect(byEntry, text).toBeDefined();
      expect(isDeepStrictEqual(byEntry?.value, parsedWhole(text)), text).toBe(true);
    }
  });

  it('cuts at each dash of the list and ends the list at the next key of the frame', () => {
    const text = 'version: 1\nhosts:\n  # first\n  - name: a\n    x: 1\n\n  - name: b\nzone: z\n';
    const found = findHostEntries(text);
    expect(found?.entries.map((span) => text.slice(span.start, span.end))).toEqual(['  # first\n  - name: a\n    x: 1\n\n', '  - name: b\n']);
    expect(found && text.slice(0, found.region.start) + text.slice(found.region.end)).toBe('version: 1\nhosts:\nzone: z\n');
  });

  it('parses only the entries (and the frame) it does not remember, and hands out copies the caller cannot change', () => {
    const text = 'version: 1\nhosts:\n  - name: a\n    tags: [x]\n  - name: b\n';
    const first = new ParseCache();
    const one = readByEntry(text, OPTIONS, first, MAX_ALIAS_COUNT);
    expect(first.isChanged).toBe(true);
    // The two entries and the frame.
    expect(first.entries().size).toBe(3);

    const second = new ParseCache(first.entries());
    const two = readByEntry(text, OPTIONS, second, MAX_ALIAS_COUNT);
    expect(second.isChanged).toBe(false);
    expect(two?.value).toEqual(one?.value);
    ((two?.value.hosts as { tags: string[] }[])[0] as { tags: string[] }).tags.push('changed');
    expect(readByEntry(text, OPTIONS, new ParseCache(second.entries()), MAX_ALIAS_COUNT)?.value).toEqual(one?.value);

    // One entry changed: one new entry parsed, the other and the frame remembered; the one no longer used is dropped.
    const third = new ParseCache(second.entries());
    readByEntry(text.replace('name: b', 'name: c'), OPTIONS, third, MAX_ALIAS_COUNT);
    expect(third.isChanged).toBe(true);
    expect([...third.entries().keys()].filter((key) => second.entries().has(key))).toHaveLength(2);
    expect(third.entries().size).toBe(3);
    // The frame changed: it is parsed again, and its value is the new one.
    const fourth = new ParseCache(second.entries());
    expect(readByEntry(text.replace('version: 1', 'version: 2'), OPTIONS, fourth, MAX_ALIAS_COUNT)?.value).toEqual({ ...(one?.value ?? {}), version: 2 });
    expect([...fourth.entries().keys()].filter((key) => second.entries().has(key))).toHaveLength(2);
  });

  it('never takes a remembered value for a text that differs, even in a comment or an indent', () => {
    const cache = new ParseCache();
    readByEntry('version: 1\nhosts:\n  - name: a\n', OPTIONS, cache, MAX_ALIAS_COUNT);
    const again = new ParseCache(cache.entries());
    readByEntry('version:  1\nhosts:\n  - name: a # now commented\n', OPTIONS, again, MAX_ALIAS_COUNT);
    expect([...again.entries().keys()].some((key) => cache.entries().has(key))).toBe(false);
  });
});

describe('a manifest read by entry', () => {
  it('locates diagnostics exactly as the whole parse does, parsing the whole text only when asked', () => {
    const text = 'version: 1\nfleet: demo\nhosts:\n  - name: a\n    group: g\n  - name: b\n    ingress:\n      - service: ssh://localhost:22\nzone: z\n';
    const whole = parseManifest(text, 'fleet.yaml');
    const byEntry = parseManifest(text, 'fleet.yaml', { cache: new ParseCache() });
    if (!whole.ok || !byEntry.ok) throw new Error('both parse');
    expect(byEntry.manifest.value).toEqual(whole.manifest.value);
    const paths = [[], ['fleet'], ['hosts'], ['hosts', 1, 'ingress', 0, 'service'], ['hosts', 0, 'missing'], ['zone'], ['hosts', 7]];
    for (const path of paths) {
      expect(byEntry.manifest.source.positionOf(path), path.join('.')).toEqual(whole.manifest.source.positionOf(path));
      expect(byEntry.manifest.source.keyPositionOf(path), path.join('.')).toEqual(whole.manifest.source.keyPositionOf(path));
    }
    expect(byEntry.manifest.source.plainScalarAt(['hosts', 0, 'group'])).toBe('g');
  });

  it('reports a broken manifest as the whole parse does (it is parsed whole)', () => {
    const text = 'hosts:\n  - name: a\n    name: b\n';
    expect(parseManifest(text, 'fleet.yaml', { cache: new ParseCache() })).toEqual(parseManifest(text, 'fleet.yaml'));
  });
});

describe('the remembered entries in out/.fleetgen-cache', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const tempOut = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetgen-entries-'));
    dirs.push(dir);
    return join(dir, 'out');
  };

  it('are written owner-only when they changed, read back, and not rewritten when nothing changed', () => {
    const out = tempOut();
    const text = 'hosts:\n  - name: a\n  - name: b\n';
    const cache = readParseCache(out);
    readByEntry(text, OPTIONS, cache, MAX_ALIAS_COUNT);
    writeParseCache(out, cache);
    const file = join(out, '.fleetgen-cache', 'parsed.bin');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(out, '.fleetgen-cache', '.gitignore'), 'utf8')).toContain('*');

    const again = readParseCache(out);
    expect(again.entries().size).toBe(0);
    readByEntry(text, OPTIONS, again, MAX_ALIAS_COUNT);
    expect(again.isChanged).toBe(false);
    const before = statSync(file).mtimeMs;
    writeParseCache(out, again);
    expect(statSync(file).mtimeMs).toBe(before);
  });

  it('cost only the parse of an entry whose remembered value is damaged', () => {
    const out = tempOut();
    const text = 'hosts:\n  - name: a\n  - name: b\n';
    const cache = readParseCache(out);
    const [damagedKey, keptKey] = readByEntry(text, OPTIONS, cache, MAX_ALIAS_COUNT)?.texts.entries ?? [];
    const keptJson = cache.entries().get(keptKey ?? '');
    if (damagedKey === undefined || keptKey === undefined || keptJson === undefined) throw new Error('both entries remembered');
    const file = join(out, '.fleetgen-cache', 'parsed.bin');
    writeParseCache(out, cache);
    const stored = deserialize(readFileSync(file)) as { entries: Map<string, string> };
    writeFileSync(file, serialize({ ...stored, entries: new Map([...stored.entries, [damagedKey, '{"name": "a'], [keptKey, keptJson]]) }));
    const read = readParseCache(out);
    expect(readByEntry(text, OPTIONS, read, MAX_ALIAS_COUNT)?.value).toEqual({ hosts: [{ name: 'a' }, { name: 'b' }] });
    // The damaged entry was parsed again (and is remembered anew); the other was taken from memory.
    expect(read.isChanged).toBe(true);
    expect(read.entries().get(damagedKey)).toBe(JSON.stringify({ name: 'a' }));
  });

  it('are ignored when damaged or of another format: every entry is parsed again', () => {
    const out = tempOut();
    const cache = readParseCache(out);
    readByEntry('hosts:\n  - name: a\n', OPTIONS, cache, MAX_ALIAS_COUNT);
    writeParseCache(out, cache);
    const file = join(out, '.fleetgen-cache', 'parsed.bin');
    for (const damage of [Buffer.from('not v8 data'), readFileSync(file).subarray(0, 20), Buffer.from(JSON.stringify({ version: 1, entries: {} }))]) {
      writeFileSync(file, damage);
      const read = readParseCache(out);
      expect(read.entries().size).toBe(0);
      expect(readByEntry('hosts:\n  - name: a\n', OPTIONS, read, MAX_ALIAS_COUNT)?.value).toEqual({ hosts: [{ name: 'a' }] });
    }
  });
});
