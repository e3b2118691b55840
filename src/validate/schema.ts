import type { Ajv2020, Options, ValidateFunction } from 'ajv/dist/2020.js';
import { hash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { InternalError } from '../diagnostics/diagnostic.js';
import type { SourceMap } from '../load/source-map.js';
import type { FleetgenFleetManifest } from '../manifest/types.generated.js';
import { codeFolder, packageRoot } from '../package-root.js';
import { salvage, type Salvaged } from './salvage.js';
import { explainSchemaErrors } from './schema-messages.js';

export type Manifest = FleetgenFleetManifest;

let schema: { value: Record<string, unknown>; digest: string } | undefined;
/**
 * schemas/fleet.schema.json of the installed fleetgen, read at run time from the package root: the one file that
 * the package ships, editors point at and the build reads, whether fleetgen runs from src/, dist/src/ or an install.
 */
export function fleetSchema(): Record<string, unknown> {
  return readSchema().value;
}

/** SHA-256 of the schema file's bytes: what a precompiled validator must have been made from. */
export function fleetSchemaDigest(): string {
  return readSchema().digest;
}

function readSchema(): { value: Record<string, unknown>; digest: string } {
  if (schema) return schema;
  const path = join(packageRoot(), 'schemas', 'fleet.schema.json');
  try {
    const text = readFileSync(path, 'utf8');
    schema = { value: JSON.parse(text) as Record<string, unknown>, digest: hash('sha256', text, 'hex') };
  } catch (err) {
    throw new InternalError(`cannot read the manifest schema ${path}: is the fleetgen installation complete?`, { cause: err });
  }
  return schema;
}

/**
 * ajv itself is loaded only to compile the schema: a run that has the precompiled validator (every run of a built
 * fleetgen) needs ajv's small runtime helpers only, which the validator requires itself, and loading ajv took
 * about a tenth of a second of every run.
 */
const requireHere = createRequire(import.meta.url);

/** Every message and the salvage depend on these: allErrors (one run reports every mistake), verbose (errors carry their schema). */
function newAjv(options: Options = {}): Ajv2020 {
  const { Ajv2020: AjvClass } = requireHere('ajv/dist/2020.js') as { Ajv2020: typeof Ajv2020 };
  const addFormats = requireHere('ajv-formats') as (ajv: Ajv2020) => Ajv2020;
  const ajv = new AjvClass({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true, ...options });
  addFormats(ajv);
  return ajv;
}

/**
 * The validator as ajv's standalone code (a CommonJS module), made from the schema by `npm run build` and written
 * beside this module (scripts/compile-schema.mjs): ajv compiling the schema took longer than validating 10,000
 * hosts, on every run. The module also exports the digest of the schema it was made from.
 */
export const PRECOMPILED_VALIDATOR = 'fleet-validator.cjs';

export function standaloneValidatorCode(): string {
  const standaloneCode = requireHere('ajv/dist/standalone/index.js') as (ajv: Ajv2020, validate: ValidateFunction) => string;
  const ajv = newAjv({ code: { source: true } });
  const code = standaloneCode(ajv, ajv.compile(fleetSchema()));
  return `${code}\nmodule.exports.schemaDigest = ${JSON.stringify(fleetSchemaDigest())};\n`;
}

/** The validator compiled here and now, as every run did before the build precompiled it. */
export function compileFleetSchema(): ValidateFunction {
  return newAjv().compile(fleetSchema());
}

/** A precompiled module's validator, when it was made from exactly this schema; undefined otherwise. */
export function precompiledValidator(module: unknown, schemaDigest: string): ValidateFunction | undefined {
  if (typeof module !== 'function') return undefined;
  return (module as { schemaDigest?: unknown }).schemaDigest === schemaDigest ? (module as ValidateFunction) : undefined;
}

let compiled: { validate: ValidateFunction; kind: 'precompiled' | 'compiled' } | undefined;
function validator(): ValidateFunction {
  if (!compiled) {
    const precompiled = precompiledValidator(loadPrecompiled(), fleetSchemaDigest());
    // Without one (running from src/, a build that did not make it, a schema edited since): compiled here, as before.
    compiled = precompiled ? { validate: precompiled, kind: 'precompiled' } : { validate: compileFleetSchema(), kind: 'compiled' };
  }
  return compiled.validate;
}

/** Which validator this process checks manifests with (tests check that the built fleetgen uses the precompiled one). */
export function validatorKind(): 'precompiled' | 'compiled' {
  validator();
  return compiled?.kind ?? 'compiled';
}

function loadPrecompiled(): unknown {
  try {
    return requireHere(join(codeFolder(import.meta.url, 'validate'), PRECOMPILED_VALIDATOR));
  } catch {
    // not there, or not loadable: the schema is compiled instead
    return undefined;
  }
}

export type SchemaResult = { ok: true; manifest: Manifest } | { ok: false; diagnostics: Diagnostic[]; salvaged: Salvaged | undefined };

/** Host entries known to pass the schema, by their index in `hosts` (a build's memory of them: host-checks.ts). */
export interface KnownValidHosts {
  isKnownSchemaValid(index: number): boolean;
}

/**
 * Checks the raw document against schemas/fleet.schema.json; every violation becomes a located diagnostic. When
 * there are some, `salvaged` is the manifest without what was rejected, for the semantic rules (salvage.ts).
 *
 * With `known`, the schema first checks the manifest without the host entries known to pass it (issue 10: in a
 * one-host rebuild of 10,000 hosts, checking every entry again). As the schema judges each entry on its own
 * (hostListJudgedByEntry), that accepts the manifest exactly when checking it whole does; ajv changes nothing in the
 * value (no defaults, coercion or removal), so it is handed on as it is. On any finding there, the whole manifest is
 * checked as without `known`: the diagnostics are always the ones `validate` gives.
 */
export function validateSchema(value: unknown, source: SourceMap, known?: KnownValidHosts): SchemaResult {
  const validate = validator();
  const unknownPart = known !== undefined ? withoutKnownHosts(value, known) : undefined;
  if (unknownPart !== undefined && validate(unknownPart)) return { ok: true, manifest: value as Manifest };
  if (validate(value)) return { ok: true, manifest: value as Manifest };
  const errors = [...(validate.errors ?? [])];
  return { ok: false, diagnostics: explainSchemaErrors(errors, source, value), salvaged: salvage(value, errors, validate, source) };
}

/**
 * The manifest with only the host entries not known to pass the schema (and as many known ones as the list's least
 * length needs), or undefined when the schema might judge that otherwise than the whole, or when no entry is known.
 */
function withoutKnownHosts(value: unknown, known: KnownValidHosts): Record<string, unknown> | undefined {
  const list = hostListOfFleetSchema();
  if (list === undefined || typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { hosts } = value as Record<string, unknown>;
  if (!Array.isArray(hosts)) return undefined;
  const unknown: unknown[] = [];
  const spare: unknown[] = [];
  for (let index = 0; index < hosts.length; index++) (known.isKnownSchemaValid(index) ? spare : unknown).push(hosts[index]);
  if (spare.length === 0) return undefined;
  while (unknown.length < list.minItems && spare.length > 0) unknown.push(spare.pop());
  return { ...value, hosts: unknown };
}

let fleetHostList: { minItems: number } | null | undefined;
function hostListOfFleetSchema(): { minItems: number } | undefined {
  fleetHostList ??= hostListJudgedByEntry(fleetSchema()) ?? null;
  return fleetHostList ?? undefined;
}

/**
 * What `schema` says of the hosts list when it judges each host entry on its own, whatever the other entries and the
 * rest of the manifest hold; undefined otherwise. So it does when the root reaches the entries only through
 * properties.hosts, and that says of the list only its type, a least length and one schema for every item: no
 * maxItems, uniqueItems, contains, prefixItems or unevaluatedItems, nothing that compares entries or looks at where
 * one stands. Inside an item's schema nothing can read outside the item, as ajv runs without $data. Then the
 * manifest passes exactly when the rest of it with some of its entries (as many as the least length) passes and
 * each other entry passes the item schema, as a known entry did, in a manifest the schema accepted.
 */
export function hostListJudgedByEntry(schema: Record<string, unknown>): { minItems: number } | undefined {
  const ROOT = new Set(['$schema', '$id', '$comment', 'title', 'description', 'type', 'additionalProperties', 'required', 'properties', '$defs']);
  const LIST = new Set(['$comment', 'title', 'description', 'type', 'minItems', 'items']);
  if (!Object.keys(schema).every((key) => ROOT.has(key))) return undefined;
  const list = (schema.properties as Record<string, unknown> | undefined)?.hosts;
  if (typeof list !== 'object' || list === null || !Object.keys(list).every((key) => LIST.has(key))) return undefined;
  const { type, minItems, items } = list as Record<string, unknown>;
  if (type !== 'array' || typeof items !== 'object' || items === null || Array.isArray(items)) return undefined;
  if (minItems !== undefined && typeof minItems !== 'number') return undefined;
  return { minItems: minItems ?? 0 };
}
