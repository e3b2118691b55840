/**
 * Decommissioning (issue 9, "Removal"): `state: decommissioned` on the fleet's defaults, and the next Ansible run takes
 * away everything fleetgen put on the hosts, leaving sshd as it was before fleetgen. web-named has it all — the apt
 * repository with its key and hold, short-lived certificates with principals, and lockdown (sshd on 127.0.0.1 only);
 * kiosk-token runs the release binary on a token. The proof: sshd listens everywhere again while the tunnel still
 * runs (so a run over the tunnel finishes), the tunnel stops and its user goes only after the run, every folder fleetgen
 * touches is then byte for byte what it was before the first converge, and further runs — before and after the stop —
 * change nothing. On every Debian release the tests run on (apt's purge, sshd, systemd's transient timers and
 * socket handling are the release's own). (cloudflared is a STAND-IN; see stand-in/.)
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertConverged, runPlaybook, type AnsibleSetup } from './harness/ansible.js';
import { ALL_SUITES, DEFAULT_SUITE, SUITES, type Suite } from './harness/base-image.js';
import { serviceFacts, treeFacts, waitForActive, type FileFacts } from './harness/host-facts.js';
import { useSession } from './harness/session.js';
import { TestFleet } from './harness/test-fleet.js';
import type { TestHost } from './harness/test-host.js';

const session = useSession('decommission');
const NAMES = ['kiosk-token', 'web-named'] as const;
/** Long enough for the second run to see the stop still pending; the default is 60 s. */
const STOP_DELAY_SECONDS = 25;
/** Every place fleetgen writes to, and the accounts and packages it adds. */
const WATCHED = [
  '/etc/cloudflared',
  '/etc/ssh',
  '/etc/apt/sources.list.d',
  '/etc/apt/preferences.d',
  '/usr/share/keyrings',
  '/etc/systemd/system',
  '/etc/sysctl.d',
  '/usr/local/sbin',
  '/usr/local/bin',
];

interface HostSnapshot {
  files: FileFacts[];
  users: string[];
  groups: string[];
  packages: string;
  sshdListens: string[];
}

/** What fleetgen could change on a host, read the same way before and after. */
function snapshot(host: TestHost): HostSnapshot {
  const names = (file: string): string[] =>
    readFileSync(join(host.root, 'etc', file), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split(':')[0] ?? '');
  return {
    // The host keys' and sshd's own files keep their bytes; the watched folders list every entry with its content.
    files: WATCHED.flatMap((path) => treeFacts(host, path)),
    users: names('passwd'),
    groups: names('group'),
    packages: host.exec(['dpkg-query', '-W', '-f', '${Package} ${db:Status-Status}\n']).stdout,
    sshdListens: sshdListens(host),
  };
}

function sshdListens(host: TestHost): string[] {
  return host
    .exec(['ss', '-Htlnp'])
    .stdout.split('\n')
    .filter((line) => line.includes('"sshd"'))
    .map((line) => line.trim().split(/\s+/)[3] ?? '')
    .sort();
}

async function waitFor(what: string, isDone: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!isDone()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

describe.each(ALL_SUITES)('decommissioning hosts on Debian %s (cloudflared is a stand-in)', (suite: Suite) => {
  const workDir = join(session.workDir, suite);
  let fleet: TestFleet;
  let out: string;
  const hosts = new Map<string, TestHost>();
  const before = new Map<string, HostSnapshot>();
  const setup = (): AnsibleSetup => session.ansibleSetup(join(out, 'ansible'), hosts, join(workDir, 'ansible'));
  const limit = ['--limit', NAMES.join(',')];
  const hostOf = (name: string): TestHost => {
    const host = hosts.get(name);
    if (!host) throw new Error(`no test host ${name}`);
    return host;
  };

  /**
   * Cloudflare's side of web-named, as the stand-in keeps it: the DNS record that fleetgen's Terraform made for its SSH
   * hostname, to the tunnel it created (the saved `terraform output -json`). Without it the probe cannot reach the host.
   */
  function routeAsTerraformDid(host: TestHost): void {
    const model = fleet.host('web-named');
    const saved = JSON.parse(readFileSync(join(fleet.dir, 'secrets', 'terraform', 'ungrouped.json'), 'utf8')) as {
      hosts: { value: Record<string, { tunnel_id: string }> };
    };
    const tunnelId = saved.hosts.value['web-named']?.tunnel_id;
    if (!tunnelId || !model.lockdownProbe) throw new Error('web-named has no Terraform-made tunnel or no lockdown probe');
    host.exec(['mkdir', '-p', '/var/lib/cloudflared-stand-in']);
    writeFileSync(join(host.root, 'var/lib/cloudflared-stand-in/routes'), `${model.lockdownProbe.hostname} web-named ${tunnelId}\n`);
  }

  beforeAll(async () => {
    fleet = TestFleet.copy(join(workDir, 'fleet'), { repositoryKey: session.run.repositoryKey });
    fleet.edit((doc) => doc.setIn(['defaults', 'platform', 'os'], SUITES[suite]));
    // web-named gets lockdown too (its ssh:// rule reaches sshd on localhost), proven with the probe's service token,
    // which its Access application then admits.
    fleet.edit((doc) => {
      doc.setIn(['hosts', 0, 'lockdown'], doc.createNode({ probe: { serviceToken: 'lockdown-probe' } }));
      doc.setIn(['hosts', 0, 'access', 'policies'], doc.createNode(['ops', 'probe']));
    });
    out = join(workDir, 'out');
    fleet.build(out);
    const prefix = suite === DEFAULT_SUITE ? 'decommission' : `${suite}-decommission`;
    const booted = await session.bootHosts(NAMES.map((name) => ({ hostname: name, label: `${prefix}-${name}`, suite })));
    booted.forEach((host) => hosts.set(host.hostname, host));
    routeAsTerraformDid(hostOf('web-named'));
    for (const [name, host] of hosts) before.set(name, snapshot(host));
  });

  // The next release's hosts boot next: these go first.
  afterAll(() => session.stopHosts([...hosts.values()]));

  it('starts from converged hosts: the tunnel runs, web-named is locked down to it', async () => {
    expect(fleet.host('web-named').lockdown).toBe(true);
    expect(fleet.host('web-named').lockdownProbe?.serviceToken).toBe('lockdown-probe');
    const run = await runPlaybook(setup(), limit, 'converge');
    assertConverged(run, hosts);
    for (const host of hosts.values()) await waitForActive(host);
    expect(sshdListens(hostOf('web-named'))).toEqual(['127.0.0.1:22']);
    expect(before.get('web-named')?.sshdListens).toEqual(['0.0.0.0:22', '[::]:22']);
  });

  it('builds decommissioned hosts without their secrets: no secrets.yml, no user-data', () => {
    fleet.edit((doc) => doc.setIn(['defaults', 'state'], 'decommissioned'));
    fleet.build(out);
    for (const name of NAMES) {
      expect(existsSync(join(out, 'ansible/inventory/host_vars', name, 'secrets.yml')), name).toBe(false);
      expect(existsSync(join(out, 'cloud-init', `${name}.yaml`)), name).toBe(false);
      expect(readFileSync(join(out, 'ansible/inventory/host_vars', name, 'cloudflared.yml'), 'utf8')).toContain('cloudflared_state: !unsafe decommissioned');
    }
  });

  it('restores sshd while the tunnel still runs, removes the rest, and stops the tunnel only after the run', async () => {
    const run = await runPlaybook(setup(), [...limit, '-e', `cloudflared_decommission_stop_delay=${STOP_DELAY_SECONDS}`], 'decommission');
    assertConverged(run, hosts);
    for (const [name, host] of hosts) {
      // Right after the run: sshd listens as before fleetgen, and the tunnel that carried the run is still up.
      expect(sshdListens(host), name).toEqual(before.get(name)?.sshdListens);
      expect(serviceFacts(host).activeState, name).toBe('active');
      expect(host.exec(['systemctl', 'is-active', 'cloudflared-decommission.timer']).stdout.trim(), name).toBe('active');
      expect(run.changedTasks.get(name), name).toContain('TASK [e2e_fleet : Stop the tunnel and remove its user after the play]');
    }
    expect(run.changedTasks.get('web-named')).toContain('TASK [e2e_fleet : Remove the cloudflared package (apt)]');
    expect(run.changedTasks.get('kiosk-token')).toContain('TASK [e2e_fleet : Remove the cloudflared release binary]');
  });

  it('changes nothing on a run while the stop is pending', async () => {
    const run = await runPlaybook(setup(), limit, 'decommission-pending');
    assertConverged(run, hosts);
    for (const [name, host] of hosts) {
      expect(run.changedTasks.get(name) ?? [], name).toEqual([]);
      expect(serviceFacts(host).activeState, name).toBe('active');
    }
  });

  it('then stops cloudflared and removes its user, leaving every folder fleetgen touched as it was before fleetgen', async () => {
    for (const [name, host] of hosts) {
      await waitFor(`cloudflared is stopped and its user gone on ${name}`, () => {
        const facts = serviceFacts(host);
        return facts.activeState === 'inactive' && !snapshot(host).users.includes('cloudflared');
      }, (STOP_DELAY_SECONDS + 60) * 1000);
      // A transient timer that has run is gone: "inactive", exit 3 (systemd 252) or 4, no such unit (systemd 257).
      expect(host.exec(['systemctl', 'is-active', 'cloudflared-decommission.timer'], { okStatuses: [0, 3, 4] }).stdout.trim(), name).toBe('inactive');
      const now = snapshot(host);
      const then = before.get(name);
      expect(now.files, name).toEqual(then?.files);
      expect({ users: now.users, groups: now.groups, packages: now.packages, sshdListens: now.sshdListens }, name).toEqual({
        users: then?.users,
        groups: then?.groups,
        packages: then?.packages,
        sshdListens: then?.sshdListens,
      });
    }
  });

  it('changes nothing on the next run', async () => {
    const run = await runPlaybook(setup(), limit, 'decommission-again');
    assertConverged(run, hosts);
    for (const name of NAMES) expect(run.changedTasks.get(name) ?? [], name).toEqual([]);
  });
});
