import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fleetSchema } from '../../src/validate/schema.js';
import { fleetgen, STACK_FRAME, tempDir } from './fleetgen.js';

/** The tunnel UUID the init template names; the user replaces it with their own. */
const TEMPLATE_TUNNEL_ID = '00000000-0000-4000-8000-000000000000';

describe('fleetgen init', () => {
  it('writes a commented fleet.yaml whose first line points editors at the schema file it writes beside it, and a git-ignored secrets/', async () => {
    const dir = join(tempDir(), 'my-fleet');
    const result = await fleetgen(['init', dir]);
    expect(result.status, result.stderr).toBe(0);
    const manifest = readFileSync(join(dir, 'fleet.yaml'), 'utf8');
    // A relative path: editors resolve it beside the manifest, offline (test/editor runs the real language server).
    expect(manifest.split('\n')[0]).toBe('# yaml-language-server: $schema=./fleet.schema.json');
    expect(JSON.parse(readFileSync(join(dir, 'fleet.schema.json'), 'utf8'))).toEqual(fleetSchema());
    const gitignore = readFileSync(join(dir, 'secrets', '.gitignore'), 'utf8');
    expect(gitignore.split('\n')).toEqual(expect.arrayContaining(['*', '!.gitignore']));
    expect(result.stdout).toContain(`fleetgen validate ${join(dir, 'fleet.yaml')}`);
  });

  it('writes into the current folder when no folder is named', async () => {
    const dir = tempDir();
    expect((await fleetgen(['init'], { cwd: dir })).status).toBe(0);
    expect(existsSync(join(dir, 'fleet.yaml'))).toBe(true);
    expect(existsSync(join(dir, 'secrets', '.gitignore'))).toBe(true);
  });

  it('writes an example that validates once its secret is filled in, and says which secret is missing before', async () => {
    const dir = tempDir();
    expect((await fleetgen(['init'], { cwd: dir })).status).toBe(0);

    const unfilled = await fleetgen(['validate', 'fleet.yaml'], { cwd: dir });
    expect(unfilled.status, unfilled.stderr).toBe(2);
    expect(unfilled.stderr).toContain(`secrets/${TEMPLATE_TUNNEL_ID}.json`);
    expect(unfilled.stderr).not.toMatch(STACK_FRAME);

    const credentials = { AccountTag: '0123456789abcdef0123456789abcdef', TunnelSecret: Buffer.alloc(32, 1).toString('base64'), TunnelID: TEMPLATE_TUNNEL_ID };
    writeFileSync(join(dir, 'secrets', `${TEMPLATE_TUNNEL_ID}.json`), JSON.stringify(credentials));
    const filled = await fleetgen(['validate', 'fleet.yaml'], { cwd: dir });
    expect(filled.stderr).toContain('fleet.yaml: valid');
    expect(filled.status, filled.stderr).toBe(0);
  });

  it('refuses to overwrite an existing fleet.yaml (exit 2) and changes nothing', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'fleet.yaml'), 'mine\n');
    const result = await fleetgen(['init', dir]);
    expect(result.status, result.stderr).toBe(2);
    expect(result.stderr).toContain(`${join(dir, 'fleet.yaml')} already exists; init never overwrites it`);
    expect(result.stderr).not.toMatch(STACK_FRAME);
    expect(readFileSync(join(dir, 'fleet.yaml'), 'utf8')).toBe('mine\n');
    expect(existsSync(join(dir, 'secrets'))).toBe(false);
  });

  it('keeps an existing secrets/.gitignore and fleet.schema.json', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'secrets'));
    writeFileSync(join(dir, 'secrets', '.gitignore'), '# mine\n*\n');
    writeFileSync(join(dir, 'fleet.schema.json'), '{}\n');
    expect((await fleetgen(['init', dir])).status).toBe(0);
    expect(readFileSync(join(dir, 'secrets', '.gitignore'), 'utf8')).toBe('# mine\n*\n');
    expect(readFileSync(join(dir, 'fleet.schema.json'), 'utf8')).toBe('{}\n');
  });

  it('reports a folder it cannot create as invalid input (exit 2)', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a-file'), '');
    const result = await fleetgen(['init', join(dir, 'a-file')]);
    expect(result.status, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/^fleetgen: cannot create the folder .*a-file\/secrets \(ENOTDIR\)/m);
    expect(result.stderr).not.toMatch(STACK_FRAME);
  });

  it('fails at once on a folder under /proc, where a recursive mkdir would retry forever', async () => {
    const started = Date.now();
    const result = await fleetgen(['init', '/proc/fleetgen-nope'], { timeoutMs: 10_000 });
    expect(result.signal, 'init hung and was killed').toBeNull();
    expect(result.status, result.stderr).toBe(2);
    expect(result.stderr).toBe('fleetgen: cannot create the folder /proc/fleetgen-nope (ENOENT) — choose a folder where you may create files, e.g. "fleetgen init my-fleet"\n');
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
