/**
 * What the hosts refuse, on both paths (Ansible and cloud-init first boot): a release binary whose sha256 is not
 * the one the manifest pins, a package repository whose Release file is not signed by the key the manifest names,
 * and a config.yml that cloudflared's validator on the host rejects. Each stops the host's setup at that step, and
 * cloudflared never runs. (cloudflared is a STAND-IN; see stand-in/.)
 */
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeFailedRun, runPlaybook, type PlaybookRun } from './harness/ansible.js';
import { fileFacts, serviceFacts } from './harness/host-facts.js';
import { runAsync } from './harness/run.js';
import { useSession } from './harness/session.js';
import { TestFleet } from './harness/test-fleet.js';
import type { TestHost } from './harness/test-host.js';

const session = useSession('refusals');
const HOST_NAMES = ['kiosk-token', 'lab-selfreg', 'web-named'] as const;
/** Per host: what it is given that it must refuse, the Ansible task that refuses it, and what the refusal says. */
const REFUSALS = {
  'kiosk-token': { task: 'Download the cloudflared release binary', says: /checksum/i, cloudInitSays: /cloudflared: FAILED|checksum did NOT match/ },
  'web-named': { task: 'Install the cloudflared package', says: /NO_PUBKEY|not signed|signatures couldn't be verified/, cloudInitSays: /NO_PUBKEY|is not signed/ },
  // STAND-IN ONLY rule: the stand-in's validator refuses origins on port 9 (fleetgen accepts them).
  'lab-selfreg': { task: 'Write config.yml, validated before it replaces the old one', says: /STAND-IN ONLY/, cloudInitSays: /STAND-IN ONLY/ },
} as const;

let out: string;
const ansibleHosts = new Map<string, TestHost>();
const cloudInitHosts = new Map<string, TestHost>();

beforeAll(async () => {
  const fleet = TestFleet.copy(join(session.workDir, 'fleet'), { repositoryKey: session.run.repositoryKey });
  cpSync(session.run.unrelatedKey, join(fleet.dir, 'keys', 'unrelated.asc'));
  fleet.edit((doc) => {
    // kiosk-token installs the release binary: pin a sha256 the mirror's file does not have.
    doc.setIn(['defaults', 'cloudflared', 'sha256', 'amd64'], 'ab'.repeat(32));
    // web-named installs the package: name a key that did not sign the mirror's Release file.
    doc.setIn(['hosts', 0, 'cloudflared'], doc.createNode({ repositoryKey: { file: 'keys/unrelated.asc' } }));
    // lab-selfreg: an origin only the host's validator rejects.
    doc.addIn(['hosts', 2, 'ingress'], doc.createNode({ hostname: 'lab-selfreg-web.example.com', service: 'http://localhost:9' }));
  });
  out = join(session.workDir, 'out');
  fleet.build(out);
  const booted = await session.bootHosts([
    ...HOST_NAMES.map((name) => ({ hostname: name, label: `refuse-${name}` })),
    ...HOST_NAMES.map((name) => ({
      hostname: name,
      label: `refuse-ci-${name}`,
      waitForBoot: false,
      cloudInit: { userData: readFileSync(join(out, 'cloud-init', `${name}.yaml`)), instanceId: `iid-refuse-${name}` },
    })),
  ]);
  booted.forEach((host, i) => (i < HOST_NAMES.length ? ansibleHosts : cloudInitHosts).set(host.hostname, host));
});

function hostOf(hosts: Map<string, TestHost>, name: string): TestHost {
  const host = hosts.get(name);
  if (!host) throw new Error(`no test host for ${name}`);
  return host;
}

describe('what the hosts refuse (cloudflared is a stand-in)', () => {
  let run: PlaybookRun;

  it('Ansible: fails each host at the step that refuses, and says why', async () => {
    run = await runPlaybook(
      session.ansibleSetup(join(out, 'ansible'), ansibleHosts, join(session.workDir, 'ansible')),
      [],
      'refusals',
    );
    const report = describeFailedRun(run, ansibleHosts);
    expect(run.status, report).not.toBe(0);
    for (const name of HOST_NAMES) {
      expect({ name, failed: run.recap.get(name)?.failed }, report).toEqual({ name, failed: 1 });
      const failure = run.failures.get(name)?.join('\n') ?? '';
      expect(failure, report).toContain(REFUSALS[name].task);
      expect(failure, report).toMatch(REFUSALS[name].says);
    }
  });

  it.each(HOST_NAMES)('Ansible: leaves %s without a running cloudflared', (name) => {
    const host = hostOf(ansibleHosts, name);
    if (name === 'kiosk-token') expect(fileFacts(host, '/usr/local/bin/cloudflared').type).toBe('missing');
    if (name === 'web-named') expect(fileFacts(host, '/usr/bin/cloudflared').type).toBe('missing');
    // The rejected config never reached its place.
    if (name === 'lab-selfreg') expect(fileFacts(host, '/etc/cloudflared/config.yml').type).toBe('missing');
    expect(serviceFacts(host).activeState).toBe('inactive');
  });

  it.each(HOST_NAMES)('cloud-init: stops %s at the step that refuses, reports the error, and never starts cloudflared', async (name) => {
    const host = hostOf(cloudInitHosts, name);
    await host.waitForBoot();
    const status = await runAsync(host.nsenter(['cloud-init', 'status', '--wait', '--long']), { timeoutMs: 300_000 });
    const output = readFileSync(join(host.root, 'var/log/cloud-init-output.log'), 'utf8');
    expect({ status: status.status, error: /^status: error$/m.test(status.stdout) }, `${status.stdout}\n${output}`).toEqual({ status: 1, error: true });
    expect(output).toMatch(REFUSALS[name].cloudInitSays);
    const service = serviceFacts(host);
    expect({ active: service.activeState, enabled: service.unitFileState }).toEqual({ active: 'inactive', enabled: 'disabled' });
  });
});
