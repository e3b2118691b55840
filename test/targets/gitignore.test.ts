import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileSet } from '../../src/targets/fileset.js';
import { escapePattern, renderGitignore } from '../../src/targets/gitignore.js';
import { tempDir } from '../cli/fleetgen.js';
import { runCommand } from '../support/run-command.js';

describe('the generated .gitignore of a target folder', () => {
  it('is not written when nothing in the folder must be kept out of git', () => {
    expect(renderGitignore(new FileSet().add('config', 'Host a\n').add('vault.yml', '$ANSIBLE_VAULT;1.1;AES256\n', { isSecret: true }).list())).toBeUndefined();
  });

  it('makes git ignore exactly the kept-out files, whatever characters their names hold', async () => {
    const names = ['plain.yaml', 'a*b.yaml', 'q?.yaml', '[x].yaml', '!bang.yaml', '#hash.yaml', 'back\\slash.yaml', 'trailing .yaml'];
    const files = new FileSet();
    for (const name of names) files.add(`secret/${name}`, 's', { isKeptOutOfGit: true });
    files.add('secret/ab.yaml', 'not secret').add('secret/q1.yaml', 'not secret').add('secret/x.yaml', 'not secret');
    const dir = tempDir();
    const env = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: dir };
    expect((await runCommand('git', ['init', '-q', dir], { env })).status).toBe(0);
    writeFileSync(join(dir, '.gitignore'), renderGitignore(files.list()) ?? '');
    mkdirSync(join(dir, 'secret'));
    for (const file of files.list()) writeFileSync(join(dir, file.path), file.content);
    const { stdout } = await runCommand('git', ['-C', dir, 'status', '--porcelain', '--untracked-files=all', '--ignored'], { env });
    const ignored = stdout.split('\n').filter((line) => line.startsWith('!! ')).map((line) => line.slice(3).replace(/^"|"$/g, ''));
    expect(ignored.map((path) => path.replace(/\\\\/g, '\\')).sort()).toEqual(names.map((name) => `secret/${name}`).sort());
  });

  it("writes a target's pattern once for the kept-out files it covers, lists the others, and git ignores exactly the kept-out files", async () => {
    const files = new FileSet()
      .add('bag_secrets/a.json', 's', { isKeptOutOfGit: true })
      .add('bag_secrets/b.json', 's', { isKeptOutOfGit: true })
      .add('host_vars/x/secrets.yml', 's', { isKeptOutOfGit: true })
      .add('host_vars/y/secrets.yml', 's', { isKeptOutOfGit: true })
      .add('host_vars/x/cloudflared.yml', 'committed')
      .add('host_vars/secrets.yml.bak', 'committed')
      .add('bag/a.json', 'committed')
      .add('odd [1].yml', 's', { isKeptOutOfGit: true });
    const patterns = ['/bag_secrets/', '/host_vars/*/secrets.yml', '/nothing/*.json'];
    const text = renderGitignore(files.list(), undefined, patterns) ?? '';
    // Each pattern that covers a file, once, in the target's order; a file no pattern covers, by its own line.
    expect(text.split('\n').filter((line) => line !== '' && !line.startsWith('#'))).toEqual(['/bag_secrets/', '/host_vars/*/secrets.yml', '/odd \\[1\\].yml']);
    const dir = tempDir();
    const env = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: dir };
    expect((await runCommand('git', ['init', '-q', dir], { env })).status).toBe(0);
    writeFileSync(join(dir, '.gitignore'), text);
    for (const file of files.list()) {
      mkdirSync(dirname(join(dir, file.path)), { recursive: true });
      writeFileSync(join(dir, file.path), file.content);
    }
    const { stdout } = await runCommand('git', ['-C', dir, 'ls-files', '--others', '--exclude-standard'], { env });
    expect(stdout.split('\n').filter((line) => line !== '').sort()).toEqual(['.gitignore', ...files.list().filter((f) => !f.isKeptOutOfGit).map((f) => f.path)].sort());
  });

  it('refuses a pattern that would keep a file to be committed out of git', () => {
    const files = new FileSet().add('a.yaml', 's', { isKeptOutOfGit: true }).add('README.yaml', 'committed');
    expect(() => renderGitignore(files.list(), undefined, ['/*.yaml'])).toThrow(/\/\*\.yaml .* README\.yaml/);
    expect(() => renderGitignore(files.list(), undefined, ['*.yaml'])).toThrow(/cannot check/);
  });

  it('escapes glob characters and a trailing space', () => {
    expect(escapePattern('a*b?[c]!#\\ ')).toBe('a\\*b\\?\\[c\\]\\!\\#\\\\\\ ');
  });
});
