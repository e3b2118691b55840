// Generates src/manifest/types.generated.ts from schemas/fleet.schema.json, the single source of truth.
// `npm run gen:types` writes it; test/manifest/schema-types.test.ts fails when the committed file has drifted.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compile } from 'json-schema-to-typescript';

export async function renderManifestTypes() {
  const schemaPath = fileURLToPath(new URL('../schemas/fleet.schema.json', import.meta.url));
  const schema = JSON.parse(readFileSync(schemaPath, 'utf8'));
  return compile(schema, 'FleetManifest', {
    bannerComment:
      '/* Generated from schemas/fleet.schema.json by `npm run gen:types`. Do not edit: edit the schema and regenerate. */',
    additionalProperties: false,
    unreachableDefinitions: false,
    style: { singleQuote: true, printWidth: 120 },
    format: true,
    cwd: fileURLToPath(new URL('../schemas/', import.meta.url)),
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = fileURLToPath(new URL('../src/manifest/types.generated.ts', import.meta.url));
  writeFileSync(out, await renderManifestTypes());
  console.log(`wrote ${out}`);
}
