/**
 * A one-line status on the terminal while a long build runs ("writing out/: 12000/30045 files"), rewritten in
 * place and cleared before the result is printed. Only on a terminal: when stderr is a pipe or a file (CI logs,
 * `2>build.log`) nothing is shown, so logs hold only the result and the warnings.
 */
import type { CliIo } from './context.js';

/** Rewrites of the line are at most this often: a terminal is not a log. */
const INTERVAL_MS = 100;

export class Progress {
  private shownAt = -Infinity;
  private isShown = false;

  constructor(private readonly io: CliIo) {}

  /** `label` alone, or `label: done/total unit`; shown at once the first time, then at most every 100 ms. */
  report(label: string, count?: { done: number; total: number; unit: string }): void {
    const { status } = this.io;
    if (!status) return;
    const now = Date.now();
    const isLast = count !== undefined && count.done === count.total;
    if (this.isShown && now - this.shownAt < INTERVAL_MS && !isLast) return;
    this.shownAt = now;
    this.isShown = true;
    status(count ? `${label}: ${count.done}/${count.total} ${count.unit}` : `${label}…`);
  }

  /** The same io, with the status line removed before anything is printed, so that no output lands on it. */
  wrap(io: CliIo): CliIo {
    return {
      ...io,
      stdout: (text) => {
        this.clear();
        io.stdout(text);
      },
      stderr: (text) => {
        this.clear();
        io.stderr(text);
      },
    };
  }

  /** Removes the status line, before anything else is printed. */
  clear(): void {
    if (this.isShown) this.io.status?.(undefined);
    this.isShown = false;
  }
}

/** Writes a status line to a terminal stream: `\r`, the text cut to the width, then clear to the end of the line. */
export function terminalStatus(stream: NodeJS.WriteStream): (text: string | undefined) => void {
  return (text) => {
    const width = Math.max(20, (stream.columns || 80) - 1);
    stream.write(text === undefined ? '\r\x1b[K' : `\r${text.length > width ? `${text.slice(0, width - 1)}…` : text}\x1b[K`);
  };
}
