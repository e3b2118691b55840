/**
 * Creating a folder and its missing parents. Not `mkdirSync(path, { recursive: true })`: on a path below /proc
 * (and other file systems where mkdir says ENOENT for a parent that stat finds) Node's recursive mkdir retries
 * forever at full CPU. Here each missing folder is created once, from the top, and the first failure is thrown.
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** Returns the folders it created, shallowest first. */
export function makeFolders(path: string, mode: number): string[] {
  const missing: string[] = [];
  let current = resolve(path);
  while (!exists(current)) {
    missing.push(current);
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  const created: string[] = [];
  for (const folder of missing.reverse()) {
    try {
      mkdirSync(folder, { mode });
      created.push(folder);
    } catch (err) {
      // Someone else made it in the meantime: that is what was wanted.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || !statSync(folder).isDirectory()) throw err;
    }
  }
  return created;
}

function exists(path: string): boolean {
  try {
    return statSync(path, { throwIfNoEntry: false }) !== undefined;
  } catch {
    return false;
  }
}
