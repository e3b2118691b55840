// The steps of `npm run build` after tsc, in order: the precompiled schema validator, the precompiled templates, then
// the bin and the threads' modules bundled (each script says what it makes). test/global-setup.ts runs them after its
// own tsc, so that the list is kept here only.
for (const step of ['compile-schema.mjs', 'precompile-templates.mjs', 'bundle-cli.mjs']) await import(`./${step}`);
