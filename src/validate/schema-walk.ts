/**
 * Where a manifest path leads in schemas/fleet.schema.json: which schema describes the value there, and whether
 * the path goes through a secret reference. Messages use it to know when a value may be a secret (and must not be
 * repeated) without a list of secret places that could drift from the schema.
 */
import type { ManifestPath } from '../load/source-map.js';
import { fleetSchema } from './schema.js';

interface SchemaNode {
  $ref?: string;
  description?: string;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: SchemaNode | boolean;
  items?: SchemaNode;
}

/** The $defs whose values reference a secret ({ file } / { env }): whatever is written there may be the secret. */
const SECRET_REFERENCE_DEFS: ReadonlySet<string> = new Set(['secretRef', 'envRef']);

function definitionName(node: SchemaNode): string | undefined {
  return node.$ref?.startsWith('#/$defs/') ? node.$ref.slice('#/$defs/'.length) : undefined;
}

function resolve(node: SchemaNode): SchemaNode {
  const name = definitionName(node);
  const defs = (fleetSchema() as { $defs: Record<string, SchemaNode> }).$defs;
  return name !== undefined ? (defs[name] ?? node) : node;
}

function child(node: SchemaNode, part: string | number): SchemaNode | undefined {
  const resolved = resolve(node);
  if (typeof part === 'number') return resolved.items;
  const named = resolved.properties?.[part];
  if (named) return named;
  return typeof resolved.additionalProperties === 'object' ? resolved.additionalProperties : undefined;
}

/**
 * The leading part of `path` that names a secret reference (e.g. hosts[0].tunnel.credentials for
 * hosts[0].tunnel.credentials.env), or undefined when the path goes through none.
 */
export function secretReferenceOf(path: ManifestPath): ManifestPath | undefined {
  let node: SchemaNode | undefined = fleetSchema() as SchemaNode;
  for (const [i, part] of path.entries()) {
    node = node ? child(node, part) : undefined;
    if (!node) return undefined;
    const name = definitionName(node);
    if (name !== undefined && SECRET_REFERENCE_DEFS.has(name)) return path.slice(0, i + 1);
  }
  return undefined;
}
