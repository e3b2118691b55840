import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileSet } from '../../src/targets/fileset.js';
import { fleetSchema } from '../../src/validate/schema.js';
import { fakeHostOutputs, terraformOutputJson } from '../support/terraform-output.js';
import { modulesOf, schemaProblems } from '../targets/terraform/support.js';
import { fleetgen, REPO, STACK_FRAME, tempDir } from './fleetgen.js';

/** The placeholder account ID of the init template. */
const TEMPLATE_ACCOUNT_ID = '0123456789abcdef0123456789abcdef';

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
    expect(result.stdout).toContain(`cd ${dir}\n`);
  });

  it('writes into the current folder when no folder is named', async () => {
    const dir = tempDir();
    expect((await fleetgen(['init'], { cwd: dir })).status).toBe(0);
    expect(existsSync(join(dir, 'fleet.yaml'))).toBe(true);
    expect(existsSync(join(dir, 'secrets', '.gitignore'))).toBe(true);
  });

  it('starts a Terraform-managed fleet: it validates as written, its Terraform passes the provider schema, and its hosts build from saved outputs', async () => {
    const dir = tempDir();
    expect((await fleetgen(['init'], { cwd: dir })).status).toBe(0);
    const manifest = readFileSync(join(dir, 'fleet.yaml'), 'utf8');
    // Nothing to create by hand per host: no `cloudflared tunnel create`, no tunnel id or credentials to copy.
    expect(manifest.split('\n').filter((line) => !line.trimStart().startsWith('#')).join('\n')).not.toMatch(/\bid:|credentials:|token:/);

    const validated = await fleetgen(['validate', 'fleet.yaml'], { cwd: dir });
    expect(validated.stderr).toBe('fleet.yaml: valid\n');
    expect(validated.status).toBe(0);

    const terraform = await fleetgen(['build', 'fleet.yaml', '--target', 'terraform'], { cwd: dir });
    expect(terraform.status, terraform.stderr).toBe(0);
    const files = new FileSet();
    for (const module of readdirSync(join(dir, 'out', 'terraform'), { withFileTypes: true }).filter((e) => e.isDirectory())) {
      for (const name of readdirSync(join(dir, 'out', 'terraform', module.name))) {
        files.add(`terraform/${module.name}/${name}`, readFileSync(join(dir, 'out', 'terraform', module.name, name), 'utf8'));
      }
    }
    expect([...modulesOf(files).keys()].sort()).toEqual(['group-servers', 'shared']);
    expect(schemaProblems(files)).toEqual([]);
    const host = modulesOf(files).get('group-servers')?.['host-web-01.tf.json'] as { resource: Record<string, unknown> };
    expect(Object.keys(host.resource).sort()).toEqual([
      'cloudflare_dns_record',
      'cloudflare_zero_trust_access_application',
      'cloudflare_zero_trust_tunnel_cloudflared',
      'random_id',
    ]);

    // Before the apply, the host artifacts wait for Terraform and say what to run.
    const waiting = await fleetgen(['build', 'fleet.yaml'], { cwd: dir });
    expect(waiting.status, waiting.stderr).toBe(2);
    expect(waiting.stderr).toContain('terraform -chdir=out/terraform/group-servers output -json > secrets/terraform/group-servers.json');
    expect(waiting.stderr).not.toMatch(STACK_FRAME);

    // What `terraform output -json` prints after the apply, saved where the workflow says.
    mkdirSync(join(dir, 'secrets', 'terraform'));
    const outputs = fakeHostOutputs({ host: 'web-01', accountId: TEMPLATE_ACCOUNT_ID, tunnel: 'named' });
    writeFileSync(join(dir, 'secrets', 'terraform', 'group-servers.json'), terraformOutputJson({ 'web-01': outputs }));
    const built = await fleetgen(['build', 'fleet.yaml'], { cwd: dir });
    expect(built.status, built.stderr).toBe(0);
    expect(readFileSync(join(dir, 'out', 'cloud-init', 'web-01.yaml'), 'utf8')).toContain(`tunnel: ${outputs.tunnel_id}`);
  });

  it("prints the README's workflow for a new fleet as the next steps, from the fleet's folder", async () => {
    const dir = join(tempDir(), 'my fleet');
    const result = await fleetgen(['init', dir]);
    expect(result.status, result.stderr).toBe(0);
    const steps = result.stdout.split('\n').filter((line) => line.startsWith('  ')).map((line) => line.slice(2));
    expect(steps.slice(0, 2)).toEqual([`cd '${dir}'`, 'fleetgen validate fleet.yaml']);
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## The Cloudflare side'));
    const workflow = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
    expect(workflow).toContain('output -json > secrets/terraform/$m.json');
    expect(steps.slice(2)).toEqual(workflow.trimEnd().split('\n'));
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
