/**
 * The yaml library's parser, with its duplicate-key check in linear time.
 *
 * With `uniqueKeys: true` the library compares each key with every earlier key of its map: quadratic in the size of
 * a map. A lock file of 10,000 hosts is one such map, and took a second to read; a Terraform `hosts` output of a
 * 10,000-host module the same. Here the text is parsed without that check, and each map's scalar keys go through a
 * Set (which finds every duplicate the library would, and a few more: NaN keys). Only when a map holds a repeated
 * key is the text parsed again the library's way — so the errors, and the documents, are exactly the library's.
 */
import { isScalar, LineCounter, parseAllDocuments, parseDocument, visit, type Document, type DocumentOptions, type ParseOptions, type SchemaOptions } from 'yaml';

export type YamlParseOptions = ParseOptions & DocumentOptions & SchemaOptions;

export interface ParsedYaml {
  documents: Document.Parsed[];
  /** Positions in the text: a new counter for each parse, so that it counts the text once. */
  lines: LineCounter;
}

/** `parseAllDocuments(text, { ...options, uniqueKeys: true, lineCounter })`, without its quadratic key check. */
export function parseAllDocumentsWithUniqueKeys(text: string, options: YamlParseOptions): ParsedYaml {
  return withUniqueKeys(
    options,
    (exact) => {
      const lines = new LineCounter();
      const docs = parseAllDocuments(text, { ...exact, lineCounter: lines });
      return { documents: Array.isArray(docs) ? docs : [], lines };
    },
    (parsed) => parsed.documents,
  );
}

/** `parseDocument(text, { ...options, uniqueKeys: true, lineCounter })`, without its quadratic key check. */
export function parseDocumentWithUniqueKeys(text: string, options: YamlParseOptions): { document: Document.Parsed; lines: LineCounter } {
  return withUniqueKeys(
    options,
    (exact) => {
      const lines = new LineCounter();
      return { document: parseDocument(text, { ...exact, lineCounter: lines }), lines };
    },
    (parsed) => [parsed.document],
  );
}

/** The first document of `text` and its line starts (where a SourceMap finds positions). */
export function firstDocument(text: string, options: YamlParseOptions): { doc: Document.Parsed | undefined; lines: LineCounter } {
  const { documents, lines } = parseAllDocumentsWithUniqueKeys(text, options);
  return { doc: documents[0], lines };
}

/** Parses without the library's key check; parses again with it only when some map repeats a key. */
function withUniqueKeys<T>(options: YamlParseOptions, parse: (options: YamlParseOptions) => T, documentsOf: (parsed: T) => Document.Parsed[]): T {
  const fast = parse({ ...options, uniqueKeys: false });
  if (!documentsOf(fast).some(hasRepeatedKey)) return fast;
  return parse({ ...options, uniqueKeys: true });
}

/** A pair without a key node: two of them in one map are equal keys to the library (null === null). */
const NO_KEY = Symbol('no key');

function hasRepeatedKey(doc: Document.Parsed): boolean {
  let isRepeated = false;
  visit(doc, {
    Map(_, map) {
      const seen = new Set<unknown>();
      for (const pair of map.items) {
        // The library compares scalar keys by value and other keys by identity (never equal within one map).
        const key = isScalar(pair.key) ? pair.key.value : pair.key === null ? NO_KEY : undefined;
        if (key === undefined) continue;
        if (seen.has(key)) {
          isRepeated = true;
          return visit.BREAK;
        }
        seen.add(key);
      }
      return undefined;
    },
  });
  return isRepeated;
}
