/**
 * The generated user-data, checked by the tools that will read it: `cloud-init schema` and cloud-init's own
 * Python (PyYAML, and the function that turns runcmd into the shell script), plus js-yaml as an independent
 * parser. These tools come from Debian's packages (cloud-init 22.4); a missing tool fails the test.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load as loadWithJsYaml } from 'js-yaml';
import { afterAll, describe, expect, it } from 'vitest';
import type { Fleet } from '../../../src/model/fleet.js';
import { cloudInit } from '../../../src/targets/cloud-init/index.js';
import { renderUserData } from '../../../src/targets/cloud-init/user-data.js';
import { hostileFleet } from '../../support/hostile-fleet.js';
import { platformFleet } from '../../support/platform-fleet.js';
import { runCommand } from '../../support/run-command.js';
import { sampleFleet } from '../../support/sample-fleet.js';

/** The value, or a failed test when it is missing. */
function defined<T>(value: T | undefined | null, what = 'value'): T {
  if (value === undefined || value === null) throw new Error(`${what} is missing`);
  return value;
}

const work = mkdtempSync(join(tmpdir(), 'fleetgen-cloud-init-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function run(command: string, args: string[]): Promise<{ status: number | null; output: string; stdout: string }> {
  const result = await runCommand(command, args, { installHint: 'apt-get install cloud-init' });
  return { status: result.status, output: `${result.stdout}${result.stderr}`, stdout: result.stdout };
}

/** The Python that runs cloud-init (its shebang): PyYAML and the cloudinit package are installed for it. */
async function cloudInitPython(): Promise<string> {
  const found = (await run('sh', ['-c', 'command -v cloud-init'])).stdout.trim();
  if (!found) throw new Error('cloud-init is not installed; install it: apt-get install cloud-init');
  const shebang = /^#!\s*(\S+)/.exec(readFileSync(found, 'utf8').split('\n')[0] ?? '');
  if (!shebang?.[1]) throw new Error(`${found} has no interpreter line`);
  return shebang[1];
}
const python = await cloudInitPython();

/** cloud-init's own reading of a user-data file: PyYAML's data, and the runcmd script split back into argv lists. */
const READ_AS_CLOUD_INIT = `
import json, shlex, sys, yaml
from cloudinit import util
with open(sys.argv[1], 'rb') as f:
    data = yaml.safe_load(f)
script = util.shellify(data['runcmd'])
lines = script.split('\\n')
assert lines[0] == '#!/bin/sh', lines[0]
with open(sys.argv[2], 'w') as f:
    f.write(script)
print(json.dumps({'data': data, 'argv': [shlex.split(line) for line in lines[1:] if line]}))
`;

const fleets: [string, () => Fleet][] = [
  ['sample', sampleFleet],
  ['hostile', hostileFleet],
  ['platforms', platformFleet],
];

describe.each(fleets)('cloud-init user-data of the %s fleet, read by the real tools', (label, fleet) => {
  const dir = join(work, label);
  const output = cloudInit(fleet(), { gzip: true });
  mkdirSync(dir, { recursive: true });
  for (const file of output.files.list()) writeFileSync(join(dir, file.path), file.content, { mode: file.mode });

  it.each(fleet().hosts.map((h) => h.name))('%s passes `cloud-init schema --config-file`', async (host) => {
    // --annotate would exit 0 on errors in this release: check the plain run's status and message.
    const result = await run('cloud-init', ['schema', '--config-file', join(dir, `${host}.yaml`)]);
    expect(result.output).toBe(`Valid cloud-config: ${join(dir, `${host}.yaml`)}\n`);
    expect(result.status).toBe(0);
  });

  it.each(fleet().hosts.map((h) => h.name))('%s parses to the same data with PyYAML and js-yaml, and runcmd keeps every argument whole', async (name) => {
    const host = defined(fleet().hosts.find((h) => h.name === name));
    const expected = renderUserData(host).data;
    const path = join(dir, `${host.name}.yaml`);
    const script = join(dir, `${host.name}.runcmd.sh`);
    const read = await run(python, ['-c', READ_AS_CLOUD_INIT, path, script]);
    expect(read.status, read.output).toBe(0);
    const parsed = JSON.parse(read.stdout) as { data: unknown; argv: string[][] };
    expect(parsed.data).toEqual(expected);
    expect(loadWithJsYaml(defined(output.files.get(`${host.name}.yaml`)).content as string)).toEqual(expected);
    // Each runcmd entry comes back from cloud-init's shell script as exactly the argv it was: nothing expanded.
    expect(parsed.argv).toEqual(expected.runcmd);
    const syntax = await run('sh', ['-n', script]);
    expect(syntax.status, syntax.output).toBe(0);
  });

  it.each(fleet().hosts.map((h) => h.name))('%s.yaml.gz decompresses, with cloud-init\'s own code, to the same user-data', async (host) => {
    const check = await run(python, [
      '-c',
      'import sys\nfrom cloudinit import util\nsys.stdout.write(util.decode_binary(util.decomp_gzip(open(sys.argv[1], "rb").read(), quiet=False)))',
      join(dir, `${host}.yaml.gz`),
    ]);
    expect(check.status, check.output).toBe(0);
    expect(check.stdout).toBe(defined(output.files.get(`${host}.yaml`)).content);
  });
});

describe('the first-boot script, run by sh as cloud-init writes it', () => {
  const shellify = async (runcmd: string[][], path: string): Promise<void> => {
    const result = await run(python, ['-c', 'import json, sys\nfrom cloudinit import util\nopen(sys.argv[2], "w").write(util.shellify(json.loads(sys.argv[1])))', JSON.stringify(runcmd), path]);
    expect(result.status, result.output).toBe(0);
  };

  it('stops at the first failing entry, so nothing after a failed validation runs', async () => {
    const marker = join(work, 'reached');
    const script = join(work, 'stops.sh');
    await shellify([['set', '-e'], ['false'], ['touch', marker]], script);
    expect((await run('sh', [script])).status).not.toBe(0);
    expect((await run('test', ['-e', marker])).status).not.toBe(0);
  });

  it('adds the RHEL 8 Include line at the top of sshd_config once, however often it runs', async () => {
    const legacy = renderUserData(defined(sampleFleet().hosts.find((h) => h.name === 'pos-legacy'))).data.runcmd as string[][];
    const include = defined(legacy.find((argv) => argv[0] === 'sh' && argv.includes('Include /etc/ssh/sshd_config.d/*.conf')));
    const sshdConfig = join(work, 'sshd_config');
    writeFileSync(sshdConfig, '# stock sshd_config\nPasswordAuthentication no\n');
    const script = join(work, 'include.sh');
    await shellify([['set', '-e'], [...include.slice(0, -1), sshdConfig], [...include.slice(0, -1), sshdConfig]], script);
    const result = await run('sh', [script]);
    expect(result.status, result.output).toBe(0);
    expect(readFileSync(sshdConfig, 'utf8')).toBe('Include /etc/ssh/sshd_config.d/*.conf\n# stock sshd_config\nPasswordAuthentication no\n');
  });
});
