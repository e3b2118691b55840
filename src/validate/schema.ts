import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { InternalError } from '../diagnostics/diagnostic.js';
import type { SourceMap } from '../load/source-map.js';
import type { FleetgenFleetManifest } from '../manifest/types.generated.js';
import { packageRoot } from '../package-root.js';
import { salvage, type Salvaged } from './salvage.js';
import { explainSchemaErrors } from './schema-messages.js';

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
