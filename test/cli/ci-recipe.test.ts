/**
 * The README's "Commit out/ and check it in CI", run as written: its shell blocks are taken from README.md and run
 * by bash in a fresh repository, with `fleetgen` on the PATH. Then nothing that holds a secret may be committed,
 * and the CI line must pass in a fresh clone (which has none of the git-ignored files).
 */
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCommand } from '../support/run-command.js';
import { readState } from '../../src/write/state.js';
import { BIN, EXAMPLE_DIR, REPO, tempDir } from './fleetgen.js';
const HEADING = '### Commit out/ and check it in CI';

/** The README's shell blocks under HEADING, in order: [the commit steps, the CI line]. */
function recipeBlocks(): string[] {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const start = readme.indexOf(HEADING);
  expect(start, `README.md has no "${HEADING}" section`).toBeGreaterThan(0);
  const section = readme.slice(start + HEADING.length, readme.indexOf('\n#', start + HEADING.length));
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1] ?? '');
}

interface Shell {
  env: NodeJS.ProcessEnv;
}

/** A PATH with `fleetgen` (the built bin) on it, and a git that reads no configuration of the machine's. */
function shell(): Shell {
  const home = tempDir();
  const bin = join(home, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'fleetgen'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} "$@"\n`);
  chmodSync(join(bin, 'fleetgen'), 0o755);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${bin}:${process.env.PATH ?? ''}`,
    HOME: home,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: 'fleetgen test',
    GIT_AUTHOR_EMAIL: 'test@example.com',
    GIT_COMMITTER_NAME: 'fleetgen test',
    GIT_COMMITTER_EMAIL: 'test@example.com',
  };
  delete env.FLEETGEN_DEBUG;
  return { env };
}

async function bash(script: string, cwd: string, sh: Shell): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const result = await runCommand('bash', ['-e', '-c', script], { cwd, env: sh.env, timeoutMs: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

async function git(args: string[], cwd: string, sh: Shell): Promise<string> {
  const result = await runCommand('git', args, { cwd, env: sh.env, installHint: 'apt-get install git' });
  expect(result.status, `git ${args.join(' ')}: ${result.stderr}`).toBe(0);
  return result.stdout;
}

/** A fleet folder as a user has it after "Start your own fleet": `fleetgen init`, then the manifest and secrets. */
async function fleetFolder(sh: Shell): Promise<string> {
  const root = tempDir();
  const init = await bash('fleetgen init my-fleet', root, sh);
  expect(init.code, init.stderr).toBe(0);
  const dir = join(root, 'my-fleet');
  cpSync(join(EXAMPLE_DIR, 'fleet.yaml'), join(dir, 'fleet.yaml'));
  cpSync(join(EXAMPLE_DIR, 'secrets'), join(dir, 'secrets'), { recursive: true });
  return dir;
}

/** Every secret value the example references, as it could appear in a generated file. */
function secretValues(dir: string): string[] {
  const values: string[] = [];
  // What terraform output -json saved: the credentials' TunnelSecret and the tokens.
  for (const name of readdirSync(join(dir, 'secrets', 'terraform'))) {
    const saved = JSON.parse(readFileSync(join(dir, 'secrets', 'terraform', name), 'utf8')) as {
      hosts?: { value: Record<string, Record<string, string>> };
      service_tokens?: { value: Record<string, { client_secret: string }> };
    };
    // The shared module's: the service tokens' secrets (the lockdown probe's).
    for (const token of Object.values(saved.service_tokens?.value ?? {})) values.push(token.client_secret);
    for (const host of Object.values(saved.hosts?.value ?? {})) {
      if (host.tunnel_credentials) values.push((JSON.parse(host.tunnel_credentials) as { TunnelSecret: string }).TunnelSecret);
      if (host.tunnel_token) values.push(host.tunnel_token);
    }
  }
  for (const name of readdirSync(join(dir, 'secrets'))) {
    if (name === '.gitignore' || name === 'terraform') continue;
    const text = readFileSync(join(dir, 'secrets', name), 'utf8');
    if (name.endsWith('.json')) values.push((JSON.parse(text) as { TunnelSecret: string }).TunnelSecret);
    else if (name.endsWith('.pem')) values.push(...text.split('\n').filter((line) => line.length >= 32 && !line.startsWith('-----')));
    else values.push(text.trim());
  }
  expect(values.length).toBeGreaterThanOrEqual(5);
  return values;
}

describe('the README\'s recipe for committing out/ and checking it in CI', () => {
  it('commits no secret, and its CI line passes in a fresh clone with the secrets restored', async () => {
    const blocks = recipeBlocks();
    expect(blocks).toHaveLength(2);
    const [commitSteps = '', ciLine = ''] = blocks;
    expect(ciLine.trim()).toBe('fleetgen build fleet.yaml --check --frozen-lockfile');
    const sh = shell();
    const dir = await fleetFolder(sh);

    const steps = await bash(commitSteps, dir, sh);
    expect(steps.code, steps.stderr).toBe(0);

    const committed = (await git(['ls-files'], dir, sh)).split('\n').filter(Boolean);
    expect(committed).toEqual(expect.arrayContaining(['fleet.yaml', 'fleet.schema.json', 'fleet.lock.yaml', 'secrets/.gitignore', 'out/.fleetgen-state.json', 'out/.gitignore', 'out/ssh/config']));
    expect(committed.filter((path) => path.startsWith('secrets/'))).toEqual(['secrets/.gitignore']);
    // The files that hold secrets in clear text were built, and stayed out of the commit.
    const ignored = readState(join(dir, 'out')).state.files.filter((f) => f.isKeptOutOfGit).map((f) => `out/${f.path}`);
    expect(ignored).toEqual(expect.arrayContaining(['out/cloud-init/store-0001.yaml', 'out/ansible/inventory/host_vars/store-0001/secrets.yml', 'out/chef/data_bags/acme_pos_secrets/store-0001.json']));
    for (const path of ignored) expect(existsSync(join(dir, path)), path).toBe(true);
    expect(committed.filter((path) => ignored.includes(path))).toEqual([]);
    // Nothing committed holds any secret's value, and nothing was left out that should have been committed.
    for (const value of secretValues(dir)) {
      const found = await bash(`git grep -l -F -e ${JSON.stringify(value)} HEAD || true`, dir, sh);
      expect(found.stdout, 'a committed file holds a secret').toBe('');
    }
    expect(await git(['status', '--porcelain'], dir, sh)).toBe('');

    // CI: a fresh clone, secrets/ restored from the CI's secret store.
    const ci = join(tempDir(), 'ci');
    await git(['clone', '--quiet', dir, ci], dir, sh);
    cpSync(join(dir, 'secrets'), join(ci, 'secrets'), { recursive: true });
    expect(existsSync(join(ci, 'out/cloud-init/store-0001.yaml'))).toBe(false);
    const check = await bash(ciLine, ci, sh);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toMatch(/^out is up to date \(\d+ files checked; 21 git-ignored files holding secrets not checked\)\n$/);

    // The same line fails once a committed file is stale.
    writeFileSync(join(ci, 'out/ssh/config'), readFileSync(join(ci, 'out/ssh/config'), 'utf8') + '# edited by hand\n');
    const stale = await bash(ciLine, ci, sh);
    expect(stale.code).toBe(1);
    expect(stale.stdout).toBe('  change  out/ssh/config\n');
  });
});
