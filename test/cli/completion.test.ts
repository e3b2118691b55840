/**
 * `fleetgen completion bash|zsh`, loaded into the real shells: completing `fleetgen va`, an option, an option's
 * values, and a manifest (file names, from the shell). zsh's compadd and _files are replaced by functions that
 * print what they were given, so the test sees what zsh would offer.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCommand } from '../support/run-command.js';
import { BIN, fleetgen, tempDir } from './fleetgen.js';

/** A folder with `fleetgen` (the built bin) in it, for the scripts' calls back into fleetgen. */
function pathWithFleetgen(): string {
  const bin = join(tempDir(), 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'fleetgen'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} "$@"\n`);
  chmodSync(join(bin, 'fleetgen'), 0o755);
  return `${bin}:${process.env.PATH ?? ''}`;
}

const CASES: [string, string[], string][] = [
  ['a command', ['fleetgen', 'va'], 'validate'],
  ['every command', ['fleetgen', ''], 'validate hosts build schema init completion'],
  ['an option', ['fleetgen', 'validate', 'fleet.yaml', '--fr'], '--frozen-lockfile'],
  ["an option's values", ['fleetgen', 'hosts', 'fleet.yaml', '--format', ''], 'table json'],
];

describe('fleetgen completion', () => {
  it('bash: completes commands, options and their values, and leaves the manifest to file names', async () => {
    const script = (await fleetgen(['completion', 'bash'])).stdout;
    const calls = [...CASES.map(([, words]) => words), ['fleetgen', 'validate', '']]
      .map((words) => `t ${words.map((w) => JSON.stringify(w)).join(' ')}`)
      .join('\n');
    const result = await runCommand(
      'bash',
      ['-c', `source /dev/stdin <<'SCRIPT'\n${script}SCRIPT\nt() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _fleetgen_completions; echo "\${COMPREPLY[*]}"; }\n${calls}\ncomplete -p fleetgen`],
      { env: { ...process.env, PATH: pathWithFleetgen() } },
    );
    expect(result.status, result.stderr).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines.slice(0, CASES.length)).toEqual(CASES.map(([, , expected]) => expected));
    // Nothing from fleetgen for the manifest: bash falls back to file names (-o default).
    expect(lines[CASES.length]).toBe('');
    expect(lines[CASES.length + 1]).toBe('complete -o bashdefault -o default -F _fleetgen_completions fleetgen');
  });

  it('zsh: offers the same, and file names for the manifest', async () => {
    const script = (await fleetgen(['completion', 'zsh'])).stdout;
    const dir = tempDir();
    writeFileSync(join(dir, '_fleetgen'), script);
    const calls = [...CASES.map(([, words]) => words), ['fleetgen', 'validate', '']]
      .map((words) => `t ${words.map((w) => `'${w}'`).join(' ')}`)
      .join('\n');
    const result = await runCommand(
      'zsh',
      [
        '-f',
        '-c',
        [
          'autoload -Uz compinit && compinit -u -D',
          `source ${JSON.stringify(join(dir, '_fleetgen'))}`,
          // zsh filters what compadd gets by what is typed; print what fleetgen's function hands it.
          'compadd() { shift; print -r -- "${(j: :)@}" }',
          '_files() { print -r -- "<files>" }',
          't() { words=("$@"); CURRENT=$#; _fleetgen }',
          calls,
        ].join('\n'),
      ],
      { env: { ...process.env, PATH: pathWithFleetgen() }, installHint: 'apt-get install zsh' },
    );
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout.split('\n').slice(0, CASES.length + 1)).toEqual([
      'validate hosts build schema init completion',
      'validate hosts build schema init completion',
      '--help --version --format --frozen-lockfile',
      'table json',
      '<files>',
    ]);
  });

  it('chooses the script from $SHELL when no shell is named', async () => {
    const zsh = await fleetgen(['completion'], { env: { SHELL: '/usr/bin/zsh' } });
    expect(zsh.stdout).toMatch(/^#compdef fleetgen\n/);
    const bash = await fleetgen(['completion'], { env: { SHELL: '/bin/bash' } });
    expect(bash.stdout).toContain('complete -o bashdefault -o default -F _fleetgen_completions fleetgen');
  });
});
