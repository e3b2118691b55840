import { describe, expect, it } from 'vitest';
import type { CachedFile, CachedPart } from '../../src/write/cache.js';
import { isNewPathOf, ProducedFiles } from '../../src/write/produced.js';
import type { RecordedFile } from '../../src/write/state.js';

function cachedFile(path: string): CachedFile {
  return { path, mode: 0o644, isSecret: false, isKeptOutOfGit: false, size: 1, mtimeMs: 1, ino: 1 };
}

function part(...paths: string[]): CachedPart {
  return { fingerprint: 'f', warnings: [], files: paths.map(cachedFile) };
}

function placed(path: string): RecordedFile {
  return { path, mode: 0o600, isSecret: true, isKeptOutOfGit: true };
}

describe('the files a build produces', () => {
  it('holds the files placed one by one and those of the parts reused, counted and listed', () => {
    const produced = new ProducedFiles();
    const web1 = part('chef/nodes/web-1.json', 'cloud-init/web-1.yaml');
    produced.place(placed('.gitignore'));
    produced.reuse('chef', web1);
    produced.place(placed('chef/nodes/web-2.json'));
    produced.reuse('cloud-init', part('cloud-init/web-2.yaml'));

    expect(produced.size).toBe(5);
    expect([...produced.reused()].map((reused) => reused.files.length)).toEqual([2, 1]);
    expect(produced.isReused(web1)).toBe(true);
    expect(produced.isReused(part('chef/nodes/web-1.json', 'cloud-init/web-1.yaml'))).toBe(false);
    expect([...produced.reusedFileCounts()]).toEqual([
      ['chef', 2],
      ['cloud-init', 1],
    ]);
    expect([...produced.paths()].sort()).toEqual(['.gitignore', 'chef/nodes/web-1.json', 'chef/nodes/web-2.json', 'cloud-init/web-1.yaml', 'cloud-init/web-2.yaml']);
    expect(produced.get('cloud-init/web-1.yaml')).toBe(web1.files[1]);
    expect(produced.get('chef/nodes/web-2.json')).toEqual(placed('chef/nodes/web-2.json'));
    expect(produced.get('chef/nodes/web-3.json')).toBeUndefined();
  });

  it('tells a placed file from a reused one: a reused part is asked only about the files placed', () => {
    const produced = new ProducedFiles();
    produced.reuse('chef', part('chef/nodes/web-1.json'));
    produced.place(placed('chef/nodes/web-2.json'));

    expect(produced.isPlaced('chef/nodes/web-2.json')).toBe(true);
    expect(produced.isPlaced('chef/nodes/web-1.json')).toBe(false);
    expect(produced.placedFile('chef/nodes/web-2.json')?.isSecret).toBe(true);
    expect(produced.placedFile('chef/nodes/web-1.json')).toBeUndefined();
    expect(produced.isReusedIndexed).toBe(false);
  });

  it('finds a path a reused part has without indexing them when the path is one its own former part had', () => {
    const produced = new ProducedFiles();
    for (let host = 0; host < 100; host++) produced.reuse('chef', part(`chef/nodes/web-${host}.json`));
    const former = part('chef/nodes/changed.json');

    // A one-host rebuild: the host's files come back at the paths its former part had, and no reused part is indexed.
    expect(produced.has('chef/nodes/changed.json', isNewPathOf('chef/nodes/changed.json', former))).toBe(false);
    expect(produced.isReusedIndexed).toBe(false);
    produced.place(placed('chef/nodes/changed.json'), false);
    expect(produced.has('chef/nodes/changed.json', isNewPathOf('chef/nodes/changed.json', former))).toBe(true);
    expect(produced.isReusedIndexed).toBe(false);
    // Placed at a path its former part had: no reused part of its target can list it.
    expect(produced.hasNewPathIn('chef')).toBe(false);
    produced.place(placed('chef/nodes/added.json'), isNewPathOf('chef/nodes/added.json', former));
    expect([produced.hasNewPathIn('chef'), produced.hasNewPathIn('ansible')]).toEqual([true, false]);
  });

  it('looks any other path up among the reused parts, and keeps that index up to date as more are reused', () => {
    const produced = new ProducedFiles();
    produced.reuse('chef', part('chef/nodes/web-1.json'));

    // A new host (no former part) or a path its former part did not have: every reused part is asked.
    expect(produced.has('chef/nodes/web-1.json')).toBe(true);
    expect(produced.isReusedIndexed).toBe(true);
    expect(produced.has('chef/nodes/web-1.json', isNewPathOf('chef/nodes/web-1.json', part('chef/nodes/other.json')))).toBe(true);
    expect(produced.has('chef/nodes/web-2.json')).toBe(false);
    produced.reuse('chef', part('chef/nodes/web-2.json'));
    expect(produced.has('chef/nodes/web-2.json')).toBe(true);
    expect(produced.get('chef/nodes/web-2.json')?.path).toBe('chef/nodes/web-2.json');
  });

  it('asks no reused part before any is reused', () => {
    const produced = new ProducedFiles();
    expect(produced.has('chef/nodes/web-1.json')).toBe(false);
    expect(produced.get('chef/nodes/web-1.json')).toBeUndefined();
    expect(produced.isReusedIndexed).toBe(false);
  });
});
