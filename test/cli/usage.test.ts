import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fleetgen, REPO, STACK_FRAME } from './fleetgen.js';

describe('fleetgen usage', () => {
  it('--help lists the commands, examples and exit codes', async () => {
    const result = await fleetgen(['--help']);
    expect(result.status, result.stderr).toBe(0);
    for (const command of ['validate <manifest>', 'hosts <manifest>', 'schema', 'init [dir]']) expect(result.stdout).toContain(`fleetgen ${command}`);
    expect(result.stdout).toContain('Examples:');
    expect(result.stdout).toContain('fleetgen validate fleet.yaml --format json');
    expect(result.stdout).toMatch(/Exit codes:\n\s+0\s+ok.*\n\s+1\s+a check failed.*\n\s+2\s+invalid input.*\n\s+3\s+internal error/);
  });

  it('--help of a command shows its options', async () => {
    const result = await fleetgen(['hosts', '--help']);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('--frozen-lockfile');
    expect(result.stdout).toContain('"table", "json"');
  });

  it('--version prints the version from package.json', async () => {
    const { version } = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
    const result = await fleetgen(['--version']);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe(version);
  });

  it.each([
    ['an unknown command', ['deploy', 'fleet.yaml'], /unknown command "deploy"; the commands are validate, hosts, /],
    ['a misspelt command', ['valdate', 'fleet.yaml'], /unknown command "valdate"; did you mean "validate"\?/],
    ['an unknown option', ['validate', 'fixtures/example/fleet.yaml', '--frozen'], /Unknown argument: frozen/],
    ['no command', [], /name a command: validate, hosts, /],
    ['a missing manifest argument', ['validate'], /Not enough non-option arguments/],
  ])('exits 2 on %s, pointing at --help', async (_name, args, message) => {
    const result = await fleetgen(args);
    expect(result.status, result.stderr).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toContain('run "fleetgen --help" for usage');
    expect(result.stderr).not.toMatch(STACK_FRAME);
    expect(result.stdout).toBe('');
  });
});
