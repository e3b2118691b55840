/**
 * The other Debian releases fleetgen supports, Debian 11 (bullseye) and Debian 13 (trixie), each booted from its
 * own base root (debootstrapped from Debian's mirror): the same test fleet as fleet.e2e.test.ts, its
 * `platform.os` set to the release, converged with the generated Ansible role and booted with the generated
 * cloud-init user-data, each host checked against its host state as on Debian 12.
 *
 * A subset of fleet.e2e.test.ts, to stay within CI's time: the converge, the host state, idempotency, the
 * cloud-init twins and their comparison with the Ansible hosts — what depends on the release (apt and its source
 * format, sshd, systemd, Python, cloud-init) — and a tunnel rotation with a mode change (files removed, the unit
 * restarted on the new tunnel). What does not (the ssh_config, reboots, other manifest changes, refusals) runs on
 * Debian 12 only; the takeover of a host where cloudflared ran before runs on every release (takeover.e2e.test.ts).
 * cloudflared is the STAND-IN (stand-in/).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OS_FACTS } from '../../src/model/platforms.js';
import { packageSource } from '../../src/targets/common/package-source.js';
import { assertConverged, runPlaybook, unitReport, type AnsibleSetup, type PlaybookRun } from './harness/ansible.js';
import { ALL_SUITES, DEFAULT_SUITE, SUITES, type Suite } from './harness/base-image.js';
import { compareHosts, formatDifferences } from './harness/compare-hosts.js';
import { checkConvergedHost, cloudInitOutcome } from './harness/converged-host.js';
import { fileFacts, waitForActive } from './harness/host-facts.js';
import { checkRotated, rotateTunnels } from './harness/rotation.js';
import { runAsync, trySync } from './harness/run.js';
import { useSession } from './harness/session.js';
import { TestFleet } from './harness/test-fleet.js';
import type { TestHost } from './harness/test-host.js';

const session = useSession('suites');
const HOST_NAMES = ['kiosk-token', 'lab-selfreg', 'web-named'] as const;
const OTHER_SUITES = ALL_SUITES.filter((suite) => suite !== DEFAULT_SUITE);


/**
 * `cloud-init schema --config-file` of the host's own cloud-init (`cloud-init devel schema` before 22.2). A valid
 * file says "Valid schema FILE" (25.1) or "Valid cloud-config: FILE" (20.4).
 */
function cloudInitSchema(host: TestHost, userData: Buffer): { version: string; status: number | null; output: string } {
  writeFileSync(join(host.root, 'root/user-data.yaml'), userData, { mode: 0o600 });
  const version = trySync(host.nsenter(['cloud-init', '--version']));
  const hasSchema = trySync(host.nsenter(['cloud-init', 'schema', '--help'])).status === 0;
  const check = trySync(host.nsenter(['cloud-init', ...(hasSchema ? [] : ['devel']), 'schema', '--config-file', '/root/user-data.yaml']));
  return { version: (version.stdout + version.stderr).trim(), status: check.status, output: (check.stdout + check.stderr).trim() };
}

describe.each(OTHER_SUITES)('on Debian %s', (suite: Suite) => {
  const os = SUITES[suite];
  const workDir = join(session.workDir, suite);
  const ansibleHosts = new Map<string, TestHost>();
  const cloudInitHosts = new Map<string, TestHost>();
  let fleet: TestFleet;
  let out: string;
  let firstRun: PlaybookRun | undefined;
  const ansibleSetup = (): AnsibleSetup => session.ansibleSetup(join(out, 'ansible'), ansibleHosts, join(workDir, 'ansible'));
  const hostOf = (hosts: Map<string, TestHost>, name: string): TestHost => {
    const host = hosts.get(name);
    if (!host) throw new Error(`no ${suite} test host for ${name}`);
    return host;
  };
  const requireConverged = (): PlaybookRun => {
    if (!firstRun) throw new Error(`the first converge on ${suite} did not complete (see the first failing test)`);
    return firstRun;
  };

  beforeAll(async () => {
    fleet = TestFleet.copy(join(workDir, 'fleet'), { repositoryKey: session.run.repositoryKey });
    fleet.edit((doc) => doc.setIn(['defaults', 'platform', 'os'], os));
    out = join(workDir, 'out');
    fleet.build(out);
    const booted = await session.bootHosts([
      ...HOST_NAMES.map((name) => ({ hostname: name, label: `${suite}-ansible-${name}`, suite })),
      ...HOST_NAMES.map((name) => ({
        hostname: name,
        label: `${suite}-cloudinit-${name}`,
        suite,
        waitForBoot: false,
        cloudInit: { userData: readFileSync(join(out, 'cloud-init', `${name}.yaml`)), instanceId: `iid-${suite}-${name}` },
      })),
    ]);
    booted.forEach((host, i) => (i < HOST_NAMES.length ? ansibleHosts : cloudInitHosts).set(host.hostname, host));
  });
  // The next suite boots its own hosts: these go first.
  afterAll(() => session.stopHosts([...ansibleHosts.values(), ...cloudInitHosts.values()]));

  it(`boots ${suite}: the hosts run the release the manifest names`, () => {
    for (const host of [...ansibleHosts.values(), ...cloudInitHosts.values()]) {
      const release = /^VERSION_CODENAME=(\S+)$/m.exec(readFileSync(join(host.root, 'etc/os-release'), 'utf8'))?.[1];
      expect({ host: host.machine, release }).toEqual({ host: host.machine, release: suite });
    }
    expect(fleet.compile().hosts.map((h) => h.platform.os)).toEqual(HOST_NAMES.map(() => os));
  });

  it('converges all three hosts with the generated Ansible role, with no failure', async () => {
    const run = await runPlaybook(ansibleSetup(), ['--diff'], `${suite}-first-converge`);
    assertConverged(run, ansibleHosts);
    for (const name of HOST_NAMES) expect(run.recap.get(name)?.changed, name).toBeGreaterThan(0);
    firstRun = run;
    console.log(`${suite}: first converge of ${HOST_NAMES.length} hosts: ${run.seconds.toFixed(1)} s`);
  });

  it.each(HOST_NAMES)('leaves %s with the files, owners, modes and unit of its host state, and cloudflared running as its user', async (name) => {
    requireConverged();
    const host = hostOf(ansibleHosts, name);
    try {
      await checkConvergedHost(host, fleet.host(name));
    } catch (err) {
      throw new Error(`${String(err)}\n\n${unitReport(host)}`);
    }
  });

  it('changes nothing on a second run (changed=0 on every host)', async () => {
    requireConverged();
    const run = await runPlaybook(ansibleSetup(), [], `${suite}-second-run`);
    assertConverged(run, ansibleHosts);
    expect(Object.fromEntries(HOST_NAMES.map((name) => [name, run.changedTasks.get(name) ?? []]))).toEqual(Object.fromEntries(HOST_NAMES.map((name) => [name, []])));
  });

  it.each(HOST_NAMES)(`cloud-init on ${suite} brings %s to "status: done" with no warning in its log`, async (name) => {
    const outcome = await cloudInitOutcome(hostOf(cloudInitHosts, name));
    expect({ boot: outcome.boot, status: outcome.status, done: outcome.isDone }, outcome.detail).toEqual({ boot: 'running', status: 0, done: true });
    expect(outcome.problems, outcome.detail).toEqual([]);
    expect(outcome.errors).toEqual([]);
  });

  it.each(HOST_NAMES)(`cloud-init on ${suite} ends %s in the same state as the Ansible-converged host`, async (name) => {
    requireConverged();
    const viaCloudInit = hostOf(cloudInitHosts, name);
    await viaCloudInit.waitForBoot();
    const status = await runAsync(viaCloudInit.nsenter(['cloud-init', 'status', '--wait']), { timeoutMs: 300_000 });
    expect(status.stdout.trim(), 'the first boot must be over before the hosts are compared').toBe('status: done');
    await waitForActive(viaCloudInit).catch((err: unknown) => {
      throw new Error(`${String(err)}\n${unitReport(viaCloudInit)}`);
    });
    const differences = compareHosts(hostOf(ansibleHosts, name), viaCloudInit, fleet.host(name));
    expect(differences.unexpected, formatDifferences(differences)).toEqual([]);
  });

  it.each(HOST_NAMES)(`passes the schema check of ${suite}'s own cloud-init with the user-data of %s`, async (name) => {
    const host = hostOf(cloudInitHosts, name);
    await host.waitForBoot();
    const check = cloudInitSchema(host, readFileSync(join(out, 'cloud-init', `${name}.yaml`)));
    expect({ status: check.status, output: check.output }, check.version).toEqual({ status: 0, output: expect.stringMatching(/^Valid (schema|cloud-config:) \/root\/user-data\.yaml$/) });
  });

  it.runIf(OS_FACTS[os].aptSourceFormat === 'deb822')(
    'moves a host upgraded in place from the one-line apt source to deb822 and back, leaving apt one source and nothing to say',
    async () => {
      requireConverged();
      const name = 'web-named';
      const host = hostOf(ansibleHosts, name);
      const converge = async (asOs: string, label: string): Promise<void> => {
        fleet.edit((doc) => doc.setIn(['defaults', 'platform', 'os'], asOs));
        fleet.build(out);
        const run = await runPlaybook(ansibleSetup(), ['--limit', name], `${suite}-${label}`);
        assertConverged(run, new Map([[name, host]]));
        const source = packageSource(fleet.host(name));
        if (!source) throw new Error(`${name} installs from the package repository`);
        expect(fileFacts(host, source.sourceFile.path).content?.toString(), source.sourceFile.path).toBe(source.sourceFile.content);
        for (const stale of source.staleSourceFiles) expect(fileFacts(host, stale).type, stale).toBe('missing');
        const update = host.exec(['apt-get', 'update']);
        expect({ asOs, stderr: update.stderr.trim() }).toEqual({ asOs, stderr: '' });
        expect(update.stdout).not.toMatch(/configured multiple times|Conflicting values/);
      };
      // As if the manifest still said Debian 12 (what the host had before its upgrade), then the release it runs.
      await converge('debian-12', 'as-debian-12');
      await converge(os, `back-to-${os}`);
    },
  );

  it('rotates web-named to another tunnel and kiosk-token from a token to a named tunnel: the old credentials and token file go, each runs on its new tunnel', async () => {
    requireConverged();
    const rotation = rotateTunnels(fleet, (change) => {
      fleet.edit(change);
      fleet.build(out);
    });
    const run = await runPlaybook(ansibleSetup(), [], `${suite}-rotation-and-mode-change`);
    assertConverged(run, ansibleHosts);
    await checkRotated(fleet, (name) => hostOf(ansibleHosts, name), rotation);
  });
});
