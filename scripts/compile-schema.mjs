// A step of `npm run build`, after tsc (scripts/after-tsc.mjs): ajv's standalone validator for schemas/fleet.schema.json, written
// beside the module that loads it (dist/src/validate/), so that no run of fleetgen compiles the schema again.
// The module holds the digest of the schema it was made from; fleetgen compiles the schema itself when they differ.
import { writeFileSync } from 'node:fs';

const { PRECOMPILED_VALIDATOR, standaloneValidatorCode } = await import('../dist/src/validate/schema.js');
writeFileSync(new URL(`../dist/src/validate/${PRECOMPILED_VALIDATOR}`, import.meta.url), standaloneValidatorCode());
