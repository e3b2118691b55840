import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../cli/fleetgen.js';
import { runCommand } from '../support/run-command.js';

describe('the templates', () => {
  it('load handlebars with the first template compiled, not with the targets: a run that compiles none never loads it', async () => {
    // The built CLI loads every target (and so templates.js) on every run; `--version` compiles no template. Then
    // which of handlebars' modules the process loaded (ESM imports of CommonJS packages go through require's cache too).
    const cli = JSON.stringify(join(REPO, 'dist', 'src', 'cli', 'run.js'));
    const templates = JSON.stringify(join(REPO, 'dist', 'src', 'targets', 'templates.js'));
    const probe = [
      `const { run } = await import(${cli});`,
      "const code = await run(['node', 'fleetgen', '--version'], { stdout() {}, stderr() {}, env: {} });",
      "const { createRequire } = await import('node:module');",
      'const isLoaded = () => Object.keys(createRequire(import.meta.url).cache).some((path) => /[/]node_modules[/]handlebars[/]/.test(path));',
      'const before = isLoaded();',
      `const { template } = await import(${templates});`,
      "const text = template('chef/metadata.rb.hbs')({ name: \"'demo'\", description: \"'a fleet'\", version: \"'1.0.0'\" });",
      `console.log(JSON.stringify({ code, before, after: isLoaded(), isRendered: text.includes("name 'demo'") }));`,
    ].join('\n');
    const result = await runCommand(process.execPath, ['--input-type=module', '-e', probe], { cwd: REPO, timeoutMs: 60_000 });
    expect(result.stderr).toBe('');
    // (yargs prints the version itself, on the first line.)
    expect(JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '')).toEqual({ code: 0, before: false, after: true, isRendered: true });
  });
});
