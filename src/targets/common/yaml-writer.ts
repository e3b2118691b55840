/**
 * A serializer for the YAML documents written for every host (user-data, host_vars, config.yml) that gives the yaml
 * library's bytes without making its nodes: the library's own `new Document(data).toString(options)`, walked directly
 * over plain data.
 *
 * At 10,000 hosts, making a Document for each of ~30,000 small documents and walking its nodes (a node per value, a
 * copy of the stringify context per pair, a search of every tag of the schema per scalar) was a fifth of a build's
 * CPU, more than the text itself. What it decides is all kept here, in the same order and from the same state:
 * - every scalar is still written by the library: its tag's stringify function (the schema's string tag, remembered
 *   by remembered-strings.ts; `!unsafe`; bool, int, null), called with a stringify context that has the same fields,
 *   in the same objects, as the library's at that place — made from the one the library itself makes for the
 *   document's options (taken once per writer) and copied, and changed, where the library's stringifyPair and
 *   stringifyCollection copy and change theirs (a tag's width is added to the column of the next scalar that shares
 *   the context, as the library does);
 * - the layout around scalars is the library's: block maps and sequences, flow sequences, `{}` and `[]`, comments
 *   above entries.
 * What the library would write differently — a value it would give an anchor (the same object twice), a key longer
 * than 1,024 characters, a flow collection holding a collection, anything but plain data, strings, numbers, booleans,
 * null and yaml scalars without comments or anchors — is written by the library itself, from the same input
 * (`libraryText`). Tests compare the two over every document fleetgen writes for its test fleets and over generated
 * data of every kind this handles.
 */
import { Document, isScalar, Scalar, YAMLMap, YAMLSeq, type DocumentOptions, type Node, type SchemaOptions, type ToStringOptions } from 'yaml';
import { stringifyString } from 'yaml/util';
import { InternalError } from '../../diagnostics/diagnostic.js';
import { indentIdOf } from './remembered-strings.js';
import { ValueTrie } from './value-trie.js';

type StringifyContext = Parameters<NonNullable<YAMLMap['toString']>>[0] & object;
type TagObject = NonNullable<SchemaOptions['customTags']> extends infer T ? (T extends readonly (infer U)[] ? Exclude<U, string> : never) : never;
type ScalarStringify = (item: Scalar, ctx: StringifyContext, onComment?: () => void, onChompKeep?: () => void) => string;

/** Layout flags of a map or sequence, and the comment above its entry (`#` lines, as the library's commentBefore). */
export interface EntryStyle {
  /** Written as a flow collection (`[a, b]`). */
  flow?: boolean;
  /** The comment lines above the entry holding it: without `#`, each line's text as yaml's commentBefore has it. */
  commentBefore?: string;
}

/**
 * A map or sequence with layout flags, to be written as an entry of a document: its comment goes above the entry
 * (above `key:` in a map, above `- ` in a sequence). A Styled value must not change once made; its text is remembered
 * per writer and place, so that one made once and shared by many hosts' documents is written once per place.
 */
export class Styled {
  /** Its text per writer (by id) and place (placeOf). */
  readonly renderings = new Map<number, Map<number | string, string>>();
  constructor(
    readonly value: object,
    readonly style: Readonly<EntryStyle> = {},
  ) {}
}

/** YAML 1.1's merge key, a string claimed by a tag of its own. */
const MERGE_KEY = '<<';
/** Strings of every kind a schema's other tags might claim: none must be (then the string tag is found for all). */
const PROBE_STRINGS = ['a', 'yes', 'true', 'null', '~', '1', '0x1f', '1.5', '.inf', '1:20', '2001-12-14', '=', '!x', '&a', '*a', '<'];

/** Raised where the library would write something this writer does not: the document is written by the library. */
class NotPlain extends Error {}

/**
 * The fields of a stringify context: those the library's context for a document has (the same for every place in it:
 * the writer's), and those that the library changes from place to place (PLACE_FIELDS, a Styled value's place).
 */
const DOCUMENT_FIELDS = new Set(['anchors', 'doc', 'flowCollectionPadding', 'indentStep', 'options']);
const PLACE_FIELDS = new Set(['indent', 'indentAtStart', 'implicitKey', 'inFlow', 'forceBlockIndent', 'allNullValues', 'type']);

let writerCount = 0;
/** Comment lines a writer keeps (commentLine): more than a fleet's files have, fewer than its hosts. */
const MAX_COMMENT_LINES = 1024;

export class YamlWriter {
  /** An empty document of the writer's schema and options: the context's `doc`, read by the scalar stringifiers. */
  private readonly doc: Document;
  /** The library's own stringify context for a document of these options, as its toString makes it. */
  private readonly base: StringifyContext;
  private readonly stringTag: { stringify: ScalarStringify } | undefined;
  private readonly id = ++writerCount;
  /** Documents written by the library because this writer could not (tests check the example fleets write none). */
  fallbacks = 0;
  /** commentLine's lines, by indent and comment. */
  private readonly commentLines = new Map<string, Map<string, string>>();
  private commentLineCount = 0;

  constructor(
    private readonly documentOptions: DocumentOptions & SchemaOptions,
    private readonly toStringOptions: ToStringOptions,
  ) {
    this.doc = new Document(undefined, documentOptions);
    this.base = libraryContext(this.doc, toStringOptions);
    const tags = this.doc.schema.tags as unknown as TagObject[];
    // The tag the library finds for a string (getTagObject): the only one that claims strings, but for `<<`, which
    // YAML 1.1's merge tag claims too (and wins, with its test).
    const claimers = (value: string): TagObject[] => tags.filter((tag) => (tag as { identify?: (value: unknown) => boolean }).identify?.(value) === true);
    const claiming = claimers('');
    const isStringOnly = PROBE_STRINGS.every((probe) => claimers(probe).length === 1 && claimers(probe)[0] === claiming[0]);
    const only = claiming.length === 1 && isStringOnly ? (claiming[0] as { stringify?: ScalarStringify; default?: boolean; format?: string }) : undefined;
    // Options that change the layout around scalars (the library's, not this one's): every document goes to the library.
    const { indentSeq, simpleKeys, trailingComma } = this.base.options;
    // A context field of the library's that this writer does not know might decide a place: left to the library too.
    const isKnownContext = Object.keys(this.base).every((field) => DOCUMENT_FIELDS.has(field) || PLACE_FIELDS.has(field));
    const isLayoutKnown = isKnownContext && indentSeq !== false && simpleKeys !== true && trailingComma !== true && !this.doc.schema.sortMapEntries;
    this.stringTag = isLayoutKnown && only && typeof only.stringify === 'function' && only.default === true && only.format === undefined ? { stringify: only.stringify } : undefined;
  }

  /** `contents` as the library writes `new Document(contents, options)` with `commentBefore`, then `toString(options)`. */
  write(contents: unknown, commentBefore?: string): string {
    try {
      return this.documentText(contents, commentBefore);
    } catch (error) {
      if (!(error instanceof NotPlain)) throw error;
      this.fallbacks++;
      return this.libraryText(contents, commentBefore);
    }
  }

  /** The same document, made as nodes and written by the library. */
  libraryText(contents: unknown, commentBefore?: string): string {
    const doc = new Document(undefined, this.documentOptions);
    doc.contents = this.nodeOf(doc, contents) as Node;
    if (commentBefore !== undefined) doc.commentBefore = commentBefore;
    return doc.toString(this.toStringOptions);
  }

  /** stringifyDocument.js, for a document without directives, comment after it, or node comments on its contents. */
  private documentText(contents: unknown, commentBefore: string | undefined): string {
    if (!this.stringTag) throw new NotPlain();
    const ctx = { ...this.base, anchors: new Set<string>() };
    const lines: string[] = [];
    if (commentBefore) lines.push(indentComment(this.commentString(commentBefore), ''), '');
    if (contents === undefined) throw new NotPlain();
    const seen = new Set<object>();
    // The final line break as a last, empty line: one join makes the whole text flat at once, where a line break
    // appended after it would be flattened again (a copy of the whole file) by whatever reads it first.
    lines.push(this.valueText(contents, ctx, seen), '');
    return lines.join('\n');
  }

  private commentString(comment: string): string {
    return (this.base.options.commentString as (comment: string) => string)(comment);
  }

  /** stringify.js's stringify, for a value of the input (never a pair). `seen`: the objects met, for anchors. */
  private valueText(value: unknown, ctx: StringifyContext, seen: Set<object>): string {
    if (typeof value === 'string' && value !== MERGE_KEY) return (this.stringTag as { stringify: ScalarStringify }).stringify({ value } as Scalar, ctx);
    if (value === null || typeof value !== 'object') {
      if (value === undefined || typeof value === 'function' || typeof value === 'symbol') throw new NotPlain();
      return this.scalarText(new Scalar(value), ctx);
    }
    if (value instanceof Styled) return this.styledText(value, ctx);
    if (isScalar(value)) {
      const scalar = value as Scalar;
      if (scalar.anchor || scalar.comment || scalar.commentBefore || scalar.spaceBefore || (scalar.tag === undefined && typeof scalar.value === 'object' && scalar.value !== null)) throw new NotPlain();
      return this.scalarText(scalar, ctx);
    }
    // The library gives an object met twice an anchor, and writes it again as an alias.
    if (seen.has(value)) throw new NotPlain();
    seen.add(value);
    if (Array.isArray(value)) return this.seqText(value, undefined, ctx, seen);
    const prototype = Object.getPrototypeOf(value) as unknown;
    if (prototype !== Object.prototype && prototype !== null) throw new NotPlain();
    return this.mapText(value as Record<string, unknown>, undefined, ctx, seen);
  }

  /** A Styled value: its text at this place, remembered. */
  private styledText(styled: Styled, ctx: StringifyContext): string {
    const place = placeOf(ctx);
    let byPlace = styled.renderings.get(this.id);
    let text = byPlace?.get(place);
    if (text === undefined) {
      // A Styled value's nodes are made by themselves (libraryText): no anchors shared with the rest of the document.
      const seen = new Set<object>([styled.value]);
      const { value, style } = styled;
      if (Array.isArray(value)) text = this.seqText(value, style.flow, ctx, seen);
      else if (Object.getPrototypeOf(value) === Object.prototype) text = this.mapText(value as Record<string, unknown>, style.flow, ctx, seen);
      else throw new NotPlain();
      if (byPlace === undefined) styled.renderings.set(this.id, (byPlace = new Map()));
      byPlace.set(place, text);
    }
    return text;
  }

  /** stringify.js's stringify for a scalar: its tag, its props (`!unsafe`), and the tag's stringify. */
  private scalarText(scalar: Scalar, ctx: StringifyContext): string {
    const tagObject = tagObjectOf(this.doc.schema.tags as unknown as TagObject[], scalar);
    const tag = scalar.tag ?? (tagObject.default ? null : tagObject.tag);
    const props = tag && this.doc.directives ? this.doc.directives.tagString(tag) : '';
    if (props.length > 0) ctx.indentAtStart = (ctx.indentAtStart ?? 0) + props.length + 1;
    const stringify = (tagObject as { stringify?: ScalarStringify }).stringify;
    const text = typeof stringify === 'function' ? stringify(scalar, ctx) : stringifyString(scalar, ctx);
    return props ? `${props} ${text}` : text;
  }

  /** YAMLMap.toString and stringifyCollection for an object's own enumerable keys (values undefined left out). */
  private mapText(value: Record<string, unknown>, flow: boolean | undefined, ctx: StringifyContext, seen: Set<object>): string {
    const keys = Object.keys(value).filter((key) => value[key] !== undefined);
    // An empty map is one whose values are all null (hasAllNullValues): the library marks the context so.
    if (keys.length === 0) return '{}';
    if (flow ?? ctx.inFlow) throw new NotPlain();
    const indent = ctx.indent;
    const itemCtx = derived(ctx);
    itemCtx.indent = indent;
    (itemCtx as { type?: unknown }).type = null;
    const lines: string[] = [];
    for (const key of keys) {
      const entry = value[key];
      const commentBefore = entry instanceof Styled ? entry.style.commentBefore : undefined;
      if (commentBefore) lines.push(this.commentLine(ctx, commentBefore));
      lines.push(this.pairText(key, entry, itemCtx, seen));
    }
    return joined(lines, indent);
  }

  /** YAMLSeq.toString and stringifyCollection. */
  private seqText(items: readonly unknown[], flow: boolean | undefined, ctx: StringifyContext, seen: Set<object>): string {
    const isFlow = ctx.inFlow ?? flow;
    const itemIndent = `${ctx.indent || ''}  `;
    if (isFlow) return this.flowSeqText(items, ctx, itemIndent, seen);
    if (items.length === 0) return '[]';
    const itemCtx = derived(ctx);
    itemCtx.indent = itemIndent;
    (itemCtx as { type?: unknown }).type = null;
    const lines: string[] = [];
    for (const item of items) {
      if (item === undefined) throw new NotPlain();
      const commentBefore = item instanceof Styled ? item.style.commentBefore : undefined;
      if (commentBefore) lines.push(this.commentLine(ctx, commentBefore));
      lines.push(`- ${this.valueText(item, itemCtx, seen)}`);
    }
    return joined(lines, ctx.indent);
  }

  /** stringifyFlowCollection, for a sequence of scalars without comments. */
  private flowSeqText(items: readonly unknown[], ctx: StringifyContext, itemIndent: string, seen: Set<object>): string {
    const { indent, indentStep } = ctx;
    const itemCtx = derived(ctx);
    itemCtx.indent = itemIndent + indentStep;
    itemCtx.inFlow = true;
    (itemCtx as { type?: unknown }).type = null;
    let isMultiLine = false;
    const lines: string[] = [];
    for (let i = 0; i < items.length; ++i) {
      const item = items[i];
      if (item === undefined || (typeof item === 'object' && item !== null && !isScalar(item))) throw new NotPlain();
      let text = this.valueText(item, itemCtx, seen);
      isMultiLine ||= text.includes('\n');
      if (i < items.length - 1) text += ',';
      lines.push(text);
    }
    if (lines.length === 0) return '[]';
    const lineWidth = this.base.options.lineWidth as number;
    if (!isMultiLine) isMultiLine = lineWidth > 0 && lines.reduce((sum, line) => sum + line.length + 2, 2) > lineWidth;
    if (isMultiLine) {
      let text = '[';
      for (const line of lines) text += line ? `\n${indentStep}${indent}${line}` : '\n';
      return `${text}\n${indent}]`;
    }
    const padding = this.base.flowCollectionPadding as string;
    return `[${padding}${lines.join(' ')}${padding}]`;
  }

  /** stringifyPair.js for a string key (never explicit, never with a comment of its own) in a block map. */
  private pairText(key: string, value: unknown, itemCtx: StringifyContext, seen: Set<object>): string {
    const ctx = derived(itemCtx);
    ctx.allNullValues = false;
    ctx.implicitKey = true;
    ctx.indent = itemCtx.indent + itemCtx.indentStep;
    let text = (this.stringTag as { stringify: ScalarStringify }).stringify({ value: key } as Scalar, ctx);
    // A longer key is written as an explicit one (`? key`); `<<` goes to the merge tag.
    if (text.length > 1024 || key === MERGE_KEY) throw new NotPlain();
    text = `${text}:`;
    ctx.implicitKey = false;
    const isScalarValue = value === null || typeof value !== 'object' || isScalar(value);
    if (isScalarValue) ctx.indentAtStart = text.length + 1;
    const valueText = this.valueText(value, ctx, seen);
    let space = ' ';
    if (!isScalarValue) {
      const flow = value instanceof Styled ? value.style.flow : undefined;
      const items = value instanceof Styled ? value.value : value;
      const isEmpty = Array.isArray(items) ? items.length === 0 : Object.keys(items as object).every((k) => (items as Record<string, unknown>)[k] === undefined);
      const isFlow = ctx.inFlow ?? flow ?? isEmpty;
      if (valueText.includes('\n') || !isFlow) space = `\n${ctx.indent}`;
    } else if (valueText === '' || valueText[0] === '\n') {
      space = '';
    }
    return text + space + valueText;
  }

  /**
   * addCommentBefore: the comment's lines, the first one without the indent the join adds. (After a block scalar that
   * keeps its final newlines, `|+`, the library first drops the blank lines the comment starts with; trimStart() drops
   * them anyway.)
   */
  private commentLine(ctx: StringifyContext, comment: string): string {
    // The same few comments (a step's reason, a section's note) come above entries of every host's document: each is
    // worked out once per indent, for the first MAX_COMMENT_LINES of them.
    const indent = ctx.indent;
    let byComment = this.commentLines.get(indent);
    let line = byComment?.get(comment);
    if (line !== undefined) return line;
    // A comment of blank lines only is a blank line, or nothing after `|+`: left to the library.
    if (/^\n+$/.test(comment)) throw new NotPlain();
    line = indentComment(this.commentString(comment), indent).trimStart();
    if (this.commentLineCount < MAX_COMMENT_LINES) {
      if (byComment === undefined) this.commentLines.set(indent, (byComment = new Map()));
      byComment.set(comment, line);
      this.commentLineCount++;
    }
    return line;
  }

  /**
   * The input as the library's nodes: a Styled value's comment goes on its key in a map, on the item in a sequence.
   * What holds no Styled value is left as data, for the library to make (and to alias, where it would).
   */
  private nodeOf(doc: Document, value: unknown): unknown {
    if (value instanceof Styled) {
      const node = doc.createNode(this.nodeOf(doc, value.value)) as YAMLMap | YAMLSeq;
      if (value.style.flow !== undefined) node.flow = value.style.flow;
      return node;
    }
    if (!holdsStyled(value)) return value;
    if (Array.isArray(value)) {
      const seq = new YAMLSeq(doc.schema);
      for (const item of value) {
        const node = doc.createNode(this.nodeOf(doc, item)) as Node;
        if (item instanceof Styled && item.style.commentBefore !== undefined) node.commentBefore = item.style.commentBefore;
        seq.items.push(node);
      }
      return seq;
    }
    const map = new YAMLMap(doc.schema);
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      if (item === undefined) continue;
      const pair = doc.createPair(key, this.nodeOf(doc, item));
      if (item instanceof Styled && item.style.commentBefore !== undefined) (pair.key as Scalar).commentBefore = item.style.commentBefore;
      map.items.push(pair);
    }
    return map;
  }
}

/**
 * A copy of `ctx` for a place inside it, whose fields the caller then sets, as the library's Object.assign({}, ctx, {...})
 * makes it: a spread copies the object's shape at once, where Object.assign defines field after field (a pair of every
 * host's data, tens of thousands of times a build).
 */
function derived(ctx: StringifyContext): StringifyContext {
  return { ...ctx };
}

/**
 * Where a value is written within one writer (whose options and schema decide the rest of the context): the fields the
 * library's stringifiers read that change from place to place (PLACE_FIELDS), as one small integer, since a Styled value
 * is looked up by it for every host; or, for values out of those ranges, as a string of them all.
 */
function placeOf(ctx: StringifyContext): number | string {
  const { indent, indentAtStart, implicitKey, inFlow, forceBlockIndent, allNullValues, type } = ctx as StringifyContext & { type?: unknown };
  const indentId = indentIdOf(indent);
  const start = indentAtStart === undefined ? 0 : Number.isInteger(indentAtStart) && indentAtStart >= 0 && indentAtStart < 1023 ? indentAtStart + 1 : -1;
  const key = flagOf(implicitKey);
  const flow = flagOf(inFlow);
  const force = flagOf(forceBlockIndent);
  const allNull = flagOf(allNullValues);
  const typeId = type === undefined ? 0 : type === null ? 1 : -1;
  if (indentId === undefined || start === -1 || typeId === -1 || key === -1 || flow === -1 || force === -1 || allNull === -1) {
    return `${indent}\u0000${indentAtStart}\u0000${implicitKey}\u0000${inFlow}\u0000${forceBlockIndent}\u0000${allNullValues}\u0000${String(type)}`;
  }
  return (((((indentId * 1024 + start) * 4 + key) * 4 + flow) * 4 + force) * 4 + allNull) * 2 + typeId;
}

/** A context flag's number in placeOf: undefined, false, true or null; -1 for anything else. */
function flagOf(flag: unknown): number {
  return flag === undefined ? 0 : flag === false ? 1 : flag === true ? 2 : flag === null ? 3 : -1;
}

/** Whether plain data (an array or a plain object) holds a Styled value, at any depth. */
function holdsStyled(value: unknown): boolean {
  if (value instanceof Styled) return true;
  if (Array.isArray(value)) return value.some(holdsStyled);
  if (value === null || typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return false;
  return Object.values(value).some(holdsStyled);
}

/** The stringify context the library makes for `doc` and `options` (stringify.js's createStringifyContext). */
function libraryContext(doc: Document, options: ToStringOptions): StringifyContext {
  let taken: StringifyContext | undefined;
  class Probe extends YAMLMap {
    override toString(ctx?: StringifyContext): string {
      taken = ctx;
      return '{}';
    }
  }
  doc.contents = new Probe(doc.schema);
  doc.toString(options);
  doc.contents = null;
  if (taken === undefined) throw new InternalError('the yaml library did not write a document through its nodes');
  return { ...taken };
}

/** stringify.js's getTagObject, for a scalar. */
function tagObjectOf(tags: TagObject[], scalar: Scalar): TagObject & { default?: boolean | 'key'; tag: string } {
  type Tag = TagObject & { default?: boolean | 'key'; tag: string; format?: string; identify?: (value: unknown) => boolean; test?: RegExp };
  const all = tags as Tag[];
  if (scalar.tag) {
    const match = all.filter((t) => t.tag === scalar.tag);
    if (match.length > 0) return match.find((t) => t.format === scalar.format) ?? (match[0] as Tag);
  }
  let match = all.filter((t) => t.identify?.(scalar.value));
  if (match.length > 1) {
    const tested = match.filter((t) => t.test);
    if (tested.length > 0) match = tested;
  }
  const found = match.find((t) => t.format === scalar.format) ?? match.find((t) => !t.format);
  if (!found) throw new NotPlain();
  return found;
}

/** stringifyBlockCollection's end: lines joined at the collection's indent, an empty one as a blank line. */
function joined(lines: string[], indent: string): string {
  let text = lines[0] ?? '';
  for (let i = 1; i < lines.length; ++i) {
    const line = lines[i];
    text += line ? `\n${indent}${line}` : '\n';
  }
  return text;
}

/** stringifyComment.js's indentComment. */
function indentComment(comment: string, indent: string): string {
  if (/^\n+$/.test(comment)) return comment.substring(1);
  return indent ? comment.replace(/^(?! *$)/gm, indent) : comment;
}

const NO_COMMENT = Symbol('no comment');
/** No `flow` flag: not the same as `flow: false` (the library writes an empty collection without one in flow style). */
const NO_FLOW = Symbol('no flow');
/** Values met, by style and value; past MAX_SLOTS parts all is forgotten (what hosts share is met again). */
const MAX_SLOTS = 10_000;
const met = new ValueTrie<Styled>(MAX_SLOTS);

/**
 * `value` (a plain object or array of plain data) with `style`, as a Styled value: the same one for every document
 * when an equal value with the same style is met again, so that what many hosts share (a helper script's write_files
 * entry, the unit's, a runcmd step) is written once per place. Only a value met a second time is kept (each host's own
 * files are met once). `value` must not change afterwards.
 */
export function rememberedStyled(value: object, style: EntryStyle = {}): Styled {
  return met.get([style.flow ?? NO_FLOW, style.commentBefore ?? NO_COMMENT], value, () => new Styled(value, style));
}
