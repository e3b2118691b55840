/**
 * The schema validator that `npm run build` precompiles (ajv's standalone code, dist/src/validate/fleet-validator.cjs)
 * must judge every manifest exactly as the validator ajv compiles at run time: the same verdict and the same errors,
 * down to the schema each error carries (the messages and the salvage read them). And the built fleetgen must use it
 * only when it was made from the schema the package ships.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO } from '../cli/fleetgen.js';
import { modulesLoadedBy } from '../support/modules-loaded.js';
import { runCommand } from '../support/run-command.js';
import { compileFleetSchema, fleetSchemaDigest, PRECOMPILED_VALIDATOR, precompiledValidator, standaloneValidatorCode } from '../../src/validate/schema.js';

/** The standalone module evaluated as Node would load it (its require()s resolved from this checkout). */
function evaluate(code: string): unknown {
  const module = { exports: {} as unknown };
  // ajv's own generated code, evaluated as require() would evaluate it
  new Function('module', 'exports', 'require', code)(module, module.exports, createRequire(import.meta.url));
  return module.exports;
}

/** Every manifest in fixtures/ (valid and invalid), parsed; plus values that break the schema in other ways. */
function manifests(): { name: string; value: unknown }[] {
  const found: { name: string; value: unknown }[] = [];
  const visit = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (entry.name === 'fleet.yaml') {
        try {
          found.push({ name: path, value: parse(readFileSync(path, 'utf8')) as unknown });
        } catch {
          // a fixture that is not YAML at all never reaches the schema
        }
      }
    }
  };
  visit(join(REPO, 'fixtures'));
  const example = found.find((m) => m.name.endsWith(join('example', 'fleet.yaml')))?.value as Record<string, unknown>;
  found.push(
    { name: 'null', value: null },
    { name: 'a list', value: [1, 2] },
    { name: 'no hosts', value: { ...example, hosts: undefined } },
    { name: 'hosts not a list', value: { ...example, hosts: { a: 1 } } },
    { name: 'an unknown top-level key', value: { ...example, colour: 'blue' } },
    { name: 'a host with every value wrong', value: { ...example, hosts: [{ name: 7, group: [], tunnel: 'x', ingress: {}, ssh: { port: 'twenty-two' } }] } },
  );
  return found;
}

describe('the precompiled schema validator', () => {
  const precompiled = evaluate(standaloneValidatorCode());
  const compiled = compileFleetSchema();

  it('judges every fixture, and broken manifests, exactly as the validator ajv compiles at run time', () => {
    const validate = precompiledValidator(precompiled, fleetSchemaDigest());
    if (validate === undefined) throw new Error('the standalone code must carry the schema digest');
    const all = manifests();
    expect(all.length).toBeGreaterThan(60);
    let invalid = 0;
    for (const { name, value } of all) {
      const verdict = validate(value);
      expect(verdict, name).toBe(compiled(value));
      expect(validate.errors ?? null, name).toEqual(compiled.errors ?? null);
      if (!verdict) invalid++;
    }
    // Both kinds are exercised: the fixtures hold schema errors as well as valid manifests.
    expect(invalid).toBeGreaterThan(10);
    expect(all.length - invalid).toBeGreaterThan(10);
  });

  it('is used only when made from this very schema', () => {
    const digest = fleetSchemaDigest();
    expect(precompiledValidator(precompiled, digest)).toBe(precompiled);
    expect(precompiledValidator(precompiled, '0'.repeat(64))).toBeUndefined();
    const withoutDigest = Object.assign((() => true) as unknown as ValidateFunction, {});
    expect(precompiledValidator(withoutDigest, digest)).toBeUndefined();
    expect(precompiledValidator({ schemaDigest: digest }, digest)).toBeUndefined();
    expect(precompiledValidator(undefined, digest)).toBeUndefined();
  });

  it('is in the build, made from the shipped schema, and what the built fleetgen checks manifests with', async () => {
    const built = join(REPO, 'dist', 'src', 'validate', PRECOMPILED_VALIDATOR);
    expect(existsSync(built)).toBe(true);
    expect((createRequire(import.meta.url)(built) as { schemaDigest?: unknown }).schemaDigest).toBe(fleetSchemaDigest());
    const probe = `import(${JSON.stringify(join(REPO, 'dist', 'src', 'validate', 'schema.js'))}).then((m) => console.log(m.validatorKind()))`;
    const result = await runCommand(process.execPath, ['--input-type=module', '-e', probe], { cwd: REPO, timeoutMs: 60_000 });
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('precompiled');
  });

  it('spares a run with the precompiled validator from loading ajv: the validator needs only its runtime helpers', async () => {
    // The built CLI validating the example; then, which of ajv's modules the process loaded (ESM imports of CommonJS
    // packages go through require's cache too).
    const { code, loaded } = await modulesLoadedBy(['validate', join(REPO, 'fixtures', 'example', 'fleet.yaml')], /[/]ajv(-formats)?[/]/);
    expect(code).toBe(0);
    expect(loaded.some((path) => path.includes('runtime'))).toBe(true);
    expect(loaded.filter((path) => !/[/]ajv[/]dist[/]runtime[/]|[/]ajv-formats[/]dist[/]formats\.js$/.test(path))).toEqual([]);
  });
});
