/**
 * A manifest read host entry by host entry, so that a rebuild parses only the entries whose text changed.
 *
 * Parsing a 10,000-host manifest with the yaml library takes one to two seconds, in every build: most of a rebuild in
 * which one host changed (issue 10). Here the `hosts:` list of a block-style manifest is cut into its entries, each
 * from its `- ` line to the next one; every entry is parsed on its own, by the same library with the same options,
 * and what the rest of the manifest (the "frame": every line but the entries) holds is parsed once more on its own.
 * A parsed entry, and the frame, is remembered by its text (ParseCache), so a part whose text did not change is not
 * parsed again.
 *
 * This gives the value the whole parse gives, or nothing: any doubt makes readByEntry return undefined and the caller
 * parses the whole text as before. It answers only when
 * - the text has no tab, no carriage return, and no directive (`%`) or document marker (`---`, `...`) at a line
 *   start, but for a `---` on its first line;
 * - `hosts:` stands alone on its line at the left edge (a comment after it aside), and the frame, parsed alone, is
 *   a block mapping holding exactly that key there, with an empty value;
 * - each entry, parsed alone, is a list of exactly one item, and neither the frame nor any entry has any error,
 *   warning, anchor or alias (so nothing one part says can change what another part means).
 * Why a cut is then where the whole parse sees a new item: an entry starts at a line indented as the first entry,
 * beginning `- `. Such a line can belong to the entry before it only inside a quoted scalar or a flow collection
 * left open there (parsed alone, that entry is then an error), since block scalars and plain scalars continue only on
 * lines indented deeper than the key they belong to. A test compares both ways on generated manifests.
 *
 * Positions (line and column of a diagnostic) still come from the whole parse, made only when a diagnostic asks.
 */
import { isAlias, isMap, isScalar, isSeq, visit, type Document } from 'yaml';
import { ParseCache } from './parse-cache.js';
import { parseAllDocumentsWithUniqueKeys, parseDocumentWithUniqueKeys, type YamlParseOptions } from './parse-yaml.js';
import { readPlainEntry } from './plain-entry.js';

/** One entry of the hosts list: [start, end) offsets in the text. */
export interface EntrySpan {
  start: number;
  end: number;
}

export interface HostEntries {
  /** Offset of the `hosts:` line. */
  keyStart: number;
  /** [start, end) of the lines holding the entries (and the comments and blank lines among them). */
  region: EntrySpan;
  entries: EntrySpan[];
}

/**
 * Digests of the manifest's parts as read apart: its frame, and each host entry in order (the keys of the parse cache).
 * Equal digests mean equal texts, and so equal values: what depends only on a host's entry and the frame can be
 * remembered by them (validate/host-checks.ts).
 */
export interface ManifestTexts {
  frame: string;
  entries: readonly string[];
}

/**
 * The manifest's value, from its frame and its host entries parsed apart (remembered ones not parsed again), or
 * undefined when the text is not one this way reads exactly as the whole parse does (the caller parses it whole).
 */
export function readByEntry(
  text: string,
  options: YamlParseOptions,
  cache: ParseCache,
  maxAliasCount: number,
): { value: Record<string, unknown>; texts: ManifestTexts } | undefined {
  const found = findHostEntries(text);
  if (found === undefined) return undefined;
  const frameText = text.slice(0, found.region.start) + text.slice(found.region.end);
  const frameKey = ParseCache.keyOf(`fleetgen manifest frame 1\0${JSON.stringify(options)}`, frameText);
  const frame = frameOf(frameText, frameKey, found, options, cache, maxAliasCount);
  if (frame === undefined) return undefined;
  const kind = `fleetgen manifest host entry 1\0${JSON.stringify(options)}`;
  const hosts: unknown[] = [];
  const entries: string[] = [];
  for (const span of found.entries) {
    const entry = text.slice(span.start, span.end);
    const key = ParseCache.keyOf(kind, entry);
    entries.push(key);
    const known = cache.lookup(key);
    if (known !== undefined) {
      hosts.push(known.value);
      continue;
    }
    const value = entryValue(entry, options, maxAliasCount);
    if (value === NOT_READ) return undefined;
    cache.remember(key, value);
    hosts.push(value);
  }
  frame.hosts = hosts;
  return { value: frame, texts: { frame: frameKey, entries } };
}

const NOT_READ = Symbol('not read');

/**
 * One entry's value: read as plain block YAML (plain-entry.ts) when it is written so, else parsed by the library;
 * NOT_READ when the library finds it is not one clean item of a list (see the file's comment).
 */
function entryValue(entry: string, options: YamlParseOptions, maxAliasCount: number): unknown {
  const plain = readPlainEntry(entry, options);
  if (plain !== undefined) return (plain.value as unknown[])[0];
  const { document } = parseDocumentWithUniqueKeys(entry, options);
  if (!isClean(document) || !isSeq(document.contents) || document.contents.items.length !== 1) return NOT_READ;
  return (document.toJS({ maxAliasCount }) as unknown[])[0];
}

/**
 * The frame as data (parseFrame), remembered by its text like an entry. What parseFrame decides is decided by that text:
 * the `hosts:` line it checks is the text's first, which lies in the frame (the entries come after it).
 */
function frameOf(frameText: string, key: string, found: HostEntries, options: YamlParseOptions, cache: ParseCache, maxAliasCount: number): Record<string, unknown> | undefined {
  const known = cache.lookup(key);
  if (known !== undefined) return known.value as Record<string, unknown>;
  const frame = parseFrame(frameText, found, options, maxAliasCount);
  if (frame !== undefined) cache.remember(key, frame);
  return frame;
}

/** The frame (the text without the entries) as data, its `hosts` still empty; undefined when it is not as expected. */
function parseFrame(frameText: string, found: HostEntries, options: YamlParseOptions, maxAliasCount: number): Record<string, unknown> | undefined {
  const { documents } = parseAllDocumentsWithUniqueKeys(frameText, options);
  const [doc] = documents;
  // A block mapping: in a flow one (`{ …, hosts:`), the entries' block list would be an error.
  if (documents.length !== 1 || doc === undefined || !isClean(doc) || !isMap(doc.contents) || doc.contents.flow === true) return undefined;
  // The `hosts` key is the one written on the `hosts:` line, and without the entries its value is empty: they were
  // its whole value.
  const key = doc.contents.items.find((p) => isScalar(p.key) && p.key.value === 'hosts')?.key;
  if (!isScalar(key) || key.range?.[0] !== found.keyStart) return undefined;
  const data = doc.toJS({ maxAliasCount }) as Record<string, unknown>;
  return data.hosts === null ? data : undefined;
}

/** No error, no warning, no anchor, no alias. */
function isClean(doc: Document.Parsed): boolean {
  if (doc.errors.length > 0 || doc.warnings.length > 0) return false;
  let isLinked = false;
  visit(doc, (_, node) => {
    if (isAlias(node) || ((isScalar(node) || isMap(node) || isSeq(node)) && node.anchor !== undefined)) {
      isLinked = true;
      return visit.BREAK;
    }
    return undefined;
  });
  return !isLinked;
}

const HOSTS_LINE = /^hosts:(?:[ ]+(?:#.*)?)?$/m;
const UNSUPPORTED = /[\t\r]|^(?:%|---|\.\.\.)/m;

/** Where the block list under a top-level `hosts:` line and its entries are, or undefined (see the file's comment). */
export function findHostEntries(text: string): HostEntries | undefined {
  // A `---` opening the text is common and harmless (the document starts there, with no directive before it).
  if (UNSUPPORTED.test(text.startsWith('---\n') ? text.slice(4) : text)) return undefined;
  const hostsLine = HOSTS_LINE.exec(text);
  if (hostsLine === null) return undefined;
  const keyStart = hostsLine.index;
  const lineEnd = keyStart + hostsLine[0].length;
  if (lineEnd >= text.length) return undefined;
  const start = lineEnd + 1;
  const entries: EntrySpan[] = [];
  let current: EntrySpan | undefined;
  let indent = -1;
  let end = text.length;
  for (let at = start; at < text.length; ) {
    const newline = text.indexOf('\n', at);
    const next = newline === -1 ? text.length : newline + 1;
    const stop = newline === -1 ? text.length : newline;
    let spaces = 0;
    while (at + spaces < stop && text.charCodeAt(at + spaces) === 0x20) spaces++;
    const first = at + spaces < stop ? text[at + spaces] : '';
    // Blank lines and comments belong to the entry they follow (the first entry takes those before it).
    if (first !== '' && first !== '#') {
      const isItem = first === '-' && (at + spaces + 1 === stop || text[at + spaces + 1] === ' ');
      if (current === undefined) {
        if (!isItem) return undefined;
        indent = spaces;
        current = { start, end: -1 };
        entries.push(current);
      } else if (spaces === indent && isItem) {
        current.end = at;
        current = { start: at, end: -1 };
        entries.push(current);
      } else if (spaces <= indent) {
        end = at;
        break;
      }
    }
    at = next;
  }
  if (current === undefined) return undefined;
  current.end = end;
  return { keyStart, region: { start, end }, entries };
}
