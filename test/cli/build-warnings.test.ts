import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeScaleFleet } from '../../bench/scale-fleet.js';
import { readCache } from '../../src/write/cache.js';
import { fleetgen, tempDir } from './fleetgen.js';

const HOSTS = 20;

/** A fleet of HOSTS hosts, none with Access policies, its lock file written (so no build announces it). */
async function fleetWithoutPolicies(): Promise<string> {
  const dir = tempDir();
  writeScaleFleet(dir, HOSTS);
  const hosts = await fleetgen(['hosts', 'fleet.yaml'], { cwd: dir });
  expect(hosts.status, hosts.stderr).toBe(0);
  return dir;
}

const terraformLines = (stderr: string): string[] => stderr.split('\n').filter((line) => line.startsWith('fleetgen: warning: terraform'));

describe('fleetgen build: warnings many hosts share', () => {
  it('prints one line for 20 hosts without Access policies, and still says what that exposes', async () => {
    const dir = await fleetWithoutPolicies();
    const result = await fleetgen(['build', 'fleet.yaml', '--target', 'terraform'], { cwd: dir });
    expect(result.status, result.stderr).toBe(0);
    expect(terraformLines(result.stderr)).toEqual([
      `fleetgen: warning: terraform: no access.policies for ${HOSTS} hosts ("host-0", "host-1", "host-10" and ${HOSTS - 3} more): their SSH hostnames get no Access application, so only sshd stands between them and anyone on the internet; name policies under access.policies (in defaults, the group or the host); --verbose lists each host`,
    ]);
  });

  it('with --verbose, lists each of the 20 hosts on its own line, with its hostnames', async () => {
    const dir = await fleetWithoutPolicies();
    const result = await fleetgen(['build', 'fleet.yaml', '--target', 'terraform', '--verbose'], { cwd: dir });
    expect(result.status, result.stderr).toBe(0);
    const lines = terraformLines(result.stderr);
    expect(lines).toHaveLength(HOSTS);
    for (const line of lines) expect(line).toMatch(/^fleetgen: warning: terraform host-\d+: no access\.policies: its SSH hostnames \([a-z-]+\.example\.com\) get no Access application/);
    expect(new Set(lines.map((line) => line.split(' ')[3])).size).toBe(HOSTS);
  });

  it('prints the same warnings when a rebuild reuses every host from the build cache, and in a dry run', async () => {
    const dir = await fleetWithoutPolicies();
    const first = await fleetgen(['build', 'fleet.yaml'], { cwd: dir });
    expect(first.status, first.stderr).toBe(0);
    // What the rebuild reuses: each host's warning, kept with its code in the cache.
    const cache = readCache(join(dir, 'out'));
    expect(Object.values(cache?.hosts ?? {}).flatMap((parts) => parts.terraform?.warnings.map((w) => w.code) ?? [])).toEqual(Array(HOSTS).fill('terraform.no-access-policies'));
    const again = await fleetgen(['build', 'fleet.yaml'], { cwd: dir });
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^terraform: 0 written, \d+ unchanged, 0 removed$/m);
    expect(again.stderr).toBe(first.stderr);
    expect(terraformLines(first.stderr)).toHaveLength(1);
    const dryRun = await fleetgen(['build', 'fleet.yaml', '--dry-run'], { cwd: dir });
    expect(dryRun.stderr).toBe(first.stderr);
  });
});
