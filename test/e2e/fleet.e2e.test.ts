/**
 * The proof of issue 4: fleetgen's generated Ansible role, cloud-init user-data and ssh_config, used for real on
 * throwaway Debian 12 hosts with systemd as PID 1. cloudflared itself is a STAND-IN (stand-in/): Cloudflare cannot
 * be reached from here, and the stand-in behaves like cloudflared where the artifacts depend on it.
 *
 * The test fleet (fixtures/fleet.yaml) has one host per tunnel mode — web-named (named, apt package, short-lived
 * SSH certificates), kiosk-token (token, release binary with sha256) and lab-selfreg (self-register, apt package,
 * lockdown) — all installing from the harness's local mirror, configured through the manifest's own
 * cloudflared.mirror and cloudflared.repositoryKey.
 *
 * The tests run in order on the same hosts: converge (vaulted secrets), check each host against its host state,
 * scan for secrets, converge again (vaulted and plain), ssh in, compare with the cloud-init twins, manage those with
 * Ansible, reboot everything, then change the manifest: an ingress rule, a self-registered hostname, a config only
 * the host's validator rejects.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Document } from 'yaml';
import { hostState, routedHostnames, SERVICE_USER } from '../../src/targets/common/host-state.js';
import { assertConverged, describeFailedRun, runPlaybook, unitReport, type AnsibleSetup, type PlaybookRun } from './harness/ansible.js';
import { compareHosts, formatDifferences } from './harness/compare-hosts.js';
import { checkConvergedHost, cloudInitOutcome, expectFile } from './harness/converged-host.js';
import { fileFacts, serviceFacts, treeFacts, waitForActive } from './harness/host-facts.js';
import { E2E_DIR } from './harness/places.js';
import { checkRotated, rotateTunnels } from './harness/rotation.js';
import { runAsync, runSync, trySync } from './harness/run.js';
import { useSession } from './harness/session.js';
import { TestFleet } from './harness/test-fleet.js';
import type { TestHost } from './harness/test-host.js';

const session = useSession('fleet');
const HOST_NAMES = ['kiosk-token', 'lab-selfreg', 'web-named'] as const;

let fleet: TestFleet;
let vaultPasswordFile: string;
/** `fleetgen build --vault-password-file` and plain `fleetgen build` of the same manifest. */
let vaultOut: string;
let plainOut: string;
const ansibleHosts = new Map<string, TestHost>();
const cloudInitHosts = new Map<string, TestHost>();
let firstRun: PlaybookRun | undefined;

const ansibleSetup = (out: string): AnsibleSetup => session.ansibleSetup(join(out, 'ansible'), ansibleHosts, join(session.workDir, 'ansible'));
const vaultArgs = (): string[] => ['--vault-password-file', vaultPasswordFile];
const hostOf = (hosts: Map<string, TestHost>, name: string): TestHost => {
  const host = hosts.get(name);
  if (!host) throw new Error(`no test host for ${name}`);
  return host;
};
/** Later tests build on the first converge: they say so instead of failing for an unrelated reason. */
const requireConverged = (): PlaybookRun => {
  if (!firstRun) throw new Error('the first converge did not complete (see the first failing test)');
  return firstRun;
};

beforeAll(async () => {
  fleet = TestFleet.copy(join(session.workDir, 'fleet'), { repositoryKey: session.run.repositoryKey });
  vaultPasswordFile = join(session.workDir, 'vault-password');
  writeFileSync(vaultPasswordFile, `${randomBytes(18).toString('base64')}\n`, { mode: 0o600 });
  vaultOut = join(session.workDir, 'out-vault');
  plainOut = join(session.workDir, 'out-plain');
  fleet.build(vaultOut, vaultArgs());
  fleet.build(plainOut);

  // The cloud-init twins boot (and run their user-data) while Ansible converges the others.
  const booted = await session.bootHosts([
    ...HOST_NAMES.map((name) => ({ hostname: name, label: `ansible-${name}` })),
    ...HOST_NAMES.map((name) => ({
      hostname: name,
      label: `cloudinit-${name}`,
      waitForBoot: false,
      cloudInit: { userData: readFileSync(join(plainOut, 'cloud-init', `${name}.yaml`)), instanceId: `iid-e2e-${name}` },
    })),
  ]);
  booted.forEach((host, i) => (i < HOST_NAMES.length ? ansibleHosts : cloudInitHosts).set(host.hostname, host));
});

/** Every secret value of the fixture fleet (and the pieces that would betray one), for the scans. */
function secretValues(): string[] {
  const values = new Set<string>();
  for (const host of fleet.compile().hosts) {
    const t = host.tunnel;
    if (t.mode === 'named') {
      values.add(t.credentials.value.trim());
      values.add((JSON.parse(t.credentials.value) as { TunnelSecret: string }).TunnelSecret);
    } else if (t.mode === 'token') {
      values.add(t.token.value.trim());
      values.add((JSON.parse(Buffer.from(t.token.value, 'base64').toString()) as { s: string }).s);
    } else if (t.mode === 'self-register') {
      const body = /-----BEGIN ARGO TUNNEL TOKEN-----\n([^-]+)-----END/.exec(t.originCert.value)?.[1] ?? '';
      body.split('\n').filter((line) => line.length > 20).forEach((line) => values.add(line));
      values.add((JSON.parse(Buffer.from(body.replace(/\s/g, ''), 'base64').toString()) as { apiToken: string }).apiToken);
    }
    if (host.lockdownProbe?.tokenSecret) values.add(host.lockdownProbe.tokenSecret);
  }
  return [...values];
}

describe('the generated Ansible role on three hosts (cloudflared is a stand-in)', () => {
  it('converges all three hosts at once, the vault-encrypted variant with --vault-password-file, with no failure', async () => {
    const run = await runPlaybook(ansibleSetup(vaultOut), [...vaultArgs(), '--diff', '-v'], 'first-converge');
    assertConverged(run, ansibleHosts);
    expect([...run.recap.keys()].sort()).toEqual([...HOST_NAMES]);
    for (const name of HOST_NAMES) expect(run.recap.get(name)?.changed, name).toBeGreaterThan(0);
    firstRun = run;
    console.log(`first converge of ${HOST_NAMES.length} hosts: ${run.seconds.toFixed(1)} s`);
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

  it('runs web-named with the tunnel ID, credentials and SSH CA that Terraform created, read from the saved `terraform output -json`', () => {
    requireConverged();
    const saved = JSON.parse(readFileSync(join(fleet.dir, 'secrets', 'terraform', 'ungrouped.json'), 'utf8')) as {
      hosts: { sensitive: boolean; value: Record<string, { tunnel_id: string; tunnel_credentials: string; ssh_ca_public_key: string }> };
    };
    expect(saved.hosts.sensitive).toBe(true);
    const made = saved.hosts.value['web-named'];
    if (!made) throw new Error('the fixture outputs have no web-named');
    // The manifest gives neither: they can only have come from the outputs file.
    expect(readFileSync(fleet.manifest, 'utf8')).not.toContain(made.tunnel_id);
    const host = hostOf(ansibleHosts, 'web-named');
    expect(fileFacts(host, '/etc/cloudflared/config.yml').content?.toString()).toContain(`tunnel: ${made.tunnel_id}\n`);
    expect(fileFacts(host, `/etc/cloudflared/${made.tunnel_id}.json`)).toMatchObject({ owner: 'root', group: SERVICE_USER, mode: '0640', content: Buffer.from(`${made.tunnel_credentials}\n`) });
    expect(fileFacts(host, '/etc/ssh/cloudflare-access-ca.pub').content?.toString()).toBe(`${made.ssh_ca_public_key}\n`);
    expect(serviceFacts(host).activeState).toBe('active');
  });

  it('keeps every secret out of Ansible\'s output (even with -v --diff) and out of world-readable files on the hosts', () => {
    const run = requireConverged();
    const secrets = secretValues();
    expect(secrets.length).toBeGreaterThan(5);
    for (const secret of secrets) expect(run.output.includes(secret), `a secret appears in Ansible's output`).toBe(false);
    expect(run.output).toContain("the output has been hidden due to the fact that 'no_log: true' was specified");

    for (const [name, host] of ansibleHosts) {
      const model = fleet.host(name);
      const hostSecrets = [...secrets];
      if (model.tunnel.mode === 'self-register') {
        hostSecrets.push((JSON.parse(readFileSync(join(host.root, model.paths.credentials ?? ''), 'utf8')) as { TunnelSecret: string }).TunnelSecret);
      }
      const secretPaths = new Set([...hostState(model).files.filter((f) => f.isSecret).map((f) => f.path), ...(model.tunnel.mode === 'self-register' ? [model.paths.credentials] : [])]);
      // Every file the converge wrote or changed is in the host's overlay upper layer — but the stand-in's state, which
      // plays Cloudflare's side (it keeps each self-registered tunnel's secret for `tunnel token`), is not the host's.
      for (const path of filesBelow(host.upper).filter((p) => !p.startsWith('var/lib/cloudflared-stand-in/'))) {
        const content = readFileSync(join(host.upper, path));
        const found = hostSecrets.filter((s) => content.includes(s));
        if (found.length === 0) continue;
        if (path.startsWith('var/lib/cloudflared-ssh-lockdown/')) {
          // The lockdown's copies of the config and credentials that last proved SSH: in a root-only folder.
          expect(secretPaths.has(path.split('/').at(-1)?.replaceAll('%', '/')), path).toBe(true);
          expect(fileFacts(host, '/var/lib/cloudflared-ssh-lockdown')).toMatchObject({ owner: 'root', mode: '0700' });
          continue;
        }
        const facts = fileFacts(host, `/${path}`);
        expect({ path: facts.path, isKnownSecretFile: secretPaths.has(facts.path) }).toEqual({ path: facts.path, isKnownSecretFile: true });
        // Root-owned (the daemon cannot rewrite them), never world-readable: 0640 root:cloudflared for what cloudflared
        // reads (credentials, also those the host created itself), 0600 root:root for the rest.
        const mode = hostState(model).files.find((f) => f.path === facts.path)?.mode ?? '0640';
        expect({ path: facts.path, owner: facts.owner, mode: facts.mode }).toEqual({ path: facts.path, owner: 'root', mode });
      }
    }
  });

  it('changes nothing on a second run (changed=0 on every host), vaulted or plain', async () => {
    requireConverged();
    for (const [out, args] of [
      [vaultOut, vaultArgs()],
      [plainOut, []],
    ] as const) {
      const run = await runPlaybook(ansibleSetup(out), [...args], out === vaultOut ? 'second-run-vaulted' : 'second-run-plain');
      assertConverged(run, ansibleHosts);
      const changed = Object.fromEntries(HOST_NAMES.map((name) => [name, run.changedTasks.get(name) ?? []]));
      expect(changed, `${out}: tasks that reported a change`).toEqual(Object.fromEntries(HOST_NAMES.map((name) => [name, []])));
      for (const name of HOST_NAMES) expect(run.recap.get(name)?.changed, name).toBe(0);
    }
  });
});

describe('the generated ssh_config, used for real', () => {
  /**
   * `ssh -F <wrapper> <alias>`: the wrapper adds only what this machine needs (a key, the hosts' keys) and includes
   * the generated file, whose Host patterns, HostName, User and ProxyCommand decide the rest. The ProxyCommand
   * `cloudflared access ssh --hostname %h` runs the client-side cloudflared STAND-IN (stand-in/
   * cloudflared-access-stand-in.sh, first on PATH), which connects to the booted host serving that hostname with
   * the harness's nsenter+nc — where the real one would go through Cloudflare Access and the tunnel.
   */
  function sshClient(identity: { key: string; certificate?: string }): {
    ssh: (target: string, command: string, options?: string[]) => ReturnType<typeof trySync>;
    log: string;
  } {
    const compiled = fleet.compile();
    const dir = join(session.workDir, 'ssh');
    mkdirSync(join(dir, 'bin'), { recursive: true });
    copyFileSync(join(E2E_DIR, 'stand-in', 'cloudflared-access-stand-in.sh'), join(dir, 'bin', 'cloudflared'));
    chmodSync(join(dir, 'bin', 'cloudflared'), 0o755);
    const reachable = compiled.hosts.filter((h) => h.ssh.hostnames.length > 0);
    writeFileSync(join(dir, 'routes'), reachable.map((h) => `${h.ssh.hostnames[0]} ${hostOf(ansibleHosts, h.name).pid}\n`).join(''));
    writeFileSync(join(dir, 'known_hosts'), reachable.map((h) => `${h.ssh.hostnames[0]} ${hostOf(ansibleHosts, h.name).sshHostKey()}\n`).join(''));
    const wrapper = join(dir, `config-${identity.certificate ? 'certificate' : 'key'}`);
    writeFileSync(
      wrapper,
      [
        '# fleetgen e2e: test-only wrapper around the generated ssh/config. Everything else comes from that file.',
        'Host *',
        `  IdentityFile ${identity.key}`,
        ...(identity.certificate ? [`  CertificateFile ${identity.certificate}`] : []),
        '  IdentitiesOnly yes',
        `  UserKnownHostsFile ${join(dir, 'known_hosts')}`,
        '  StrictHostKeyChecking yes',
        '  BatchMode yes',
        `Include ${join(plainOut, 'ssh', 'config')}`,
        '',
      ].join('\n'),
    );
    const log = join(dir, 'access-requests');
    const env = { ...process.env, PATH: `${join(dir, 'bin')}:${process.env.PATH ?? ''}`, FLEETGEN_E2E_ACCESS_ROUTES: join(dir, 'routes'), FLEETGEN_E2E_ACCESS_LOG: log };
    return { ssh: (target, command, options = []) => trySync(['ssh', '-F', wrapper, ...options, target, command], { env, timeoutMs: 30_000 }), log };
  }

  it('reaches each host by its generated alias and SSH hostname, as the generated user, through the generated ProxyCommand', () => {
    requireConverged();
    const compiled = fleet.compile();
    const reachable = compiled.hosts.filter((h) => h.ssh.hostnames.length > 0);
    expect(reachable.map((h) => h.name)).toEqual(['lab-selfreg', 'web-named']);
    const { ssh, log } = sshClient({ key: session.run.adminKey });
    rmSync(log, { force: true });
    for (const host of reachable) {
      for (const target of [host.name, host.ssh.hostnames[0] ?? '']) {
        const result = ssh(target, 'id -un; hostname; sudo -n systemctl is-active cloudflared');
        expect({ target, status: result.status, stderr: result.status === 0 ? '' : result.stderr }).toEqual({ target, status: 0, stderr: '' });
        expect(result.stdout.split('\n').slice(0, 3)).toEqual([compiled.client.sshUser, host.name, 'active']);
      }
    }
    // The ProxyCommand was asked for each host's SSH hostname (HostName of the generated block), alias or not.
    expect(readFileSync(log, 'utf8').trim().split('\n')).toEqual(reachable.flatMap((h) => [h.ssh.hostnames[0], h.ssh.hostnames[0]]));
    // A token-mode host has no SSH hostname, hence no Host block: its name goes nowhere.
    expect(ssh('kiosk-token', 'true').status).not.toBe(0);
  });

  it('lets a short-lived certificate of the Access CA in as its principal\'s user only where the manifest trusts that CA', () => {
    requireConverged();
    const dir = join(session.workDir, 'ssh-certificate');
    mkdirSync(dir, { recursive: true });
    const ca = join(dir, 'access-ssh-ca');
    copyFileSync(join(fleet.dir, 'secrets', 'access-ssh-ca'), ca);
    chmodSync(ca, 0o600);
    const key = join(dir, 'alice');
    runSync(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', key]);
    // What `cloudflared access ssh-gen` would fetch from Access: a certificate for the e-mail's local part.
    runSync(['ssh-keygen', '-q', '-s', ca, '-I', 'alice@example.com', '-n', 'alice', '-V', '-5m:+10m', `${key}.pub`]);
    const { ssh } = sshClient({ key, certificate: `${key}-cert.pub` });
    // web-named: TrustedUserCAKeys + AuthorizedPrincipalsFile (ops: [alice]), from the generated sshd drop-in.
    const trusted = ssh('web-named', 'id -un');
    expect({ status: trusted.status, stdout: trusted.stdout.trim(), stderr: trusted.status === 0 ? '' : trusted.stderr }).toEqual({ status: 0, stdout: 'ops', stderr: '' });
    // lab-selfreg trusts no CA: the same certificate gets nowhere.
    expect(ssh('lab-selfreg', 'id -un').status).not.toBe(0);

    // The principals mapping applies to the mapped user (ops) only: carol, unmapped, keeps sshd's default — a
    // certificate whose principal is "carol" logs in as carol, alice's does not. (A global AuthorizedPrincipalsFile
    // would refuse carol's own certificate: there is no principals file for her.)
    hostOf(ansibleHosts, 'web-named').exec(['useradd', '--create-home', '--shell', '/bin/sh', 'carol']);
    expect(ssh('web-named', 'id -un', ['-l', 'carol']).status).not.toBe(0);
    // (sshClient rewrites the one wrapper config: alice's ssh above is not used after this.)
    const carolKey = join(dir, 'carol');
    runSync(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', carolKey]);
    runSync(['ssh-keygen', '-q', '-s', ca, '-I', 'carol@example.com', '-n', 'carol', '-V', '-5m:+10m', `${carolKey}.pub`]);
    const carol = sshClient({ key: carolKey, certificate: `${carolKey}-cert.pub` }).ssh('web-named', 'id -un', ['-l', 'carol']);
    expect({ status: carol.status, stdout: carol.stdout.trim(), stderr: carol.status === 0 ? '' : carol.stderr }).toEqual({ status: 0, stdout: 'carol', stderr: '' });
    // Leave the host as the manifest made it: it is compared with its cloud-init twin later.
    // --force: the ssh session's processes may still be going away.
    hostOf(ansibleHosts, 'web-named').exec(['userdel', '--force', '--remove', 'carol']);
  });
});

describe('the generated cloud-init user-data (NoCloud seed, first boot)', () => {
  it.each(HOST_NAMES)('brings %s to "status: done" with no warning in its log', async (name) => {
    const outcome = await cloudInitOutcome(hostOf(cloudInitHosts, name));
    expect({ boot: outcome.boot, status: outcome.status, done: outcome.isDone }, outcome.detail).toEqual({ boot: 'running', status: 0, done: true });
    expect(outcome.problems, outcome.detail).toEqual([]);
    expect(outcome.errors).toEqual([]);
  });

  it.each(HOST_NAMES)('ends %s in the same state as the Ansible-converged host of the same manifest host', async (name) => {
    requireConverged();
    const viaCloudInit = hostOf(cloudInitHosts, name);
    const viaAnsible = hostOf(ansibleHosts, name);
    await viaCloudInit.waitForBoot();
    await runAsync(viaCloudInit.nsenter(['cloud-init', 'status', '--wait']), { timeoutMs: 300_000 });
    await waitForActive(viaCloudInit).catch((err: unknown) => {
      throw new Error(`${String(err)}\n${unitReport(viaCloudInit)}`);
    });
    const differences = compareHosts(viaAnsible, viaCloudInit, fleet.host(name));
    expect(differences.unexpected, formatDifferences(differences)).toEqual([]);
    console.log(`${name}: ${differences.compared} paths and facts compared, ${differences.allowed.length} allowed differences (compare-hosts.ts)`);
  });
});

describe('a host made by cloud-init, later managed with Ansible', () => {
  it('converges with changed=0 on all three: both targets left the same state', async () => {
    requireConverged();
    for (const host of cloudInitHosts.values()) await runAsync(host.nsenter(['cloud-init', 'status', '--wait']), { timeoutMs: 300_000 });
    const run = await runPlaybook({ ...ansibleSetup(vaultOut), hosts: cloudInitHosts, workDir: join(session.workDir, 'ansible-on-cloud-init') }, vaultArgs(), 'on-cloud-init-hosts');
    assertConverged(run, cloudInitHosts);
    expect(Object.fromEntries(HOST_NAMES.map((name) => [name, run.changedTasks.get(name) ?? []]))).toEqual(Object.fromEntries(HOST_NAMES.map((name) => [name, []])));
  });
});

describe('after a reboot', () => {
  it('brings cloudflared back on every host, Ansible- or cloud-init-made, in the same state; the next converge changes nothing', async () => {
    requireConverged();
    const all = [...ansibleHosts.values(), ...cloudInitHosts.values()];
    const before = new Map(all.map((host) => [host, { pid: serviceFacts(host).mainPid, etc: treeFacts(host, '/etc/cloudflared') }]));
    await Promise.all(all.map((host) => host.reboot()));
    for (const host of all) {
      const state = await host.waitForBoot();
      expect({ host: host.machine, state }, state === 'running' ? '' : host.exec(['systemctl', '--failed', '--no-pager']).stdout).toEqual({ host: host.machine, state: 'running' });
      // Enabled for real: it starts at boot, with no converge and no first-boot script.
      const service = await waitForActive(host).catch((err: unknown) => {
        throw new Error(`${String(err)}\n${unitReport(host)}`);
      });
      expect(service.mainPid).not.toBe(before.get(host)?.pid);
      expect(treeFacts(host, '/etc/cloudflared'), host.machine).toEqual(before.get(host)?.etc);
    }
    for (const host of cloudInitHosts.values()) {
      const status = await runAsync(host.nsenter(['cloud-init', 'status', '--wait']), { timeoutMs: 120_000 });
      expect({ host: host.machine, status: status.stdout.trim() }).toEqual({ host: host.machine, status: 'status: done' });
    }
    const run = await runPlaybook(ansibleSetup(vaultOut), vaultArgs(), 'after-reboot');
    assertConverged(run, ansibleHosts);
    for (const name of HOST_NAMES) expect(run.changedTasks.get(name) ?? [], name).toEqual([]);
  });
});

describe('changing the manifest', () => {
  /** Rebuilds both outputs after a manifest edit, as a user would; returns the files the vaulted build changed. */
  function rebuild(change: (doc: Document) => void): string[] {
    fleet.edit(change);
    const changed = fleet
      .build(vaultOut, [...vaultArgs(), '--dry-run'])
      .split('\n')
      .filter((line) => !line.startsWith('dry run:') && line.trim() !== '')
      .map((line) => line.trim());
    fleet.build(plainOut);
    fleet.build(vaultOut, vaultArgs());
    return changed;
  }
  const mainPids = (): Record<string, number> => Object.fromEntries(HOST_NAMES.map((name) => [name, serviceFacts(hostOf(ansibleHosts, name)).mainPid]));

  it('changes only that host\'s config and restarts only its service when one ingress rule changes', async () => {
    requireConverged();
    const before = mainPids();
    const configBefore = Object.fromEntries(HOST_NAMES.map((name) => [name, fileFacts(hostOf(ansibleHosts, name), '/etc/cloudflared/config.yml').content?.toString()]));
    // Only web-named's files change: its host_vars, data bag item and user-data.
    expect(rebuild((doc) => doc.setIn(['hosts', 0, 'ingress', 1, 'service'], 'http://localhost:8081')).map((line) => line.replace(vaultOut, 'out'))).toEqual([
      'change  out/ansible/inventory/host_vars/web-named/cloudflared.yml',
      'change  out/chef/data_bags/e2e_fleet/web-named.json',
      'change  out/cloud-init/web-named.yaml',
    ]);

    const run = await runPlaybook(ansibleSetup(vaultOut), vaultArgs(), 'ingress-change');
    assertConverged(run, ansibleHosts);
    expect(Object.fromEntries(HOST_NAMES.map((name) => [name, run.changedTasks.get(name) ?? []]))).toEqual({
      'kiosk-token': [],
      'lab-selfreg': [],
      'web-named': ['TASK [e2e_fleet : Write config.yml, validated before it replaces the old one]', 'RUNNING HANDLER [e2e_fleet : Restart cloudflared]'],
    });
    await waitForActive(hostOf(ansibleHosts, 'web-named'));
    const after = mainPids();
    expect(after['web-named']).not.toBe(before['web-named']);
    expect({ ...after, 'web-named': 0 }).toEqual({ ...before, 'web-named': 0 });
    const config = fileFacts(hostOf(ansibleHosts, 'web-named'), '/etc/cloudflared/config.yml').content?.toString() ?? '';
    expect(config).toContain('service: http://localhost:8081');
    expect(config).toBe(hostState(fleet.host('web-named')).files.find((f) => f.purpose === 'config')?.content);
    for (const name of ['kiosk-token', 'lab-selfreg']) expect(fileFacts(hostOf(ansibleHosts, name), '/etc/cloudflared/config.yml').content?.toString()).toBe(configBefore[name]);
  });

  it('routes a hostname added to a self-register host once, and restarts only that host', async () => {
    requireConverged();
    const before = mainPids();
    const hostname = 'lab-selfreg-web.example.com';
    const changed = rebuild((doc) => {
      doc.addIn(['hosts', 2, 'ingress'], doc.createNode({ hostname, service: 'http://localhost:8080' }));
    });
    expect(changed.filter((line) => line.includes('/ansible/'))).toEqual([`change  ${vaultOut}/ansible/inventory/host_vars/lab-selfreg/cloudflared.yml`]);

    const run = await runPlaybook(ansibleSetup(vaultOut), vaultArgs(), 'self-register-new-hostname');
    assertConverged(run, ansibleHosts);
    // A no_log loop reports its one item and then the task: each task once here.
    expect(Object.fromEntries(HOST_NAMES.map((name) => [name, [...new Set(run.changedTasks.get(name) ?? [])]]))).toEqual({
      'kiosk-token': [],
      'lab-selfreg': [
        'TASK [e2e_fleet : Write config.yml, validated before it replaces the old one]',
        'TASK [e2e_fleet : Put the origin certificate in place for the registration]',
        "TASK [e2e_fleet : Register this host's tunnel and route its hostnames]",
        'RUNNING HANDLER [e2e_fleet : Restart cloudflared]',
      ],
      'web-named': [],
    });
    const host = hostOf(ansibleHosts, 'lab-selfreg');
    await waitForActive(host);
    // cert.pem came for the routing and went again.
    expect(fileFacts(host, '/etc/cloudflared/cert.pem').type).toBe('missing');
    const routes = readFileSync(join(host.root, 'var/lib/cloudflared-stand-in/routes'), 'utf8').trim().split('\n').map((line) => line.split(' ')[0]);
    expect(routes).toEqual([...routedHostnames(fleet.host('lab-selfreg'))]);
    expect(routes.filter((r) => r === hostname)).toHaveLength(1);
    const after = mainPids();
    expect(after['lab-selfreg']).not.toBe(before['lab-selfreg']);
    expect({ ...after, 'lab-selfreg': 0 }).toEqual({ ...before, 'lab-selfreg': 0 });

    const again = await runPlaybook(ansibleSetup(vaultOut), vaultArgs(), 'self-register-again');
    assertConverged(again, ansibleHosts);
    for (const name of HOST_NAMES) expect(again.changedTasks.get(name) ?? [], name).toEqual([]);
  });

  it('recovers a reinstalled self-register host: its tunnel exists, so it fetches that tunnel\'s credentials instead of failing on the name', async () => {
    requireConverged();
    const host = hostOf(ansibleHosts, 'lab-selfreg');
    const model = fleet.host('lab-selfreg');
    const credentials = model.paths.credentials ?? '';
    const tunnelId = (JSON.parse(readFileSync(join(host.root, credentials), 'utf8')) as { TunnelID: string }).TunnelID;
    // What a reinstall leaves: the tunnel and its DNS routes in "Cloudflare", no credentials on the host.
    host.exec(['rm', '-f', credentials, `${credentials}.routed`]);

    const run = await runPlaybook(ansibleSetup(vaultOut), vaultArgs(), 'self-register-reinstalled');
    assertConverged(run, ansibleHosts);
    expect(run.changedTasks.get('lab-selfreg')).toContain("TASK [e2e_fleet : Register this host's tunnel and route its hostnames]");
    expect((JSON.parse(readFileSync(join(host.root, credentials), 'utf8')) as { TunnelID: string }).TunnelID).toBe(tunnelId);
    expectFile(fileFacts(host, credentials), { owner: 'root', group: SERVICE_USER, mode: '0640' });
    expect(fileFacts(host, '/etc/cloudflared/cert.pem').type).toBe('missing');
    await waitForActive(host);
    expect(host.exec(['curl', '-fsS', `http://${model.metrics}/ready`]).stdout).toContain('"status": 200');
  });

  it('rotates web-named to another tunnel and kiosk-token from a token to a named tunnel: the old credentials and token file go, each runs on its new tunnel', async () => {
    requireConverged();
    const rotation = rotateTunnels(fleet, rebuild);
    const run = await runPlaybook(ansibleSetup(vaultOut), vaultArgs(), 'rotation-and-mode-change');
    assertConverged(run, ansibleHosts);
    await checkRotated(fleet, (name) => hostOf(ansibleHosts, name), rotation);

    const again = await runPlaybook(ansibleSetup(vaultOut), vaultArgs(), 'rotation-again');
    assertConverged(again, ansibleHosts);
    for (const name of HOST_NAMES) expect(again.changedTasks.get(name) ?? [], name).toEqual([]);
  });

  it('fails the host whose new config the validator on the host rejects, before it replaces the old one; the service keeps running', async () => {
    requireConverged();
    const host = hostOf(ansibleHosts, 'web-named');
    const before = serviceFacts(host);
    const oldConfig = fileFacts(host, '/etc/cloudflared/config.yml');
    // fleetgen accepts http://localhost:9 (it cannot know which ports answer on a host); the cloudflared STAND-IN's
    // validator rejects port 9 as unreachable — a stand-in-only rule (stand-in/cloudflared-stand-in.py) that gives
    // this test a config only the host's `ingress validate` rejects, to prove the role's `validate:` wiring.
    rebuild((doc) => doc.setIn(['hosts', 0, 'ingress', 1, 'service'], 'http://localhost:9'));

    const run = await runPlaybook(ansibleSetup(vaultOut), vaultArgs(), 'rejected-config');
    const report = describeFailedRun(run, ansibleHosts);
    expect(run.status, report).not.toBe(0);
    expect({ failed: run.recap.get('web-named')?.failed, others: ['kiosk-token', 'lab-selfreg'].map((n) => run.recap.get(n)?.failed) }, report).toEqual({ failed: 1, others: [0, 0] });
    const failure = run.failures.get('web-named')?.join('\n') ?? '';
    expect(failure).toContain('Write config.yml, validated before it replaces the old one');
    expect(failure).toContain('STAND-IN ONLY');
    // The report a failing converge prints names the host, the task and the unit's journal.
    expect(report).toContain('── web-named');
    expect(report).toContain('journalctl -u cloudflared');

    const after = serviceFacts(host);
    expect(fileFacts(host, '/etc/cloudflared/config.yml')).toEqual(oldConfig);
    expect({ state: `${after.activeState}/${after.subState}`, mainPid: after.mainPid }).toEqual({ state: 'active/running', mainPid: before.mainPid });
    expect(host.exec(['curl', '-fsS', 'http://127.0.0.1:20241/ready']).stdout).toContain('"status": 200');
  });
});

/** Regular files below a folder (relative paths), for the secret scan of an overlay's upper layer. */
function filesBelow(root: string, prefix = ''): string[] {
  return readdirSync(join(root, prefix)).flatMap((name) => {
    const path = prefix ? `${prefix}/${name}` : name;
    const stat = lstatSync(join(root, path));
    if (stat.isDirectory()) return filesBelow(root, path);
    return stat.isFile() ? [path] : [];
  });
}



