/**
 * `build --check` is what CI runs to prove that the committed out/ is up to date. That holds only if it passes exactly
 * when a following `build` would change nothing: a check that passes while the next build rewrites a file leaves CI
 * green and `git status` dirty after a build. Stated here directly, over out/ states a repository meets: for each, the
 * check passes iff the build then changes no byte (and no executable bit) of out/ outside the build cache, and the
 * check lists exactly the files the build changes.
 */
import { chmodSync, cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CACHE_DIR } from '../../src/write/cache.js';
import { readState, STATE_FILE } from '../../src/write/state.js';
import { asVersion1 } from '../support/state-version-1.js';
import { snapshotDisk } from '../write/disk.js';
import { copyExample, fleetgen, tempDir } from './fleetgen.js';

interface OutState {
  name: string;
  /** Brings a copy of a freshly built out/ into this state. */
  make: (out: string) => void;
  /** What a build then changes (relative to out/): empty when out/ is up to date. */
  changes: string[];
  /** The files compared: every file outside the cache unless a state says otherwise. */
  isCompared?: (path: string, out: string) => boolean;
}

const editRecord = (out: string, edit: (text: string) => string): void => {
  const path = join(out, STATE_FILE);
  const text = readFileSync(path, 'utf8');
  const edited = edit(text);
  expect(edited, 'the edit changed nothing').not.toBe(text);
  writeFileSync(path, edited);
};

/** Files the record marks git-ignored: a fresh clone has none of them, and `--check` does not ask for them. */
const isCommitted = (path: string, out: string): boolean => !readState(out).state.files.some((f) => f.isKeptOutOfGit && f.path === path);

const STATES: OutState[] = [
  { name: 'as a build left it', make: () => {}, changes: [] },
  {
    name: 'a fresh clone: no git-ignored file, no cache',
    make: (out) => {
      for (const file of readState(out).state.files) if (file.isKeptOutOfGit) rmSync(join(out, file.path));
      rmSync(join(out, CACHE_DIR), { recursive: true });
    },
    changes: [],
    isCompared: isCommitted,
  },
  {
    name: 'the record in format 1, as an earlier fleetgen wrote it',
    make: (out) => writeFileSync(join(out, STATE_FILE), asVersion1(readState(out).state, (path) => readFileSync(join(out, path)))),
    changes: [STATE_FILE],
  },
  {
    name: 'the record with a line removed',
    make: (out) => editRecord(out, (text) => text.replace(/^ {4}\["ssh\/config".*\n/m, '')),
    changes: [STATE_FILE],
  },
  {
    name: 'the record laid out otherwise (same entries, same order)',
    make: (out) => editRecord(out, (text) => JSON.stringify(JSON.parse(text), null, 2) + '\n'),
    changes: [STATE_FILE],
  },
  {
    name: 'the record with two entries swapped',
    make: (out) =>
      editRecord(out, (text) => {
        const lines = text.split('\n');
        const first = lines.findIndex((line) => line.startsWith('    ["ansible/'));
        [lines[first], lines[first + 1]] = [lines[first + 1] ?? '', lines[first] ?? ''];
        return lines.join('\n');
      }),
    changes: [STATE_FILE],
  },
  {
    name: 'a committed file edited by hand',
    make: (out) => writeFileSync(join(out, 'ssh/config'), readFileSync(join(out, 'ssh/config'), 'utf8') + '# edited by hand\n'),
    changes: ['ssh/config'],
  },
  { name: 'a committed file made executable', make: (out) => chmodSync(join(out, 'ssh/config'), 0o755), changes: ['ssh/config'] },
  { name: 'a file of the user’s own beside the generated ones', make: (out) => writeFileSync(join(out, 'ssh/notes.txt'), 'mine\n'), changes: [] },
  { name: 'a target’s .gitignore removed', make: (out) => rmSync(join(out, 'cloud-init/.gitignore')), changes: ['cloud-init/.gitignore'] },
  {
    name: 'a temp file that a killed build left (a killed build leaves no cache)',
    make: (out) => {
      writeFileSync(join(out, 'ssh/.config.4242.0123456789ab.tmp'), 'half a file');
      rmSync(join(out, CACHE_DIR), { recursive: true });
    },
    changes: ['ssh/.config.4242.0123456789ab.tmp'],
  },
];

/** Each file's bytes and whether it is executable (all that git keeps of a mode), the build cache and folders aside. */
function contentOf(out: string, isCompared: (path: string, out: string) => boolean): Map<string, string> {
  const entries = Object.entries(snapshotDisk(out)).filter(([path]) => !path.endsWith('/') && !path.startsWith(`${CACHE_DIR}/`) && isCompared(path, out));
  return new Map(entries.map(([path, entry]) => [path, `${(entry.mode & 0o111) !== 0 ? 'x' : '-'} ${entry.bytes}`]));
}

function changedBetween(before: Map<string, string>, after: Map<string, string>): string[] {
  return [...new Set([...before.keys(), ...after.keys()])].filter((path) => before.get(path) !== after.get(path)).sort();
}

describe('build --check passes exactly when a following build changes nothing in out/', () => {
  let built: string;
  beforeAll(async () => {
    built = copyExample({ withLock: true });
    const build = await fleetgen(['build', 'fleet.yaml'], { cwd: built });
    expect(build.status, build.stderr).toBe(0);
  });

  it.each(STATES)('$name', async ({ make, changes, isCompared = () => true }) => {
    const dir = tempDir();
    cpSync(built, dir, { recursive: true });
    // A build in the copy records its files' stats in the build cache, as in a checkout where builds ran before.
    expect((await fleetgen(['build', 'fleet.yaml'], { cwd: dir })).status).toBe(0);
    const out = join(dir, 'out');
    make(out);

    const check = await fleetgen(['build', 'fleet.yaml', '--check'], { cwd: dir });
    expect([0, 1], check.stderr).toContain(check.status);
    const listed = [...check.stdout.matchAll(/^ {2}\S+ +out\/(\S+)/gm)].map((match) => match[1]);

    const before = contentOf(out, isCompared);
    const build = await fleetgen(['build', 'fleet.yaml'], { cwd: dir });
    expect(build.status, build.stderr).toBe(0);
    const changed = changedBetween(before, contentOf(out, isCompared));

    expect({ passes: check.status === 0, listed, changed }).toEqual({ passes: changed.length === 0, listed: changed, changed: changes });
  });
});
