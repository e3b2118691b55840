/**
 * Lockdown never locks anyone out (issue 9, item 20), on booted hosts. lab-selfreg locks sshd down to loopback only
 * once SSH through its own tunnel hostname is proven: `cloudflared access ssh` with the probe's Access service token
 * must get sshd's banner back through "Cloudflare". cloudflared is the STAND-IN (stand-in/), whose Cloudflare is a
 * folder on the host (/var/lib/cloudflared-stand-in): the tests change it as Cloudflare would change — an Access
 * application that does not admit the probe's token, one that does, a route that disappears.
 *
 * In order, on one Ansible-converged host and one cloud-init host: a proof that fails (SSH stays open, the run
 * reports it, cloud-init's timer is left to retry), one that succeeds (locked down, through the timer on the
 * cloud-init host), a later change that breaks SSH through the tunnel (the config that last proved it is restored,
 * the lockdown stays, the run reports it), and a tunnel that breaks at Cloudflare (the guard lifts the lockdown).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostState, LOCKDOWN_SERVICE, LOCKDOWN_TIMER } from '../../src/targets/common/host-state.js';
import { runPlaybook, type AnsibleSetup } from './harness/ansible.js';
import { ALL_SUITES, DEFAULT_SUITE, SUITES, type Suite } from './harness/base-image.js';
import { fileFacts, waitForActive } from './harness/host-facts.js';
import { runAsync, trySync } from './harness/run.js';
import { useSession } from './harness/session.js';
import { TestFleet } from './harness/test-fleet.js';
import type { TestHost } from './harness/test-host.js';

const session = useSession('lockdown');
const NAME = 'lab-selfreg';
const STATE = 'var/lib/cloudflared-stand-in';

describe.each(ALL_SUITES)('lockdown, proven through the tunnel before it applies, on Debian %s (cloudflared is a stand-in)', (suite: Suite) => {
  const workDir = join(session.workDir, suite);
  let fleet: TestFleet;
  let out: string;
  let host: TestHost;
  let cloudInitHost: TestHost;
  const hosts = new Map<string, TestHost>();
  const setup = (): AnsibleSetup => session.ansibleSetup(join(out, 'ansible'), hosts, join(workDir, 'ansible'));

  const probe = () => {
    const p = fleet.host(NAME).lockdownProbe;
    if (!p?.tokenId || !p.tokenSecret) throw new Error(`${NAME} has no lockdown probe with its token`);
    return { hostname: p.hostname, id: p.tokenId, secret: p.tokenSecret };
  };

  /** Cloudflare's side, as the stand-in keeps it: the Access application on the host's SSH hostname and whom it admits. */
  function accessAdmits(on: TestHost, tokens: Record<string, string>): void {
    on.exec(['mkdir', '-p', `/${STATE}/access`]);
    writeFileSync(join(on.root, STATE, 'access', `${probe().hostname}.json`), JSON.stringify({ serviceTokens: tokens }));
  }

  const dropIn = (): string => hostState(fleet.host(NAME)).lockdown?.dropIn.path ?? '';
  const listens = (on: TestHost): string[] =>
    on.exec(['sshd', '-T']).stdout.split('\n').filter((line) => line.startsWith('listenaddress ')).map((line) => line.slice('listenaddress '.length)).sort();
  /**
   * The guard, as its timer starts it, on what Cloudflare's side is now. A run its timer started earlier may still be
   * in flight, judging what was there before (`systemctl start` would join that job and report its result): wait for
   * it to end first.
   */
  const runGuard = async (on: TestHost) => {
    const deadline = Date.now() + 300_000;
    while (on.exec(['systemctl', 'show', LOCKDOWN_SERVICE, '--property=ActiveState', '--value']).stdout.trim() === 'activating') {
      if (Date.now() > deadline) throw new Error(`${LOCKDOWN_SERVICE} is still running after 300 s`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    return runAsync(on.nsenter(['systemctl', 'start', LOCKDOWN_SERVICE]), { timeoutMs: 300_000 });
  };
  const guardLog = (on: TestHost): string => on.exec(['journalctl', '-u', LOCKDOWN_SERVICE, '--no-pager', '-o', 'cat']).stdout;
  /** SSH through the host's own hostname, as the probe does it: sshd's banner back through "Cloudflare". */
  const bannerThroughTunnel = (on: TestHost): string => {
    const p = probe();
    const r = trySync(on.nsenter(['sh', '-c', 'printf "SSH-2.0-e2e\\r\\n" | timeout 10 cloudflared access ssh --hostname "$1" | head -n 1', 'sh', p.hostname], { TUNNEL_SERVICE_TOKEN_ID: p.id, TUNNEL_SERVICE_TOKEN_SECRET: p.secret }));
    return r.stdout.trim();
  };

  beforeAll(async () => {
    fleet = TestFleet.copy(join(workDir, 'fleet'), { repositoryKey: session.run.repositoryKey });
    fleet.edit((doc) => doc.setIn(['defaults', 'platform', 'os'], SUITES[suite]));
    out = join(workDir, 'out');
    fleet.build(out);
    const prefix = suite === DEFAULT_SUITE ? 'lockdown' : `${suite}-lockdown`;
    [host, cloudInitHost] = (await session.bootHosts([
      { hostname: NAME, label: `${prefix}-${NAME}`, suite },
      {
        hostname: NAME,
        label: `${prefix}-cloudinit-${NAME}`,
        suite,
        // Cloudflare's side before first boot: the Access application does not admit the probe's token yet.
        cloudInit: { userData: readFileSync(join(out, 'cloud-init', `${NAME}.yaml`)), instanceId: `iid-e2e-${prefix}-${NAME}` },
        waitForBoot: false,
      },
    ])) as [TestHost, TestHost];
    hosts.set(NAME, host);
    accessAdmits(host, {});
    accessAdmits(cloudInitHost, {});
  });

  // The next release's hosts boot next: these go first.
  afterAll(() => session.stopHosts([host, cloudInitHost]));

  it('stays open when the proof fails, and the run says why', async () => {
    const run = await runPlaybook(setup(), ['--limit', NAME], 'proof-fails');
    expect(run.recap.get(NAME)?.failed, run.output).toBe(1);
    expect(run.output).toContain(`SSH through ${probe().hostname} is not proven within 60 s`);
    expect(run.output).toContain('Lockdown not applied, SSH stays open');
    expect(fileFacts(host, dropIn()).type).toBe('missing');
    expect(listens(host)).toEqual(['0.0.0.0:22', '[::]:22']);
    expect(host.exec(['systemctl', 'is-enabled', LOCKDOWN_TIMER]).stdout.trim()).toBe('enabled');
  });

  it('applies once Access admits the probe\'s token: the next run locks sshd to loopback, and the one after changes nothing', async () => {
    accessAdmits(host, { [probe().id]: probe().secret });
    const run = await runPlaybook(setup(), ['--limit', NAME], 'proof-succeeds');
    expect(run.recap.get(NAME)?.failed, run.output).toBe(0);
    expect(run.changedTasks.get(NAME)).toContain('TASK [e2e_fleet : Lock inbound SSH down to the tunnel once SSH through it is proven (or restore, or lift, when it broke)]');
    expect(fileFacts(host, dropIn()).type).toBe('file');
    expect(listens(host)).toEqual(['127.0.0.1:22']);
    expect(bannerThroughTunnel(host)).toMatch(/^SSH-2\.0-OpenSSH_/);
    const again = await runPlaybook(setup(), ['--limit', NAME], 'proof-again');
    expect(again.changedTasks.get(NAME) ?? [], again.output).toEqual([]);
  });

  it('retries on the cloud-init host through its timer: not applied on first boot, applied once the proof succeeds', async () => {
    await cloudInitHost.waitForBoot();
    await runAsync(cloudInitHost.nsenter(['cloud-init', 'status', '--wait']), { timeoutMs: 300_000 });
    expect(fileFacts(cloudInitHost, dropIn()).type).toBe('missing');
    expect(readFileSync(join(cloudInitHost.root, 'var/log/cloud-init-output.log'), 'utf8')).toContain('Lockdown not applied, SSH stays open');
    expect(cloudInitHost.exec(['systemctl', 'is-enabled', LOCKDOWN_TIMER]).stdout.trim()).toBe('enabled');
    expect(cloudInitHost.exec(['systemctl', 'is-active', LOCKDOWN_TIMER]).stdout.trim()).toBe('active');
    accessAdmits(cloudInitHost, { [probe().id]: probe().secret });
    const guard = await runGuard(cloudInitHost);
    expect(guard.status, guardLog(cloudInitHost)).toBe(0);
    expect(fileFacts(cloudInitHost, dropIn()).type).toBe('file');
    expect(listens(cloudInitHost)).toEqual(['127.0.0.1:22']);
  });

  it('restores the config that last proved SSH when a later change breaks it, keeps the lockdown, and the run reports it', async () => {
    const before = readFileSync(join(host.root, 'etc/cloudflared/config.yml'), 'utf8');
    // A change that validates and runs, but whose SSH rule reaches no sshd: ssh.port 2222, where nothing listens.
    fleet.edit((doc) => {
      const hostsNode = doc.get('hosts') as { items: { get(key: string): unknown }[] };
      const index = hostsNode.items.findIndex((h) => h.get('name') === NAME);
      doc.setIn(['hosts', index, 'ssh'], doc.createNode({ port: 2222 }));
      doc.setIn(['hosts', index, 'ingress', 0, 'service'], 'ssh://localhost:2222');
    });
    fleet.build(out);
    const run = await runPlaybook(setup(), ['--limit', NAME], 'later-change-breaks');
    expect(run.recap.get(NAME)?.failed, run.output).toBe(1);
    expect(run.output).toContain('stopped working with the lockdown on');
    expect(run.output).toContain('restored the config and credentials that last proved SSH through the tunnel');
    expect(run.output).toContain('works again with the restored files; the lockdown stays');
    expect(readFileSync(join(host.root, 'etc/cloudflared/config.yml'), 'utf8')).toBe(before);
    await waitForActive(host);
    expect(bannerThroughTunnel(host)).toMatch(/^SSH-2\.0-OpenSSH_/);
    expect(listens(host)).toEqual(['127.0.0.1:22']);
  });

  it('lifts the lockdown when the tunnel breaks at Cloudflare after a restart and nothing restored brings it back', async () => {
    // The probe's token is no longer admitted (the policy changed); the host restarts its tunnel.
    accessAdmits(host, {});
    host.exec(['systemctl', 'restart', 'cloudflared']);
    const guard = await runGuard(host);
    expect(guard.status).not.toBe(0);
    const log = guardLog(host);
    expect(log).toContain('lifted the lockdown');
    expect(fileFacts(host, dropIn()).type).toBe('missing');
    expect(listens(host)).toEqual(['0.0.0.0:22', '[::]:22']);
  });
});
