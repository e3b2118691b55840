/**
 * The bench's committed size counts what a user commits of out/: every file `git add out/` stages — each target's
 * files that are not git-ignored and fleetgen's record — and nothing the build's .gitignore files keep out (user-data,
 * clear-text secrets, the build cache). Checked against the record's own flags, which the .gitignore files come from.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { committedPerHost } from '../../bench/committed-size.js';
import { OUT_GITIGNORE } from '../../src/write/out-gitignore.js';
import { readState, STATE_FILE } from '../../src/write/state.js';
import { copyExample, fleetgen } from '../cli/fleetgen.js';

async function builtExample(extra: string[] = []): Promise<string> {
  const dir = copyExample({ withLock: true });
  if (extra.length > 0) writeFileSync(join(dir, 'vault-pass'), 'correct horse battery staple\n');
  const build = await fleetgen(['build', 'fleet.yaml', ...extra], { cwd: dir });
  expect(build.status, build.stderr).toBe(0);
  return dir;
}

/** Bytes of the files the record says are committed (not git-ignored), and of the record itself, by folder. */
function recordedCommittedBytes(dir: string): Map<string, number> {
  const out = join(dir, 'out');
  const bytes = new Map<string, number>([[STATE_FILE, statSync(join(out, STATE_FILE)).size]]);
  for (const file of readState(out).state.files) {
    if (file.isKeptOutOfGit) continue;
    const folder = file.path.split('/')[0] ?? '';
    bytes.set(folder, (bytes.get(folder) ?? 0) + readFileSync(join(out, file.path)).length);
  }
  return bytes;
}

const total = (bytes: ReadonlyMap<string, number>, folders: readonly string[] = [...bytes.keys()]): number => folders.reduce((sum, folder) => sum + (bytes.get(folder) ?? 0), 0);

describe('the committed size that npm run bench:scale reports', () => {
  it('counts every committed file of every target and the record, and nothing git-ignored', async () => {
    const dir = await builtExample();
    const expected = recordedCommittedBytes(dir);
    const measured = await committedPerHost(dir, 1);
    // Of cloud-init/ only its .gitignore: every user-data file holds secrets.
    expect([...measured.byFolder.keys()]).toEqual([STATE_FILE, OUT_GITIGNORE, 'ansible', 'chef', 'cloud-init', 'ssh', 'terraform']);
    expect(measured.byFolder.get('cloud-init')?.bytes).toBe(statSync(join(dir, 'out/cloud-init/.gitignore')).size);
    expect(Object.fromEntries([...measured.byFolder].map(([folder, size]) => [folder, size.bytes]))).toEqual(Object.fromEntries(expected));
    expect(measured.all.bytes).toBe(total(expected));
    expect(measured.chefAndAnsible.bytes).toBe(total(expected, ['chef', 'ansible']));
    expect(measured.all.diskBytes).toBeGreaterThanOrEqual(measured.all.bytes);
  });

  it('counts secrets when they are committed, encrypted (0600 files, not git-ignored), and halves with the hosts', async () => {
    const dir = await builtExample(['--vault-password-file', 'vault-pass']);
    const expected = recordedCommittedBytes(dir);
    const secrets = readState(join(dir, 'out')).state.files.filter((f) => f.path.endsWith('/secrets.yml'));
    expect(secrets.length).toBeGreaterThan(0);
    for (const file of secrets) expect([file.path, file.isKeptOutOfGit, statSync(join(dir, 'out', file.path)).mode & 0o777]).toEqual([file.path, false, 0o600]);
    const measured = await committedPerHost(dir, 2);
    expect(measured.chefAndAnsible.bytes).toBe(total(expected, ['chef', 'ansible']) / 2);
  });
});
