import type { Ajv2020, Options, ValidateFunction } from 'ajv/dist/2020.js';
import { hash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { InternalError } from '../diagnostics/diagnostic.js';
import type { SourceMap } from '../load/source-map.js';
import type { FleetgenFleetManifest } from '../manifest/types.generated.js';
import { packageRoot } from '../package-root.js';
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
    return requireHere(join(dirname(fileURLToPath(import.meta.url)), PRECOMPILED_VALIDATOR));
  } catch {
    // not there, or not loadable: the schema is compiled instead
    return undefined;
  }
}

export type SchemaResult = { ok: true; manifest: Manifest } | { ok: false; diagnostics: Diagnostic[]; salvaged: Salvaged | undefined };

/**
 * Checks the raw document against schemas/fleet.schema.json; every violation becomes a located diagnostic. When
 * there are some, `salvaged` is the manifest without what was rejected, for the semantic rules (salvage.ts).
 */
export function validateSchema(value: unknown, source: SourceMap): SchemaResult {
  const validate = validator();
  if (validate(value)) return { ok: true, manifest: value as Manifest };
  const errors = [...(validate.errors ?? [])];
  return { ok: false, diagnostics: explainSchemaErrors(errors, source, value), salvaged: salvage(value, errors, validate, source) };
}
