import { describe, expect, it } from 'vitest';
import { Document, Scalar, visit, type DocumentOptions, type SchemaOptions, type ToStringOptions } from 'yaml';
import { rememberStrings } from '../../../src/targets/common/remembered-strings.js';

// Strings that take each of the library's paths: plain, quoted because a YAML type would claim them (1.1 or 1.2),
// quoted for a leading indicator or a ": ", double-quoted for control characters, block literal and folded, with
// kept (|+), clipped and stripped trailing newlines, a leading space, a document marker, long enough to fold.
const WORDS = ['', 'a', 'yes', 'on', 'No', '0640', '1:20', '0x1F', '.5', '~', 'null', '2001-12-14', '- x', '#x', 'a: b', 'a #b', '"q"', "'s'", '*x', '&x', '!t', '%p', '@x', '`x', '{x', '[x', 'x]', ' x', 'x ', '---', '...', '\t', 'é', '\u0085', '\u2028', 'a\u0007b'];
const LINES = ['line one', '  indented', '', '#!/bin/sh', 'key: value', '--- marker', 'a'.repeat(90), `${'word '.repeat(40)}end`];

function randomText(next: () => number): string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const shape = next();
  if (shape < 0.5) return pick(WORDS) + (next() < 0.2 ? pick(WORDS) : '');
  const lines = Array.from({ length: 1 + Math.floor(next() * 4) }, () => pick(LINES));
  const ending = pick(['', '\n', '\n\n', '\n\n\n', ' \n']);
  return (next() < 0.1 ? '\n' : '') + lines.join(pick(['\n', '\n\n'])) + ending;
}

/** A random document of maps, sequences (some flow) and strings, some with a style or a comment of their own. */
function randomValue(next: () => number, depth: number): unknown {
  const shape = next();
  if (depth > 3 || shape < 0.45) {
    const text = randomText(next);
    if (next() < 0.7) return text;
    const scalar = new Scalar(text);
    const styles = [Scalar.PLAIN, Scalar.QUOTE_DOUBLE, Scalar.QUOTE_SINGLE, Scalar.BLOCK_LITERAL, Scalar.BLOCK_FOLDED] as const;
    scalar.type = styles[Math.floor(next() * styles.length)];
    if (next() < 0.2) scalar.comment = ' a comment';
    return scalar;
  }
  if (shape < 0.75) return Array.from({ length: Math.floor(next() * 4) }, () => randomValue(next, depth + 1));
  const map: Record<string, unknown> = {};
  for (let i = Math.floor(next() * 4); i > 0; i--) map[randomText(next).slice(0, 30)] = randomValue(next, depth + 1);
  return map;
}

function render(value: unknown, options: DocumentOptions & SchemaOptions, toString: ToStringOptions, isRemembering: boolean, flowSeed: number): string {
  const doc = new Document(value, isRemembering ? { ...options, customTags: rememberStrings } : options);
  // The same decoration on both sides: some sequences in flow style, blank lines and comments before some nodes
  // and after the document (the library writes those differently after a block scalar that keeps its newlines).
  let n = flowSeed;
  const roll = (): number => (n = (n * 31 + 7) % 97);
  visit(doc, {
    Seq(_, seq) {
      if (roll() % 3 === 0) seq.flow = true;
    },
    Node(_, node) {
      const r = roll();
      if (r < 10) node.spaceBefore = true;
      else if (r < 15) node.commentBefore = ' before';
    },
  });
  if (roll() < 30) doc.comment = ' after';
  return doc.toString(toString);
}

describe('rememberStrings', () => {
  it('writes exactly what the yaml library writes, the first time and every time after', () => {
    let seed = 11;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const settings: [DocumentOptions & SchemaOptions, ToStringOptions][] = [
      [{ version: '1.1' }, { lineWidth: 0, flowCollectionPadding: false }],
      [{ version: '1.1' }, { lineWidth: 160 }],
      [{}, { lineWidth: 0 }],
      [{}, { lineWidth: 40, minContentWidth: 10 }],
      [{}, { indent: 4, blockQuote: 'literal' }],
      [{ version: '1.1' }, { defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN' }],
      [{}, { singleQuote: true, doubleQuotedAsJSON: true }],
    ];
    let compared = 0;
    for (let i = 0; i < 600; i++) {
      const value = randomValue(next, 0);
      for (const [options, toString] of settings) {
        const expected = render(value, options, toString, false, i);
        // Three times: the first meets each string, the second remembers it, the third writes it from memory.
        for (let round = 0; round < 3; round++) expect(render(value, options, toString, true, i)).toBe(expected);
        compared++;
      }
    }
    expect(compared).toBe(600 * settings.length);
  });

  it('tells documents with different options apart even when every string is the same', () => {
    const value = { key: 'a'.repeat(30) + ' ' + 'b'.repeat(30), list: ['yes', '0640'] };
    const wide = (): string => new Document(value, { customTags: rememberStrings }).toString({ lineWidth: 0 });
    const narrow = (): string => new Document(value, { customTags: rememberStrings }).toString({ lineWidth: 40, minContentWidth: 0 });
    const old = (): string => new Document(value, { version: '1.1', customTags: rememberStrings }).toString({ lineWidth: 0 });
    for (let round = 0; round < 3; round++) {
      expect(wide()).toBe(new Document(value).toString({ lineWidth: 0 }));
      expect(narrow()).toBe(new Document(value).toString({ lineWidth: 40, minContentWidth: 0 }));
      expect(old()).toBe(new Document(value, { version: '1.1' }).toString({ lineWidth: 0 }));
    }
    expect(narrow()).not.toBe(wide());
    expect(old()).toContain('"yes"'); // YAML 1.1 reads yes as a boolean: quoted there, plain in 1.2
    expect(wide()).toContain('- yes');
  });
});
