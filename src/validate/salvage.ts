/**
 * "Every mistake at once" past the schema: what the JSON Schema rejected is cut out of the manifest (a wrong value,
 * an unknown key, an incomplete mapping or list item), and the semantic rules run on what is left. List items are
 * cut without renumbering what the rules see as written (paths are translated back), so every diagnostic still
 * points where the user wrote it; findings that only follow from a cut (a host "missing" the tunnel.id that the
 * schema rejected) are left out, as the schema's own error already covers them.
 */
import type { ErrorObject, ValidateFunction } from 'ajv';
import { formatPath, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { ManifestPath, SourceMap } from '../load/source-map.js';
import { pointerToPath } from './schema-messages.js';
import type { Manifest } from './schema.js';

/** Root values the rules read that a placeholder can stand in for; rules skip the checks that depend on them. */
export type RootKey = 'fleet' | 'zone';

export interface Salvaged {
  manifest: Manifest;
  /** The manifest as written, asked about with the paths of the salvaged one. */
  source: SourceMap;
  /** Root values the schema rejected: placeholders stand in for them in `manifest`. */
  unknown: ReadonlySet<RootKey>;
  /** Whether a finding about the salvaged manifest only follows from a cut (its path as written). */
  isConsequence(diagnostic: Diagnostic): boolean;
}

/** Rules never read version; fleet and zone are flagged as unknown for the rules that read them. */
const PLACEHOLDERS: Readonly<Record<string, unknown>> = { version: 1, fleet: 'fleet', zone: 'invalid' };
/** Each round cuts every rejected value; a cut can only leave its parent incomplete, so a few rounds suffice. */
const MAX_ROUNDS = 10;
/** Marks a cut list item until the list is compacted, so that paths stay those of the manifest as written. */
const CUT = Symbol('cut');

type IndexMaps = Map<string, number[]>;

/**
 * The manifest without what the schema rejected, or undefined when too little is left for the rules (the hosts
 * list itself, or the whole document, is rejected).
 */
export function salvage(value: unknown, errors: readonly ErrorObject[], validate: ValidateFunction, source: SourceMap): Salvaged | undefined {
  const tree = structuredClone(value);
  if (!isRecord(tree)) return undefined;
  const cuts: ManifestPath[] = [];
  const unknown = new Set<RootKey>();
  let pending = errors;
  let current = compact(tree);
  for (let round = 0; round < MAX_ROUNDS; round++) {
    for (const error of pending) {
      const target = translate(cutTarget(error), current.indexMaps);
      const [root] = target;
      if (root === undefined || (target.length === 1 && root === 'hosts')) return undefined;
      if (target.length === 1 && typeof root === 'string' && root in PLACEHOLDERS) {
        tree[root] = PLACEHOLDERS[root];
        if (root === 'fleet' || root === 'zone') unknown.add(root);
      } else {
        cutAt(tree, target);
      }
      cuts.push(target);
    }
    current = compact(tree);
    if (validate(current.value)) {
      const { indexMaps } = current;
      return {
        manifest: current.value as Manifest,
        source: source.withPathTranslation((path) => translate(path, indexMaps)),
        unknown,
        isConsequence: consequenceOf(cuts),
      };
    }
    pending = validate.errors ?? [];
  }
  return undefined;
}

/** What to cut for one violation: an unknown key itself, else the value that is wrong or incomplete. */
function cutTarget(error: ErrorObject): ManifestPath {
  const path = pointerToPath(error.instancePath);
  if (error.keyword === 'additionalProperties') return [...path, String((error.params as { additionalProperty: string }).additionalProperty)];
  if (error.keyword === 'propertyNames') return [...path, String((error.params as { propertyName: string }).propertyName)];
  return path;
}

function cutAt(tree: Record<string, unknown>, path: ManifestPath): void {
  let node: unknown = tree;
  for (const part of path.slice(0, -1)) {
    if (typeof node !== 'object' || node === null) return;
    node = (node as Record<string | number, unknown>)[part];
  }
  const last = path.at(-1);
  if (Array.isArray(node) && typeof last === 'number') node[last] = CUT;
  else if (isRecord(node) && last !== undefined) Reflect.deleteProperty(node, String(last));
}

/** The tree without its cut items; for each list that lost some, the index as written of each item left. */
function compact(tree: unknown): { value: unknown; indexMaps: IndexMaps } {
  const indexMaps: IndexMaps = new Map();
  const walk = (node: unknown, path: ManifestPath): unknown => {
    if (Array.isArray(node)) {
      const kept = node.map((item: unknown, index) => ({ item, index })).filter(({ item }) => item !== CUT);
      if (kept.length !== node.length) indexMaps.set(formatPath(path), kept.map(({ index }) => index));
      return kept.map(({ item, index }) => walk(item, [...path, index]));
    }
    if (isRecord(node)) return Object.fromEntries(Object.entries(node).map(([key, child]) => [key, walk(child, [...path, key])]));
    return node;
  };
  return { value: walk(tree, []), indexMaps };
}

/** A path of the compacted tree as the path of the manifest as written. */
function translate(path: ManifestPath, indexMaps: IndexMaps): ManifestPath {
  const out: (string | number)[] = [];
  for (const part of path) {
    const map = typeof part === 'number' ? indexMaps.get(formatPath(out)) : undefined;
    out.push(typeof part === 'number' ? (map?.[part] ?? part) : part);
  }
  return out;
}

/**
 * A finding follows from a cut when it is about the cut value, something inside it, or what encloses it down to
 * the setting it belongs to (a host "has no tunnel.id" is reported at its tunnel, or at the host when the whole
 * tunnel was cut) — not the host as a whole for a cut deep inside one of its settings. A cut in defaults or a group
 * reaches that setting of every host.
 */
function consequenceOf(cuts: readonly ManifestPath[]): (diagnostic: Diagnostic) => boolean {
  const related = cuts.flatMap((cut) => {
    const own = { cut: formatPath(cut), deepest: formatPath(cut.slice(0, Math.min(cut.length - 1, settingDepth(cut)))) };
    const setting = cut[0] === 'defaults' ? cut.slice(1) : cut[0] === 'groups' ? cut.slice(2) : undefined;
    if (!setting || setting.length === 0) return [own];
    const inHost = ['hosts', -1, ...setting];
    return [own, { cut: formatPath(inHost), deepest: formatPath(inHost.slice(0, Math.min(inHost.length - 1, 3))) }];
  }).map((entry) => (isChoice(entry.cut) ? { ...entry, deepest: layerOf(entry.cut) } : entry));
  return (diagnostic) => {
    if (diagnostic.path === '') return false;
    const path = diagnostic.path;
    const anyHost = path.replace(/^hosts\[\d+\]/, 'hosts[-1]');
    return related.some(({ cut, deepest }) => [path, anyHost].some((p) => isWithin(p, cut) || (isWithin(cut, p) && isWithin(p, deepest))));
  };
}

/**
 * Settings that decide what the others of a host mean (its tunnel mode, its install method): with one cut,
 * anything said about the host as a whole may follow from it.
 */
function isChoice(cut: string): boolean {
  return /\.(tunnel\.mode|cloudflared\.install)$/.test(cut);
}

/** `hosts[0].tunnel.mode` → `hosts[0]`; `groups.stores.tunnel.mode` → `groups.stores`; `defaults…` → `defaults`. */
function layerOf(path: string): string {
  return /^(hosts\[-?\d+\]|groups\.[^.[]+|groups\[[^\]]+\]|defaults)/.exec(path)?.[1] ?? path;
}

/** Depth of the setting a path belongs to: defaults.<setting>, groups.<g>.<setting>, hosts[i].<setting>. */
function settingDepth(path: ManifestPath): number {
  return path[0] === 'defaults' ? 2 : 3;
}

/** Whether formatted path `inner` is `outer` or lies inside it. */
function isWithin(inner: string, outer: string): boolean {
  return inner === outer || (inner.startsWith(outer) && (outer === '' || inner[outer.length] === '.' || inner[outer.length] === '['));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
