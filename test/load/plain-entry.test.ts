import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { serialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { findHostEntries } from '../../src/load/manifest-entries.js';
import type { YamlParseOptions } from '../../src/load/parse-yaml.js';
import { readPlainDocument, readPlainEntry } from '../../src/load/plain-entry.js';
import { seeded } from '../support/seeded.js';

const OPTIONS: YamlParseOptions = { version: '1.2', merge: true, strict: true, prettyErrors: false };

/** The library's reading of an entry: its one item, or undefined when it is not exactly one clean item. */
function libraryValue(text: string): { value: unknown } | undefined {
  const doc = parseDocument(text, OPTIONS);
  if (doc.errors.length > 0 || doc.warnings.length > 0) return undefined;
  const value = doc.toJS() as unknown;
  return Array.isArray(value) && value.length === 1 ? { value } : undefined;
}

// Scalars of every type the core schema knows, strings that look like them, indicators, and characters plain scalars
// and quotes treat apart.
const PLAIN = ['web-1', 'host_2', 'yes', 'No', 'true', 'False', 'TRUE', 'null', 'Null', '~', '0', '-0', '+12', '017', '0o17', '0o8', '0x1F', '0xG', '1.5', '.5', '1.', '1e3', '-1E-3', '.inf', '-.Inf', '.nan', '.NaN', 'nan', '1_000', '2001-12-14', '12:30', 'ssh://localhost:22', 'http://a:8080/x', 'a:b', 'a: b', 'a #b', 'a#b', 'a:', ':a', '?a', '? a', '-a', '- a', '--', '-', '@a', '`a', '%a', '!a', '&a', '*a', '|', '>', '#a', ',a', 'a,b', '[a]', '{a}', 'a]', 'a}', 'é', 'x y  z', 'a\'b', 'a"b', 'a\\b', '<<', '='];
const QUOTED = ['"a"', '"a b"', '""', '"yes"', '"12"', '"a\\"b"', '"a\\nb"', '"\\u00e9"', '"a#b"', '"a: b"', "'a'", "''", "'it''s'", "'a\"b'", "'12'", "'a\\b'", '"a"b', "'a'b", '"open', "'open"];
const KEYS = ['name', 'group', 'a-b', 'a_b', '_x', 'x1', 'true', 'null', 'Null', '~', '1', '1x', '<<', '__proto__', 'yes', 'on', '"quoted"', "'single'", 'a b', 'é', 'ssh://localhost:22', 'http://x:80 path=^/y', 'a:b', 'x#y', 'x #y', '-x', '- x', '?x', 'a:', '[k]', '{k}', 'k,l', ' k'];

/** What a manifest mostly holds: words, numbers, URLs, quoted strings. */
const TAME_PLAIN = ['web-1', 'host_2', 'yes', 'true', 'null', '~', '0', '017', '0x1F', '1.5', '1e3', '.inf', 'ssh://localhost:22', 'http://a:8080/x', 'é', 'x y', 'a#b', '-a', '2001-12-14'];
const TAME_QUOTED = ['"a"', '"a b"', '""', '"yes"', '"12"', "'a'", "'it''s'", '"a#b"', '"a: b"'];

function entry(next: () => number, isDocument = false): string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  // Half the entries are tame (mostly read here), half hold anything (mostly left to the library).
  const isTame = next() < 0.5;
  const scalar = (): string => (next() < 0.7 ? pick(isTame ? TAME_PLAIN : PLAIN) : pick(isTame ? TAME_QUOTED : QUOTED));
  const flow = (depth: number): string => {
    const n = Math.floor(next() * 4);
    const sep = pick([', ', ',', ' , ']);
    if (next() < 0.5) {
      const items = Array.from({ length: n }, () => (depth < 2 && next() < 0.3 ? flow(depth + 1) : scalar()));
      return `[${pick(['', ' '])}${items.join(sep)}${pick(isTame ? ['', ' '] : ['', ' ', ','])}]`;
    }
    const items = Array.from({ length: n }, () => `${pick(isTame ? KEYS.slice(0, 6) : KEYS)}:${pick(isTame ? [' '] : [' ', '  ', ''])}${depth < 2 && next() < 0.3 ? flow(depth + 1) : next() < 0.1 ? '' : scalar()}`);
    return `{${pick(['', ' '])}${items.join(sep)}${pick(isTame ? ['', ' '] : ['', ' ', ','])}}`;
  };
  const inline = (): string => (next() < 0.25 ? flow(0) : scalar()) + (next() < 0.15 ? pick([' # note', '# glued', '  #x']) : '');
  const block = (indent: string, depth: number): string[] => {
    const lines: string[] = [];
    const step = pick(['  ', '   ', '    ']);
    if (next() < 0.35 && depth < 3) {
      for (let n = 1 + Math.floor(next() * 3); n > 0; n--) {
        const shape = next();
        if (shape < 0.4) lines.push(`${indent}- ${inline()}`);
        else if (shape < 0.7 && depth < 3) {
          const [first, ...rest] = block(`${indent}  `, depth + 1);
          // A mapping or list begun on the `- ` line, or under it.
          if (first !== undefined && next() < 0.6) lines.push(`${indent}- ${first.trimStart()}`, ...rest);
          else lines.push(`${indent}-`, ...(first !== undefined ? [first] : []), ...rest);
        } else lines.push(`${indent}-${pick([' ', ''])}`);
      }
      return lines;
    }
    for (let n = 1 + Math.floor(next() * 4); n > 0; n--) {
      const key = pick(isTame ? KEYS.slice(0, 6) : KEYS);
      const shape = next();
      if (shape < 0.55) lines.push(`${indent}${key}:${pick([' ', '  '])}${inline()}`);
      else if (shape < 0.85 && depth < 3) lines.push(`${indent}${key}:${pick(['', ' # why', ' '])}`, ...block(`${indent}${isTame || next() < 0.9 ? step : ''}`, depth + 1));
      else lines.push(`${indent}${key}:`);
      if (next() < 0.1) lines.push(pick(isTame ? ['', `${indent}# a comment`, '# at the edge'] : ['', `${indent}# a comment`, '# at the edge', `${indent}${step}continued`, `${indent}  - stray`]));
    }
    return lines;
  };
  if (isDocument) {
    const lines = block('', 0);
    if (next() < 0.1) lines.unshift(pick(['# a header', '', '  # indented']));
    return `${lines.join('\n')}${pick(['\n', '', '\n\n'])}`;
  }
  const dash = pick(['', '  ', '    ']);
  const body = block(`${dash}  `, 0);
  const first = body[0]?.trimStart() ?? '';
  const lines = next() < 0.8 ? [`${dash}- ${first}`, ...body.slice(1)] : [`${dash}-`, ...body];
  if (next() < 0.1) lines.push(pick(isTame ? ['', '# after', `${dash}  # inside`] : ['', '# after', `${dash}- second: item`, `${dash}  # inside`]));
  return `${lines.join('\n')}${pick(['\n', '', '\n\n'])}`;
}

describe('readPlainEntry', () => {
  it('gives exactly what the yaml library gives for a host entry, or nothing, on generated entries', () => {
    const next = seeded(26);
    const total = 6000;
    let read = 0;
    for (let i = 0; i < total; i++) {
      const text = entry(next);
      const plain = readPlainEntry(text, OPTIONS);
      if (plain === undefined) continue;
      read++;
      const library = libraryValue(text);
      // Equal data, keys in the same order (v8's serialization keeps the order, NaN and -0).
      if (library === undefined || !isDeepStrictEqual(plain.value, library.value) || !serialize(plain.value).equals(serialize(library.value))) {
        expect({ text, plain: plain.value }).toEqual({ text, plain: library?.value });
      }
    }
    // Both ways are exercised: many entries are read, and many are left to the library.
    expect(read).toBeGreaterThan(total / 5);
    expect(read).toBeLessThan(total * 0.8);
  });

  it('gives exactly what the yaml library gives for a document that is a block mapping, in the core and failsafe schemas', () => {
    const next = seeded(27);
    const total = 3000;
    let read = 0;
    for (const options of [OPTIONS, { schema: 'failsafe', strict: true, prettyErrors: false } satisfies YamlParseOptions]) {
      for (let i = 0; i < total; i++) {
        const text = entry(next, true);
        const plain = readPlainDocument(text, options);
        if (plain === undefined) continue;
        read++;
        const doc = parseDocument(text, options);
        const library = doc.errors.length === 0 && doc.warnings.length === 0 ? (doc.toJS() as unknown) : undefined;
        if (!isDeepStrictEqual(plain.value, library) || !serialize(plain.value).equals(serialize(library))) expect({ text, plain: plain.value }).toEqual({ text, plain: library });
      }
    }
    expect(read).toBeGreaterThan(total / 3);
  });

  it("reads every host entry of the test manifests and the bench's, as the library does", () => {
    const benchEntry = [
      '  - name: host-7',
      '    group: g7',
      '    tunnel: { id: 00000000-0000-4000-8000-000000000007, credentials: { file: secrets/00000000-0000-4000-8000-000000000007.json } }',
      '    ingress:',
      '      - service: ssh://localhost:22',
      '      - { hostname: web-7.example.com, service: "http://localhost:8080" }',
      '',
    ].join('\n');
    const texts = [benchEntry];
    for (const file of ['fixtures/valid/full/fleet.yaml', 'fixtures/example/fleet.yaml']) {
      const text = readFileSync(file, 'utf8');
      const found = findHostEntries(text);
      expect(found).toBeDefined();
      for (const span of found?.entries ?? []) texts.push(text.slice(span.start, span.end));
    }
    expect(texts.length).toBeGreaterThan(10);
    for (const text of texts) {
      const plain = readPlainEntry(text, OPTIONS);
      expect(plain, text).toBeDefined();
      expect(plain?.value).toStrictEqual(libraryValue(text)?.value);
    }
  });

  it('leaves to the library what it reads another way or refuses', () => {
    const left = [
      '- a: |\n    block\n', // a block scalar
      '- a: plain\n  continued\n', // a scalar on two lines
      '- a: "two\n  lines"\n',
      '- a: [x,\n  y]\n', // a flow collection on two lines
      '- a: &x 1\n  b: *x\n', // an anchor and an alias
      '- a: !!str 1\n', // a tag
      '- <<: { a: 1 }\n', // a merge key
      '- true: 1\n', // a key the schema reads as a bool
      '- a: 1\n  a: 2\n', // a repeated key
      '- a:\n  - 1\n', // a list at its key's own indent
      '- a: "x\\ty"\n', // an escape
      '- a: x\ty\n', // a tab
      '- a: @x\n', // a character a plain scalar must not start with
      '- a: b: c\n',
      '- a: [x{y]\n', // in a flow collection, a plain scalar ends at a bracket: the library reads another collection
      '- a: [x[y]\n',
      '- a: [x:]\n', // a key with no value
      '- a: [x #y]\n', // a comment
      '- - a\n', // a list in a list on one line
      '- a: 1\n- b: 2\n', // two items
      '- a: 1\n   b: 2\n', // a key half-way
    ];
    for (const text of left) expect(readPlainEntry(text, OPTIONS), text).toBeUndefined();
  });
});
