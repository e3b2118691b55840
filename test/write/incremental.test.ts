import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { buildFleet, TARGET_PARTS } from '../../src/build.js';
import type { Fleet } from '../../src/model/fleet.js';
import { TARGET_NAMES, type TargetName, type TargetOptions } from '../../src/targets/target.js';
import { applyPlan } from '../support/apply-plan.js';
import { CACHE_DIR, isAsCached, readCache, recordLeftBy } from '../../src/write/cache.js';
import { plainCache } from './plain-cache.js';
import { fleetShapeDigest, hostFingerprint, modelDigest, settingsFingerprint } from '../../src/write/fingerprint.js';
import { tempFileOf } from '../../src/write/atomic.js';
import { generatorDigest } from '../../src/write/generator-digest.js';
import { buildIntoOut, isSameRecord } from '../../src/write/incremental.js';
import { OUT_GITIGNORE } from '../../src/write/out-gitignore.js';
import { OutputError } from '../../src/write/output-error.js';
import { planOutput, staleFiles } from '../../src/write/plan.js';
import { STATE_FILE, type RecordedFile } from '../../src/write/state.js';
import { summarizePlan } from '../../src/write/summary.js';
import { stagedByGitAdd } from '../support/git-add.js';
import { sampleFleet, sampleFleetWithRemoteIngress, withPort } from '../support/sample-fleet.js';
import { ageFiles, changedPaths, outputOf, snapshotDisk } from './disk.js';
import { fleetRuns, hostRuns } from './part-runs.js';

const made: string[] = [];
afterAll(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
afterEach(() => vi.restoreAllMocks());

function tempOut(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fleetgen-incremental-'));
  made.push(dir);
  return join(dir, 'out');
}

const everything = { targets: TARGET_NAMES, options: {} as TargetOptions };
/** Every file written by the writer thread (a real build starts it only past its first 1,000 files). */
const throughThread = { ...everything, filesBeforeWriterThread: 0 };



/** Every file in the cache stats as the cache recorded it: the stat of the file that ended up in place. */
function cachedStatsHold(out: string): boolean {
  const cache = readCache(out);
  if (!cache) return false;
  const files = [...Object.values(cache.hosts).flatMap((parts) => Object.values(parts)), ...Object.values(cache.fleet)].flatMap((part) => part.files);
  return files.length > 0 && files.every((file) => isAsCached(file, lstatSync(join(out, file.path))));
}

describe('buildIntoOut (fleetgen build)', () => {
  it('puts out/.gitignore in place before any temp file or folder, so git ignores those of a first build killed while generating', async () => {
    const out = tempOut();
    const killed = join(dirname(out), 'killed');
    // out/ as a kill -9 after the first host would leave it.
    buildIntoOut(out, sampleFleet(), { ...everything, onProgress: (done) => done === 1 && cpSync(out, join(killed, 'out'), { recursive: true }) });
    const left = Object.keys(snapshotDisk(join(killed, 'out')));
    // A first build makes each target's folder whole: its files stand at their own names inside its temp folder,
    // where git finds none of them. Of the build's own files, git stages out/.gitignore alone.
    expect(await stagedByGitAdd(killed)).toEqual([OUT_GITIGNORE]);
    const temps = left.filter(isInTempFolder);
    // The first host's clear-text secrets among them: user-data, its Ansible secrets.yml and its Chef secrets item.
    const secrets = [/^\.cloud-init\.[^/]+\.tmp\/[^/]+\.yaml$/, /^\.ansible\.[^/]+\.tmp\/.+\/secrets\.yml$/, /^\.chef\.[^/]+\.tmp\/data_bags\/[^/]+_secrets\//];
    expect(temps).toEqual(expect.arrayContaining(secrets.map((pattern) => expect.stringMatching(pattern))));
    // Nothing of the build's own stands in out/ yet but out/.gitignore.
    expect(left.filter((path) => !temps.includes(path))).toEqual(['/', OUT_GITIGNORE]);
  });

  it('leaves no out/.gitignore when it refuses a fresh out/ half-way, and puts back the one that stood there (its own, edited)', () => {
    for (const before of [undefined, 'edited by hand\n']) {
      const out = tempOut();
      mkdirSync(join(out, 'ssh'), { recursive: true });
      if (before !== undefined) {
        // fleetgen's own (in its record), edited since: the build rewrites it at once, and puts it back on refusal.
        buildIntoOut(out, sampleFleet(), everything);
        writeFileSync(join(out, OUT_GITIGNORE), before);
        rmSync(join(out, 'ssh', 'config'));
      }
      symlinkSync(tmpdir(), join(out, 'ssh', 'config'));
      expect(() => buildIntoOut(out, sampleFleet(), everything)).toThrow(OutputError);
      expect(existsSync(join(out, OUT_GITIGNORE)) ? readFileSync(join(out, OUT_GITIGNORE), 'utf8') : undefined).toBe(before);
    }
  });

  it("refuses a .gitignore in out/ that holds someone else's rules, before writing anything; takes over one that is already fleetgen's", () => {
    const rules = '# mine: never commit the Terraform side\nterraform/\n';
    const out = tempOut();
    buildIntoOut(out, sampleFleet(), everything);
    const ours = readFileSync(join(out, OUT_GITIGNORE), 'utf8');
    // A fresh out/ where the user keeps a .gitignore of their own (and an out/ whose record does not name it).
    for (const fresh of [true, false]) {
      const mine = fresh ? tempOut() : out;
      if (!fresh) rmSync(join(mine, '.fleetgen-state.json'));
      mkdirSync(mine, { recursive: true });
      writeFileSync(join(mine, OUT_GITIGNORE), rules);
      const before = snapshotDisk(mine);
      let refused: unknown;
      try {
        buildIntoOut(mine, sampleFleet(), everything);
      } catch (err) {
        refused = err;
      }
      expect(refused).toBeInstanceOf(OutputError);
      expect((refused as OutputError).path).toBe(join(mine, OUT_GITIGNORE));
      expect((refused as OutputError).message).toMatch(/rules fleetgen did not write/);
      expect((refused as OutputError).hint).toMatch(/move your rules/);
      expect(snapshotDisk(mine)).toEqual(before);
      // --check and --dry-run refuse it the same way.
      expect(() => planOutput(mine, buildFleet(sampleFleet(), everything).files)).toThrow(/rules fleetgen did not write/);
    }
    // Exactly fleetgen's own text, without a record (a record lost or not committed): taken over, as fleetgen's.
    const again = tempOut();
    mkdirSync(again, { recursive: true });
    writeFileSync(join(again, OUT_GITIGNORE), ours);
    buildIntoOut(again, sampleFleet(), everything);
    expect(readFileSync(join(again, OUT_GITIGNORE), 'utf8')).toBe(ours);
    // fleetgen's own, edited by hand: rewritten, as every file it generates.
    const edited = tempOut();
    buildIntoOut(edited, sampleFleet(), everything);
    writeFileSync(join(edited, OUT_GITIGNORE), rules);
    buildIntoOut(edited, sampleFleet(), everything);
    expect(readFileSync(join(edited, OUT_GITIGNORE), 'utf8')).toBe(ours);
  });

  it('writes exactly what the whole targets produce, as planOutput + applyPlan would', () => {
    const fleet = sampleFleetWithRemoteIngress();
    const streamed = tempOut();
    buildIntoOut(streamed, fleet, everything);
    const planned = tempOut();
    applyPlan(planOutput(planned, buildFleet(fleet, everything).files));
    expect(outputOf(streamed)).toEqual(outputOf(planned));
  });

  it('regenerates no host and rewrites nothing when nothing changed', () => {
    const out = tempOut();
    buildIntoOut(out, sampleFleet(), everything);
    const before = snapshotDisk(out);
    let result: ReturnType<typeof buildIntoOut> | undefined;
    const runs = hostRuns(() => (result = buildIntoOut(out, sampleFleet(), everything)));
    expect(runs).toEqual({ chef: 0, ansible: 0, 'cloud-init': 0, ssh: 0, terraform: 0 });
    expect(changedPaths(before, snapshotDisk(out))).toEqual([]);
    expect(result?.files.every((f) => f.action === 'unchanged')).toBe(true);
  });

  it('regenerates only the changed host, and writes only its files', () => {
    const out = tempOut();
    buildIntoOut(out, sampleFleet(), everything);
    // Aged, so that a rewrite shows even within one clock tick; the aged files no longer stat as recorded, so the
    // next build compares them all (rewriting none) and records them again.
    ageFiles(out);
    expect(buildIntoOut(out, sampleFleet(), everything).files.every((f) => f.action === 'unchanged')).toBe(true);
    const before = snapshotDisk(out);
    const runs = hostRuns(() => buildIntoOut(out, withPort(sampleFleet(), 'store-0001', 9090), everything));
    expect(runs).toEqual({ chef: 1, ansible: 1, 'cloud-init': 1, ssh: 1, terraform: 1 });
    // Not the state file: it lists the files, which are the same ones.
    expect(changedPaths(before, snapshotDisk(out))).toEqual([
      '.fleetgen-cache/build.json',
      'ansible/inventory/host_vars/store-0001/cloudflared.yml',
      'chef/data_bags/acme_pos/store-0001.json',
      'cloud-init/store-0001.yaml',
    ]);
  });

  it("makes a target's fleet-wide files again only when what they read of a host changed, with the result of a full build", () => {
    type Change = { what: string; change: (fleet: Fleet) => void; fleetRuns: TargetName[] };
    const host = (fleet: Fleet, name: string): Fleet['hosts'][number] => {
      const found = fleet.hosts.find((h) => h.name === name);
      if (!found) throw new Error(`no host ${name}`);
      return found;
    };
    const changes: Change[] = [
      { what: "a service's port", change: (fleet) => Object.assign(fleet, withPort(fleet, 'store-0001', 9090)), fleetRuns: [] },
      {
        what: "a tunnel's credentials",
        change: (fleet) => {
          const { tunnel } = host(fleet, 'store-0001');
          if (tunnel.mode !== 'named') throw new Error('store-0001 has a named tunnel');
          tunnel.credentials.value = tunnel.credentials.value.replace(/"TunnelSecret":"[^"]*"/, '"TunnelSecret":"cm90YXRlZA=="');
        },
        fleetRuns: [],
      },
      // The direct inventory reaches a host by its address.
      { what: 'an address', change: (fleet) => void (host(fleet, 'kiosk-17').address = '192.0.2.99'), fleetRuns: ['ansible'] },
      { what: "sshd's port", change: (fleet) => void (host(fleet, 'kiosk-17').ssh.port = 2200), fleetRuns: ['ansible'] },
      // The Access inventory and ssh/config name the login user.
      { what: 'an SSH user', change: (fleet) => void (host(fleet, 'store-0001').ssh.user = 'admin'), fleetRuns: ['ansible', 'ssh'] },
      // ssh/config's certificate block; and the host no longer stores the CA's key and sshd's drop-in, which the
      // cookbook and the role hold once for the hosts that do.
      { what: 'short-lived certificates', change: (fleet) => void delete host(fleet, 'store-0001').ssh.shortLivedCerts, fleetRuns: ['chef', 'ansible', 'ssh'] },
      // A decommissioned host has no profile, stored files or secrets any more (Chef, Ansible), and no user-data, which
      // cloud-init's .gitignore listed; ssh/config and Terraform still reach it until it is removed.
      { what: "a host's state", change: (fleet) => void (host(fleet, 'kiosk-17').state = 'decommissioned'), fleetRuns: ['chef', 'ansible', 'cloud-init'] },
      {
        what: 'a host added',
        change: (fleet) => {
          const added = structuredClone(host(fleet, 'kiosk-17'));
          added.name = 'kiosk-19';
          fleet.hosts.push(added);
        },
        fleetRuns: [...TARGET_NAMES],
      },
    ];
    for (const { what, change, fleetRuns: expected } of changes) {
      const out = tempOut();
      buildIntoOut(out, sampleFleet(), everything);
      const changed = sampleFleet();
      change(changed);
      const runs = fleetRuns(() => buildIntoOut(out, changed, everything));
      expect({ what, runs }).toEqual({ what, runs: Object.fromEntries(TARGET_NAMES.map((name) => [name, expected.includes(name) ? 1 : 0])) });
      const fresh = tempOut();
      buildIntoOut(fresh, changed, everything);
      expect({ what, output: outputOf(out) }).toEqual({ what, output: outputOf(fresh) });
    }
  });

  it("writes the cache lines of the hosts it did not regenerate as they were, and the next build reuses every host from it", () => {
    const out = tempOut();
    buildIntoOut(out, sampleFleet(), everything);
    const cacheLines = (): string[] => readFileSync(join(out, CACHE_DIR, 'build.json'), 'utf8').split('\n');
    const before = cacheLines();
    const changed = withPort(sampleFleet(), 'store-0001', 9090);
    buildIntoOut(out, changed, everything);
    const after = cacheLines();
    // Only the changed host's line is new. Every other host's is as it was, and so is the first line: the host's
    // summaries are the same, and the fleet-wide parts were reused (a port is not something they read).
    const isChangedHost = (line: string): boolean => line.startsWith('["store-0001",');
    expect(after.length).toBe(before.length);
    expect(after.filter((line, i) => line !== before[i]).map((line) => (isChangedHost(line) ? 'store-0001' : line === after[0] ? 'first line' : line))).toEqual(['store-0001']);
    // What the reused lines say is exact: every cached file stats as recorded, and nothing is regenerated next time.
    const cache = readCache(out);
    const files = Object.values(cache?.hosts ?? {}).flatMap((parts) => Object.values(parts).flatMap((part) => part.files));
    expect(files.length).toBeGreaterThan(0);
    expect(files.every((file) => isAsCached(file, lstatSync(join(out, file.path))))).toBe(true);
    expect(hostRuns(() => buildIntoOut(out, changed, everything))).toEqual({ chef: 0, ansible: 0, 'cloud-init': 0, ssh: 0, terraform: 0 });
  });

  it('rewrites a hand-edited file (its mtime moved) with what the manifest produces', () => {
    const out = tempOut();
    buildIntoOut(out, sampleFleet(), everything);
    const path = join(out, 'chef/data_bags/acme_pos/store-0001.json');
    const generated = readFileSync(path, 'utf8');
    writeFileSync(path, generated.replace('store-0001', 'store-0666'));
    const result = buildIntoOut(out, sampleFleet(), everything);
    expect(readFileSync(path, 'utf8')).toBe(generated);
    expect(result.files.filter((f) => f.action !== 'unchanged')).toEqual([{ path: 'chef/data_bags/acme_pos/store-0001.json', action: 'change' }]);
  });

  it('trusts an unchanged size and mtime (as git does), which build --check does not: it reads every file', () => {
    const out = tempOut();
    buildIntoOut(out, sampleFleet(), everything);
    ageFiles(out);
    buildIntoOut(out, sampleFleet(), everything);
    const path = join(out, 'chef/data_bags/acme_pos/store-0001.json');
    const { atime, mtime } = statSync(path); // whole seconds, as ageFiles set them: utimes restores them exactly
    writeFileSync(path, readFileSync(path, 'utf8').replace('store-0001', 'store-0666'));
    utimesSync(path, atime, mtime);
    expect(buildIntoOut(out, sampleFleet(), everything).files.every((f) => f.action === 'unchanged')).toBe(true);
    const check = staleFiles(planOutput(out, buildFleet(sampleFleet(), everything).files));
    expect(check.map((f) => [f.path, f.action])).toEqual([['chef/data_bags/acme_pos/store-0001.json', 'change']]);
  });

  it('keeps the record it left unserialized when the files are the same, and writes it anew otherwise', () => {
    const out = tempOut();
    const record = join(out, STATE_FILE);
    buildIntoOut(out, sampleFleet(), everything);
    // The cache says which record the build left: that very file, by this fleetgen (and its ctime: it lists exactly
    // the cached files).
    const left = recordLeftBy(readCache(out));
    const { size, mtimeMs, ino, ctimeMs } = lstatSync(record);
    expect(left).toEqual({ size, mtimeMs, ino, generator: generatorDigest(), ctimeMs });
    const canonical = readFileSync(record, 'utf8');

    // The same list, written another way and by another hand: not the file the build left, so it is made again.
    writeFileSync(record, JSON.stringify(JSON.parse(canonical), null, 4));
    buildIntoOut(out, withPort(sampleFleet(), 'store-0001', 9090), everything);
    expect(readFileSync(record, 'utf8')).toBe(canonical);

    // A hand edit that keeps the list, the size, the mtime and the inode is trusted, as the files themselves are (as
    // git does); build --check reads it and finds it. (One that changes the list is found by the list.)
    ageFiles(out);
    buildIntoOut(out, sampleFleet(), everything);
    const { atime, mtime } = statSync(record);
    const edited = canonical.replace('\n    [".gitignore","0644"]', '\n   [".gitignore", "0644"]');
    expect(edited).not.toBe(canonical);
    writeFileSync(record, edited);
    utimesSync(record, atime, mtime);
    buildIntoOut(out, withPort(sampleFleet(), 'store-0001', 9091), everything);
    expect(readFileSync(record, 'utf8')).toBe(edited);
    expect(planOutput(out, buildFleet(withPort(sampleFleet(), 'store-0001', 9091), everything).files).state.isChanged).toBe(true);
    const { atime: before, mtime: modified } = statSync(record);
    writeFileSync(record, canonical.replace('[".gitignore","0644"]', '[".gitignore","0640"]'));
    utimesSync(record, before, modified);
    buildIntoOut(out, withPort(sampleFleet(), 'store-0001', 9092), everything);
    expect(readFileSync(record, 'utf8')).toBe(canonical);

    // A file more: the record is made again, as a full build makes it.
    const fleet = sampleFleet();
    fleet.hosts = fleet.hosts.filter((h) => h.name !== 'lab-pi-3');
    fleet.groups = fleet.groups.filter((g) => g.name !== 'lab');
    buildIntoOut(out, fleet, everything);
    buildIntoOut(out, withPort(sampleFleet(), 'store-0001', 9091), everything);
    expect(readFileSync(record, 'utf8')).toBe(canonical);
  });

  it('tells a record that lists the very files produced, with their modes and flags, and those out of scope kept', () => {
    const file = (path: string, mode = 0o644, isSecret = false, isKeptOutOfGit = false): RecordedFile => ({ path, mode, isSecret, isKeptOutOfGit });
    const previous = [file('chef/a'), file('chef/b', 0o600, true), file('ssh/config')];
    const produced = (...files: RecordedFile[]): Map<string, RecordedFile> => new Map(files.map((f) => [f.path, f]));
    const everyTarget = (): boolean => true;
    const onlyChef = (path: string): boolean => path.startsWith('chef/');
    expect(isSameRecord(previous, produced(file('chef/a'), file('chef/b', 0o600, true), file('ssh/config')), everyTarget)).toBe(true);
    expect(isSameRecord(previous, produced(file('chef/a'), file('chef/b', 0o600, true)), onlyChef)).toBe(true);
    expect(isSameRecord(previous, produced(file('chef/a'), file('chef/b', 0o600, true)), everyTarget)).toBe(false);
    expect(isSameRecord(previous, produced(file('chef/a'), file('chef/b', 0o640, true), file('ssh/config')), everyTarget)).toBe(false);
    expect(isSameRecord(previous, produced(file('chef/a'), file('chef/b', 0o600, false), file('ssh/config')), everyTarget)).toBe(false);
    expect(isSameRecord(previous, produced(file('chef/a'), file('chef/b', 0o600, true), file('ssh/config', 0o644, false, true)), everyTarget)).toBe(false);
    expect(isSameRecord(previous, produced(file('chef/a'), file('chef/b', 0o600, true), file('chef/c')), onlyChef)).toBe(false);
  });

  it('regenerates every host when a fleet-wide setting or a build option changes, and none when a host is added', () => {
    const fleet = sampleFleet();
    const settings = settingsFingerprint(fleet, {});
    expect(settingsFingerprint({ ...fleet, zone: 'example.org' }, {})).not.toBe(settings);
    expect(settingsFingerprint(fleet, { vaultPassword: 'x' })).not.toBe(settings);
    expect(settingsFingerprint(fleet, { gzip: true })).not.toBe(settings);
    expect(settingsFingerprint(sampleFleetWithRemoteIngress(), {})).toBe(settings);

    const out = tempOut();
    buildIntoOut(out, fleet, everything);
    expect(hostRuns(() => buildIntoOut(out, fleet, { ...everything, options: { vaultPassword: 'vault' } })).ansible).toBe(fleet.hosts.length);
    expect(hostRuns(() => buildIntoOut(out, sampleFleetWithRemoteIngress(), { ...everything, options: { vaultPassword: 'vault' } })).ansible).toBe(1);
  });

  it("regenerates a host whose secret's content changed", () => {
    const fleet = sampleFleet();
    const settings = settingsFingerprint(fleet, {});
    const store = fleet.hosts.find((h) => h.name === 'store-0001');
    if (store?.tunnel.mode !== 'named') throw new Error('store-0001 has a named tunnel');
    const before = hostFingerprint(settings, modelDigest(store));
    store.tunnel.credentials.value = store.tunnel.credentials.value.replace(/"TunnelSecret":"[^"]*"/, '"TunnelSecret":"cm90YXRlZA=="');
    expect(hostFingerprint(settings, modelDigest(store))).not.toBe(before);
  });

  it('tells fleets apart by their hosts, their order and each group’s hosts (what every fleet-wide fingerprint takes)', () => {
    const groups = [
      { name: 'web', hosts: ['a', 'b'] },
      { name: 'db', hosts: ['c'] },
    ];
    const shape = fleetShapeDigest({ groups, hostNames: ['a', 'b', 'c'] });
    expect(fleetShapeDigest({ groups: groups.map((group) => ({ ...group, hosts: [...group.hosts] })), hostNames: ['a', 'b', 'c'] })).toBe(shape);
    expect(fleetShapeDigest({ groups, hostNames: ['a', 'c', 'b'] })).not.toBe(shape);
    expect(fleetShapeDigest({ groups, hostNames: ['a', 'b', 'c', 'd'] })).not.toBe(shape);
    expect(fleetShapeDigest({ groups: [{ name: 'web', hosts: ['a'] }, { name: 'db', hosts: ['b', 'c'] }], hostNames: ['a', 'b', 'c'] })).not.toBe(shape);
    // Names that join the same are still told apart.
    expect(fleetShapeDigest({ groups: [], hostNames: ['a', 'b'] })).not.toBe(fleetShapeDigest({ groups: [], hostNames: ['a\u0000b'] }));
  });

  it('counts per target what it did with every file it lists: added, changed, unchanged (reused parts among them) and removed', () => {
    const out = tempOut();
    const builds = [
      buildIntoOut(out, sampleFleet(), everything),
      buildIntoOut(out, sampleFleet(), everything),
      buildIntoOut(out, withPort(sampleFleet(), 'store-0001', 8081), everything),
      buildIntoOut(out, { ...sampleFleet(), hosts: sampleFleet().hosts.filter((h) => h.name !== 'lab-pi-3') }, { targets: ['cloud-init', 'ssh'], options: {} }),
    ];
    const actions = builds.map((result) => new Set(result.files.map((f) => f.action)));
    expect(actions).toEqual([new Set(['add']), new Set(['unchanged']), new Set(['unchanged', 'change']), new Set(['unchanged', 'change', 'remove'])]);
    for (const result of builds) expect(result.summary).toEqual(summarizePlan(result));
  });

  it('removes a removed host’s files and rewrites no other host’s', () => {
    const out = tempOut();
    buildIntoOut(out, sampleFleet(), everything);
    ageFiles(out);
    buildIntoOut(out, sampleFleet(), everything);
    const before = snapshotDisk(out);
    const fleet = sampleFleet();
    fleet.hosts = fleet.hosts.filter((h) => h.name !== 'lab-pi-3');
    fleet.groups = fleet.groups.filter((g) => g.name !== 'lab');
    const result = buildIntoOut(out, fleet, everything);
    expect(result.files.filter((f) => f.action === 'remove').map((f) => f.path)).toContain('cloud-init/lab-pi-3.yaml');
    expect(changedPaths(before, snapshotDisk(out)).filter((path) => /store-0001|kiosk-17/.test(path))).toEqual([]);
    const fresh = tempOut();
    buildIntoOut(fresh, fleet, everything);
    expect(outputOf(out)).toEqual(outputOf(fresh));
  });

  it('refuses a link in the way before replacing anything, also while the thread holds temp files: out/ stays exactly as it was, cache included', () => {
    for (const build of [everything, throughThread]) {
      const out = tempOut();
      buildIntoOut(out, sampleFleet(), everything);
      const elsewhere = tempOut();
      mkdirSync(elsewhere, { recursive: true });
      // A new host's folder in host_vars/ is a link: found while generating, after other files were staged.
      symlinkSync(elsewhere, join(out, 'ansible/inventory/host_vars/kiosk-18'));
      const before = snapshotDisk(out);
      expect(() => buildIntoOut(out, withPort(sampleFleetWithRemoteIngress(), 'store-0001', 9090), build)).toThrow(OutputError);
      expect(snapshotDisk(out)).toEqual(before);
    }
  });

  it('makes a full build when the cache is unusable, with the same result', () => {
    const out = tempOut();
    buildIntoOut(out, sampleFleet(), everything);
    writeFileSync(join(out, CACHE_DIR, 'build.json'), '{"version": 1, "hosts": [');
    expect(hostRuns(() => buildIntoOut(out, sampleFleet(), everything)).chef).toBe(sampleFleet().hosts.length);
    const fresh = tempOut();
    buildIntoOut(fresh, sampleFleet(), everything);
    expect(outputOf(out)).toEqual(outputOf(fresh));
  });

  it('makes a full build over a cache of the previous format, then reuses every host from the one it writes', () => {
    const out = tempOut();
    buildIntoOut(out, sampleFleet(), everything);
    // Version 1 held the in-memory objects as they are: an object per file and per part.
    writeFileSync(join(out, CACHE_DIR, 'build.json'), JSON.stringify({ version: 1, ...plainCache(readCache(out)) }));
    expect(hostRuns(() => buildIntoOut(out, sampleFleet(), everything)).chef).toBe(sampleFleet().hosts.length);
    expect(hostRuns(() => buildIntoOut(out, sampleFleet(), everything)).chef).toBe(0);
  });

  it('makes a full build, with the same result, when a summary index in the cache points past its table', () => {
    const out = tempOut();
    buildIntoOut(out, sampleFleet(), everything);
    const path = join(out, CACHE_DIR, 'build.json');
    // The first line holds the summary table, each further line a host: [name, fingerprint, parts], a tab, its files.
    const [head = '', ...hosts] = readFileSync(path, 'utf8').split('\n');
    const { summaries } = JSON.parse(head) as { summaries: unknown[] };
    const damaged = hosts.map((line) => {
      if (line === '') return line;
      const tab = line.indexOf('\t');
      const entry = JSON.parse(line.slice(0, tab)) as [string, string, Record<string, unknown[]>];
      for (const part of Object.values(entry[2])) part[1] = summaries.length;
      return JSON.stringify(entry) + line.slice(tab);
    });
    writeFileSync(path, [head, ...damaged].join('\n'));
    expect(hostRuns(() => buildIntoOut(out, sampleFleet(), everything)).chef).toBe(sampleFleet().hosts.length);
    const fresh = tempOut();
    buildIntoOut(fresh, sampleFleet(), everything);
    expect(outputOf(out)).toEqual(outputOf(fresh));
  });

  it("makes a full build, with the same result, when a host's files in the cache are found damaged only once decoded, and leaves a cache the next build reuses whole", () => {
    const out = tempOut();
    buildIntoOut(out, sampleFleet(), everything);
    const path = join(out, CACHE_DIR, 'build.json');
    // The last host's body: its first Chef file's path leaves out/. Reading the cache does not decode it (its line's
    // index is in shape); the build does, when it looks at that part's files, after reusing the hosts before it.
    const lines = readFileSync(path, 'utf8').split('\n');
    const last = lines.length - 2;
    lines[last] = (lines[last] ?? '').replace(/\t\{"chef":\["chef\//, '\t{"chef":["../');
    expect(lines[last]).toContain('\t{"chef":["../');
    writeFileSync(path, lines.join('\n'));
    expect(readCache(out)).toBeDefined();
    // A build whose host had changed (its part regenerated, compared byte for byte) changes nothing on disk either.
    expect(hostRuns(() => buildIntoOut(out, sampleFleet(), everything)).chef).toBe(sampleFleet().hosts.length);
    const fresh = tempOut();
    buildIntoOut(fresh, sampleFleet(), everything);
    expect(outputOf(out)).toEqual(outputOf(fresh));
    expect(cachedStatsHold(out)).toBe(true);
    expect(hostRuns(() => buildIntoOut(out, sampleFleet(), everything)).chef).toBe(0);
  });

  it('keeps its cache out of git and unreadable by others', () => {
    const out = tempOut();
    buildIntoOut(out, sampleFleet(), everything);
    expect(readFileSync(join(out, CACHE_DIR, '.gitignore'), 'utf8')).toMatch(/^\*$/m);
    expect(statSync(join(out, CACHE_DIR, 'build.json')).mode & 0o777).toBe(0o600);
  });
});

describe('buildIntoOut with the writer thread (large builds: temp files written beside the generating)', () => {
  /** The first few files written on the build's own thread, the rest on the writer thread. */
  const partlyThroughThread = { ...everything, filesBeforeWriterThread: 3 };

  /** A name that fits on disk, but not with the temp file's suffix: open() of its temp file fails (ENAMETOOLONG). */
  const longName = `${'n'.repeat(240)}.txt`;
  /**
   * A name that fits on no disk (over 255 bytes). In a folder the build makes whole, where nothing is looked at first,
   * the file goes at its own name into the folder's temp folder: open() fails (ENAMETOOLONG).
   */
  const tooLongName = `${'n'.repeat(300)}.txt`;

  /** Adds files to the host part of `target`: host name → path → content. */
  function withExtraFiles(target: TargetName, extra: Record<string, Record<string, string>>): void {
    const original = TARGET_PARTS[target].host;
    vi.spyOn(TARGET_PARTS[target], 'host').mockImplementation((fleet, host, options) => {
      const output = original(fleet, host, options);
      for (const [path, content] of Object.entries(extra[host.name] ?? {})) output.files.add(path, content);
      return output;
    });
  }

  it('writes the same files and modes as without it, and caches the stat of each file in place', () => {
    const fleet = sampleFleetWithRemoteIngress();
    const itself = tempOut();
    buildIntoOut(itself, fleet, everything);
    for (const build of [throughThread, partlyThroughThread]) {
      const out = tempOut();
      buildIntoOut(out, fleet, build);
      expect(outputOf(out)).toEqual(outputOf(itself));
      expect(cachedStatsHold(out)).toBe(true);
      // The stats recorded are right: the next build reuses every host and rewrites nothing.
      const before = snapshotDisk(out);
      expect(hostRuns(() => buildIntoOut(out, fleet, build)).chef).toBe(0);
      expect(changedPaths(before, snapshotDisk(out)).filter((path) => !path.startsWith(CACHE_DIR))).toEqual([]);
    }
  });

  it('rewrites changed files through it as it does itself', () => {
    const out = tempOut();
    buildIntoOut(out, sampleFleet(), everything);
    ageFiles(out);
    const changed = withPort(sampleFleetWithRemoteIngress(), 'store-0001', 9090);
    buildIntoOut(out, changed, throughThread);
    const fresh = tempOut();
    buildIntoOut(fresh, changed, everything);
    expect(outputOf(out)).toEqual(outputOf(fresh));
    expect(cachedStatsHold(out)).toBe(true);
  });

  it('throws a write error met on the writer thread as its own would be, and leaves out/ as its own failure does', () => {
    const outcome = (build: typeof everything, previous: 'none' | 'built') => {
      const out = tempOut();
      if (previous === 'built') buildIntoOut(out, sampleFleet(), everything);
      const before = snapshotDisk(out);
      withExtraFiles('chef', { 'store-0001': { [previous === 'built' ? longName : tooLongName]: 'x\n' } });
      let thrown: unknown;
      try {
        buildIntoOut(out, withPort(sampleFleet(), 'store-0001', 9090), build);
      } catch (err) {
        thrown = err;
      }
      vi.restoreAllMocks();
      const after = snapshotDisk(out);
      const error = thrown as NodeJS.ErrnoException;
      return {
        error: { isError: error instanceof Error, code: error.code, syscall: error.syscall, message: error.message.replace(/\.\d+\.[0-9a-f]{12}\.tmp/, '.<temp>.tmp').replace(out, '<out>') },
        written: changedPaths(before, after).filter((path) => !path.startsWith(CACHE_DIR)),
        leftover: Object.keys(after).filter((path) => path.endsWith('.tmp')),
      };
    };
    for (const previous of ['none', 'built'] as const) {
      const itself = outcome(everything, previous);
      expect(itself.error).toMatchObject({ isError: true, code: 'ENAMETOOLONG', syscall: 'open' });
      expect(itself.written).toEqual([]);
      expect(itself.leftover).toEqual([]);
      expect(outcome(throughThread, previous)).toEqual(itself);
      expect(outcome(partlyThroughThread, previous)).toEqual(itself);
    }
  });

  it('throws the error the thread met on a file before a later one that fails on the build’s own thread, as without the thread', () => {
    for (const build of [everything, throughThread]) {
      const out = tempOut();
      buildIntoOut(out, sampleFleet(), everything);
      rmSync(join(out, CACHE_DIR), { recursive: true }); // every host is regenerated
      const elsewhere = tempOut();
      mkdirSync(elsewhere, { recursive: true });
      symlinkSync(elsewhere, join(out, 'ansible/inventory/host_vars/kiosk-18'));
      const before = outputOf(out);
      // kiosk-17's file fails to be written; kiosk-18's folder, after it, is a link (OutputError).
      withExtraFiles('chef', { 'kiosk-17': { [longName]: 'x\n' } });
      expect(() => buildIntoOut(out, sampleFleetWithRemoteIngress(), build)).toThrow(/^ENAMETOOLONG: name too long, open /);
      vi.restoreAllMocks();
      expect(outputOf(out)).toEqual(before);
    }
  });

  it('finds a folder the thread was asked to make where a later file goes, as it would find it itself', () => {
    for (const build of [everything, throughThread]) {
      const out = tempOut();
      // A later host's part produces a file where an earlier one's needed a folder.
      withExtraFiles('chef', { 'kiosk-17': { 'shared/notes/a.txt': 'a\n' }, 'store-0001': { 'shared/notes': 'b\n' } });
      expect(() => buildIntoOut(out, sampleFleet(), build)).toThrow(/is in the way: fleetgen generates a file there/);
      vi.restoreAllMocks();
      expect(snapshotDisk(out)).toEqual({});
    }
  });

  it('refuses a path produced as a file and then as a new folder on a later file’s way, and writes nothing', () => {
    for (const build of [everything, throughThread]) {
      const out = tempOut();
      withExtraFiles('chef', { 'kiosk-17': { 'shared/notes': 'b\n' }, 'store-0001': { 'shared/notes/a.txt': 'a\n' } });
      expect(() => buildIntoOut(out, sampleFleet(), build)).toThrow(/"chef\/shared\/notes" produced both as a file and as a folder/);
      vi.restoreAllMocks();
      expect(snapshotDisk(out)).toEqual({});
    }
  });
});

describe('buildIntoOut: a folder that was not there, made whole and put in place at once', () => {
  /** Each call of onWrite: how many files were in place, of how many. */
  function writesOf(out: string, fleet: Fleet, build: typeof everything): { result: ReturnType<typeof buildIntoOut>; writes: [number, number][] } {
    const writes: [number, number][] = [];
    const result = buildIntoOut(out, fleet, { ...build, onWrite: (done, total) => writes.push([done, total]) });
    return { result, writes };
  }

  /** The entries of a snapshot that are temp files or folders, or inside a temp folder. */
  const tempsIn = (out: string): string[] => Object.keys(snapshotDisk(out)).filter(isInTempFolder);

  it('puts a first build in place a target folder at a time, every file counted, and leaves no temp folder, with or without the writer thread', () => {
    for (const build of [everything, throughThread]) {
      const out = tempOut();
      const { result, writes } = writesOf(out, sampleFleet(), build);
      // out/.gitignore is written at once, first; every other file is in a target's folder, which is new.
      const staged = result.files.filter((f) => f.path !== OUT_GITIGNORE).length;
      expect(writes.map(([, total]) => total)).toEqual(TARGET_NAMES.map(() => staged));
      expect(writes.at(-1)).toEqual([staged, staged]);
      expect(tempsIn(out)).toEqual([]);
      // The stats recorded for each file are those of the file in place: a folder's rename keeps its files' inodes,
      // sizes and mtimes. The next build reuses every host and writes nothing.
      expect(cachedStatsHold(out)).toBe(true);
      const before = snapshotDisk(out);
      expect(hostRuns(() => buildIntoOut(out, sampleFleet(), build)).chef).toBe(0);
      expect(changedPaths(before, snapshotDisk(out))).toEqual([]);
    }
  });

  it('puts each of an added host’s new folders in place in one rename, and each file in a folder that was there by itself', () => {
    for (const build of [everything, throughThread]) {
      const out = tempOut();
      buildIntoOut(out, sampleFleet(), everything);
      const before = snapshotDisk(out);
      const { result, writes } = writesOf(out, sampleFleetWithRemoteIngress(), build);
      const written = result.files.filter((f) => f.action === 'add' || f.action === 'change').map((f) => f.path);
      // The topmost folders that were not there (its folder in Ansible's host_vars/ among them), with their files.
      const newFolders = Object.keys(snapshotDisk(out)).filter((path) => path.endsWith('/') && before[path] === undefined && before[`${dirname(path)}/`] !== undefined);
      expect(newFolders).toContain('ansible/inventory/host_vars/kiosk-18/');
      const inNewFolders = newFolders.map((folder) => written.filter((path) => path.startsWith(folder)).length);
      // One call per file renamed, and one per new folder, which puts all its files in place.
      const steps = writes.map(([done], i) => done - (writes[i - 1]?.[0] ?? 0));
      const elsewhere = written.filter((path) => !newFolders.some((folder) => path.startsWith(folder)));
      expect(steps.sort((a, b) => b - a)).toEqual([...inNewFolders.sort((a, b) => b - a), ...elsewhere.map(() => 1)]);
      expect(writes.at(-1)).toEqual([written.length, written.length]);
      expect(tempsIn(out)).toEqual([]);
      expect(cachedStatsHold(out)).toBe(true);
      const fresh = tempOut();
      buildIntoOut(fresh, sampleFleetWithRemoteIngress(), everything);
      expect(outputOf(out)).toEqual(outputOf(fresh));
    }
  });

  it('leaves nothing of its own in sight when killed before its new folders are in place; the next build completes out/ and removes their temp folders', () => {
    const { hosts } = sampleFleetWithRemoteIngress();
    for (const build of [everything, throughThread]) {
      // A first build, and a rebuild adding kiosk-18 (its new folder in host_vars/): out/ as a kill -9 after
      // `killedAt` hosts would leave it (kiosk-18 is generated by then; after the last host only the renames are left).
      for (const killedAt of [hosts.findIndex((h) => h.name === 'kiosk-18') + 1, hosts.length]) {
        for (const isFirstBuild of [true, false]) {
          const out = tempOut();
          if (!isFirstBuild) buildIntoOut(out, sampleFleet(), everything);
          const before = outputOf(out);
          const killed = join(dirname(out), 'killed', 'out');
          buildIntoOut(out, sampleFleetWithRemoteIngress(), { ...build, onProgress: (done) => done === killedAt && cpSync(out, killed, { recursive: true }) });
          // (On the writer thread, files may still be on their way to it: only the build's own thread is sure to have
          // written them by then.)
          if (build === everything) expect(tempsIn(killed).length).toBeGreaterThan(0);
          // The build's files are all in temp folders: out/ is as it was but for them (and a cache set aside).
          const visible = Object.fromEntries(Object.entries(outputOf(killed)).filter(([path]) => !isInTempFolder(path)));
          expect(visible).toEqual(isFirstBuild ? { '/': { bytes: '', mode: 0o755 }, [OUT_GITIGNORE]: before[OUT_GITIGNORE] ?? outputOf(out)[OUT_GITIGNORE] } : before);
          // The next build (no cache: a full one) completes out/ and removes every temp folder the kill left.
          buildIntoOut(killed, sampleFleetWithRemoteIngress(), build);
          expect(tempsIn(killed)).toEqual([]);
          expect(outputOf(killed)).toEqual(outputOf(out));
        }
      }
    }
  });

  it('removes its temp folders and the folders it made when it fails before they are in place, with or without the writer thread', () => {
    for (const build of [everything, throughThread]) {
      for (const isFirstBuild of [true, false]) {
        const out = tempOut();
        if (!isFirstBuild) buildIntoOut(out, sampleFleet(), everything);
        const before = snapshotDisk(out);
        const failing = sampleFleetWithRemoteIngress();
        // After the host that brings the new folder (kiosk-18) and more: a failure while generating, every file staged.
        const failAt = failing.hosts.findIndex((h) => h.name === 'kiosk-18') + 2;
        const onProgress = (done: number): void => {
          if (done === failAt) throw new Error('failed while generating');
        };
        expect(() => buildIntoOut(out, failing, { ...build, onProgress })).toThrow('failed while generating');
        // Not a byte, folder or temp folder more: out/ is as it was (for a first build: not there).
        expect(changedPaths(before, snapshotDisk(out)).filter((path) => !path.startsWith(CACHE_DIR))).toEqual([]);
      }
    }
  });

  it('removes the temp folders not yet in place when a folder’s rename fails half-way, and keeps those in place; the next build completes out/', () => {
    for (const build of [everything, throughThread]) {
      const out = tempOut();
      // Where the new cloud-init/ goes, a folder appears (not empty) once the first folder is in place: its rename,
      // in the last step (it holds user-data), fails.
      const onWrite = (): void => void mkdirSync(join(out, 'cloud-init', 'in-the-way'), { recursive: true });
      expect(() => buildIntoOut(out, sampleFleet(), { ...build, onWrite })).toThrow(/^(ENOTEMPTY|EEXIST)/);
      const left = Object.keys(snapshotDisk(out));
      expect(left.filter(isInTempFolder)).toEqual([]);
      // In place before it: the folders of the earlier steps (ssh/: no .gitignore, nothing kept out of git; terraform/:
      // its .gitignore) and those of its step placed first (chef/, ansible/), each with its .gitignore and secrets.
      expect(left).toEqual(expect.arrayContaining(['ssh/config', 'terraform/.gitignore', 'chef/.gitignore', 'chef/cookbooks/acme_pos/metadata.rb', 'ansible/.gitignore', 'ansible/inventory/host_vars/kiosk-17/secrets.yml']));
      // Not there: its own files, of which only the folder in the way stands.
      expect(left.filter((path) => path.startsWith('cloud-init/'))).toEqual(['cloud-init/', 'cloud-init/in-the-way/']);
      rmSync(join(out, 'cloud-init'), { recursive: true });
      buildIntoOut(out, sampleFleet(), build);
      const fresh = tempOut();
      buildIntoOut(fresh, sampleFleet(), everything);
      expect(outputOf(out)).toEqual(outputOf(fresh));
    }
  });
});

describe('buildIntoOut: the order in which files go into place', () => {
  /**
   * Builds into one out/, each a change that a kill between two renames (kill -9, power loss) must survive: a first
   * build (every secret new, in clear text, each target's folder made whole with its .gitignore); a host added while
   * Ansible's and Chef's secrets become encrypted, so committed (Ansible's .gitignore goes; Chef's now lists the new
   * node secrets); that host removed and the secrets back in clear text (Ansible's .gitignore comes back); that host
   * added again, its secrets in clear text: its new folder in host_vars/ holds its secrets.yml, which only the new
   * Ansible .gitignore (outside that folder) lists.
   */
  const builds: { fleet: () => Fleet; options: TargetOptions }[] = [
    { fleet: sampleFleet, options: {} },
    { fleet: sampleFleetWithRemoteIngress, options: { vaultPassword: 'vault', chefSecret: 'chef secret' } },
    { fleet: sampleFleet, options: {} },
    { fleet: sampleFleetWithRemoteIngress, options: {} },
  ];

  it('never leaves a clear-text secret or user-data where git add out/ would stage it, after any rename, with or without the writer thread', async () => {
    /** What `git add out/` stages in each state met (the same ones, mostly, with and without the thread). */
    const stagedIn = new Map<string, string[]>();
    for (const build of [everything, throughThread]) {
      const out = tempOut();
      /** Every path kept out of git in any of the builds, with each of its clear-text contents (base64). */
      const clearText = new Map<string, Set<string>>();
      for (const { fleet, options } of builds) {
        for (const file of buildFleet(fleet(), { ...build, options }).files.list()) {
          if (file.isKeptOutOfGit) clearText.set(file.path, (clearText.get(file.path) ?? new Set<string>()).add(Buffer.from(file.content).toString('base64')));
        }
      }
      /**
       * out/ as a kill right after each rename would leave it (removals included), and as each build leaves it, as far
       * as git's verdict goes: every .gitignore in it, and the paths that hold clear text. Each such state once (git
       * runs afterwards: a test never blocks its worker on a child process), with the first step that left it.
       */
      const states = new Map<string, string>();
      const changes: { path: string; action: string }[][] = [];
      for (const [i, { fleet, options }] of builds.entries()) {
        const record = (step: string): void => {
          const onDisk = (path: string): string => (existsSync(join(out, path)) ? readFileSync(join(out, path)).toString('base64') : '');
          const ignoreRules = readdirSync(out, { recursive: true, encoding: 'utf8' })
            .filter((path) => basename(path) === '.gitignore')
            .sort()
            .map((path) => [path, readFileSync(join(out, path), 'utf8')]);
          const inClear = [...clearText].filter(([path, contents]) => contents.has(onDisk(path))).map(([path]) => path);
          const state = JSON.stringify({ ignoreRules, inClear });
          if (!states.has(state)) states.set(state, step);
        };
        const onWrite = (done: number): void => record(`build ${i + 1}, rename ${done}`);
        changes.push(buildIntoOut(out, fleet(), { ...build, options, onWrite }).files.filter((f) => f.action !== 'unchanged'));
        record(`build ${i + 1}, done`);
      }
      // The builds make the changes that matter: .gitignore files that go, come back and change; files that go from
      // clear text (kept out of git) to encrypted (committed) and back; new clear-text files. (A host added or removed
      // changes no .gitignore: their patterns cover its files, which go into place after them all the same.)
      const ignoreRuleChanges = (list: { path: string; action: string }[]): string[] => list.filter((f) => f.path.endsWith('/.gitignore')).map((f) => `${f.action} ${f.path}`).sort();
      expect(changes.map(ignoreRuleChanges)).toEqual([
        ['add ansible/.gitignore', 'add chef/.gitignore', 'add cloud-init/.gitignore', 'add terraform/.gitignore'],
        ['change chef/.gitignore', 'remove ansible/.gitignore'],
        ['add ansible/.gitignore', 'change chef/.gitignore'],
        [],
      ]);
      const secretsYml = 'ansible/inventory/host_vars/store-0001/secrets.yml';
      expect(changes.map((list) => list.find((f) => f.path === secretsYml)?.action)).toEqual(['add', 'change', 'change', undefined]);
      // The added host's folder is new in the last build: its clear-text secrets.yml goes into place with it.
      expect(changes[3]?.filter((f) => f.path.startsWith('ansible/inventory/host_vars/kiosk-18/'))).toContainEqual({ path: 'ansible/inventory/host_vars/kiosk-18/secrets.yml', action: 'add' });
      expect(changes[1]?.map((f) => f.path)).toEqual(expect.arrayContaining(['cloud-init/kiosk-18.yaml', expect.stringMatching(/^chef\/[^/]+\/kiosk-17$/)]));

      // Each state laid out again in a folder of its own (a clear-text file's bytes do not matter to git; its path does).
      const exposed: { step: string; paths: string[] }[] = [];
      const seenInClear = new Set<string>();
      for (const [state, step] of states) {
        const { ignoreRules, inClear } = JSON.parse(state) as { ignoreRules: [string, string][]; inClear: string[] };
        for (const path of inClear) seenInClear.add(path);
        let staged = stagedIn.get(state);
        if (staged === undefined) {
          const dir = dirname(tempOut());
          for (const [path, rules] of ignoreRules) writeAt(join(dir, 'out', path), rules);
          for (const path of inClear) writeAt(join(dir, 'out', path), 'clear text\n');
          staged = await stagedByGitAdd(dir);
          stagedIn.set(state, staged);
        }
        const paths = inClear.filter((path) => staged.includes(path));
        if (paths.length > 0) exposed.push({ step, paths });
      }
      expect(exposed).toEqual([]);
      // Every clear-text file of every build was on disk, and judged, at some step.
      expect([...seenInClear].sort()).toEqual([...clearText.keys()].sort());
    }
  });

  it('leaves no temp file when a rename fails half-way, with or without the writer thread', () => {
    for (const build of [everything, throughThread]) {
      const out = tempOut();
      // Every folder there already, and no file: each file is renamed into place on its own.
      buildIntoOut(out, sampleFleet(), everything);
      for (const path of Object.keys(snapshotDisk(out))) if (!path.endsWith('/')) rmSync(join(out, path));
      // A folder (not empty) where a file kept out of git goes: its rename, in the last step, fails.
      const blocked = 'cloud-init/kiosk-17.yaml';
      const onWrite = (done: number): void => {
        if (done === 1) mkdirSync(join(out, blocked, 'in-the-way'), { recursive: true });
      };
      expect(() => buildIntoOut(out, sampleFleet(), { ...build, onWrite })).toThrow(/^(EISDIR|ENOTEMPTY|EEXIST)/);
      const left = Object.keys(snapshotDisk(out));
      expect(left.filter((path) => tempFileOf(basename(path)) !== undefined)).toEqual([]);
      // Renamed before it: every file to commit and every .gitignore; after it, none of the other clear-text files.
      expect(left).toEqual(expect.arrayContaining(['chef/cookbooks/acme_pos/metadata.rb', 'cloud-init/.gitignore', 'ansible/.gitignore', 'ansible/inventory/host_vars/kiosk-17/secrets.yml']));
      expect(left.filter((path) => /^cloud-init\/[^/]+\.yaml$/.test(path))).toEqual([]);
    }
  });
});

/** Whether a path (as snapshotDisk gives it) is a temp file or folder, or inside a temp folder. */
function isInTempFolder(path: string): boolean {
  return path.split('/').some((name) => tempFileOf(name) !== undefined);
}

function writeAt(full: string, content: string): void {
  mkdirSync(dirname(full), { recursive: true });
  writeFileSync(full, content);
}
