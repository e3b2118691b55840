/**
 * The yaml library's own string stringifier, remembered: the same string in the same place of the same kind of
 * document is written the same way, so it is worked out once per build instead of once per host.
 *
 * Every host's user-data, host_vars and config.yml repeat the same paths, owners, argv words and helper scripts;
 * deciding how to write each of them (plain or quoted, a test of every YAML 1.1 type's pattern over the whole
 * string, folding) was near a tenth of a 10,000-host build. The text still comes from the library: what is remembered is
 * its answer, keyed by everything that answer depends on —
 * - the string and the scalar's requested style (`type`);
 * - where it stands: indentation, whether it is a key, inside a flow collection, the column it starts at, and the
 *   library's forced block indent;
 * - the document's serializer options and schema (its name, and the tags that may claim a plain scalar).
 * A scalar with a comment of its own is never remembered (a block scalar's header carries it). What the library tells
 * the collection around a block scalar that keeps its final newlines (`|+`, onChompKeep) is told again on every use.
 * Only a string met a second time in the same place is kept (memory stays flat: each host's own config and secrets
 * are met once), and at most MAX_REMEMBERED of them.
 */
import { Scalar, type CollectionTag, type ScalarTag } from 'yaml';

type StringifyContext = Parameters<NonNullable<ScalarTag['stringify']>>[1];

interface Rendered {
  text: string;
  /** Whether the library called onChompKeep (a block scalar that keeps its final newlines, `|+`). */
  calledOnChompKeep: boolean;
}

const STRING_TAG = 'tag:yaml.org,2002:str';
/** Enough for every distinct string of a large fleet's shared files; past it, strings are written unremembered. */
const MAX_REMEMBERED = 50_000;
/** Strings met once, forgotten all together when this many: a string hosts share is met again within a host or two. */
const MAX_MET_ONCE = 4096;

/** The serializer options the library's string stringifier reads (stringifyString.js, foldFlowLines.js). */
const STRING_OPTIONS = ['blockQuote', 'defaultKeyType', 'defaultStringType', 'doubleQuotedAsJSON', 'doubleQuotedMinMultiLineLength', 'lineWidth', 'minContentWidth', 'singleQuote'] as const;

/** A small id per object: the commentString function, each tag (the library's tags are shared by its documents). */
const objectIds = new WeakMap<object, number>();
let objectCount = 0;

export function idOf(object: object): number {
  let id = objectIds.get(object);
  if (id === undefined) objectIds.set(object, (id = ++objectCount));
  return id;
}

const signatureIds = new Map<string, number>();
/**
 * Each document's options object and its id: every string of one document shares them, and a writer (yaml-writer.ts)
 * keeps one options object for all its documents. By object, not the last one only: a host's files alternate between
 * writers (config.yml inside user-data), which made the last-one cache work the signature out again string after string.
 */
const signaturesByOptions = new WeakMap<object, number>();

/**
 * A document's serializer options and schema as a small id, the same for the same options and schema: the options
 * the string stringifier reads, the indent step, and the schema's name and the tags that may claim a plain scalar.
 */
function signatureOf(ctx: StringifyContext): number {
  const known = signaturesByOptions.get(ctx.options);
  if (known !== undefined) return known;
  const { schema } = ctx.doc;
  // The tags that may claim a plain scalar, by identity: the same tag objects have the same patterns.
  const claimers: number[] = [];
  for (const tags of [schema.tags, schema.compat ?? []]) {
    for (const tag of tags) if (tag.default && tag.tag !== STRING_TAG && (tag as ScalarTag).test) claimers.push(idOf(tag));
  }
  const signature = JSON.stringify([schema.name, claimers, STRING_OPTIONS.map((key) => ctx.options[key] ?? null), idOf(ctx.options.commentString), ctx.indentStep]);
  let id = signatureIds.get(signature);
  if (id === undefined) signatureIds.set(signature, (id = signatureIds.size));
  signaturesByOptions.set(ctx.options, id);
  return id;
}

/** The string tag of a schema (`customTags: rememberStrings`), writing exactly what the library's own one writes. */
export function rememberStrings<T extends CollectionTag | ScalarTag | string>(tags: T[]): (T | ScalarTag)[] {
  return tags.map((tag) => (typeof tag === 'object' && tag.tag === STRING_TAG && !('nodeClass' in tag && tag.nodeClass) ? remembering(tag as ScalarTag) : tag));
}

/** One remembering wrapper per library tag object, so that documents share what is remembered. */
const wrappers = new WeakMap<ScalarTag, ScalarTag>();
/** place (see placeOf) → indent → string → how the library wrote it there. */
const remembered = new Map<number, Map<string, Map<string, Rendered>>>();
let rememberedCount = 0;
/** String → the place it was met in, for strings met once (not remembered yet); emptied when full. */
const metOnce = new Map<string, number | string>();

/**
 * Where a string stands, apart from its indent, as one integer: the document's signature, the flow and key flags,
 * the scalar's requested style and the column it starts at. undefined when it does not fit (then it is not remembered).
 */
function placeOf(ctx: StringifyContext, type: string | undefined): number | undefined {
  const signature = signatureOf(ctx);
  const start = ctx.indentAtStart === undefined ? 0 : ctx.indentAtStart + 1;
  const style = type === undefined ? 0 : SCALAR_TYPES.indexOf(type) + 1;
  if (signature > 63 || start > 1023 || (style === 0 && type !== undefined)) return undefined;
  const flow = ctx.inFlow === true ? 1 : ctx.inFlow === null ? 2 : ctx.inFlow === undefined ? 3 : 0;
  return ((((signature * 1024 + start) * 4 + flow) * 2 + (ctx.implicitKey ? 1 : 0)) * 2 + (ctx.forceBlockIndent ? 1 : 0)) * 8 + style;
}

const SCALAR_TYPES: string[] = [Scalar.BLOCK_FOLDED, Scalar.BLOCK_LITERAL, Scalar.PLAIN, Scalar.QUOTE_DOUBLE, Scalar.QUOTE_SINGLE];

/** Indents met, each with a small number (indentIdOf). */
const indentIds = new Map<string, number>();

/**
 * A small number for an indent, the same for the same indent, below 64 (no document nests deeper); undefined past the
 * 64th indent met. For keys made of numbers: here (whereOf) and a Styled value's place (yaml-writer.ts).
 */
export function indentIdOf(indent: string): number | undefined {
  let id = indentIds.get(indent);
  if (id === undefined && indentIds.size < 64) indentIds.set(indent, (id = indentIds.size));
  return id;
}

/** A place (placeOf, below 2^23) and an indent as one number, without a string built for each string met once. */
function whereOf(place: number, indent: string): number | string {
  const id = indentIdOf(indent);
  return id === undefined ? `${place} ${indent}` : place * 64 + id;
}

/** Whether `value` was met at `where` before: then it is worth keeping. Otherwise notes that it was. */
function isMetAgain(value: string, where: number | string): boolean {
  if (metOnce.get(value) === where) {
    metOnce.delete(value);
    return true;
  }
  if (metOnce.size >= MAX_MET_ONCE) metOnce.clear();
  metOnce.set(value, where);
  return false;
}

function remembering(tag: ScalarTag): ScalarTag {
  const known = wrappers.get(tag);
  if (known) return known;
  const stringify = tag.stringify;
  if (!stringify) return tag;
  const wrapper: ScalarTag = {
    ...tag,
    stringify(item, ctx, onComment, onChompKeep) {
      const scalar = item as Scalar;
      const place = typeof scalar.value === 'string' && !scalar.comment ? placeOf(ctx, scalar.type) : undefined;
      if (place === undefined) return stringify(item, ctx, onComment, onChompKeep);
      const value = scalar.value as string;
      let byIndent = remembered.get(place);
      let byValue = byIndent?.get(ctx.indent);
      let rendered = byValue?.get(value);
      if (rendered === undefined) {
        let calledOnChompKeep = false;
        // (onComment is called only for a scalar's own comment, and such a scalar is never remembered.)
        const text = stringify(item, ctx, onComment, () => (calledOnChompKeep = true));
        rendered = { text, calledOnChompKeep };
        if (rememberedCount < MAX_REMEMBERED && isMetAgain(value, whereOf(place, ctx.indent))) {
          if (byIndent === undefined) remembered.set(place, (byIndent = new Map()));
          if (byValue === undefined) byIndent.set(ctx.indent, (byValue = new Map()));
          byValue.set(value, rendered);
          rememberedCount++;
        }
      }
      if (rendered.calledOnChompKeep) onChompKeep?.();
      return rendered.text;
    },
  };
  wrappers.set(tag, wrapper);
  return wrapper;
}
