/**
 * Looking at out/ while the manifest is still being read. A rebuild must lstat every file the build cache would
 * reuse (a file edited by hand is not reused: cache.ts) and the folders on the way to them: 70,000 files and 10,000
 * folders at 10,000 hosts, about half a second on the build's own thread. A second thread, started before the
 * manifest is parsed and validated, does it then (look-ahead-worker.ts); the build takes its answers when it
 * decides what to reuse, and looks itself at whatever they do not cover.
 *
 * The answers are what stood in out/ when the build started, which is when a build without them would have looked
 * too, as far as anyone editing out/ can tell: nothing in out/ changes until the build writes. They are used only
 * when the record the thread read is, byte for byte, the one the build read (so that they are in its order), and
 * never wait: a thread that is late, failed or could not start leaves the build looking for itself, as before.
 */
import { constants, lstatSync, type Stats } from 'node:fs';
import { join, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { packageRoot } from '../package-root.js';
import { FILE_SLOTS, LOOK, type LookAheadResult, type LookAheadWorkerData } from './look-ahead-worker.js';
import { statePath, type RecordedFile } from './state.js';

/** What lstat told of a place: enough to tell a file as cached (cache.ts, isAsCached) and a folder on the way. */
export interface Look {
  /** st_mode, with the file type. */
  mode: number;
  size: number;
  mtimeMs: number;
  ino: number;
}

/** A record smaller than this (about 1,000 files) is looked through faster than a thread starts. */
const MIN_RECORD_BYTES = 64 * 1024;

/** As in staging-thread.ts: a module that cannot be loaded must not become an uncaught exception. */
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
import(workerData.module).then((module) => module.lookAhead(workerData), () => workerData.port.close());
`;

export class LookAhead {
  private answer: LookAheadResult | undefined;

  private constructor(
    private readonly port: MessagePort,
    private readonly worker: Worker,
  ) {}

  /**
   * Starts looking at out/ when its record is large enough to be worth a thread (`minRecordBytes`, for tests);
   * undefined otherwise.
   */
  static start(outDir: string, { minRecordBytes = MIN_RECORD_BYTES } = {}): LookAhead | undefined {
    let size: number;
    try {
      size = lstatSync(statePath(outDir), { throwIfNoEntry: false })?.size ?? 0;
    } catch {
      return undefined;
    }
    if (size < minRecordBytes || size === 0) return undefined;
    const base = join(outDir, '.');
    const { port1, port2 } = new MessageChannel();
    const workerData: LookAheadWorkerData & { module: string } = {
      port: port2,
      outPrefix: base.endsWith(sep) ? base : `${base}${sep}`,
      // The compiled module, also under vitest: see staging-thread.ts.
      module: pathToFileURL(join(packageRoot(), 'dist', 'src', 'write', 'look-ahead-worker.js')).href,
    };
    const worker = new Worker(BOOTSTRAP, { eval: true, workerData, transferList: [port2], execArgv: [] });
    worker.on('error', () => {});
    worker.unref();
    return new LookAhead(port1, worker);
  }

  /**
   * The answers for the record the build read (`text`, parsed into `files` in its order), if the thread has given
   * them by now; undefined otherwise. Either way the thread is done with: it is not waited for.
   */
  take(text: string | undefined, files: readonly RecordedFile[]): Looks | undefined {
    this.isAnswered();
    this.port.close();
    void this.worker.terminate();
    const answer = this.answer;
    if (answer === undefined || text === undefined || answer.record !== text || answer.files.length !== files.length * FILE_SLOTS) return undefined;
    return new Looks(answer, files);
  }

  /** Whether the thread has answered by now (it never answers when there is no record it can read). */
  isAnswered(): boolean {
    this.answer ??= receiveMessageOnPort(this.port)?.message as LookAheadResult | undefined;
    return this.answer !== undefined;
  }

  /** When the build does not get as far as take(). */
  close(): void {
    this.port.close();
    void this.worker.terminate();
  }
}

/** The thread's answers, by path. */
export class Looks {
  private readonly indexOf = new Map<string, number>();

  constructor(
    private readonly answer: LookAheadResult,
    files: readonly RecordedFile[],
  ) {
    for (const [index, file] of files.entries()) this.indexOf.set(file.path, index);
  }

  /** What stood at a recorded file's place (undefined: nothing), or 'unknown' when the thread did not look. */
  file(path: string): Look | undefined | 'unknown' {
    const index = this.indexOf.get(path);
    if (index === undefined) return 'unknown';
    const at = index * FILE_SLOTS;
    const { files } = this.answer;
    const mode = files[at] ?? LOOK.unknown;
    if (mode === LOOK.unknown) return 'unknown';
    if (mode === LOOK.absent) return undefined;
    return { mode, size: files[at + 1] ?? 0, mtimeMs: files[at + 2] ?? 0, ino: files[at + 3] ?? 0 };
  }

  /** What stood at a folder's place on the way to a recorded file, as file(). */
  folder(path: string): FolderLook | undefined | 'unknown' {
    const mode = this.answer.folders.get(path);
    if (mode === undefined || mode === LOOK.unknown) return 'unknown';
    if (mode === LOOK.absent) return undefined;
    return new FolderLook(mode);
  }
}

/** The part of Stats that checking a folder on the way uses. */
export class FolderLook implements Pick<Stats, 'isDirectory' | 'isSymbolicLink' | 'isFile'> {
  constructor(private readonly mode: number) {}

  isDirectory(): boolean {
    return (this.mode & constants.S_IFMT) === constants.S_IFDIR;
  }

  isSymbolicLink(): boolean {
    return (this.mode & constants.S_IFMT) === constants.S_IFLNK;
  }

  isFile(): boolean {
    return (this.mode & constants.S_IFMT) === constants.S_IFREG;
  }
}
