/**
 * A host where cloudflared ran before fleetgen (issue 9, "Hosts that ran cloudflared before"): `cloudflared service
 * install` left its daily self-update (cloudflared-update.timer and .service, which update and restart cloudflared
 * whatever version is pinned), someone left a /root/.cloudflared/config.yml, and an earlier setup left an apt source
 * for the same repository with another Signed-By — with which every `apt update` fails ("Conflicting values set for
 * option Signed-By"). The first Ansible run takes the host over; the second changes nothing. On every Debian release
 * the tests run on (apt's handling of the two sources and systemd's of the timer are the release's own).
 * (cloudflared is a STAND-IN; see stand-in/.)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertConverged, runPlaybook, type AnsibleSetup } from './harness/ansible.js';
import { ALL_SUITES, DEFAULT_SUITE, SUITES, type Suite } from './harness/base-image.js';
import { fileFacts, waitForActive } from './harness/host-facts.js';
import { GUEST_MIRROR_URL } from './harness/places.js';
import { trySync } from './harness/run.js';
import { useSession } from './harness/session.js';
import { TestFleet } from './harness/test-fleet.js';
import type { TestHost } from './harness/test-host.js';

const session = useSession('takeover');
const NAME = 'web-named';

/** What cloudflared's `service install` writes beside its unit (cmd/cloudflared/linux_service.go), in short. */
const UPDATE_SERVICE = [
  '[Unit]',
  'Description=Update cloudflared',
  'After=network-online.target',
  '',
  '[Service]',
  "ExecStart=/bin/bash -c '/usr/bin/cloudflared update; code=$?; if [ $code -eq 11 ]; then systemctl restart cloudflared; exit 0; fi; exit $code'",
  '',
].join('\n');
const UPDATE_TIMER = ['[Unit]', 'Description=Update cloudflared', '', '[Timer]', 'OnCalendar=daily', '', '[Install]', 'WantedBy=timers.target', ''].join('\n');
const CONFLICTING_SOURCE = 'cloudflare-main.sources';

describe.each(ALL_SUITES)('a host where cloudflared ran before, on Debian %s (cloudflared is a stand-in)', (suite: Suite) => {
  const workDir = join(session.workDir, suite);
  const out = join(workDir, 'out');
  const hosts = new Map<string, TestHost>();
  let host: TestHost;
  const setup = (): AnsibleSetup => session.ansibleSetup(join(out, 'ansible'), hosts, join(workDir, 'ansible'));

  beforeAll(async () => {
    const fleet = TestFleet.copy(join(workDir, 'fleet'), { repositoryKey: session.run.repositoryKey });
    fleet.edit((doc) => doc.setIn(['defaults', 'platform', 'os'], SUITES[suite]));
    fleet.build(out);
    const label = suite === DEFAULT_SUITE ? `takeover-${NAME}` : `${suite}-takeover-${NAME}`;
    [host] = (await session.bootHosts([{ hostname: NAME, label, suite }])) as [TestHost];
    hosts.set(NAME, host);
    // What the host had before fleetgen.
    writeFileSync(join(host.root, 'etc/systemd/system/cloudflared-update.service'), UPDATE_SERVICE);
    writeFileSync(join(host.root, 'etc/systemd/system/cloudflared-update.timer'), UPDATE_TIMER);
    host.exec(['systemctl', 'daemon-reload']);
    host.exec(['systemctl', 'enable', '--now', 'cloudflared-update.timer']);
    mkdirSync(join(host.root, 'root/.cloudflared'), { recursive: true });
    writeFileSync(join(host.root, 'root/.cloudflared/config.yml'), 'tunnel: an-old-tunnel\ncredentials-file: /root/.cloudflared/old.json\n');
    writeFileSync(
      join(host.root, 'etc/apt/sources.list.d', CONFLICTING_SOURCE),
      ['Types: deb', `URIs: ${GUEST_MIRROR_URL}/deb`, 'Suites: any', 'Components: main', 'Signed-By: /usr/share/keyrings/cloudflare-old.gpg', ''].join('\n'),
    );
  });

  // The next release's host boots next: this one goes first.
  afterAll(() => session.stopHosts([host]));

  it('is taken over by the first run: the self-update timer, the stray config and the conflicting apt source are gone, and the tunnel runs', async () => {
    const run = await runPlaybook(setup(), ['--limit', NAME], `${suite}-takeover`);
    assertConverged(run, hosts);
    expect(run.changedTasks.get(NAME)).toContain('TASK [e2e_fleet : Take over what an earlier cloudflared left]');
    for (const unit of ['cloudflared-update.timer', 'cloudflared-update.service']) {
      expect(fileFacts(host, `/etc/systemd/system/${unit}`).type, unit).toBe('missing');
      expect(trySync(host.nsenter(['systemctl', 'is-active', unit])).stdout.trim(), unit).toBe('inactive');
    }
    expect(fileFacts(host, '/root/.cloudflared/config.yml').type).toBe('missing');
    expect(fileFacts(host, '/root/.cloudflared/config.yml.replaced-by-fleetgen').type).toBe('file');
    expect(fileFacts(host, `/etc/apt/sources.list.d/${CONFLICTING_SOURCE}`).type).toBe('missing');
    const update = trySync(host.nsenter(['apt-get', 'update']));
    expect({ status: update.status, conflict: /Conflicting values/.test(update.stdout + update.stderr) }).toEqual({ status: 0, conflict: false });
    await waitForActive(host);
  });

  it('changes nothing on the next run', async () => {
    const run = await runPlaybook(setup(), ['--limit', NAME], `${suite}-takeover-again`);
    assertConverged(run, hosts);
    expect(run.changedTasks.get(NAME) ?? []).toEqual([]);
  });
});
