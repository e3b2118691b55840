/**
 * Why out/ cannot be written as planned: something on disk is in the way (a link, a folder where a file goes)
 * or fleetgen's own record is unreadable. A user-fixable condition, found before anything is written.
 */
export class OutputError extends Error {
  constructor(
    /** The path on disk the problem is at, as given to planOutput (outDir joined with the relative path). */
    readonly path: string,
    message: string,
    /** What to do about it. */
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'OutputError';
  }
}
