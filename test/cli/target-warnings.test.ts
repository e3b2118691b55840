import { describe, expect, it } from 'vitest';
import { TARGET_PARTS } from '../../src/build.js';
import { formatTargetWarnings, MOST_LINES_PER_KIND } from '../../src/cli/target-warnings.js';
import { cloudInit } from '../../src/targets/cloud-init/index.js';
import { BINARY_REPOSITORY_KEY, USER_DATA_OVER_EC2_LIMIT } from '../../src/targets/cloud-init/warnings.js';
import { hostWarning, TARGET_NAMES, type TargetWarning } from '../../src/targets/target.js';
import { NO_ACCESS_POLICIES } from '../../src/targets/terraform/index.js';
import { sampleFleet } from '../support/sample-fleet.js';

const hosts = (count: number, prefix = 'store-'): string[] => Array.from({ length: count }, (_, i) => `${prefix}${String(i + 1).padStart(4, '0')}`);
const noPolicies = (names: readonly string[]): TargetWarning[] => names.map((name) => hostWarning(NO_ACCESS_POLICIES, name, { hostnames: [`${name}.example.com`] }));
const CHEF_CLEAR_TEXT: TargetWarning = { target: 'chef', code: 'chef.clear-text-secrets', message: 'data_bags/x_secrets/ holds tunnel secrets in clear text' };

describe('target warnings on the terminal', () => {
  it(`prints up to ${MOST_LINES_PER_KIND} hosts' warnings of one kind as they always were, one line each`, () => {
    expect(formatTargetWarnings(noPolicies(hosts(MOST_LINES_PER_KIND)))).toEqual([
      'fleetgen: warning: terraform store-0001: no access.policies: its SSH hostnames (store-0001.example.com) get no Access application, so only sshd stands between them and anyone on the internet; name policies under access.policies (in defaults, the group or the host)',
      'fleetgen: warning: terraform store-0002: no access.policies: its SSH hostnames (store-0002.example.com) get no Access application, so only sshd stands between them and anyone on the internet; name policies under access.policies (in defaults, the group or the host)',
      'fleetgen: warning: terraform store-0003: no access.policies: its SSH hostnames (store-0003.example.com) get no Access application, so only sshd stands between them and anyone on the internet; name policies under access.policies (in defaults, the group or the host)',
    ]);
  });

  it('prints one line for a kind that one more host shares, naming how many, the first three and what to do', () => {
    expect(formatTargetWarnings(noPolicies(hosts(MOST_LINES_PER_KIND + 1)))).toEqual([
      'fleetgen: warning: terraform: no access.policies for 4 hosts ("store-0001", "store-0002", "store-0003" and 1 more): their SSH hostnames get no Access application, so only sshd stands between them and anyone on the internet; name policies under access.policies (in defaults, the group or the host); --verbose lists each host',
    ]);
    expect(formatTargetWarnings(noPolicies(hosts(10_000)))).toEqual([expect.stringContaining('no access.policies for 10000 hosts ("store-0001", "store-0002", "store-0003" and 9997 more)')]);
  });

  it('with --verbose, prints every warning host by host, in the order given', () => {
    const warnings = noPolicies(hosts(20));
    const lines = formatTargetWarnings(warnings, { isVerbose: true });
    expect(lines).toHaveLength(20);
    expect(lines.map((line) => /^fleetgen: warning: terraform (\S+): no access\.policies/.exec(line)?.[1])).toEqual(hosts(20));
  });

  it('groups each kind on its own and puts each group where its first host stood; fleet-wide warnings and small kinds keep their places', () => {
    const [a, b, c, d, e] = ['store-0001', 'store-0002', 'store-0003', 'store-0004', 'store-0005'] as const;
    const bigUserData = (name: string): TargetWarning => hostWarning(USER_DATA_OVER_EC2_LIMIT, name, { bytes: 20_000 });
    const binaryKey = (name: string): TargetWarning => hostWarning(BINARY_REPOSITORY_KEY, name, undefined);
    const warnings: TargetWarning[] = [
      CHEF_CLEAR_TEXT,
      binaryKey(a),
      bigUserData(a),
      bigUserData(b),
      binaryKey(b),
      bigUserData(c),
      bigUserData(d),
      bigUserData(e),
      ...noPolicies([a, b, c, d, e]),
    ];
    expect(formatTargetWarnings(warnings)).toEqual([
      'fleetgen: warning: chef: data_bags/x_secrets/ holds tunnel secrets in clear text',
      'fleetgen: warning: cloud-init store-0001: the repository key is binary; rpm imports ASCII-armored keys only — give the key armored (gpg --armor --export)',
      'fleetgen: warning: cloud-init: the user-data of 5 hosts ("store-0001", "store-0002", "store-0003" and 2 more) is over the 16384-byte limit of AWS EC2; build with --gzip for compressed copies (cloud-init accepts gzip user-data); --verbose lists each host',
      'fleetgen: warning: cloud-init store-0002: the repository key is binary; rpm imports ASCII-armored keys only — give the key armored (gpg --armor --export)',
      expect.stringMatching(/^fleetgen: warning: terraform: no access\.policies for 5 hosts \("store-0001", "store-0002", "store-0003" and 2 more\): their SSH hostnames get no Access application, so only sshd stands between them and anyone on the internet; /),
    ]);
  });

  it('counts hosts, not warnings: the same host twice is one host', () => {
    const [a, b, c] = ['store-0001', 'store-0002', 'store-0003'] as const;
    const twice = noPolicies([a, b, c, a]);
    expect(formatTargetWarnings(twice)).toHaveLength(4);
  });

  it('never groups fleet-wide warnings, however many share a code', () => {
    const warnings = Array.from({ length: 5 }, (_, i) => ({ ...CHEF_CLEAR_TEXT, message: `${CHEF_CLEAR_TEXT.message} (${i})` }));
    expect(formatTargetWarnings(warnings)).toHaveLength(5);
  });

  it('knows every kind of host warning by a code of its own, prefixed by its target', () => {
    const kinds = TARGET_NAMES.flatMap((name) => TARGET_PARTS[name].hostWarningKinds.map((kind) => ({ name, kind })));
    for (const { name, kind } of kinds) {
      expect(kind.target).toBe(name);
      expect(kind.code.startsWith(`${name}.`), kind.code).toBe(true);
    }
    expect(new Set(kinds.map(({ kind }) => kind.code)).size).toBe(kinds.length);
    expect(kinds.map(({ kind }) => kind.code)).toContain('terraform.no-access-policies');
  });
});

describe('cloud-init: no user-data for decommissioned hosts, grouped like every warning many hosts share', () => {
  /** The warning lines about decommissioned hosts, from the cloud-init target run on `count` of them and an active host. */
  const decommissionLines = (count: number, options: { isVerbose?: boolean } = {}): string[] => {
    const fleet = sampleFleet();
    const active = fleet.hosts.find((host) => host.name === 'kiosk-17');
    const template = fleet.hosts.find((host) => host.name === 'store-0001');
    if (!active || !template) throw new Error('the sample fleet changed');
    fleet.hosts = [active, ...hosts(count).map((name) => ({ ...structuredClone(template), name, state: 'decommissioned' as const }))];
    return formatTargetWarnings(cloudInit(fleet, {}).warnings, options).filter((line) => line.includes('decommissioned'));
  };
  const one = (host: string): string =>
    `fleetgen: warning: cloud-init ${host}: no user-data (state: decommissioned): cloud-init only sets up fresh instances; terminate its instance, or let Chef or Ansible remove cloudflared from it`;

  it('1 host: one line naming it', () => {
    expect(decommissionLines(1)).toEqual([one('store-0001')]);
  });

  it(`${MOST_LINES_PER_KIND} hosts: a line each`, () => {
    expect(decommissionLines(MOST_LINES_PER_KIND)).toEqual(hosts(MOST_LINES_PER_KIND).map(one));
  });

  it(`${MOST_LINES_PER_KIND + 1} hosts: one line, naming how many, the first three and what to do`, () => {
    expect(decommissionLines(MOST_LINES_PER_KIND + 1)).toEqual([
      'fleetgen: warning: cloud-init: no user-data for 4 hosts ("store-0001", "store-0002", "store-0003" and 1 more) (state: decommissioned): cloud-init only sets up fresh instances; terminate their instances, or let Chef or Ansible remove cloudflared from them; --verbose lists each host',
    ]);
  });

  it('5,000 hosts: still one line', () => {
    const lines = decommissionLines(5000);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('no user-data for 5000 hosts ("store-0001", "store-0002", "store-0003" and 4997 more) (state: decommissioned)');
  });

  it('with --verbose, a line per host, in the manifest’s order', () => {
    expect(decommissionLines(20, { isVerbose: true })).toEqual(hosts(20).map(one));
  });
});
