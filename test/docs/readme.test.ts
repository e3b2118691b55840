import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SUPPORTED_OS } from '../support/platform-fleet.js';
import { runCommand } from '../support/run-command.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const readme = readFileSync(join(REPO, 'README.md'), 'utf8');

/** The commands of the README's first code block, comments stripped. */
function firstCommands(): string[] {
  const block = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
  return block
    .split('\n')
    .map((line) => line.replace(/#.*$/, '').trim())
    .filter(Boolean);
}

describe('README.md', () => {
  it('opens with the two commands a newcomer runs: install and run the example, then the tests', () => {
    const beforeFirstSection = readme.slice(0, readme.indexOf('\n## '));
    expect(beforeFirstSection).toContain('```sh');
    expect(firstCommands()).toEqual(['npm ci && npm run example', 'npm test']);
    const scripts = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.example).toContain('fixtures/example/fleet.yaml');
  });

  it('names the test commands that .ci/run runs: the README\'s, then the end-to-end tests of "How we test"', () => {
    const ci = readFileSync(join(REPO, '.ci', 'run'), 'utf8');
    const commands = ci.split('\n').filter((line) => /^npm /.test(line));
    expect(commands).toEqual(['npm ci', firstCommands()[1], 'npm run test:e2e']);
    const howWeTest = readme.slice(readme.indexOf('\n## How we test'));
    expect(howWeTest).toContain('npm run test:e2e');
  });

  it('lists every supported OS in its Platforms table', () => {
    const section = readme.slice(readme.indexOf('\n### Platforms'), readme.indexOf('\n## ', readme.indexOf('\n### Platforms')));
    const rows = section.split('\n').filter((line) => line.startsWith('| `')).slice(1); // below the header row
    const named = rows.flatMap((row) => [...(row.split('|')[1] ?? '').matchAll(/`([a-z0-9.-]+)`/g)].map((m) => m[1]));
    expect(named.sort()).toEqual([...SUPPORTED_OS].sort());
  });

  it('never tells anyone to fetch fleetgen from a registry: fleetgen is installed from a checkout, tarball or git', () => {
    const commands = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((block) => (block[1] ?? '').split('\n'));
    // `npx fleetgen` fetches a registry package of that name when none is installed; --no forbids that.
    expect(commands.filter((line) => /\bnpx\b/.test(line) && !/\bnpx --no\b/.test(line))).toEqual([]);
    expect(commands.filter((line) => /\bnpm (install|i|add)\b[^#]*\sfleetgen(@|\s|$)/.test(line))).toEqual([]);
    const install = readme.slice(readme.indexOf('\n## Install fleetgen'), readme.indexOf('\n## Start your own fleet'));
    for (const way of ['npm install -g .', 'npm install -g ./fleetgen-', "npm pack 'git+"]) expect(install).toContain(way);
  });

  it('has a manifest reference up to date with schemas/fleet.schema.json', async () => {
    const result = await runCommand(process.execPath, [join(REPO, 'scripts', 'schema-doc.mjs'), '--check'], { cwd: REPO });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
