/**
 * Runs a fixture folder through load → schema → semantic checks, as `fleetgen validate` does, with the manifest
 * named `fleet.yaml` and file references resolved beside it. Environment variables come from the fixture's
 * env.json, never from the test process, so a developer's shell cannot change a result.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatDiagnostic, sortDiagnostics, type Diagnostic } from '../../src/diagnostics/diagnostic.js';
import { parseManifest } from '../../src/load/manifest.js';
import { SecretReader } from '../../src/load/secrets.js';
import { validateManifest } from '../../src/validate/validate.js';

export function fixtureEnv(dir: string): Record<string, string> {
  const file = join(dir, 'env.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>) : {};
}

export function diagnoseFixture(dir: string): Diagnostic[] {
  const parsed = parseManifest(readFileSync(join(dir, 'fleet.yaml'), 'utf8'), 'fleet.yaml');
  if (!parsed.ok) return sortDiagnostics(parsed.diagnostics);
  const { source, value } = parsed.manifest;
  return validateManifest(value, source, new SecretReader(dir, fixtureEnv(dir))).diagnostics;
}

export function formatFixture(dir: string): string[] {
  return diagnoseFixture(dir).map(formatDiagnostic);
}
