/**
 * fleetgen as a user gets it: `npm pack`, the tarball installed into an empty folder, and the installed bin run
 * there on what `init` writes and on the bundled example. Nothing of the checkout is on the path: a file the
 * package forgets to ship, or a path resolved against the checkout, fails here.
 *
 * The pack skips the `prepare` build (--ignore-scripts): the suite already runs against a fresh dist/ (see
 * global-setup.ts), and rebuilding dist/ here would pull it from under the tests that run the bin meanwhile.
 * The install prefers npm's cache (warm after `npm ci`); it reaches the registry only for what is not cached.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { fleetgen as checkoutFleetgen, REPO, STACK_FRAME, tempDir } from '../cli/fleetgen.js';
import { runCommand, type CommandResult } from '../support/run-command.js';
import { fakeHostOutputs, terraformOutputJson } from '../support/terraform-output.js';
import { CACHE_DIR } from '../../src/write/cache.js';
import { snapshotDisk } from '../write/disk.js';
import { writeScaleFleet } from '../../bench/scale-fleet.js';

/** The placeholder account ID of the init template. */
const TEMPLATE_ACCOUNT_ID = '0123456789abcdef0123456789abcdef';

/**
 * The environment of a user's shell: without the npm_* variables that `npm test` hands its children, which would
 * point the inner npm at this checkout (npm_config_local_prefix) instead of the empty folder.
 */
function userEnv(): NodeJS.ProcessEnv {
  const keep = new Set(['npm_config_cache', 'npm_config_registry']);
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith('npm_') || keep.has(name.toLowerCase())));
}

async function npm(args: string[], cwd: string): Promise<CommandResult> {
  const result = await runCommand('npm', args, { cwd, env: userEnv(), timeoutMs: 180_000, installHint: 'npm comes with Node.js' });
  expect(result.status, `npm ${args.join(' ')}\n${result.stdout}${result.stderr}`).toBe(0);
  return result;
}

let tarball: string;
let packed: string[];
let project: string;

/** The installed bin, run in the user's folder. */
const fleetgen = (args: string[]): Promise<CommandResult> =>
  runCommand(join(project, 'node_modules', '.bin', 'fleetgen'), args, { cwd: project, env: userEnv(), timeoutMs: 30_000 });

beforeAll(async () => {
  const packDir = tempDir();
  const pack = await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', packDir], REPO);
  const [summary] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
  if (!summary) throw new Error(`npm pack printed no summary: ${pack.stdout}`);
  tarball = join(packDir, summary.filename);
  packed = summary.files.map((f) => f.path);
  project = tempDir();
  await npm(['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], project);
}, 240_000);

/** Bytes and mode of every entry, the build cache aside: its fingerprints cover fleetgen's own code, which differs between the two. */
function contents(dir: string): Record<string, string> {
  return Object.fromEntries(
    Object.entries(snapshotDisk(dir))
      .filter(([path]) => !path.startsWith(`${CACHE_DIR}/`))
      .map(([path, entry]) => [path, `${entry.mode.toString(8)} ${entry.bytes}`]),
  );
}

describe('the packed package', () => {
  it('ships the built bin, schema, templates, bundled example and LICENSE, and no tests or TypeScript sources', () => {
    expect(packed).toEqual(
      expect.arrayContaining([
        'LICENSE',
        'README.md',
        'package.json',
        'dist/src/cli/main.js',
        'dist/src/cli/main.js.LICENSES.txt',
        'dist/src/validate/fleet-validator.cjs',
        'dist/src/targets/templates.cjs',
        'schemas/fleet.schema.json',
        'generators/init/fleet.yaml',
        'generators/chef/metadata.rb.hbs',
        'fixtures/example/fleet.yaml',
        'fixtures/example/fleet.lock.yaml',
      ]),
    );
    expect(packed.filter((path) => /^(dist\/(test|bench)|test|src|bench|scripts)\//.test(path) || path.endsWith('.ts'))).toEqual([]);
    expect(readFileSync(join(REPO, 'LICENSE'), 'utf8')).toMatch(/^\s*Apache License\s+Version 2\.0, January 2004/);
  });

  it('installs into an empty folder as a bin that prints its help and version', async () => {
    expect(existsSync(join(project, 'node_modules', 'fleetgen', 'dist', 'src', 'cli', 'main.js'))).toBe(true);
    // yargs and yaml are in the bin (scripts/bundle-cli.mjs): not packages npm installs with fleetgen.
    expect(existsSync(join(project, 'node_modules', 'yargs'))).toBe(false);
    expect(existsSync(join(project, 'node_modules', 'yaml'))).toBe(false);
    const help = await fleetgen(['--help']);
    expect(help.stderr).toBe('');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^fleetgen <command>/);
    const version = await fleetgen(['--version']);
    expect(version.stdout.trim()).toBe((JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version);
    // npx finds the installed bin; --no forbids it to fetch a package of that name from a registry instead.
    const npx = await runCommand('npx', ['--no', '--', 'fleetgen', '--version'], { cwd: project, env: userEnv(), timeoutMs: 60_000 });
    expect(npx.stdout.trim(), npx.stderr).toBe(version.stdout.trim());
  });

  it('checks manifests with the schema validator the build precompiled, not one compiled at each run', async () => {
    const schemaModule = join(project, 'node_modules', 'fleetgen', 'dist', 'src', 'validate', 'schema.js');
    const probe = await runCommand(process.execPath, ['--input-type=module', '-e', `import(${JSON.stringify(schemaModule)}).then((m) => console.log(m.validatorKind()))`], {
      cwd: project,
      env: userEnv(),
      timeoutMs: 30_000,
    });
    expect(probe.stderr).toBe('');
    expect(probe.stdout.trim()).toBe('precompiled');
  });

  it('renders with the templates the build precompiled, not ones compiled at each run', async () => {
    const templates = join(project, 'node_modules', 'fleetgen', 'dist', 'src', 'targets', 'templates.js');
    const probe = await runCommand(process.execPath, ['--input-type=module', '-e', `import(${JSON.stringify(templates)}).then((m) => console.log([...new Set(m.templatePaths().map(m.templateKind))].join()))`], {
      cwd: project,
      env: userEnv(),
      timeoutMs: 30_000,
    });
    expect(probe.stderr).toBe('');
    expect(probe.stdout.trim()).toBe('precompiled');
  });

  it("runs init, validate and build there: what init writes builds once Terraform's outputs are saved", async () => {
    const init = await fleetgen(['init', 'my-fleet']);
    expect(init.status, init.stderr).toBe(0);
    // What `terraform output -json` of the template's one host module prints after the apply (fake values).
    mkdirSync(join(project, 'my-fleet', 'secrets', 'terraform'));
    const outputs = fakeHostOutputs({ host: 'web-01', accountId: TEMPLATE_ACCOUNT_ID, tunnel: 'named' });
    writeFileSync(join(project, 'my-fleet', 'secrets', 'terraform', 'group-servers.json'), terraformOutputJson({ 'web-01': outputs }));

    const validate = await fleetgen(['validate', 'my-fleet/fleet.yaml']);
    expect(validate.stderr).toContain('my-fleet/fleet.yaml: valid');
    expect(validate.status, validate.stderr).toBe(0);

    const build = await fleetgen(['build', 'my-fleet/fleet.yaml', '--out', 'my-fleet/out']);
    expect(build.stderr).not.toMatch(STACK_FRAME);
    expect(build.status, build.stderr).toBe(0);
    expect(readdirSync(join(project, 'my-fleet', 'out')).sort()).toEqual(['.fleetgen-cache', '.fleetgen-state.json', '.gitignore', 'ansible', 'chef', 'cloud-init', 'ssh', 'terraform']);
    expect(existsSync(join(project, 'my-fleet', 'fleet.lock.yaml'))).toBe(true);
  });

  it('builds the bundled example from the installed package into exactly what the checkout builds', async () => {
    const build = await fleetgen(['build', 'node_modules/fleetgen/fixtures/example/fleet.yaml', '--out', 'example-out', '--frozen-lockfile']);
    expect(build.stderr).not.toMatch(STACK_FRAME);
    expect(build.status, build.stderr).toBe(0);
    const checkoutOut = join(tempDir(), 'out');
    const reference = await checkoutFleetgen(['build', 'fixtures/example/fleet.yaml', '--out', checkoutOut, '--frozen-lockfile']);
    expect(reference.status, reference.stderr).toBe(0);
    const installed = contents(join(project, 'example-out'));
    expect(Object.keys(installed)).toContain('chef/cookbooks/acme_pos/metadata.rb');
    expect(installed).toEqual(contents(checkoutOut));
  });

  it('builds a fleet large enough for the writer thread (1,400 files) from the installed package as the checkout does', async () => {
    // The thread's module is found from the installed package (write/staging-thread.ts), not from the checkout.
    const fleetDir = join(project, 'scale');
    writeScaleFleet(fleetDir, 200);
    const build = await runCommand(join(project, 'node_modules', '.bin', 'fleetgen'), ['build', 'fleet.yaml'], { cwd: fleetDir, env: userEnv(), timeoutMs: 120_000 });
    expect(build.stderr).not.toMatch(STACK_FRAME);
    expect(build.status, build.stderr).toBe(0);
    const reference = tempDir();
    cpSync(join(fleetDir, 'secrets'), join(reference, 'secrets'), { recursive: true });
    cpSync(join(fleetDir, 'fleet.yaml'), join(reference, 'fleet.yaml'));
    cpSync(join(fleetDir, 'fleet.lock.yaml'), join(reference, 'fleet.lock.yaml'));
    const checkout = await checkoutFleetgen(['build', 'fleet.yaml', '--frozen-lockfile'], { cwd: reference, timeoutMs: 120_000 });
    expect(checkout.status, checkout.stderr).toBe(0);
    const installed = contents(join(fleetDir, 'out'));
    expect(Object.keys(installed).length).toBeGreaterThan(1400);
    expect(installed).toEqual(contents(join(reference, 'out')));
  }, 300_000);
});
