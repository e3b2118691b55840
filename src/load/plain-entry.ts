/**
 * A host entry of the manifest read without the yaml library's lexer, parser and composer, when it is written in the
 * plain block style fleet manifests are written in; `undefined` for anything else, which the library then parses.
 *
 * At 10,000 hosts, the library took over a second to parse the entries of a first build (readByEntry), on one core
 * before anything else could start. Entries like these
 *
 *     - name: web-1
 *       tunnel: { id: 6f0c…, credentials: { file: secrets/6f0c….json } }
 *       ingress:
 *         - service: ssh://localhost:22
 *         - { hostname: web-1.example.com, service: "http://localhost:8080" }
 *
 * are read here line by line, into the value `parseDocument(entry, options).toJS()` gives (a list of one item), or not
 * at all; so is a document that is a block mapping, such as a lock file (readPlainDocument). What is read, and how:
 * - block mappings whose keys are plain scalars on one line (`name`, `ssh://localhost:22`) and block lists, each item
 *   a value, a mapping begun on the `- ` line, or a block under it; a key or item with nothing after it holds the
 *   block indented under it, or the empty scalar (null in the core schema, "" in the failsafe one);
 * - flow mappings and lists (`{ a: b }`, `[a, b]`) on one line, nested, with keys that are words (letters, digits,
 *   `_`, `-`, starting with a letter or `_`);
 * - scalars on one line: plain ones typed by the schema's own tags (the library's tests and resolve functions: null,
 *   bool, int, float, or string), single-quoted ones, and double-quoted ones without a backslash; comments after
 *   values and on lines of their own.
 * YAML 1.2's core and failsafe schemas only. Anything else gives undefined: a tab, a control character, a tag, an anchor or alias, a block scalar (`|`, `>`), a
 * scalar or flow collection on more than one line, a key the schema reads as anything but a string (`true`, `null`,
 * `<<`), a key met twice, a list written at its key's own indent, a character a plain scalar must not start with,
 * `: ` or ` #` where the library would read something else. Tests compare this with the library over generated
 * entries of every kind, and over every entry of the test manifests.
 */
import { Document, isScalar, type DocumentOptions, type ParseOptions, type SchemaOptions } from 'yaml';

type Options = ParseOptions & DocumentOptions & SchemaOptions;

interface ScalarTag {
  default?: boolean | 'key';
  tag: string;
  test?: RegExp;
  resolve: (value: string, onError: (message: string) => void, options: unknown) => unknown;
}

/** A reason to leave the entry to the library. */
class NotPlain extends Error {}

/** Characters a scalar on one line may hold (no control character, no BOM, no lone surrogate half). */
const PRINTABLE = /^[\x20-\x7e\u00a0-\ud7ff\ue000-\ufefe\uff00-\ufffd]*$/;
/** What a plain scalar must not start with (the indicators; `-`, `?` and `:` only before a space or at the end). */
const PLAIN_START = /^(?:[,[\]{}#&*!|>'"%@`]|[-?:](?: |$))/;
const STRING_TAG = 'tag:yaml.org,2002:str';

/** The schema's scalar tags, per options (the same ones the library's composer tests a plain scalar with). */
const schemas = new Map<string, { tags: ScalarTag[]; options: unknown }>();

function schemaOf(options: Options): { tags: ScalarTag[]; options: unknown } {
  const key = JSON.stringify(options);
  let known = schemas.get(key);
  if (known === undefined) {
    const doc = new Document(null, options);
    known = { tags: (doc.schema.tags as unknown as ScalarTag[]).filter((tag) => typeof tag.resolve === 'function' && !('collection' in tag && tag.collection)), options: doc.options };
    schemas.set(key, known);
  }
  return known;
}

/**
 * The value of a host entry's text (a block list of one item, its `- ` line first), as the library reads it with
 * `options`, or undefined when the text is not one this reads (see the file's comment).
 */
export function readPlainEntry(text: string, options: Options): { value: unknown } | undefined {
  return readWith(text, options, (reader) => reader.readEntry());
}

/**
 * The value of a document that is a block mapping at the left edge (a lock file), as the library's
 * `parseDocument(text, options).toJS()` gives it, or undefined when the text is not one this reads.
 */
export function readPlainDocument(text: string, options: Options): { value: unknown } | undefined {
  return readWith(text, options, (reader) => reader.readMap());
}

function readWith(text: string, options: Options, read: (reader: PlainReader) => unknown): { value: unknown } | undefined {
  // YAML 1.2's core or failsafe schema, alone: no other schema's rules for plain scalars, no second schema to test with
  // (compat), no custom tags, keys typed as values are.
  const isSchemaKnown = options.schema === undefined || options.schema === 'core' || options.schema === 'failsafe';
  if (!isSchemaKnown || (options.version ?? '1.2') !== '1.2' || options.compat !== undefined || options.customTags !== undefined || options.stringKeys || options.intAsBigInt) return undefined;
  try {
    return { value: read(new PlainReader(text, schemaOf(options))) };
  } catch (error) {
    if (error instanceof NotPlain) return undefined;
    throw error;
  }
}

interface Line {
  indent: number;
  /** The line without its indent. */
  text: string;
}

class PlainReader {
  private readonly lines: Line[] = [];
  private at = 0;

  constructor(
    text: string,
    private readonly schema: { tags: ScalarTag[]; options: unknown },
  ) {
    for (const raw of text.split('\n')) {
      let indent = 0;
      while (raw.charCodeAt(indent) === 0x20) indent++;
      const rest = raw.slice(indent);
      // Blank lines and comment lines say nothing (a comment needs a space before it only after a value).
      if (rest === '' || rest.startsWith('#')) continue;
      if (!PRINTABLE.test(rest)) throw new NotPlain();
      this.lines.push({ indent, text: rest });
    }
  }

  /** A top-level block mapping, every line read. */
  readMap(): Record<string, unknown> {
    const first = this.lines[0];
    if (first === undefined || first.indent !== 0) throw new NotPlain();
    const map = this.blockMap(0);
    if (this.at !== this.lines.length) throw new NotPlain();
    return map;
  }

  /** A block list of exactly one item, every line read. */
  readEntry(): unknown {
    const first = this.lines[0];
    if (first === undefined || !isItemLine(first.text)) throw new NotPlain();
    const list = this.blockList(first.indent);
    // A line left unread stands where no block of this reading continues (half-way in, or deeper than a value, which
    // the library would read as a scalar's next line): every block stops at it, and it is left here.
    if (this.at !== this.lines.length || list.length !== 1) throw new NotPlain();
    return list;
  }

  /** The block at the next line, which must be indented deeper than `parent`; an empty scalar when there is none. */
  private nestedBlock(parent: number): unknown {
    const next = this.lines[this.at];
    if (next === undefined || next.indent <= parent) return this.resolve('');
    return isItemLine(next.text) ? this.blockList(next.indent) : this.blockMap(next.indent);
  }

  private blockList(indent: number): unknown[] {
    const items: unknown[] = [];
    for (let line = this.lines[this.at]; line !== undefined && line.indent === indent; line = this.lines[this.at]) {
      if (!isItemLine(line.text)) throw new NotPlain();
      this.at++;
      const rest = line.text.slice(1);
      const spaces = rest.length - rest.trimStart().length;
      const inline = rest.trimStart();
      if (inline === '' || inline.startsWith('#')) {
        if (inline !== '' && spaces === 0) throw new NotPlain();
        items.push(this.nestedBlock(indent));
      } else if (isItemLine(inline)) {
        throw new NotPlain();
      } else if (startsKey(inline)) {
        // A mapping begun on the `- ` line: its keys stand at the column of its first one.
        const column = indent + 1 + spaces;
        this.at--;
        this.lines[this.at] = { indent: column, text: inline };
        items.push(this.blockMap(column));
      } else {
        items.push(this.inlineValue(inline));
      }
    }
    return items;
  }

  private blockMap(indent: number): Record<string, unknown> {
    const map: Record<string, unknown> = {};
    for (let line = this.lines[this.at]; line !== undefined && line.indent === indent; line = this.lines[this.at]) {
      const colon = keyEnd(line.text);
      if (colon === undefined) throw new NotPlain();
      this.at++;
      const key = this.key(line.text.slice(0, colon));
      if (Object.prototype.hasOwnProperty.call(map, key)) throw new NotPlain();
      const rest = line.text.slice(colon + 1);
      const inline = rest.trimStart();
      if (inline === '' || inline.startsWith('#')) {
        if (inline !== '' && rest === inline) throw new NotPlain();
        // (A list at the key's own indent, which YAML gives the key, is no key line of this map: left to the library.)
        map[key] = this.nestedBlock(indent);
      } else {
        map[key] = this.inlineValue(inline);
      }
    }
    return map;
  }

  private key(text: string): string {
    if (text === '__proto__') throw new NotPlain();
    // A word the schema reads as a bool or null (`true`, `null`) is a key of another type: the library's.
    if (this.tagOf(text, true).tag !== STRING_TAG) throw new NotPlain();
    return text;
  }

  /** A value on one line, with nothing after it but a comment. */
  private inlineValue(text: string): unknown {
    const cursor = { text, at: 0 };
    const value = this.flowValue(cursor, false);
    const rest = text.slice(cursor.at);
    if (rest.trim() !== '' && !/^ +#/.test(rest)) throw new NotPlain();
    return value;
  }

  /** A scalar or flow collection at the cursor; in a flow collection when `inFlow`. */
  private flowValue(cursor: { text: string; at: number }, inFlow: boolean): unknown {
    const { text } = cursor;
    const char = text[cursor.at];
    if (char === '{') return this.flowMap(cursor);
    if (char === '[') return this.flowList(cursor);
    if (char === '"') return quoted(cursor, '"');
    if (char === "'") return quoted(cursor, "'");
    return this.plain(cursor, inFlow);
  }

  private flowMap(cursor: { text: string; at: number }): Record<string, unknown> {
    const map: Record<string, unknown> = {};
    this.flowItems(cursor, '}', () => {
      const match = /^([A-Za-z_][A-Za-z0-9_-]*):(?: +|(?=[,}]))/.exec(cursor.text.slice(cursor.at));
      if (match === null) throw new NotPlain();
      const key = this.key(match[1] ?? '');
      if (Object.prototype.hasOwnProperty.call(map, key)) throw new NotPlain();
      cursor.at += match[0].length;
      const end = cursor.text[cursor.at];
      map[key] = end === ',' || end === '}' ? this.resolve('') : this.flowValue(cursor, true);
    });
    return map;
  }

  private flowList(cursor: { text: string; at: number }): unknown[] {
    const list: unknown[] = [];
    this.flowItems(cursor, ']', () => {
      const char = cursor.text[cursor.at];
      if (char === ',' || char === ']') throw new NotPlain();
      list.push(this.flowValue(cursor, true));
    });
    return list;
  }

  /** A flow collection from its opening bracket at the cursor to `close`: `readItem` reads each item, at the cursor. */
  private flowItems(cursor: { text: string; at: number }, close: '}' | ']', readItem: () => void): void {
    cursor.at++;
    skipSpaces(cursor);
    if (cursor.text[cursor.at] === close) {
      cursor.at++;
      return;
    }
    for (;;) {
      readItem();
      skipSpaces(cursor);
      const next = cursor.text[cursor.at];
      cursor.at++;
      if (next === close) return;
      if (next !== ',') throw new NotPlain();
      skipSpaces(cursor);
      // A trailing comma before the end: the library reads it so, but nothing here needs it.
      if (cursor.text[cursor.at] === close) throw new NotPlain();
    }
  }

  /**
   * A plain scalar: in a block, to the end of the line or a comment; in a flow collection, to `,`, `]` or `}`. Only
   * what both read the same way: no `: ` or ` #` inside, no `:` at its end, and in a flow collection no `:` but in
   * `://` or before a digit (a URL, a port).
   */
  private plain(cursor: { text: string; at: number }, inFlow: boolean): unknown {
    const { text } = cursor;
    const start = cursor.at;
    let end = start;
    if (inFlow) {
      while (end < text.length && !',]}'.includes(text[end] ?? '')) end++;
    } else {
      const comment = text.indexOf(' #', start);
      end = comment === -1 ? text.length : comment;
    }
    const value = text.slice(start, end).trimEnd();
    cursor.at = start + value.length;
    if (PLAIN_START.test(value) || value.includes(': ') || value.includes(' #') || value.endsWith(':')) throw new NotPlain();
    if (inFlow && (/[[{"'#]/.test(value) || /:(?!\/\/|[0-9])/.test(value))) throw new NotPlain();
    return this.resolve(value);
  }

  /** The schema's tag for a plain scalar (findScalarTagByTest), for a key or a value. */
  private tagOf(value: string, atKey: boolean): ScalarTag {
    const tag = this.schema.tags.find((t) => (t.default === true || (atKey && t.default === 'key')) && t.test?.test(value) === true);
    const found = tag ?? this.schema.tags.find((t) => t.tag === STRING_TAG);
    if (found === undefined) throw new NotPlain();
    return found;
  }

  /** A plain scalar's value: its tag's resolve, as the composer calls it; any complaint leaves it to the library. */
  private resolve(value: string): unknown {
    const tag = this.tagOf(value, false);
    let isRefused = false;
    const resolved = tag.resolve(
      value,
      () => {
        isRefused = true;
      },
      this.schema.options,
    );
    if (isRefused) throw new NotPlain();
    const result = isScalar(resolved) ? resolved.value : resolved;
    if (result !== null && typeof result === 'object') throw new NotPlain();
    return result;
  }
}

function isItemLine(text: string): boolean {
  return text === '-' || text.startsWith('- ');
}

/** Whether a line (or what follows `- `) starts a block mapping's key: a word, `:`, then a space or the end. */
function startsKey(text: string): boolean {
  return keyEnd(text) !== undefined;
}

/**
 * Where the `:` after a line's plain key is, when the line is `key:` or `key: …`: the first `: ` (or a `:` ending the
 * line), after a key that is a plain scalar on its own (no indicator first, no ` #`, no space at either end).
 */
function keyEnd(text: string): number | undefined {
  const word = /^[A-Za-z_][A-Za-z0-9_-]*:(?= |$)/.exec(text);
  if (word !== null) return word[0].length - 1;
  const separator = text.indexOf(': ');
  const colon = separator !== -1 ? separator : text.endsWith(':') ? text.length - 1 : -1;
  if (colon <= 0) return undefined;
  const key = text.slice(0, colon);
  if (PLAIN_START.test(key) || key.includes(' #') || key.endsWith(':') || key.trim() !== key) return undefined;
  return colon;
}

function skipSpaces(cursor: { text: string; at: number }): void {
  while (cursor.text[cursor.at] === ' ') cursor.at++;
}

/** A quoted scalar on one line: single-quoted (`''` is a quote), or double-quoted without any escape. */
function quoted(cursor: { text: string; at: number }, quote: '"' | "'"): string {
  const { text } = cursor;
  let value = '';
  for (let at = cursor.at + 1; at < text.length; at++) {
    const char = text[at];
    if (quote === '"' && char === '\\') throw new NotPlain();
    if (char !== quote) {
      value += char;
      continue;
    }
    if (quote === "'" && text[at + 1] === "'") {
      value += "'";
      at++;
      continue;
    }
    // What follows must be the line's end, a comment or a separator: the caller looks.
    cursor.at = at + 1;
    return value;
  }
  throw new NotPlain();
}
