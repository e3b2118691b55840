import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scaleFleetTunnelId, writeScaleFleet } from '../../bench/scale-fleet.js';
import { MAX_SECRET_BYTES, SecretReader, type SecretLookup, type StatTaken } from '../../src/load/secrets.js';
import { compileFleet } from '../../src/pipeline.js';
import { CACHE_DIR } from '../../src/write/cache.js';
import { writeCheckedHosts } from '../../src/write/checked-hosts.js';
import { readSecretFileList, writeSecretFileList } from '../../src/write/secret-prefetch.js';
import { StatAhead, type StatAheadOptions } from '../../src/write/stat-ahead.js';

const made: string[] = [];
afterAll(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fleetgen-secret-prefetch-'));
  made.push(dir);
  return dir;
}

/**
 * An out/ whose cache starts the stat-ahead thread, holding the list of secret files `paths`. The cache is not one a
 * build wrote (the thread then makes no report on the cached files): only its secret reading is looked at here.
 */
function outWithList(paths: readonly string[]): string {
  const out = join(tempDir(), 'out');
  mkdirSync(join(out, CACHE_DIR), { recursive: true });
  writeFileSync(join(out, CACHE_DIR, 'build.json'), 'not a cache\n');
  writeSecretFileList(out, paths);
  return out;
}

/** The thread, once it has read the secret files and gone on (or stopped): what it sent then does not depend on timing. */
function threadDone(out: string, options: StatAheadOptions = {}, ms = 20_000): StatAhead {
  const statAhead = StatAhead.start(out, { cacheBytesForStatAhead: 0, ...options });
  if (statAhead === undefined) throw new Error(`no stat-ahead thread started for ${out}`);
  statAhead.waitForReport(ms);
  return statAhead;
}

/** A thread that dies while loading (as stat-ahead.test.ts's). */
const dying: StatAheadOptions = { resourceLimits: { maxOldGenerationSizeMb: 1, maxYoungGenerationSizeMb: 1 } };

/** `count` secret files in a fresh folder: their absolute paths, in order. */
function secretFiles(count: number): { dir: string; paths: string[] } {
  const dir = tempDir();
  const paths = Array.from({ length: count }, (_, i) => join(dir, `key-${i}`));
  paths.forEach((path, i) => writeFileSync(path, `secret ${i}\n`));
  return { dir, paths };
}

/** Every lookup's answer as a comparable value (bytes as text). */
function answers(reader: SecretReader, files: readonly string[]): unknown[] {
  return files.map((file) => {
    const lookup: SecretLookup = reader.read({ file });
    return lookup.ok ? { ...lookup, bytes: lookup.bytes.toString('utf8') } : lookup;
  });
}

describe('secret files read ahead on the stat-ahead thread', () => {
  it('hands SecretReader the bytes the thread read, each once, instead of reading the files again', () => {
    // More than one batch's worth.
    const { dir, paths } = secretFiles(600);
    const statAhead = threadDone(outWithList(paths));
    // Changed after the thread read them: what the reader gives can only have come from the thread.
    paths.forEach((path, i) => writeFileSync(path, `changed ${i}\n`));
    const reader = new SecretReader(dir, {}, statAhead.secretFiles);
    const files = paths.map((_, i) => `key-${i}`);
    expect(answers(reader, files)).toEqual(files.map((file, i) => ({ ok: true, value: `secret ${i}\n`, bytes: `secret ${i}\n`, origin: { kind: 'file', file } })));
    expect(statAhead.secretFiles.filesTaken).toBe(600);
    expect(reader.filesRead).toEqual(paths);
    // Taken once: a second reader reads the files itself.
    expect(new SecretReader(dir, {}, statAhead.secretFiles).read({ file: 'key-7' })).toMatchObject({ ok: true, value: 'changed 7\n' });
    statAhead.close();
  });

  it('leaves a file missing, a folder, a FIFO, a too large or an empty file to the build, which says what it says without the thread', () => {
    const { dir, paths } = secretFiles(6);
    const statAheadFor = (): StatAhead => threadDone(outWithList(paths));
    // Read by the last build; since then:
    rmSync(join(dir, 'key-0'));
    rmSync(join(dir, 'key-1'));
    mkdirSync(join(dir, 'key-1'));
    rmSync(join(dir, 'key-2'));
    execFileSync('mkfifo', [join(dir, 'key-2')]);
    truncateSync(join(dir, 'key-3'), MAX_SECRET_BYTES + 1);
    writeFileSync(join(dir, 'key-4'), '');
    const files = ['key-0', 'key-1', 'key-2', 'key-3', 'key-4', 'key-5'];
    const statAhead = statAheadFor();
    const threaded = answers(new SecretReader(dir, {}, statAhead.secretFiles), files);
    expect(threaded.map((lookup) => (lookup as SecretLookup).ok)).toEqual([false, false, false, false, false, true]);
    expect(threaded).toEqual(answers(new SecretReader(dir, {}), files));
    // The thread did read ahead, and sent the one file it could read cleanly.
    expect(statAhead.secretFiles.filesTaken).toBe(1);
    statAhead.close();
  });

  it('changes nothing when the thread dies, or has no usable list', () => {
    const { dir, paths } = secretFiles(3);
    const files = ['key-0', 'key-1', 'key-2'];
    const foreign = outWithList(paths);
    writeFileSync(join(foreign, CACHE_DIR, 'secret-files.json'), JSON.stringify({ version: 1, files: ['key-0'] }));
    const withoutList = outWithList(paths);
    rmSync(join(withoutList, CACHE_DIR, 'secret-files.json'));
    const threads = [threadDone(outWithList(paths), dying, 1000), threadDone(foreign), threadDone(withoutList)];
    paths.forEach((path, i) => writeFileSync(path, `changed ${i}\n`));
    const alone = answers(new SecretReader(dir, {}), files);
    expect(alone).toMatchObject([{ value: 'changed 0\n' }, { value: 'changed 1\n' }, { value: 'changed 2\n' }]);
    for (const statAhead of threads) {
      expect(answers(new SecretReader(dir, {}, statAhead.secretFiles), files)).toEqual(alone);
      expect(statAhead.secretFiles.filesTaken).toBe(0);
      statAhead.close();
    }
  });

  it('stats the files the last build knew by their stat, by the paths validation stats them at, and hands out each stat until closed', () => {
    const { dir, paths } = secretFiles(4);
    mkdirSync(join(dir, 'sub'));
    const stamp = { dev: 1, ino: 2, mode: 0o100600, size: 3, mtimeMs: 4, ctimeMs: 5 };
    const refs = ['file:key-0', `file:${paths[1] as string}`, 'file:sub/../key-2', 'file:missing', 'file:sub'];
    const out = outWithList([]);
    const files = new Map(refs.map((ref) => [ref, { answer: 'digest', stamp }]));
    writeCheckedHosts(out, { checked: { generator: 'g', frame: 'f', hosts: new Map(), files: { generator: 'g', reader: 'r', base: dir, files } }, isChanged: true });
    const statAhead = threadDone(out);
    const prefetch = statAhead.secretFiles;
    const fields = (path: string): StatTaken => {
      const { dev, ino, mode, size, mtimeMs, ctimeMs } = statSync(path);
      return { dev, ino, mode, size, mtimeMs, ctimeMs };
    };
    // As validation resolves each reference from the folder the stamps are for (resolve(): `..` taken out).
    for (const path of [paths[0], paths[1], paths[2], join(dir, 'sub')] as string[]) expect(prefetch.statOf(path), path).toEqual(fields(path));
    // None for a file it could not stat, or did not stat (key-3 is not in the list).
    expect(prefetch.statOf(join(dir, 'missing'))).toBeUndefined();
    expect(prefetch.statOf(paths[3] as string)).toBeUndefined();
    expect(prefetch.statOf(`${dir}/sub/../key-2`)).toBeUndefined();
    prefetch.close();
    expect(prefetch.statOf(paths[0] as string)).toBeUndefined();
    statAhead.close();
  });

  it('hands nothing out once closed (the build has read every secret)', () => {
    const { dir, paths } = secretFiles(3);
    const statAhead = threadDone(outWithList(paths));
    statAhead.secretFiles.close();
    writeFileSync(paths[0] as string, 'changed\n');
    expect(new SecretReader(dir, {}, statAhead.secretFiles).read({ file: 'key-0' })).toMatchObject({ ok: true, value: 'changed\n' });
    statAhead.close();
  });
});

describe('the list of secret files a build read', () => {
  it('is written 0600, and written again only when it changed', () => {
    const out = outWithList(['/fleet/secrets/a.json', '/fleet/secrets/b.json']);
    const path = join(out, CACHE_DIR, 'secret-files.json');
    const first = statSync(path);
    expect(first.mode & 0o777).toBe(0o600);
    expect(readSecretFileList(out)).toEqual(['/fleet/secrets/a.json', '/fleet/secrets/b.json']);
    writeSecretFileList(out, ['/fleet/secrets/a.json', '/fleet/secrets/b.json']);
    const same = statSync(path);
    expect([same.ino, same.mtimeMs]).toEqual([first.ino, first.mtimeMs]);
    writeSecretFileList(out, ['/fleet/secrets/b.json', '/fleet/secrets/a.json']);
    expect(statSync(path).ino).not.toBe(first.ino);
    expect(readSecretFileList(out)).toEqual(['/fleet/secrets/b.json', '/fleet/secrets/a.json']);
  });

  it('is not used when it is not one a build wrote', () => {
    const out = outWithList([]);
    const path = join(out, CACHE_DIR, 'secret-files.json');
    expect(readSecretFileList(out)).toEqual([]);
    for (const text of ['', 'not json', '["/a"]', '{"version":2,"files":["/a"]}', '{"version":1,"files":["a/relative"]}', '{"version":1,"files":[1]}', '{"version":1}']) {
      writeFileSync(path, text);
      expect(readSecretFileList(out), text).toBeUndefined();
    }
    rmSync(path);
    expect(readSecretFileList(out)).toBeUndefined();
  });

  it('holds the absolute paths compileFleet read, never their content; and compileFleet uses the files read ahead', () => {
    const dir = tempDir();
    const manifest = writeScaleFleet(dir, 3);
    const first = compileFleet(manifest, { env: {} });
    const paths = [0, 1, 2].map((i) => join(dir, 'secrets', `${scaleFleetTunnelId(i)}.json`));
    expect(first.secretFilesRead).toEqual(paths);
    const out = outWithList(first.secretFilesRead);
    const listed = readFileSync(join(out, CACHE_DIR, 'secret-files.json'), 'utf8');
    for (const path of paths) {
      const { TunnelSecret, AccountTag } = JSON.parse(readFileSync(path, 'utf8')) as Record<string, string>;
      expect(listed).not.toContain(TunnelSecret);
      expect(listed).not.toContain(AccountTag);
    }
    expect(JSON.parse(listed)).toEqual({ version: 1, files: paths });

    const statAhead = threadDone(out);
    const credentials = readFileSync(paths[1] as string, 'utf8');
    writeFileSync(paths[1] as string, credentials.replace(/"TunnelSecret":"[^"]*"/, '"TunnelSecret":"Y2hhbmdlZA=="'));
    const again = compileFleet(manifest, { env: {}, prefetchedSecrets: statAhead.secretFiles });
    statAhead.close();
    const host = again.fleet.hosts[1];
    expect(host?.tunnel.mode === 'named' && host.tunnel.credentials.value).toBe(credentials);
    expect(statAhead.secretFiles.filesTaken).toBe(3);
  });
});
