/**
 * Collections that many hosts' documents share, made once per build and written once per place: a helper script's
 * write_files entry, the unit's, a runcmd step. Every host's user-data holds a dozen of them, byte for byte the same;
 * building each as nodes and writing it again for every host was most of a 10,000-host build's cloud-init time.
 *
 * The text still comes from the yaml library: what is remembered is its answer for one node in one place. A
 * remembered node is never changed after it is made, and is keyed by everything its text depends on:
 * - the value it was made from (found by its parts, value-trie.ts), its own flags (`flow`, the comment above it) and
 *   the document's schema (its name and tags, which decide how the value is made into nodes);
 * - where it is written: every plain field of the stringify context (indent, whether in a flow collection or a key,
 *   the column it starts at, ...), the document's serializer options and schema.
 * Only a value met a second time is remembered (each host's own files are met once and made as usual); what was met is
 * forgotten all together past MAX_SLOTS parts (value-trie.ts). A value whose nodes would need an anchor or alias, or
 * that holds anything but plain data, is never remembered.
 */
import { isAlias, isMap, isNode, isScalar, isSeq, visit, YAMLMap, YAMLSeq, type Document, type Node, type ScalarTag } from 'yaml';
import { idOf } from './remembered-strings.js';
import { ValueTrie } from './value-trie.js';

type StringifyContext = Parameters<NonNullable<ScalarTag['stringify']>>[1];

interface Rendered {
  text: string;
  /** Whether the library called onComment (the node's own trailing comment) or onChompKeep (it ends in `|+`). */
  calledOnComment: boolean;
  calledOnChompKeep: boolean;
}

/** Context fields that hold the document or per-document state, not the place a node is written in. */
const NOT_PLACE = new Set(['doc', 'options', 'anchors', 'resolvedAliases']);

const signatureIds = new Map<string, number>();

/** A signature as a small id, the same for the same signature. */
function signatureId(signature: string): number {
  let id = signatureIds.get(signature);
  if (id === undefined) signatureIds.set(signature, (id = signatureIds.size));
  return id;
}

/** The last document's schema and its id: the nodes of one document are made with one schema. */
let lastSchema: object | undefined;
let lastSchemaId = 0;

/** A document's schema as a small id: its name and its tags by identity (the same tag objects behave the same). */
function schemaId(doc: Document): number {
  const { schema } = doc;
  if (schema === lastSchema) return lastSchemaId;
  lastSchemaId = signatureId(`${schema.name}:${schema.tags.map(idOf).join(',')}:${(schema.compat ?? []).map(idOf).join(',')}`);
  lastSchema = schema;
  return lastSchemaId;
}

/** The last document's options object and its id: every node of one document is written with them. */
let lastOptions: object | undefined;
let lastDocumentId: number | undefined;

/**
 * The serializer options, schema and directives a text was written with, as a small id: every option, functions by
 * identity. undefined when an option is of a kind this cannot compare (then nothing is remembered).
 */
function documentId(ctx: StringifyContext): number | undefined {
  if (ctx.options === lastOptions) return lastDocumentId;
  const options: unknown[] = [];
  let comparable = true;
  for (const [key, value] of Object.entries(ctx.options).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (typeof value === 'function') options.push(key, `f${idOf(value)}`);
    else if (value === null || ['string', 'number', 'boolean', 'undefined'].includes(typeof value)) options.push(key, value ?? null);
    else comparable = false;
  }
  const { directives } = ctx.doc;
  lastDocumentId = comparable ? signatureId(JSON.stringify([schemaId(ctx.doc), options, directives ? [directives.yaml.version, directives.tags] : null])) : undefined;
  lastOptions = ctx.options;
  return lastDocumentId;
}

/** Where a node is written: every plain field of the context. undefined when a field is not plain (not remembered). */
function placeOf(ctx: StringifyContext): string | undefined {
  const document = documentId(ctx);
  if (document === undefined || (ctx.anchors && ctx.anchors.size > 0)) return undefined;
  let place = String(document);
  for (const key in ctx) {
    if (NOT_PLACE.has(key)) continue;
    const value = (ctx as unknown as Record<string, unknown>)[key];
    if (value !== null && value !== undefined && typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') return undefined;
    place += `\u0000${key}=${typeof value === 'string' ? (/^ *$/.test(value) ? value.length : JSON.stringify(value)) : String(value)}`;
  }
  return place;
}

/** How the library wrote `node` at `ctx`, remembered per place on the node. */
function rendered(
  renderings: Map<string, Rendered>,
  ctx: StringifyContext,
  onComment: (() => void) | undefined,
  onChompKeep: (() => void) | undefined,
  write: (onComment: () => void, onChompKeep: () => void) => string,
): string {
  const place = placeOf(ctx);
  let known = place === undefined ? undefined : renderings.get(place);
  if (known === undefined) {
    let calledOnComment = false;
    let calledOnChompKeep = false;
    const text = write(
      () => (calledOnComment = true),
      () => (calledOnChompKeep = true),
    );
    known = { text, calledOnComment, calledOnChompKeep };
    if (place !== undefined) renderings.set(place, known);
  }
  if (known.calledOnComment) onComment?.();
  if (known.calledOnChompKeep) onChompKeep?.();
  return known.text;
}

/** A map made once and shared by documents: its text is worked out once per place it is written in. */
class RememberedMap extends YAMLMap {
  readonly #renderings = new Map<string, Rendered>();

  override toString(ctx?: StringifyContext, onComment?: () => void, onChompKeep?: () => void): string {
    if (!ctx) return super.toString();
    return rendered(this.#renderings, ctx, onComment, onChompKeep, (c, k) => super.toString(ctx, c, k));
  }
}

/** A sequence made once and shared by documents (see RememberedMap). */
class RememberedSeq extends YAMLSeq {
  readonly #renderings = new Map<string, Rendered>();

  override toString(ctx?: StringifyContext, onComment?: () => void, onChompKeep?: () => void): string {
    if (!ctx) return super.toString();
    return rendered(this.#renderings, ctx, onComment, onChompKeep, (c, k) => super.toString(ctx, c, k));
  }
}

export interface NodeFlags {
  /** Written as a flow collection (`[a, b]`). */
  flow?: boolean;
  /** The comment above it, as yaml's commentBefore (lines without `#`). */
  commentBefore?: string;
}

const NO_COMMENT = Symbol('no comment');
/** No `flow` flag: not the same as `flow: false` (the library writes an empty collection without one in flow style). */
const NO_FLOW = Symbol('no flow');

/** Values met, by schema, flags and value; past MAX_SLOTS parts all is forgotten (what hosts share is met again). */
const MAX_SLOTS = 10_000;
const met = new ValueTrie<Node>(MAX_SLOTS);

/**
 * `value` (a plain object or array of plain data) as a node of `doc`: the same node for every document when the same
 * value with the same flags is met again in a document of the same schema. The node must not be changed.
 */
export function rememberedNode(doc: Document, value: object, flags: NodeFlags = {}): Node {
  const make = (): Node => withFlags(doc.createNode(value), flags);
  if (isScalar(value)) return make();
  return met.get([schemaId(doc), flags.flow ?? NO_FLOW, flags.commentBefore ?? NO_COMMENT], value, make, (made) => (isRememberable(made) ? remembering(doc, made) : undefined));
}

/** `made` as a node that remembers its text per place; undefined for a node that is not a map or a sequence. */
function remembering(doc: Document, made: Node): Node | undefined {
  if (isMap(made)) return Object.assign(new RememberedMap(doc.schema), made);
  if (isSeq(made)) return Object.assign(new RememberedSeq(doc.schema), made);
  return undefined;
}

function withFlags(node: Node, flags: NodeFlags): Node {
  if (flags.flow !== undefined && (isMap(node) || isSeq(node))) node.flow = flags.flow;
  if (flags.commentBefore !== undefined) node.commentBefore = flags.commentBefore;
  return node;
}

/** A tree without anchors or aliases: its text does not depend on what else the document holds. */
function isRememberable(node: Node): boolean {
  let plain = true;
  visit(node, (_key, item) => {
    if (isAlias(item) || (isNode(item) && 'anchor' in item && item.anchor)) {
      plain = false;
      return visit.BREAK;
    }
    return undefined;
  });
  return plain;
}
