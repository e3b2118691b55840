import { lstatSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { TARGET_PARTS } from '../../src/build.js';
import { TARGET_NAMES, type TargetOptions } from '../../src/targets/target.js';
import { buildIntoOut } from '../../src/write/incremental.js';
import { LookAhead } from '../../src/write/look-ahead.js';
import { parentsOf } from '../../src/write/out-path.js';
import { OutputError } from '../../src/write/output-error.js';
import { readState, statePath } from '../../src/write/state.js';
import { sampleFleet } from '../support/sample-fleet.js';
import { ageFiles, changedPaths, snapshotDisk } from './disk.js';

const made: string[] = [];
afterAll(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
afterEach(() => vi.restoreAllMocks());

const everything = { targets: TARGET_NAMES, options: {} as TargetOptions };

function builtOut(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fleetgen-look-ahead-'));
  made.push(dir);
  const out = join(dir, 'out');
  buildIntoOut(out, sampleFleet(), everything);
  // Aged and built again: every file is then recorded in the cache with a stat that a rewrite would change.
  ageFiles(out);
  buildIntoOut(out, sampleFleet(), everything);
  return out;
}

/** A look-ahead over out/ (whatever its record's size) once its thread has answered. */
async function answered(out: string): Promise<LookAhead> {
  const lookAhead = LookAhead.start(out, { minRecordBytes: 0 });
  if (lookAhead === undefined) throw new Error(`no look-ahead started for ${out}`);
  const deadline = Date.now() + 60_000;
  while (!lookAhead.isAnswered()) {
    if (Date.now() > deadline) throw new Error('the look-ahead thread did not answer within a minute');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return lookAhead;
}

function hostRuns(step: () => void): number {
  const spies = TARGET_NAMES.map((name) => vi.spyOn(TARGET_PARTS[name], 'host'));
  step();
  return spies.reduce((sum, spy) => sum + spy.mock.calls.length, 0);
}

describe('LookAhead (a rebuild looks at out/ on a second thread while the manifest is read)', () => {
  it('sees every recorded file and every folder on the way as lstat does, and says what it did not look at', async () => {
    const out = builtOut();
    const record = readState(out);
    const looks = (await answered(out)).take(record.text, record.state.files);
    if (looks === undefined) throw new Error('no answers');
    expect(record.state.files.length).toBeGreaterThan(20);
    for (const { path } of record.state.files) {
      const stat = lstatSync(join(out, path));
      expect(looks.file(path)).toEqual({ mode: stat.mode, size: stat.size, mtimeMs: stat.mtimeMs, ino: stat.ino });
      for (const folder of parentsOf(path)) expect(looks.folder(folder)).toMatchObject({ isDirectory: expect.any(Function) });
    }
    const folder = looks.folder('ansible/inventory/host_vars');
    expect(folder !== undefined && folder !== 'unknown' && folder.isDirectory() && !folder.isSymbolicLink() && !folder.isFile()).toBe(true);
    expect(looks.file('not/recorded.txt')).toBe('unknown');
    expect(looks.folder('not')).toBe('unknown');
  });

  it('says "nothing there" for a recorded file that is gone, and sees a link where a folder was', async () => {
    const out = builtOut();
    rmSync(join(out, 'cloud-init/store-0001.yaml'));
    rmSync(join(out, 'ansible/inventory/host_vars/kiosk-17'), { recursive: true });
    symlinkSync(tmpdir(), join(out, 'ansible/inventory/host_vars/kiosk-17'));
    const record = readState(out);
    const looks = (await answered(out)).take(record.text, record.state.files);
    expect(looks?.file('cloud-init/store-0001.yaml')).toBeUndefined();
    const link = looks?.folder('ansible/inventory/host_vars/kiosk-17');
    expect(link !== undefined && link !== 'unknown' && link.isSymbolicLink() && !link.isDirectory()).toBe(true);
    // Under the link: lstat through it finds nothing of fleetgen's.
    expect(looks?.file('ansible/inventory/host_vars/kiosk-17/cloudflared.yml')).toBeUndefined();
  });

  it('gives nothing for a record other than the one it read, or when out/ has none', async () => {
    const out = builtOut();
    const lookAhead = await answered(out);
    const record = readState(out);
    expect(lookAhead.take(`${record.text ?? ''} `, record.state.files)).toBeUndefined();

    const empty = mkdtempSync(join(tmpdir(), 'fleetgen-look-ahead-'));
    made.push(empty);
    expect(LookAhead.start(empty, { minRecordBytes: 0 })).toBeUndefined();
    expect(LookAhead.start(out)).toBeUndefined(); // a small record: looked through faster than a thread starts
  });

  it('lets a rebuild reuse every host from what it saw, rewriting nothing', async () => {
    const out = builtOut();
    const before = snapshotDisk(out);
    const lookAhead = await answered(out);
    expect(hostRuns(() => buildIntoOut(out, sampleFleet(), { ...everything, lookAhead }))).toBe(0);
    expect(changedPaths(before, snapshotDisk(out))).toEqual([]);
  });

  it('is what the build goes by: a file edited after the thread looked is, as one edited during the build, left to the next build', async () => {
    const out = builtOut();
    const lookAhead = await answered(out);
    const path = join(out, 'chef/data_bags/acme_pos/store-0001.json');
    const generated = readFileSync(path, 'utf8');
    writeFileSync(path, generated.replace('store-0001', 'store-0666'));
    expect(hostRuns(() => buildIntoOut(out, sampleFleet(), { ...everything, lookAhead }))).toBe(0);
    expect(readFileSync(path, 'utf8')).not.toBe(generated);
    const next = buildIntoOut(out, sampleFleet(), everything);
    expect(next.files.filter((f) => f.action !== 'unchanged')).toEqual([{ path: 'chef/data_bags/acme_pos/store-0001.json', action: 'change' }]);
    expect(readFileSync(path, 'utf8')).toBe(generated);
  });

  it('rewrites a file edited, or removed, before the build started, as a build without it does', async () => {
    const out = builtOut();
    const edited = join(out, 'chef/data_bags/acme_pos/store-0001.json');
    const removed = join(out, 'cloud-init/kiosk-17.yaml');
    const generated = { edited: readFileSync(edited, 'utf8'), removed: readFileSync(removed, 'utf8') };
    writeFileSync(edited, generated.edited.replace('store-0001', 'store-0666'));
    rmSync(removed);
    const lookAhead = await answered(out);
    const result = buildIntoOut(out, sampleFleet(), { ...everything, lookAhead });
    expect(result.files.filter((f) => f.action !== 'unchanged')).toEqual(
      expect.arrayContaining([
        { path: 'chef/data_bags/acme_pos/store-0001.json', action: 'change' },
        { path: 'cloud-init/kiosk-17.yaml', action: 'add' },
      ]),
    );
    expect(result.files.filter((f) => f.action !== 'unchanged')).toHaveLength(2);
    expect(readFileSync(edited, 'utf8')).toBe(generated.edited);
    expect(readFileSync(removed, 'utf8')).toBe(generated.removed);
  });

  it('refuses a link planted in a host folder before the build started, and leaves out/ as it was', async () => {
    const out = builtOut();
    const elsewhere = mkdtempSync(join(tmpdir(), 'fleetgen-look-ahead-'));
    made.push(elsewhere);
    rmSync(join(out, 'ansible/inventory/host_vars/kiosk-17'), { recursive: true });
    symlinkSync(elsewhere, join(out, 'ansible/inventory/host_vars/kiosk-17'));
    const before = snapshotDisk(out);
    const lookAhead = await answered(out);
    expect(() => buildIntoOut(out, sampleFleet(), { ...everything, lookAhead })).toThrow(OutputError);
    expect(snapshotDisk(out)).toEqual(before);
    expect(snapshotDisk(elsewhere)).toEqual({ '/': expect.anything() });
  });

  it('builds exactly as without it when its thread has not answered yet, or the record changed since it read it', async () => {
    for (const change of ['not answered', 'record changed'] as const) {
      const out = builtOut();
      rmSync(join(out, 'cloud-init/kiosk-17.yaml'));
      const lookAhead = change === 'not answered' ? LookAhead.start(out, { minRecordBytes: 0 }) : await answered(out);
      if (change === 'record changed') writeFileSync(statePath(out), `${readFileSync(statePath(out), 'utf8')}\n`);
      const result = buildIntoOut(out, sampleFleet(), { ...everything, ...(lookAhead !== undefined ? { lookAhead } : {}) });
      expect(result.files.filter((f) => f.action !== 'unchanged' && f.path !== '.fleetgen-state.json')).toEqual([{ path: 'cloud-init/kiosk-17.yaml', action: 'add' }]);
      const fresh = mkdtempSync(join(tmpdir(), 'fleetgen-look-ahead-'));
      made.push(fresh);
      buildIntoOut(join(fresh, 'out'), sampleFleet(), everything);
      const bytes = (dir: string): Record<string, string> => Object.fromEntries(Object.entries(snapshotDisk(dir)).filter(([path]) => !path.startsWith('.fleetgen-cache')).map(([path, entry]) => [path, entry.bytes]));
      expect(bytes(out)).toEqual(bytes(join(fresh, 'out')));
    }
  });
});
