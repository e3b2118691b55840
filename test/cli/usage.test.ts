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

  it.each([
    ['validate', 'fleetgen validate fleet.yaml --format json'],
    ['hosts', 'fleetgen hosts fleet.yaml --frozen-lockfile'],
    ['build', 'fleetgen build fleet.yaml --host store-0001'],
    ['schema', 'fleetgen schema > fleet.schema.json'],
    ['init', 'fleetgen init my-fleet'],
    ['completion', 'source <(fleetgen completion bash)'],
  ])('%s --help shows examples of that command', async (command, example) => {
    const result = await fleetgen([command, '--help']);
    expect(result.status, result.stderr).toBe(0);
    const examples = result.stdout.slice(result.stdout.indexOf('\nExamples:\n'));
    expect(examples).toContain(`\n  ${example}`);
  });

  it('--version prints the version from package.json', async () => {
    const { version } = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
    const result = await fleetgen(['--version']);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe(version);
  });

  it.each([
    ['an unknown command', ['deploy', 'fleet.yaml'], 'unknown command "deploy"; the commands are validate, hosts, build, schema, init, completion — run "fleetgen --help" for usage'],
    ['a misspelt command', ['valdate', 'fleet.yaml'], 'unknown command "valdate"; did you mean "validate"? — run "fleetgen --help" for usage'],
    ['no command', [], 'name a command: validate, hosts, build, schema, init, completion — run "fleetgen --help" for usage'],
    [
      'an unknown option',
      ['validate', 'fixtures/example/fleet.yaml', '--frozen'],
      'unknown option --frozen for fleetgen validate; did you mean --frozen-lockfile? — run "fleetgen validate --help" for its options and examples',
    ],
    [
      'an unknown option with a value',
      ['build', 'fixtures/example/fleet.yaml', '--vault-password=x'],
      'unknown option --vault-password for fleetgen build; did you mean --vault-password-file? — run "fleetgen build --help" for its options and examples',
    ],
    [
      'an option nothing is near',
      ['hosts', 'fixtures/example/fleet.yaml', '--zzz'],
      'unknown option --zzz for fleetgen hosts; its options are --format, --frozen-lockfile, --help, --version — run "fleetgen hosts --help" for its options and examples',
    ],
    [
      'a second manifest',
      ['validate', 'a.yaml', 'b.yaml'],
      'unexpected argument "b.yaml" (usage: fleetgen validate <manifest>) — run "fleetgen validate --help" for its options and examples',
    ],
    [
      'a missing manifest argument',
      ['validate'],
      'fleetgen validate needs its <manifest>: fleetgen validate <manifest> — e.g. "fleetgen validate fleet.yaml"; run "fleetgen validate --help" for its options and examples',
    ],
    ['an option without its value', ['build', 'fleet.yaml', '--out'], '--out needs a value — run "fleetgen build --help" for its options and examples'],
    ['a value not among the choices', ['hosts', 'fleet.yaml', '--format', 'yaml'], '--format must be one of "table", "json", not "yaml" — run "fleetgen hosts --help" for its options and examples'],
  ])('exits 2 on %s, saying what to type instead', async (_name, args, message) => {
    const result = await fleetgen(args);
    expect(result.status, result.stderr).toBe(2);
    expect(result.stderr).toBe(`fleetgen: ${message}\n`);
    expect(result.stderr).not.toMatch(STACK_FRAME);
    expect(result.stdout).toBe('');
  });
});
