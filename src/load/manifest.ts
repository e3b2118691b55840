import { readFileSync, statSync } from 'node:fs';
import { isMap, isSeq } from 'yaml';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { readByEntry, type ManifestTexts } from './manifest-entries.js';
import type { ParseCache } from './parse-cache.js';
import { firstDocument, parseAllDocumentsWithUniqueKeys, type YamlParseOptions } from './parse-yaml.js';
import { SourceMap } from './source-map.js';
import { explainYamlProblems, undefinedAliases } from './yaml-problems.js';

/**
 * A manifest is read whole into memory: bound it so a stray 50 MB file is refused at once, not parsed. 48 MiB is room
 * for a 100,000-host fleet (issue 10: such a fleet builds) at up to ~500 bytes per host; 16 MiB refused one at 290.
 */
export const MAX_MANIFEST_BYTES = 48 * 1024 * 1024;
/** Aliases one document may expand: enough for DRY manifests, far too few for a "billion laughs". */
export const MAX_ALIAS_COUNT = 200;

export interface ParsedManifest {
  /** The file as the user named it. */
  file: string;
  source: SourceMap;
  /** The document as plain data (merge keys applied), not yet validated. */
  value: unknown;
  /** When it was read host entry by host entry (manifest-entries.ts): a digest of each part's text. */
  texts?: ManifestTexts;
}

export type ParseResult =
  | { ok: true; manifest: ParsedManifest; diagnostics: Diagnostic[] }
  | { ok: false; diagnostics: Diagnostic[] };

const fileError = (file: string, code: string, message: string, hint?: string): Diagnostic => ({
  severity: 'error',
  code,
  file,
  line: 1,
  column: 1,
  path: '',
  message,
  ...(hint ? { hint } : {}),
});

/** Reads bytes from disk, refusing what cannot be a manifest before parsing it. */
export function readManifestText(file: string): { ok: true; text: string } | { ok: false; diagnostics: Diagnostic[] } {
  let size: number;
  try {
    const stat = statSync(file);
    if (!stat.isFile()) {
      return { ok: false, diagnostics: [fileError(file, 'file.not-a-file', 'is not a regular file', 'name the fleet.yaml file itself')] };
    }
    size = stat.size;
  } catch (err) {
    return { ok: false, diagnostics: [fileError(file, 'file.unreadable', describeIoError(err), 'check the path; `fleetgen init` creates a manifest to start from')] };
  }
  if (size > MAX_MANIFEST_BYTES) {
    return {
      ok: false,
      diagnostics: [
        fileError(
          file,
          'file.too-large',
          `is ${(size / 1024 / 1024).toFixed(1)} MiB; a manifest may be at most ${MAX_MANIFEST_BYTES / 1024 / 1024} MiB`,
          'check that this is the fleet manifest; keep secrets and large data in referenced files',
        ),
      ],
    };
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    return { ok: false, diagnostics: [fileError(file, 'file.unreadable', describeIoError(err))] };
  }
  return manifestText(bytes, file);
}

/** The text of a manifest read elsewhere (standard input): the same limits as a file's. */
export function manifestText(bytes: Buffer, file: string): { ok: true; text: string } | { ok: false; diagnostics: Diagnostic[] } {
  if (bytes.length > MAX_MANIFEST_BYTES) {
    return { ok: false, diagnostics: [fileError(file, 'file.too-large', `holds more than ${MAX_MANIFEST_BYTES / 1024 / 1024} MiB; that is more than a manifest may be`, 'check that this is the fleet manifest')] };
  }
  const decoded = decodeText(bytes);
  if (!decoded.ok) return { ok: false, diagnostics: [{ ...fileError(file, 'file.binary', decoded.message, 'a manifest is UTF-8 YAML text'), ...decoded.position }] };
  return { ok: true, text: decoded.text };
}

/** UTF-8 text without NUL bytes, BOM removed; anything else is not a manifest. */
export function decodeText(bytes: Uint8Array): { ok: true; text: string } | { ok: false; message: string; position: { line: number; column: number } } {
  const nul = bytes.indexOf(0);
  if (nul >= 0) return { ok: false, message: `holds binary data (a NUL byte at offset ${nul})`, position: positionOfByte(bytes, nul) };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return { ok: false, message: 'is not valid UTF-8 text', position: { line: 1, column: 1 } };
  }
  return { ok: true, text };
}

function positionOfByte(bytes: Uint8Array, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset; i++) {
    if (bytes[i] === 0x0a) {
      line++;
      start = i + 1;
    }
  }
  return { line, column: offset - start + 1 };
}

function describeIoError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'does not exist';
  if (code === 'EACCES') return 'cannot be read (permission denied)';
  if (code === 'EISDIR') return 'is a directory, not a file';
  return `cannot be read (${code ?? String(err)})`;
}

/** How a manifest is parsed: YAML 1.2, merge keys allowed, duplicate keys rejected. */
const MANIFEST_YAML: YamlParseOptions = { version: '1.2', merge: true, strict: true, prettyErrors: false };

/**
 * Parses manifest text as one YAML 1.2 document: merge keys allowed, duplicate keys rejected, aliases bounded,
 * no tags. Every syntax problem comes back as a located diagnostic.
 *
 * With a `cache`, a manifest whose host entries can be read apart is read so (manifest-entries.ts): entries
 * remembered there are not parsed again, and the whole text is parsed only if a diagnostic needs a position.
 */
export function parseManifest(text: string, file: string, options: { cache?: ParseCache } = {}): ParseResult {
  if (options.cache !== undefined) {
    const read = readByEntry(text, MANIFEST_YAML, options.cache, MAX_ALIAS_COUNT);
    if (read !== undefined) {
      const source = new SourceMap(file, () => firstDocument(text, MANIFEST_YAML));
      return { ok: true, manifest: { file, source, value: read.value, texts: read.texts }, diagnostics: [] };
    }
  }
  const { documents, lines } = parseAllDocumentsWithUniqueKeys(text, MANIFEST_YAML);
  const emptySource = new SourceMap(file, { doc: undefined, lines });
  if (documents.length === 0 || documents.every((d) => d.contents === null && d.errors.length === 0)) {
    return { ok: false, diagnostics: [fileError(file, 'yaml.empty', 'the manifest is empty', 'start from the example that `fleetgen init` writes')] };
  }
  const diagnostics: Diagnostic[] = [];
  const [doc, second] = documents;
  if (!doc) throw new Error('unreachable: a non-empty stream has a first document');
  if (second) {
    const pos = emptySource.offsetToPosition(second.range?.[0] ?? 0);
    diagnostics.push({ ...fileError(file, 'yaml.multiple-documents', 'holds more than one YAML document', 'keep the whole fleet in one document: remove the "---" separator and what follows, or merge the documents'), ...pos });
  }
  const source = new SourceMap(file, { doc, lines });
  diagnostics.push(...explainYamlProblems([...doc.errors, ...doc.warnings], text, file, lines));
  // Checked before anything reads the document: an undefined alias is almost always a value such as *.example.com.
  if (doc.errors.length === 0) diagnostics.push(...undefinedAliases(doc, text, file, lines));
  if (diagnostics.length > 0) return { ok: false, diagnostics };

  if (!isMap(doc.contents)) {
    const found = isSeq(doc.contents) ? 'a list' : 'a single value';
    return {
      ok: false,
      diagnostics: [source.error('manifest.not-a-mapping', [], `the manifest must be a mapping of keys (version, fleet, zone, hosts, …), but it is ${found}`, 'start from the example that `fleetgen init` writes')],
    };
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    if (err instanceof ReferenceError || err instanceof RangeError) {
      return {
        ok: false,
        diagnostics: [
          fileError(file, 'yaml.alias-limit', `expands aliases (*name) more than ${MAX_ALIAS_COUNT} times`, 'write repeated settings once, in defaults or a group, instead of nesting aliases'),
        ],
      };
    }
    throw err;
  }
  return { ok: true, manifest: { file, source, value }, diagnostics: [] };
}
