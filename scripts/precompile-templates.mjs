// A step of `npm run build`, after tsc (scripts/after-tsc.mjs): every template in generators/ precompiled by handlebars, written beside the
// module that loads it (dist/src/targets/), so that no run of fleetgen loads handlebars' compiler to compile one.
// Each entry holds the digest of the source it was made from; fleetgen compiles a template itself when they differ.
import { writeFileSync } from 'node:fs';

const { PRECOMPILED_TEMPLATES, precompiledTemplatesCode } = await import('../dist/src/targets/templates.js');
writeFileSync(new URL(`../dist/src/targets/${PRECOMPILED_TEMPLATES}`, import.meta.url), precompiledTemplatesCode());
