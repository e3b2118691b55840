import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { InternalError, quote } from '../diagnostics/diagnostic.js';
import type { SourceMap } from '../load/source-map.js';
import type { FleetgenFleetManifest } from '../manifest/types.generated.js';
import { packageRoot } from '../package-root.js';

export type Manifest = FleetgenFleetManifest;

let schema: Record<string, unknown> | undefined;
/**
 * schemas/fleet.schema.json of the installed fleetgen, read at run time from the package root: the one file that
 * the package ships, editors point at and the build reads, whether fleetgen runs from src/, dist/src/ or an install.
 */
export function fleetSchema(): Record<string, unknown> {
  if (schema) return schema;
  const path = join(packageRoot(), 'schemas', 'fleet.schema.json');
  try {
    schema = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new InternalError(`cannot read the manifest schema ${path}: is the fleetgen installation complete?`, { cause: err });
  }
  return schema;
}

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

let compiled: ValidateFunction | undefined;
function validator(): ValidateFunction {
  if (!compiled) {
    const ajv = new Ajv2020({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true });
    addFormats(ajv);
    compiled = ajv.compile(fleetSchema());
  }
  return compiled;
}

/** Checks the raw document against schemas/fleet.schema.json; every violation becomes a located diagnostic. */
export function validateSchema(value: unknown, source: SourceMap): { ok: true; manifest: Manifest } | { ok: false; diagnostics: Diagnostic[] } {
  const validate = validator();
  if (validate(value)) return { ok: true, manifest: value as Manifest };
  const diagnostics = (validate.errors ?? []).flatMap((e) => explain(e, source));
  return { ok: false, diagnostics: dedupe(diagnostics) };
}

function pointerToPath(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((raw) => raw.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((part) => (/^(0|[1-9][0-9]*)$/.test(part) ? Number(part) : part));
}

/** First sentence of the schema's own description: the schema explains each field once, for editors and for us. */
function describe(schemaNode: unknown): string | undefined {
  const text = (schemaNode as { description?: unknown } | undefined)?.description;
  if (typeof text !== 'string') return undefined;
  const [first = text] = text.split(/(?<=[.!?])\s/);
  return first.replace(/\.$/, '');
}

function typeName(value: unknown): string {
  if (value === null) return 'null (an empty value)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `a string (${quote(value, 40)})`;
  return `a ${typeof value} (${String(value)})`;
}

function explain(e: ErrorObject, source: SourceMap): Diagnostic[] {
  const path = pointerToPath(e.instancePath);
  const root = (e as { data?: unknown }).data;
  const hint = describe(e.parentSchema);
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String((e.params as { additionalProperty: string }).additionalProperty);
      const allowed = Object.keys((e.parentSchema as { properties?: object }).properties ?? {}).filter((k) => k !== '$schema');
      const guess = closest(key, allowed);
      return [
        source.error(
          'schema.unknown-key',
          [...path, key],
          `unknown key ${quote(key)}`,
          guess ? `did you mean ${quote(guess)}? (allowed: ${allowed.join(', ')})` : `allowed here: ${allowed.join(', ')}`,
          'key',
        ),
      ];
    }
    case 'required': {
      const key = String((e.params as { missingProperty: string }).missingProperty);
      const sub = (e.parentSchema as { properties?: Record<string, unknown> }).properties?.[key];
      return [source.error('schema.required', path, `missing required key ${quote(key)}`, describe(sub) ? `add ${key}: ${describe(sub)}` : `add ${key}`, 'key')];
    }
    case 'propertyNames': {
      const key = String((e.params as { propertyName: string }).propertyName);
      return [source.error('schema.key-name', [...path, key], `${quote(key)} is not a valid name here`, describe((e.parentSchema as { propertyNames?: unknown }).propertyNames) ?? hint, 'key')];
    }
    case 'type': {
      const expected = String((e.params as { type: string }).type);
      return [source.error('schema.type', path, `expected ${article(expected)}, found ${typeName(root)}`, hint)];
    }
    case 'enum': {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues;
      const guess = typeof root === 'string' ? closest(root, allowed.map(String)) : undefined;
      return [
        source.error(
          'schema.enum',
          path,
          `${quote(root)} is not one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`,
          guess ? `did you mean ${quote(guess)}?` : hint,
        ),
      ];
    }
    case 'const':
      return [source.error('schema.const', path, `must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}, found ${typeName(root)}`, hint)];
    case 'pattern':
    case 'format':
      return [source.error('schema.format', path, `${quote(root)} is not valid here`, hint)];
    case 'minItems':
      return [source.error('schema.min-items', path, `needs at least ${(e.params as { limit: number }).limit} item(s)`, hint)];
    case 'minProperties':
    case 'maxProperties':
      return [source.error('schema.properties-count', path, e.message ?? 'wrong number of keys', hint)];
    case 'minimum':
    case 'maximum':
    case 'minLength':
    case 'maxLength':
      return [source.error('schema.range', path, `${quote(root)} ${e.message ?? 'is out of range'}`, hint)];
    case 'if':
    case 'anyOf':
    case 'oneOf':
    case 'allOf':
    case 'false schema':
      return [];
    default:
      return [source.error(`schema.${e.keyword}`, path, e.message ?? 'is not valid', hint)];
  }
}

function article(type: string): string {
  const words: Record<string, string> = { object: 'a mapping', array: 'a list', string: 'a string', integer: 'a whole number', number: 'a number', boolean: 'true or false', null: 'an empty value' };
  return type
    .split(',')
    .map((t) => words[t] ?? t)
    .join(' or ');
}

function dedupe(diagnostics: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diagnostics.filter((d) => {
    const key = `${d.line}:${d.column}:${d.path}:${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The allowed word nearest to a typo (`credentials_file` → `credentials`), if any is near enough. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  const normalized = word.toLowerCase().replace(/[-_]/g, '');
  for (const candidate of candidates) {
    const c = candidate.toLowerCase().replace(/[-_]/g, '');
    const d = c === normalized ? 0 : c.startsWith(normalized) || normalized.startsWith(c) ? 1 : levenshtein(normalized, c);
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function levenshtein(a: string, b: string): number {
  if (a.length > 64 || b.length > 64) return Infinity;
  // One row of the edit-distance table at a time; `previous` is the row above.
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? Infinity;
}
