/**
 * Runs a fixture folder through load → schema → semantic checks → Terraform's saved outputs, as `fleetgen validate`
 * does, with the manifest named `fleet.yaml` and file references resolved beside it. Environment variables come from the fixture's
 * env.json, never from the test process, so a developer's shell cannot change a result.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatDiagnostic, hasErrors, sortDiagnostics, type Diagnostic } from '../../src/diagnostics/diagnostic.js';
import { parseManifest } from '../../src/load/manifest.js';
import { SecretReader } from '../../src/load/secrets.js';
import { terraformOutputsOf } from '../../src/pipeline.js';
import { validateManifest } from '../../src/validate/validate.js';

export function fixtureEnv(dir: string): Record<string, string> {
  const file = join(dir, 'env.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>) : {};
}

export function diagnoseFixture(dir: string): Diagnostic[] {
  const parsed = parseManifest(readFileSync(join(dir, 'fleet.yaml'), 'utf8'), 'fleet.yaml');
  if (!parsed.ok) return sortDiagnostics(parsed.diagnostics);
  const { source, value } = parsed.manifest;
  const validation = validateManifest(value, source, new SecretReader(dir, fixtureEnv(dir)));
  if (!validation.isSchemaValid || hasErrors(validation.diagnostics)) return validation.diagnostics;
  // Terraform's saved outputs (terraformOutputs.dir), checked once the manifest is valid, as validate does.
  const terraform = terraformOutputsOf(validation.manifest, source, dir, { outDir: 'out', displayBase: dir });
  return sortDiagnostics([...validation.diagnostics, ...(terraform.isPresent ? terraform.awaiting : [])]);
}

export function formatFixture(dir: string): string[] {
  return diagnoseFixture(dir).map(formatDiagnostic);
}
