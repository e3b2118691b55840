import { describe, expect, it } from 'vitest';
import { LineCounter, parseAllDocuments, parseDocument, type Document } from 'yaml';
import { parseAllDocumentsWithUniqueKeys, parseDocumentWithUniqueKeys, type YamlParseOptions } from '../../src/load/parse-yaml.js';

// Texts with and without repeated keys, in every place a key can repeat.
const TEXTS = [
  'a: 1\nb: 2\n',
  'a: 1\na: 2\n',
  'hosts:\n  x: { r: 1 }\n  y: { r: 1, r: 2 }\n',
  '{ a: 1, b: 2, a: 3 }\n',
  '- { a: 1 }\n- a: 1\n  b: 2\n  a: 1\n',
  '&x a: 1\n!!str a: 2\n',
  '? [a]\n: 1\n? [a]\n: 2\n',
  ': 1\n: 2\n',
  '.nan: 1\n.NaN: 2\n',
  '1: a\n"1": b\n',
  '1: a\n0x1: b\n',
  'base: &b { a: 1 }\nmerged:\n  <<: *b\n  <<: *b\n',
  'base: &b { a: 1 }\nmerged:\n  <<: *b\n  a: 2\n',
  'a: 1\n---\nb: 1\nb: 2\n',
  'a: [1\nb: 2\nb: 3\n',
  'outer:\n  inner:\n    deep: 1\n    deep: 2\n  inner2: 1\n',
];
const OPTIONS: YamlParseOptions[] = [
  { version: '1.2', merge: true, strict: true, prettyErrors: false },
  { schema: 'failsafe', strict: true, prettyErrors: false },
  { version: '1.1', prettyErrors: false },
];

const summary = (doc: Document.Parsed, lines: LineCounter) => ({
  value: JSON.stringify(doc.toJS({ maxAliasCount: 100, mapAsMap: true }) ?? null, (_, v: unknown) => (v instanceof Map ? [...v.entries()] : v)),
  errors: doc.errors.map((e) => ({ code: e.code, message: e.message, pos: e.pos, at: lines.linePos(e.pos[0]) })),
  warnings: doc.warnings.map((e) => ({ code: e.code, message: e.message, pos: e.pos })),
});

describe('parsing YAML with unique keys in linear time', () => {
  it('gives exactly the documents and errors of the library with uniqueKeys: true', () => {
    let repeated = 0;
    for (const text of TEXTS) {
      for (const options of OPTIONS) {
        const lines = new LineCounter();
        const docs = parseAllDocuments(text, { ...options, uniqueKeys: true, lineCounter: lines });
        const expected = (Array.isArray(docs) ? docs : []).map((d) => summary(d, lines));
        const ours = parseAllDocumentsWithUniqueKeys(text, options);
        expect(ours.documents.map((d) => summary(d, ours.lines)), `${text} ${JSON.stringify(options)}`).toEqual(expected);
        if (expected.some((d) => d.errors.some((e) => e.code === 'DUPLICATE_KEY'))) repeated++;

        const one = new LineCounter();
        const single = parseDocumentWithUniqueKeys(text, options);
        expect(summary(single.document, single.lines)).toEqual(summary(parseDocument(text, { ...options, uniqueKeys: true, lineCounter: one }), one));
      }
    }
    expect(repeated).toBeGreaterThan(15); // the repeated-key texts really were refused
  });

  it('counts lines once even when the text is parsed a second time for a repeated key', () => {
    const { documents, lines } = parseAllDocumentsWithUniqueKeys('a: 1\nb: 2\na: 3\n', { prettyErrors: false });
    expect(documents[0]?.errors.map((e) => lines.linePos(e.pos[0]))).toEqual([{ line: 3, col: 1 }]);
    expect(lines.lineStarts).toEqual([0, 5, 10, 15]);
  });

  it('reads a map of thousands of keys, and finds the one repeated at its end', () => {
    // (Only a text with a repeated key is parsed the library's quadratic way: 2,000 keys keep this test quick.)
    const keys = Array.from({ length: 2_000 }, (_, i) => `host-${i}: x`);
    expect(parseAllDocumentsWithUniqueKeys(keys.join('\n'), {}).documents[0]?.errors).toEqual([]);
    const { documents, lines } = parseAllDocumentsWithUniqueKeys([...keys, 'host-7: y'].join('\n'), { prettyErrors: false });
    expect(documents[0]?.errors.map((e) => [e.code, lines.linePos(e.pos[0]).line])).toEqual([['DUPLICATE_KEY', 2_001]]);
  });
});
