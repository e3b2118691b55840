/**
 * A repository that commits fleetgen's out/, as the README says (`git add out/`), linted the way Ansible projects
 * lint theirs: a plain `ansible-lint` at the repository's root, no options, no configuration. ansible-lint lints
 * what git tracks (and untracked files git does not ignore), so the per-target .gitignore files the build writes keep
 * user-data (cloud-init's format, not Ansible's, and secret) out of its way; everything else in out/ must pass.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { copyExample, fleetgen } from '../../cli/fleetgen.js';
import { runCommand } from '../../support/run-command.js';
import { output, runTool } from './support.js';

const GIT_ENV = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'fleetgen test',
  GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'fleetgen test',
  GIT_COMMITTER_EMAIL: 'test@example.com',
};

async function git(args: string[], cwd: string): Promise<string> {
  const result = await runCommand('git', args, { cwd, env: GIT_ENV, installHint: 'apt-get install git' });
  expect(result.status, `git ${args.join(' ')}: ${result.stderr}`).toBe(0);
  return result.stdout;
}

describe('a repository that commits out/', () => {
  it('passes a plain ansible-lint run at its root, user-data left out by the generated .gitignore', async () => {
    const dir = copyExample({ withLock: true });
    const build = await fleetgen(['build', 'fleet.yaml', '--frozen-lockfile'], { cwd: dir });
    expect(build.status, build.stderr).toBe(0);
    await git(['init', '-q', '.'], dir);
    await git(['add', '-A'], dir);
    await git(['commit', '-q', '-m', 'Build the fleet'], dir);
    const tracked = (await git(['ls-files'], dir)).split('\n');
    const userData = readdirSync(join(dir, 'out', 'cloud-init')).filter((name) => name.endsWith('.yaml'));
    expect(userData.length).toBeGreaterThan(0);
    for (const name of userData) expect(tracked, name).not.toContain(`out/cloud-init/${name}`);
    expect(tracked).toEqual(expect.arrayContaining(['fleet.yaml', 'out/ansible/site.yml', 'out/ansible/inventory/host_vars/store-0001/cloudflared.yml']));

    const lint = await runTool('ansible-lint', ['--offline', '--nocolor'], dir);
    expect(lint.status, output(lint)).toBe(0);
    expect(output(lint)).toMatch(/Passed with \w+ profile: 0 failure\(s\), 0 warning\(s\)/);
  }, 120_000);

  it('keeps host_vars lines within ansible-lint\'s length, and Ansible reads a folded line back exactly', async () => {
    const dir = copyExample({ withLock: true });
    expect((await fleetgen(['build', 'fleet.yaml', '--frozen-lockfile', '--target', 'ansible'], { cwd: dir })).status).toBe(0);
    const manifest = parse(readFileSync(join(dir, 'fleet.yaml'), 'utf8')) as { groups: { stores: { ssh: { shortLivedCerts: { caPublicKey: string } } } } };
    const caKey = manifest.groups.stores.ssh.shortLivedCerts.caPublicKey;
    expect(caKey.length).toBeGreaterThan(160);
    const hostVars = join(dir, 'out', 'ansible', 'inventory', 'host_vars', 'store-0001', 'cloudflared.yml');
    const longest = Math.max(...readFileSync(hostVars, 'utf8').split('\n').map((line) => line.length));
    expect(longest).toBeLessThanOrEqual(160);
    const inventory = await runTool('ansible-inventory', ['-i', 'out/ansible/inventory/hosts.yml', '--host', 'store-0001'], dir);
    expect(inventory.status, output(inventory)).toBe(0);
    // The CA key, longer than a line, is a stored file of the role, byte for byte; host_vars names it.
    const vars = JSON.parse(inventory.stdout) as { cloudflared_ssh_ca_source: { __ansible_unsafe: string } };
    const stored = join(dir, 'out', 'ansible', 'roles', 'acme_pos', 'files', vars.cloudflared_ssh_ca_source.__ansible_unsafe);
    expect(readFileSync(stored, 'utf8')).toBe(`${caKey}\n`);
  }, 120_000);
});
