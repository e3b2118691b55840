import { afterEach, describe, expect, it, vi } from 'vitest';
import { Document, isMap, isSeq, Scalar, YAMLMap, YAMLSeq, type DocumentOptions, type Node, type SchemaOptions, type ToStringOptions } from 'yaml';
import { buildFleet } from '../../../src/build.js';
import { compileFleet } from '../../../src/pipeline.js';
import { unsafe } from '../../../src/targets/ansible/ansible-yaml.js';
import { TARGET_NAMES } from '../../../src/targets/target.js';
import { rememberStrings } from '../../../src/targets/common/remembered-strings.js';
import { rememberedStyled, Styled, YamlWriter, type EntryStyle } from '../../../src/targets/common/yaml-writer.js';
import { hostileFleet } from '../../support/hostile-fleet.js';
import { platformFleet } from '../../support/platform-fleet.js';
import { sampleFleet } from '../../support/sample-fleet.js';
import { fixtureEnv } from '../../validate/run-fixture.js';

// Strings that YAML 1.1 or 1.2 would read as something else, that need quotes or a block scalar, that keep their final
// newlines (|+), that fold past a line width, or that hold characters only double quotes can carry.
const STRINGS = [
  'a',
  '<<',
  '=',
  'yes',
  'on',
  '0640',
  '1:20',
  '~',
  'null',
  '1e3',
  'a: b',
  '#x',
  '- x',
  '[x]',
  '{x}',
  'x, y',
  '',
  ' lead',
  'trail ',
  'é',
  '---',
  '--- x',
  'line\nnext\n',
  'kept\n\n',
  'kept\n\n\n',
  'no newline\nat end',
  '\n',
  '\nlead',
  '  indented\nfirst\n',
  'tab\there',
  'bell\u0007',
  'nel\u0085x',
  `${'word '.repeat(40)}end`,
  `${'long-'.repeat(50)}x`,
];
const UNSAFE_TAG = { tag: '!unsafe', identify: () => false, resolve: (source: string) => source } as const;
const SCALARS: (() => unknown)[] = [
  ...STRINGS.map((s) => () => s),
  ...STRINGS.filter((_, i) => i % 3 === 0).map((s) => () => unsafe(s)),
  () => Object.assign(new Scalar('yes'), { type: Scalar.QUOTE_SINGLE }),
  () => Object.assign(new Scalar('a\nb\n'), { type: Scalar.PLAIN }),
  () => 0,
  () => 7,
  () => -3,
  () => 1.5,
  () => true,
  () => false,
  () => null,
];
const STYLES: EntryStyle[] = [{}, { flow: true }, { flow: false }, { commentBefore: ' why this step' }, { flow: true, commentBefore: ' two\n lines' }, { commentBefore: '\n after a blank line' }];

type Next = () => number;
const pick = <T>(next: Next, items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;

/** Random plain data: maps and lists (some empty, some of scalars only, as argv lists are), nested three deep. */
function randomValue(next: Next, depth: number): unknown {
  const shape = next();
  if (depth > 2 || shape < 0.35) return pick(next, SCALARS)();
  if (shape < 0.5) return Array.from({ length: Math.floor(next() * 5) }, () => pick(next, SCALARS)());
  if (shape < 0.7) return Array.from({ length: Math.floor(next() * 4) }, () => randomValue(next, depth + 1));
  const map: Record<string, unknown> = {};
  for (let i = Math.floor(next() * 4); i > 0; i--) map[pick(next, STRINGS).slice(0, 12)] = randomValue(next, depth + 1);
  if (next() < 0.1) map.skipped = undefined;
  return map;
}

/** A document's contents: random values, some of them Styled (flow, a comment above), in maps and lists. */
function randomContents(next: Next): Record<string, unknown> {
  const styledOrNot = (value: unknown): unknown => {
    if (typeof value !== 'object' || value === null || value instanceof Scalar || next() < 0.4) return value;
    return new Styled(value, pick(next, STYLES));
  };
  const contents: Record<string, unknown> = {};
  for (let i = 1 + Math.floor(next() * 5); i > 0; i--) {
    const value = randomValue(next, 0);
    switch (Math.floor(next() * 3)) {
      case 0:
        contents[`key${i}`] = styledOrNot(value);
        break;
      case 1:
        contents[`list${i}`] = [styledOrNot(value), styledOrNot(randomValue(next, 1)), 'after'];
        break;
      default:
        contents[`deep${i}`] = { inner: [{ deeper: styledOrNot(value) }] };
    }
  }
  return contents;
}

/**
 * What fleetgen wrote before this writer, made independently of it: the library's nodes from the data, a Styled
 * value's flags on its node, its comment on its key (in a map) or on its item (in a list).
 */
function libraryDocument(contents: unknown, commentBefore: string | undefined, options: DocumentOptions & SchemaOptions): Document {
  const doc = new Document(undefined, options);
  const nodeOf = (value: unknown): unknown => {
    if (value instanceof Styled) {
      const node = doc.createNode(nodeOf(value.value)) as Node;
      if (value.style.flow !== undefined && (isMap(node) || isSeq(node))) node.flow = value.style.flow;
      return node;
    }
    if (Array.isArray(value)) {
      const seq = new YAMLSeq(doc.schema);
      for (const item of value) {
        const node = doc.createNode(nodeOf(item)) as Node;
        if (item instanceof Styled && item.style.commentBefore !== undefined) node.commentBefore = item.style.commentBefore;
        seq.items.push(node);
      }
      return seq;
    }
    if (typeof value === 'object' && value !== null && !(value instanceof Scalar)) {
      const map = new YAMLMap(doc.schema);
      for (const [key, item] of Object.entries(value)) {
        if (item === undefined) continue;
        const pair = doc.createPair(key, nodeOf(item));
        if (item instanceof Styled && item.style.commentBefore !== undefined) (pair.key as Scalar).commentBefore = item.style.commentBefore;
        map.items.push(pair);
      }
      return map;
    }
    return value;
  };
  doc.contents = doc.createNode(nodeOf(contents)) as Node;
  if (commentBefore !== undefined) doc.commentBefore = commentBefore;
  return doc;
}

const SETTINGS: [DocumentOptions & SchemaOptions, ToStringOptions][] = [
  // fleetgen's three: user-data, config.yml, Ansible's data.
  [{ version: '1.1', customTags: rememberStrings }, { lineWidth: 0, flowCollectionPadding: false, directives: false }],
  [{ customTags: rememberStrings }, { lineWidth: 0, directives: false }],
  [{ version: '1.1', customTags: (tags) => [...rememberStrings(tags), UNSAFE_TAG] }, { lineWidth: 160, directives: false }],
  // Other widths, indents and styles: the writer must follow the library wherever an option leads it.
  [{ version: '1.1', customTags: [UNSAFE_TAG] }, { lineWidth: 40, minContentWidth: 10 }],
  [{ customTags: [UNSAFE_TAG] }, { indent: 4, lineWidth: 30 }],
  [{ version: '1.1', customTags: [UNSAFE_TAG] }, { defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN', collectionStyle: 'block' }],
];
/** Options whose layout the writer leaves to the library: every document is the library's own. */
const LIBRARY_SETTINGS: [DocumentOptions & SchemaOptions, ToStringOptions][] = [
  [{ customTags: [UNSAFE_TAG] }, { collectionStyle: 'flow' }],
  [{ customTags: [UNSAFE_TAG] }, { indentSeq: false }],
];

describe('YamlWriter', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('writes exactly what the yaml library writes from the same data, for any data and any of these options', () => {
    let seed = 11;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const all = [...SETTINGS.map((setting) => ({ setting, isLibraryOnly: false })), ...LIBRARY_SETTINGS.map((setting) => ({ setting, isLibraryOnly: true }))];
    for (const { setting, isLibraryOnly } of all) {
      const [documentOptions, toStringOptions] = setting;
      const writer = new YamlWriter(documentOptions, toStringOptions);
      for (let i = 0; i < 300; i++) {
        const contents = randomContents(next);
        const comment = next() < 0.5 ? ' a header\n second line' : undefined;
        const expected = libraryDocument(contents, comment, documentOptions).toString(toStringOptions);
        // Twice: Styled values are written the second time from what the first remembered.
        expect(writer.write(contents, comment)).toBe(expected);
        expect(writer.write(contents, comment)).toBe(expected);
      }
      // What is compared is the writer's own text, not the library's: it leaves to the library only what it does not
      // write (a flow map, a flow list holding a collection), about a quarter of these random documents.
      if (isLibraryOnly) expect(writer.fallbacks).toBe(600);
      else expect(writer.fallbacks).toBeLessThan(0.35 * 600);
    }
  });

  it('writes the comment after a block scalar that keeps its final newlines (|+) as the library does', () => {
    // The library drops the blank lines a comment starts with when the entry before it ends in kept newlines: the
    // kept newlines are those blank lines. Here the kept text ends an entry at every depth, before a comment.
    const after = (value: object): Styled => new Styled(value, { commentBefore: '\n after kept lines' });
    const shared = new Styled({ content: 'shared\n\n' }, {});
    const cases: unknown[] = [
      { a: 'kept\n\n', b: after(['x']) },
      { list: [{ k: 'kept\n\n' }, after({ x: 1 })] },
      { m: { k: 'kept\n\n' }, n: after([1]) },
      { deep: [{ inner: { k: ['kept\n\n\n'] } }, after(['y'])] },
      // A shared value ending in kept newlines, written from memory the second time.
      { one: shared, two: after(['z']), three: [shared, after(['w'])] },
    ];
    for (const [documentOptions, toStringOptions] of SETTINGS.slice(0, 3)) {
      const writer = new YamlWriter(documentOptions, toStringOptions);
      for (const contents of cases) {
        const expected = libraryDocument(contents, undefined, documentOptions).toString(toStringOptions);
        expect(expected).toContain('|+');
        expect(writer.write(contents)).toBe(expected);
        expect(writer.write(contents)).toBe(expected);
      }
      expect(writer.fallbacks).toBe(0);
    }
  });

  it("writes every document of fleetgen's test fleets itself, exactly as the library does", () => {
    const write = vi.spyOn(YamlWriter.prototype, 'write');
    const fixture = 'fixtures/valid/full';
    const fleets = [compileFleet(`${fixture}/fleet.yaml`, { env: fixtureEnv(fixture) }).fleet, sampleFleet(), hostileFleet(), platformFleet()];
    for (const fleet of fleets) buildFleet(fleet, { targets: [...TARGET_NAMES], options: {} });
    const writers = new Set<YamlWriter>();
    let documents = 0;
    for (const [index, call] of write.mock.calls.entries()) {
      const writer = write.mock.contexts[index] as YamlWriter;
      writers.add(writer);
      const result = write.mock.results[index];
      expect(result?.type).toBe('return');
      expect(result?.value).toBe(writer.libraryText(call[0], call[1]));
      documents++;
    }
    expect(writers.size).toBe(3); // user-data, config.yml, Ansible's host data
    expect(documents).toBeGreaterThan(100);
    for (const writer of writers) expect(writer.fallbacks).toBe(0);
  });

  it('leaves to the library what it would write with an anchor or cannot read as plain data, and counts it', () => {
    const writer = new YamlWriter({ version: '1.1' }, { lineWidth: 0 });
    const inner = ['same', 'list'];
    const cases: unknown[] = [{ first: inner, second: inner }, { when: new Date(0) }, { map: new Map([['a', 1]]) }, { [`${'k'.repeat(1100)}`]: 'long key' }];
    for (const [i, contents] of cases.entries()) {
      expect(writer.write(contents)).toBe(new Document(contents, { version: '1.1' }).toString({ lineWidth: 0 }));
      expect(writer.fallbacks).toBe(i + 1);
    }
    expect(writer.write(cases[0])).toContain('*a1'); // the case guarded: the library aliases a repeated object
  });

  it('shares a Styled value only for an equal value met again with the same style', () => {
    const value = { path: '/usr/local/sbin/shared-by-test', owner: 'root:root', content: '#!/bin/sh\nexit 0\n' };
    const first = rememberedStyled(value);
    const second = rememberedStyled(value);
    expect(second).not.toBe(first); // met once: made as usual
    expect(rememberedStyled(value)).toBe(second); // met again: remembered, then shared
    expect(rememberedStyled({ ...value })).toBe(second); // an equal copy
    rememberedStyled(value, { flow: true });
    expect(rememberedStyled(value, { flow: true })).not.toBe(second);
    rememberedStyled(value, { commentBefore: ' why' });
    expect(rememberedStyled(value, { commentBefore: ' why' })).not.toBe(second);
    expect(rememberedStyled({ ...value, owner: 'root:adm' })).not.toBe(second);
  });

  it('writes a shared value again, not from memory, where the place differs', () => {
    const writer = new YamlWriter({ version: '1.1' }, { lineWidth: 0 });
    const shared = new Styled(['a', 'b'], {});
    const text = writer.write({ top: shared, deep: { inner: [{ deeper: shared }] } });
    expect(text).toBe('top:\n  - a\n  - b\ndeep:\n  inner:\n    - deeper:\n        - a\n        - b\n');
    expect(renderingsOf(shared)).toHaveLength(2);
  });

  it('tells apart places that differ only in the column a tagged scalar before them moved on', () => {
    // The library adds a tag's width to the column of the next scalar that shares the context: in a list, every item
    // after `!unsafe x`, down into a collection's first line. Past a width, that decides where a long string folds.
    const options: [DocumentOptions & SchemaOptions, ToStringOptions] = [{ version: '1.1', customTags: [UNSAFE_TAG] }, { lineWidth: 40, minContentWidth: 10 }];
    const writer = new YamlWriter(...options);
    const shared = new Styled([`${'word '.repeat(12)}end`], {});
    const contents = { first: [shared], later: [unsafe('x'), unsafe('y'), shared] };
    const text = writer.write(contents);
    expect(text).toBe(libraryDocument(contents, undefined, options[0]).toString(options[1]));
    const texts = renderingsOf(shared);
    expect(texts).toHaveLength(2);
    const [inFirst, inLater] = texts;
    expect(inFirst).not.toBe(inLater);
  });
});

/** A Styled value's texts, over every writer and place it was written in. */
function renderingsOf(styled: Styled): string[] {
  return [...styled.renderings.values()].flatMap((byPlace) => [...byPlace.values()]);
}
