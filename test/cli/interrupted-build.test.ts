import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeScaleFleet } from '../../bench/scale-fleet.js';
import { tempFileOf } from '../../src/write/atomic.js';
import { CACHE_DIR } from '../../src/write/cache.js';
import { snapshotDisk, type DiskEntry } from '../write/disk.js';
import { BIN, fleetgen, tempDir } from './fleetgen.js';

const HOSTS = 200;

async function built(dir: string): Promise<void> {
  const result = await fleetgen(['build', 'fleet.yaml'], { cwd: dir, timeoutMs: 120_000 });
  expect(result.status, result.stderr).toBe(0);
}

/** Bytes and mode of every entry (mtimes differ between two folders and do not matter here), the build cache aside. */
function contentOf(snapshot: Record<string, DiskEntry>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(snapshot)
      .filter(([path]) => !path.startsWith(`${CACHE_DIR}/`))
      .map(([path, entry]) => [path, `${entry.mode.toString(8)} ${entry.bytes}`]),
  );
}

/**
 * Starts a build and kills it with SIGKILL as soon as it is writing: when a temp file (or temp folder) of its first
 * appears in `folder` (of `file`, when given). Resolves with the signal that ended it and the temp files seen.
 */
function buildKilledWhileWriting(dir: string, folder: string, file?: string): Promise<{ signal: NodeJS.Signals | null; temps: string[] }> {
  const child = spawn(process.execPath, [BIN, 'build', 'fleet.yaml'], { cwd: dir, stdio: 'ignore' });
  let temps: string[] = [];
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_, signal) => resolve(signal)));
  const timer = setInterval(() => {
    const seen = listIfThere(join(dir, folder)).filter((name) => tempFileOf(name) !== undefined);
    if (file === undefined || seen.some((name) => tempFileOf(name) === file)) temps = seen;
    if (temps.length > 0) child.kill('SIGKILL');
  }, 1);
  return exited.then((signal) => ({ signal, temps })).finally(() => clearInterval(timer));
}

function listIfThere(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

describe('a build killed in the middle (kill -9)', () => {
  // A build writes its first 1,000 files itself and the rest on a second thread (write/staging-thread.ts): each
  // is killed here. Hosts are built in name order, 7 files each: host-90's come after the first 1,300.
  it.each([
    ['a file the build writes itself', undefined],
    ['a file the writer thread writes', 'host-90.yaml'],
  ])('while writing %s: leaves each file old or new, never partial, and the next build completes out/ exactly, leaving no temp file', async (_, file) => {
    const dir = tempDir();
    writeScaleFleet(dir, HOSTS, { port: 8080 });
    await built(dir);
    const before = contentOf(snapshotDisk(join(dir, 'out')));

    // What the finished build must leave: the same fleet with every host's HTTP port changed, built afresh.
    const reference = tempDir();
    writeScaleFleet(reference, HOSTS, { port: 8081 });
    await built(reference);
    const after = contentOf(snapshotDisk(join(reference, 'out')));

    writeScaleFleet(dir, HOSTS, { port: 8081, withSecrets: false });
    const { signal, temps } = await buildKilledWhileWriting(dir, 'out/cloud-init', file);
    expect(signal, 'the build finished before it could be killed: raise HOSTS').toBe('SIGKILL');
    expect(temps.length).toBeGreaterThan(0);

    const interrupted = contentOf(snapshotDisk(join(dir, 'out')));
    for (const [path, entry] of Object.entries(interrupted)) {
      if (tempFileOf(basename(path)) !== undefined) continue; // a temp file the kill left: never read as output
      expect([before[path], after[path]], path).toContain(entry);
    }

    await built(dir);
    expect(contentOf(snapshotDisk(join(dir, 'out')))).toEqual(after);
    const check = await fleetgen(['build', 'fleet.yaml', '--check'], { cwd: dir, timeoutMs: 120_000 });
    expect(check.status, check.stdout + check.stderr).toBe(0);
  }, 300_000);

  it('while a first build writes its new folders (each made whole in a temp folder): shows nothing of its own but what it had put in place, and the next build completes out/ exactly, leaving no temp folder', async () => {
    const dir = tempDir();
    writeScaleFleet(dir, HOSTS, { port: 8080 });
    const reference = tempDir();
    writeScaleFleet(reference, HOSTS, { port: 8080 });
    await built(reference);
    const after = contentOf(snapshotDisk(join(reference, 'out')));

    // Killed once the temp folder of out/cloud-init/ is there: its files are being written, or have been.
    const { signal, temps } = await buildKilledWhileWriting(dir, 'out', 'cloud-init');
    expect(signal, 'the build finished before it could be killed: raise HOSTS').toBe('SIGKILL');
    expect(temps.length).toBeGreaterThan(0);

    // Outside the temp folders, only what the finished build leaves (out/.gitignore, and whatever folder the kill
    // let go into place): nothing half-made.
    const interrupted = contentOf(snapshotDisk(join(dir, 'out')));
    for (const [path, entry] of Object.entries(interrupted)) {
      if (path.split('/').some((name) => tempFileOf(name) !== undefined)) continue;
      expect(after[path], path).toBe(entry);
    }

    await built(dir);
    expect(contentOf(snapshotDisk(join(dir, 'out')))).toEqual(after);
    const check = await fleetgen(['build', 'fleet.yaml', '--check'], { cwd: dir, timeoutMs: 120_000 });
    expect(check.status, check.stdout + check.stderr).toBe(0);
  }, 300_000);
});
