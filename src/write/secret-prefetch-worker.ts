/**
 * The stat-ahead thread's reading of secret files (secret-prefetch.ts has the build's side): the files the last build
 * read, each by the very steps SecretReader takes, posted in batches in the order that build read them — the order in
 * which validation asks for them again. Loaded in the stat-ahead thread only.
 */
import { statSync, type Stats } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { MessagePort } from 'node:worker_threads';
import { readSecretFileAhead } from '../load/secrets.js';
import { readSecretStamps } from './checked-hosts.js';
import { readSecretFileList, SECRET_SIGNAL, STAT_FIELDS, type SecretFileBatch, type SecretPrefetchThreadEnd, type SecretStatsTaken } from './secret-prefetch.js';

/** A few hundred files a message: the first ones reach the build early, and 10,000 files are some 40 messages. */
const BATCH_FILES = 256;
const BATCH_BYTES = 1024 * 1024;
/**
 * Bytes read ahead at most: the build holds what it reads anyway, but a list of large files the manifest no longer
 * references must not double its memory.
 */
const PREFETCH_BYTES = 64 * 1024 * 1024;

export function prefetchSecretFiles(outDir: string, { port, signal: buffer }: SecretPrefetchThreadEnd): void {
  const signal = new Int32Array(buffer);
  try {
    statKnownFiles(outDir, port, signal);
    const paths = readSecretFileList(outDir) ?? [];
    let batch: { paths: string[]; files: Buffer[]; bytes: number } = { paths: [], files: [], bytes: 0 };
    let total = 0;
    const post = (): void => {
      if (batch.paths.length > 0) {
        port.postMessage(...batchMessage(batch.paths, batch.files));
        Atomics.add(signal, SECRET_SIGNAL.batches, 1);
      }
      batch = { paths: [], files: [], bytes: 0 };
    };
    for (let index = 0; index < paths.length; index++) {
      if (Atomics.load(signal, SECRET_SIGNAL.isOver) !== 0 || total >= PREFETCH_BYTES) break;
      // The build asks for the files in about the order of the list (the order the last build read them): those it
      // has asked for already, it has read itself. A thread that fell behind (a busy machine gives it little time)
      // skips them, rather than read what nobody will take.
      index = Math.max(index, Atomics.load(signal, SECRET_SIGNAL.asked));
      const path = paths[index];
      if (path === undefined) break;
      const bytes = readSecretFileAhead(path);
      if (bytes === undefined) continue;
      batch.paths.push(path);
      batch.files.push(bytes);
      batch.bytes += bytes.length;
      total += bytes.length;
      if (batch.paths.length >= BATCH_FILES || batch.bytes >= BATCH_BYTES) post();
    }
    post();
  } finally {
    port.close();
  }
}

/**
 * Stats the secret files the last build knew by their stat (secret-stamps.json), each by the path validation stats
 * (validate/secret-file-answers.ts: the reference resolved from the folder the stamps are for), and posts them in one
 * message: validation compares them with the stamps instead of statting 10,000 files on the build's own thread.
 */
function statKnownFiles(outDir: string, port: MessagePort, signal: Int32Array): void {
  const known = readSecretStamps(outDir);
  if (known === undefined || known.files.size === 0) return;
  const statPaths: string[] = [];
  const stats = new Float64Array(known.files.size * STAT_FIELDS).fill(NaN);
  for (const ref of known.files.keys()) {
    if (Atomics.load(signal, SECRET_SIGNAL.isOver) !== 0) return;
    const file = ref.slice('file:'.length);
    const path = isAbsolute(file) ? file : resolve(known.base, file);
    let stat: Stats | undefined;
    try {
      stat = statSync(path, { throwIfNoEntry: false });
    } catch {
      // left to the build, which stats it itself
    }
    if (stat !== undefined) stats.set([stat.dev, stat.ino, stat.mode, stat.size, stat.mtimeMs, stat.ctimeMs], statPaths.length * STAT_FIELDS);
    statPaths.push(path);
  }
  const message: SecretStatsTaken = { statPaths, stats };
  port.postMessage(message, [stats.buffer]);
  Atomics.add(signal, SECRET_SIGNAL.batches, 1);
}

/** The message and its transfer list: the bytes are copied into a buffer of their own, which is moved, not cloned. */
function batchMessage(paths: string[], files: readonly Buffer[]): [SecretFileBatch, ArrayBuffer[]] {
  // A fresh buffer, not the files' own: a small Buffer is a slice of Node's shared pool, which must not be transferred.
  const bytes = new Uint8Array(files.reduce((sum, file) => sum + file.length, 0));
  const ends = new Uint32Array(files.length);
  let end = 0;
  files.forEach((file, index) => {
    bytes.set(file, end);
    end += file.length;
    ends[index] = end;
  });
  return [{ paths, bytes: bytes.buffer, ends }, [bytes.buffer, ends.buffer]];
}
