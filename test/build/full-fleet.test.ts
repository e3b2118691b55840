/**
 * The whole compiler on a real manifest: fixtures/valid/full (every tunnel mode, every install method, a mirror
 * with its own repository key, groups, short-lived certificates, env and file secrets) through load → validate →
 * normalize → every target. The snapshot pins the output a user would commit or paste; the tests below state
 * what must hold whatever the snapshot says.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildFleet } from '../../src/build.js';
import { compileFleet } from '../../src/pipeline.js';
import { TARGET_NAMES } from '../../src/targets/target.js';
import { stagedByGitAdd } from '../support/git-add.js';
import { fixtureEnv } from '../validate/run-fixture.js';

const FIXTURE = 'fixtures/valid/full';

function build(options: { vaultPassword?: string; chefSecret?: string } = {}) {
  const { fleet } = compileFleet(join(FIXTURE, 'fleet.yaml'), { env: fixtureEnv(FIXTURE) });
  return buildFleet(fleet, { targets: [...TARGET_NAMES], options });
}

/** Every secret the fixture references, as the strings that must never reach a committed file. */
function secretValues(): string[] {
  const values = Object.entries(fixtureEnv(FIXTURE))
    .filter(([name]) => !name.includes('ACCESS')) // service token env: never read into output at all
    .map(([, value]) => value);
  for (const file of readdirSync(join(FIXTURE, 'secrets'), { withFileTypes: true })) {
    if (file.isFile()) values.push(readFileSync(join(FIXTURE, 'secrets', file.name), 'utf8'));
  }
  // Terraform's outputs: the lockdown probe's service token secret.
  const shared = JSON.parse(readFileSync(join(FIXTURE, 'secrets', 'terraform', 'shared.json'), 'utf8')) as { service_tokens: { value: Record<string, { client_secret: string }> } };
  values.push(...Object.values(shared.service_tokens.value).map((t) => t.client_secret));
  // Check the distinctive secret parts too, not only whole files (a target may re-serialize JSON).
  const parts = values.flatMap((v) => [...v.matchAll(/"(?:TunnelSecret|s|apiToken)"\s*:\s*"([^"]+)"/g)].map((m) => m[1] ?? ''));
  const certBodies = values.flatMap((v) => [...v.matchAll(/-----BEGIN [A-Z ]+-----\n([\s\S]+?)\n-----END/g)].map((m) => (m[1] ?? '').split('\n')[0] ?? ''));
  return [...values.map((v) => v.trim()), ...parts, ...certBodies].filter((v) => v.length >= 16);
}

describe('fleetgen build of fixtures/valid/full', () => {
  it('produces the reviewed output of every target', () => {
    expect(build().files.toRecord()).toMatchSnapshot();
  });

  it('keeps every secret out of the files meant to be committed, and writes the files that hold one 0600', () => {
    const secrets = secretValues();
    expect(secrets.length).toBeGreaterThan(5);
    const files = build().files.list();
    const leaks: string[] = [];
    for (const file of files) {
      const text = file.content.toString();
      const held = secrets.filter((s) => text.includes(s));
      if (held.length > 0 && !file.isSecret) leaks.push(file.path);
      if (file.isSecret) expect(file.mode, file.path).toBe(0o600);
    }
    expect(leaks).toEqual([]);
    // …and they are all somewhere: each host gets its own.
    const secretText = files.filter((f) => f.isSecret).map((f) => f.content.toString()).join('\n');
    for (const s of secrets.filter((s) => !s.includes('\n'))) expect(secretText).toContain(s);
  });

  it('never writes the service token, which only the operator’s environment holds', () => {
    const env = fixtureEnv(FIXTURE);
    const all = build().files.list().map((f) => f.content.toString()).join('\n');
    expect(all).not.toContain(env.FLEETGEN_TEST_ACCESS_ID);
    expect(all).not.toContain(env.FLEETGEN_TEST_ACCESS_SECRET);
  });

  it('gives byte-identical output when built twice', () => {
    expect(build({ vaultPassword: 'pw', chefSecret: 'chef' }).files.toRecord()).toEqual(build({ vaultPassword: 'pw', chefSecret: 'chef' }).files.toRecord());
  });

  it('encrypts every secrets file when given a vault password and a chef secret', () => {
    const files = build({ vaultPassword: 'pw', chefSecret: 'chef' }).files.list().filter((f) => f.isSecret);
    const secrets = secretValues();
    for (const file of files.filter((f) => !f.path.startsWith('cloud-init/'))) {
      const text = file.content.toString();
      expect(secrets.filter((s) => text.includes(s)), file.path).toEqual([]);
    }
  });

  it('keeps every file holding a secret in clear text out of git, and only those, as git reads the .gitignore files', async () => {
    const files = build().files;
    const secrets = secretValues();
    for (const target of TARGET_NAMES) {
      const inTarget = files.list().filter((f) => f.path.startsWith(`${target}/`) && !f.path.endsWith('/.gitignore'));
      const clear = inTarget.filter((f) => secrets.some((s) => f.content.toString().includes(s))).map((f) => f.path);
      expect(inTarget.filter((f) => f.isKeptOutOfGit).map((f) => f.path), target).toEqual(clear);
      const ignore = files.get(`${target}/.gitignore`);
      if (ignore !== undefined) expect(ignore).toMatchObject({ isSecret: false, isKeptOutOfGit: false, mode: 0o644 });
    }
    expect(files.get('ssh/.gitignore')).toBeUndefined();
    // With encrypted secrets too: git stages exactly the files not kept out of git (Terraform's tool files aside).
    for (const options of [{}, { vaultPassword: 'pw', chefSecret: 'chef' }]) {
      const built = build(options).files;
      const dir = mkdtempSync(join(tmpdir(), 'fleetgen-full-git-'));
      for (const file of built.list()) {
        mkdirSync(dirname(join(dir, 'out', file.path)), { recursive: true });
        writeFileSync(join(dir, 'out', file.path), file.content);
      }
      expect(await stagedByGitAdd(dir), JSON.stringify(options)).toEqual(built.list().filter((f) => !f.isKeptOutOfGit).map((f) => f.path).sort());
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('writes a .gitignore whose length does not grow with the fleet: a pattern per family of secret files', () => {
    const patterns = (options: { vaultPassword?: string; chefSecret?: string }): Record<string, string[]> =>
      Object.fromEntries(
        TARGET_NAMES.map((target) => [target, (build(options).files.get(`${target}/.gitignore`)?.content.toString() ?? '').split('\n').filter((line) => line !== '' && !line.startsWith('#'))]),
      );
    expect(patterns({})).toEqual({
      chef: ['/data_bags/acme_pos_secrets/'],
      ansible: ['/inventory/host_vars/*/secrets.yml'],
      'cloud-init': ['/*.yaml'],
      ssh: [],
      terraform: ['*.tfstate', '*.tfstate.*', '*.tfplan', '.terraform/'],
    });
    expect(patterns({ vaultPassword: 'pw', chefSecret: 'chef' })).toMatchObject({ chef: ['/node_secrets/'], ansible: [], 'cloud-init': ['/*.yaml'] });
  });

  it('lets encrypted secrets be committed: with a vault password and a chef secret only user-data and the nodes\' own secrets are git-ignored', () => {
    const files = build({ vaultPassword: 'pw', chefSecret: 'chef' }).files;
    const kept = files.list().filter((f) => f.isKeptOutOfGit);
    expect(kept.map((f) => f.path.split('/')[0])).toEqual(expect.arrayContaining(['cloud-init']));
    expect(new Set(kept.map((f) => f.path.split('/').slice(0, f.path.startsWith('chef/') ? 2 : 1).join('/')))).toEqual(new Set(['cloud-init', 'chef/node_secrets']));
    expect(files.get('ansible/.gitignore')).toBeUndefined();
    expect(String(files.get('chef/.gitignore')?.content)).toMatch(/^\/node_secrets\//m);
    expect(files.list().filter((f) => f.isSecret && !f.isKeptOutOfGit).length).toBeGreaterThan(0);
  });
});
