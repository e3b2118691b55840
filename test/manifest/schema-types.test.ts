import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain .mjs build script without type declarations
import { renderManifestTypes } from '../../scripts/gen-types.mjs';
import schema from '../../schemas/fleet.schema.json' with { type: 'json' };

describe('the manifest schema and its TypeScript types', () => {
  it('keeps src/manifest/types.generated.ts exactly what the schema generates (run `npm run gen:types`)', async () => {
    const committed = readFileSync(new URL('../../src/manifest/types.generated.ts', import.meta.url), 'utf8');
    expect(await renderManifestTypes()).toBe(committed);
  });

  it('gives every property a description, so editors can show it on hover', () => {
    const missing: string[] = [];
    const visit = (node: unknown, path: string): void => {
      if (!node || typeof node !== 'object') return;
      const n = node as Record<string, unknown>;
      if (n.properties && typeof n.properties === 'object') {
        for (const [key, sub] of Object.entries(n.properties as Record<string, Record<string, unknown>>)) {
          if (typeof sub.description !== 'string' && typeof sub.$ref !== 'string') missing.push(`${path}.${key}`);
          visit(sub, `${path}.${key}`);
        }
      }
      for (const key of ['$defs', 'items', 'additionalProperties', 'propertyNames']) {
        const child = n[key];
        if (key === '$defs' && child && typeof child === 'object') {
          for (const [name, def] of Object.entries(child)) {
            if (typeof (def as Record<string, unknown>).description !== 'string') missing.push(`$defs.${name}`);
            visit(def, `$defs.${name}`);
          }
        } else visit(child, `${path}.${key}`);
      }
    };
    visit(schema, '');
    expect(missing).toEqual([]);
  });

  it('has a stable $id that names the schema without pretending to be a URL that serves it, and declares JSON Schema 2020-12', () => {
    // Editors get the schema from a file (init writes fleet.schema.json beside the manifest), never from a URL.
    expect(schema.$id).toBe('urn:fleetgen:fleet-manifest:1');
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
  });
});
