import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import type { Fleet } from '../../src/model/fleet.js';
import { TARGET_NAMES, type TargetOptions } from '../../src/targets/target.js';
import { CACHE_DIR, readCache } from '../../src/write/cache.js';
import { buildIntoOut, type StreamedBuildOptions } from '../../src/write/incremental.js';
import { OutputError } from '../../src/write/output-error.js';
import { StatAhead } from '../../src/write/stat-ahead.js';
import { sampleFleet, sampleFleetWithRemoteIngress, withPort } from '../support/sample-fleet.js';
import { ageFiles, changedPaths, outputOf, snapshotDisk } from './disk.js';
import { hostRuns } from './part-runs.js';

const made: string[] = [];
afterAll(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
afterEach(() => vi.restoreAllMocks());

function tempOut(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fleetgen-incremental-journal-'));
  made.push(dir);
  return join(dir, 'out');
}

/**
 * A journal whatever its size: the sample fleet has a handful of hosts, so that one host's line is a large share of
 * the cache file (a real build writes the file whole past a quarter of it: JOURNAL_SHARE).
 */
const withJournal: StreamedBuildOptions = { targets: TARGET_NAMES, options: {} as TargetOptions, cacheJournalShare: 100 };
const JOURNAL = `${CACHE_DIR}/build.delta.json`;
const BASE = `${CACHE_DIR}/build.json`;
const NO_RUNS = { chef: 0, ansible: 0, 'cloud-init': 0, ssh: 0, terraform: 0 };



function freshOutputOf(fleet: Fleet): ReturnType<typeof outputOf> {
  const fresh = tempOut();
  buildIntoOut(fresh, fleet, withJournal);
  return outputOf(fresh);
}

describe('buildIntoOut with the build cache journal', () => {
  it('writes a one-host rebuild into the journal, leaving the cache file as it was', () => {
    const out = tempOut();
    buildIntoOut(out, sampleFleet(), withJournal);
    ageFiles(out);
    buildIntoOut(out, sampleFleet(), withJournal);
    const before = snapshotDisk(out);
    expect(hostRuns(() => buildIntoOut(out, withPort(sampleFleet(), 'store-0001', 9090), withJournal))).toEqual({ chef: 1, ansible: 1, 'cloud-init': 1, ssh: 1, terraform: 1 });
    expect(changedPaths(before, snapshotDisk(out))).toEqual([JOURNAL, 'ansible/inventory/host_vars/store-0001/cloudflared.yml', 'chef/data_bags/acme_pos/store-0001.json', 'cloud-init/store-0001.yaml']);
    expect(statSync(join(out, JOURNAL)).mode & 0o777).toBe(0o600);
  });

  it('gives, through a chain of rebuilds (one host thrice, nothing changed, a host removed, a host added, the file written whole), the output of fresh builds', () => {
    const out = tempOut();
    const removed = (fleet: Fleet): Fleet => ({ ...fleet, hosts: fleet.hosts.filter((h) => h.name !== 'lab-pi-3'), groups: fleet.groups.filter((g) => g.name !== 'lab') });
    const chain: { what: string; fleet: Fleet; build?: StreamedBuildOptions; journal: boolean }[] = [
      { what: 'cold', fleet: sampleFleet(), journal: false },
      { what: 'one host', fleet: withPort(sampleFleet(), 'store-0001', 9090), journal: true },
      { what: 'one host again', fleet: withPort(sampleFleet(), 'store-0001', 9091), journal: true },
      { what: 'another host', fleet: withPort(withPort(sampleFleet(), 'store-0001', 9091), 'pos-legacy', 9092), journal: true },
      { what: 'nothing changed', fleet: withPort(withPort(sampleFleet(), 'store-0001', 9091), 'pos-legacy', 9092), journal: true },
      { what: 'a host removed', fleet: removed(withPort(sampleFleet(), 'store-0001', 9091)), journal: true },
      { what: 'a host added', fleet: sampleFleetWithRemoteIngress(), journal: true },
      // The default share: the sample's cache file is small, a journal past a quarter of it.
      { what: 'written whole', fleet: withPort(sampleFleetWithRemoteIngress(), 'store-0001', 9093), build: { ...withJournal, cacheJournalShare: undefined }, journal: false },
      { what: 'a journal again', fleet: withPort(sampleFleetWithRemoteIngress(), 'store-0001', 9094), journal: true },
    ];
    for (const { what, fleet, build, journal } of chain) {
      buildIntoOut(out, fleet, build ?? withJournal);
      expect({ what, journal: existsSync(join(out, JOURNAL)) }).toEqual({ what, journal });
      expect({ what, output: outputOf(out) }).toEqual({ what, output: freshOutputOf(fleet) });
      // What the cache says is exact: the same fleet again regenerates no host.
      expect({ what, runs: hostRuns(() => buildIntoOut(out, fleet, withJournal)) }).toEqual({ what, runs: NO_RUNS });
    }
  });

  it('makes a full build, with the same result, over a journal written for another cache file', () => {
    const out = tempOut();
    buildIntoOut(out, sampleFleet(), withJournal);
    buildIntoOut(out, withPort(sampleFleet(), 'store-0001', 9090), withJournal);
    const journal = readFileSync(join(out, JOURNAL));
    // Written whole (another file, maybe the very bytes): the journal kept from before is not about it.
    buildIntoOut(out, sampleFleet(), { ...withJournal, cacheJournalShare: 0 });
    expect(existsSync(join(out, JOURNAL))).toBe(false);
    writeFileSync(join(out, JOURNAL), journal, { mode: 0o600 });
    expect(readCache(out)).toBeUndefined();
    const fleet = withPort(sampleFleet(), 'pos-legacy', 9095);
    expect(hostRuns(() => buildIntoOut(out, fleet, withJournal)).chef).toBe(fleet.hosts.length);
    expect(outputOf(out)).toEqual(freshOutputOf(fleet));
  });

  it('makes a full build, with the same result, over a damaged journal', () => {
    const out = tempOut();
    buildIntoOut(out, sampleFleet(), withJournal);
    buildIntoOut(out, withPort(sampleFleet(), 'store-0001', 9090), withJournal);
    const text = readFileSync(join(out, JOURNAL), 'utf8');
    writeFileSync(join(out, JOURNAL), text.slice(0, text.length - 20));
    expect(hostRuns(() => buildIntoOut(out, sampleFleet(), withJournal)).chef).toBe(sampleFleet().hosts.length);
    expect(existsSync(join(out, JOURNAL))).toBe(false);
    expect(outputOf(out)).toEqual(freshOutputOf(sampleFleet()));
  });

  it('leaves no usable cache when killed after its first write, journal or not, and the next (full) build gives the output of a fresh one', () => {
    const out = tempOut();
    const killed = join(dirname(out), 'killed', 'out');
    buildIntoOut(out, sampleFleet(), withJournal);
    buildIntoOut(out, withPort(sampleFleet(), 'store-0001', 9090), withJournal);
    expect(existsSync(join(out, JOURNAL))).toBe(true);
    // out/ as a kill -9 right after the first file went into place would leave it.
    buildIntoOut(out, withPort(sampleFleet(), 'store-0001', 9091), { ...withJournal, onWrite: (done) => done === 1 && cpSync(out, killed, { recursive: true }) });
    expect(existsSync(join(killed, JOURNAL))).toBe(true);
    expect(existsSync(join(killed, BASE))).toBe(false);
    expect(readCache(killed)).toBeUndefined();
    const fleet = withPort(sampleFleet(), 'store-0001', 9091);
    expect(hostRuns(() => buildIntoOut(killed, fleet, withJournal)).chef).toBe(fleet.hosts.length);
    expect(outputOf(killed)).toEqual(freshOutputOf(fleet));
    expect(hostRuns(() => buildIntoOut(killed, fleet, withJournal))).toEqual(NO_RUNS);
  });

  it('refuses a link in the way before replacing anything: out/ stays exactly as it was, cache file and journal included', () => {
    const out = tempOut();
    buildIntoOut(out, sampleFleet(), withJournal);
    buildIntoOut(out, withPort(sampleFleet(), 'pos-legacy', 9090), withJournal);
    expect(existsSync(join(out, JOURNAL))).toBe(true);
    const elsewhere = tempOut();
    mkdirSync(elsewhere, { recursive: true });
    symlinkSync(elsewhere, join(out, 'ansible/inventory/host_vars/kiosk-18'));
    const before = snapshotDisk(out);
    expect(() => buildIntoOut(out, withPort(sampleFleetWithRemoteIngress(), 'store-0001', 9090), withJournal)).toThrow(OutputError);
    expect(snapshotDisk(out)).toEqual(before);
    rmSync(join(out, 'ansible/inventory/host_vars/kiosk-18'));
    expect(hostRuns(() => buildIntoOut(out, withPort(sampleFleet(), 'pos-legacy', 9090), withJournal))).toEqual(NO_RUNS);
  });
});

describe('the stat-ahead thread with a journal', () => {
  const EDITED = 'chef/data_bags/acme_pos/store-0001.json';

  function statAheadOf(out: string): StatAhead {
    const statAhead = StatAhead.start(out, { cacheBytesForStatAhead: 0 });
    if (statAhead === undefined) throw new Error(`no stat-ahead thread started for ${out}`);
    statAhead.waitForReport(20_000);
    return statAhead;
  }

  function cachedPartCount(out: string): number {
    const cache = readCache(out);
    if (cache === undefined) throw new Error(`${out} has no cache`);
    return Object.values(cache.hosts).reduce((count, parts) => count + Object.keys(parts).length, 0) + Object.keys(cache.fleet).length;
  }

  it('answers for the parts in the order the build reads them: every part found when nothing changed, and a file edited in a host the journal holds found', () => {
    const out = tempOut();
    buildIntoOut(out, sampleFleet(), withJournal);
    const fleet = withPort(sampleFleet(), 'store-0001', 9090);
    buildIntoOut(out, fleet, withJournal);
    expect(readFileSync(join(out, JOURNAL), 'utf8')).toContain('["store-0001",');

    let statAhead = statAheadOf(out);
    expect(hostRuns(() => buildIntoOut(out, fleet, { ...withJournal, statAhead }))).toEqual(NO_RUNS);
    statAhead.close();
    expect(statAhead.partsFoundAsCached).toBe(cachedPartCount(out));

    // Edited by hand, the same size, its mtime moved: the part that holds it is not found as recorded.
    const path = join(out, EDITED);
    const generated = readFileSync(path, 'utf8');
    writeFileSync(path, generated.replace('store-0001', 'store-0666'));
    const past = new Date('2001-01-01T00:00:00Z');
    utimesSync(path, past, past);
    statAhead = statAheadOf(out);
    const result = buildIntoOut(out, fleet, { ...withJournal, statAhead });
    statAhead.close();
    expect(statAhead.partsFoundAsCached).toBe(cachedPartCount(out) - 1);
    expect(readFileSync(path, 'utf8')).toBe(generated);
    expect(result.files.filter((f) => f.action !== 'unchanged')).toEqual([{ path: EDITED, action: 'change' }]);
  });
});
