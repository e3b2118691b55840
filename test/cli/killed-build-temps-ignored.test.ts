/**
 * A build killed between writing a temp file and renaming it into place (kill -9, OOM, Ctrl-C) leaves the temp file
 * in out/ until the next build removes it; the temp copy of a clear-text secret holds the secret. So does a build
 * killed before renaming a new folder's temp folder into place, with every file in it. Stated with the real git: after
 * such a build, `git add out/` stages none of fleetgen's temp files, nor anything in its temp folders, whatever the
 * target, and still every file the README says to commit (and nothing a user keeps beside them is ignored by mistake).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempFileOf, tempPathOf, tempToken } from '../../src/write/atomic.js';
import { readState, STATE_FILE } from '../../src/write/state.js';
import { stagedByGitAdd } from '../support/git-add.js';
import { copyExample, fleetgen } from './fleetgen.js';

describe('temp files a killed build leaves in out/', () => {
  it('are never staged by git add out/, in any target folder or beside the record, while every committed file is', async () => {
    const dir = copyExample({ withLock: true });
    const build = await fleetgen(['build', 'fleet.yaml'], { cwd: dir });
    expect(build.status, build.stderr).toBe(0);
    const out = join(dir, 'out');
    const recorded = readState(out).state.files;
    const committed = [...recorded.filter((f) => !f.isKeptOutOfGit).map((f) => f.path), STATE_FILE].sort();
    // The fleet has clear-text secrets in Chef, Ansible and cloud-init (the case that matters), and every target.
    for (const folder of ['chef/', 'ansible/', 'cloud-init/']) expect(recorded.some((f) => f.isKeptOutOfGit && f.path.startsWith(folder)), folder).toBe(true);
    const folders = new Set(recorded.map((f) => f.path.split('/')[0]));
    for (const target of ['chef', 'ansible', 'cloud-init', 'ssh', 'terraform']) expect(folders.has(target), target).toBe(true);

    // Beside every file fleetgen wrote (secrets, .gitignore files, the record): a temp file as writeTempFile names it,
    // and, beside a few, with the shortest and the longest process IDs Linux gives.
    const temps: string[] = [];
    for (const path of [...recorded.map((f) => f.path), STATE_FILE]) {
      const temp = tempPathOf(join(out, path), tempToken());
      writeFileSync(temp, 'half a file');
      temps.push(temp);
    }
    for (const path of [STATE_FILE, 'ssh/config', recorded.find((f) => f.path.startsWith('cloud-init/') && f.isKeptOutOfGit)?.path ?? '']) {
      for (const pid of [1, 4194304]) {
        const temp = join(out, dirname(path), `.${basename(path)}.${pid}.${tempToken()}.tmp`);
        writeFileSync(temp, 'half a file');
        temps.push(temp);
      }
    }
    // Beside every folder fleetgen writes into: a temp folder as a build names that of a new folder, holding files (a
    // secret's name among them), in folders of its own too, and a .gitignore that would let git see them all: git looks
    // at nothing inside an ignored folder.
    const writtenInto = new Set(recorded.flatMap((f) => f.path.split('/').slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join('/'))));
    for (const folder of writtenInto) {
      const temp = tempPathOf(join(out, folder), tempToken());
      mkdirSync(join(temp, 'host_vars', 'web-1'), { recursive: true });
      for (const name of ['secrets.yml', 'host_vars/web-1/secrets.yml', 'config']) writeFileSync(join(temp, name), 'a secret\n');
      writeFileSync(join(temp, '.gitignore'), '!*\n');
      temps.push(temp);
    }
    expect(writtenInto.size).toBeGreaterThan(10);
    for (const temp of temps) expect(tempFileOf(basename(temp)), temp).toBeDefined();
    // A user's own files beside them, named almost like temp files, are not fleetgen's: git still sees them.
    const own = ['ssh/notes.tmp', 'ssh/.config.tmp', 'ssh/.config.4242.tmp', 'chef/.metadata.rb.4242.0123456789ab.tmp.orig', 'mine.0123456789ab.tmp'];
    for (const path of own) writeFileSync(join(out, path), 'mine\n');

    expect(await stagedByGitAdd(dir)).toEqual([...committed, ...own].sort());
  });
});
