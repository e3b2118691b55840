/**
 * validate = the JSON Schema, then the semantic rules — on the whole manifest when the schema accepts it, else on
 * what the schema did not reject (salvage.ts), so that one run reports every mistake it can find.
 */
import { sortDiagnostics, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { SecretReader } from '../load/secrets.js';
import type { SourceMap } from '../load/source-map.js';
import { validateSchema, type Manifest } from './schema.js';
import type { HostChecks } from './host-checks.js';
import { checkFleet } from './semantic.js';

export type ManifestValidation =
  /** The schema accepted the manifest; `diagnostics` are the semantic rules' errors and warnings. */
  | { isSchemaValid: true; manifest: Manifest; diagnostics: Diagnostic[] }
  /** Schema errors, and what the semantic rules found in the rest (never without an error). */
  | { isSchemaValid: false; diagnostics: Diagnostic[] };

/**
 * `checks`: hosts known to pass the schema and the host rules (host-checks.ts): the schema checks the others first,
 * and the rules skip the known ones when the schema accepts the whole manifest.
 */
export function validateManifest(value: unknown, source: SourceMap, secrets: SecretReader, checks?: HostChecks): ManifestValidation {
  const schema = validateSchema(value, source, checks);
  if (schema.ok) {
    return { isSchemaValid: true, manifest: schema.manifest, diagnostics: sortDiagnostics(checkFleet(schema.manifest, source, secrets, checks !== undefined ? { checks } : {})) };
  }
  const { salvaged } = schema;
  if (!salvaged) return { isSchemaValid: false, diagnostics: sortDiagnostics(schema.diagnostics) };
  const semantic = checkFleet(salvaged.manifest, salvaged.source, secrets, { unknown: salvaged.unknown }).filter((d) => !salvaged.isConsequence(d));
  return { isSchemaValid: false, diagnostics: sortDiagnostics([...schema.diagnostics, ...semantic]) };
}
