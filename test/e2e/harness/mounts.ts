/**
 * Mount-aware removal: a folder that still has something mounted below it (an overlay root, a /proc a crashed
 * debootstrap left) is unmounted first, deepest mount first, and only then removed — without ever crossing into
 * another file system.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { runSync, trySync } from './run.js';

/** Mount points at or below `path`, deepest first. */
export function mountsBelow(path: string): string[] {
  const root = resolve(path);
  const points = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((p): p is string => p !== undefined)
    .map(unescapeMountPath)
    .filter((p) => p === root || p.startsWith(`${root}/`));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

/** /proc/self/mountinfo writes space, tab, newline and backslash as octal escapes. */
function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

export function unmountBelow(path: string): void {
  for (const point of mountsBelow(path)) {
    const plain = trySync(['umount', point]);
    if (plain.status !== 0) trySync(['umount', '--lazy', point]);
  }
  const left = mountsBelow(path);
  if (left.length > 0) throw new Error(`cannot unmount ${left.join(', ')}`);
}

/** Unmounts everything below `path`, then removes it (never crossing into another file system). */
export function removeTree(path: string): void {
  if (!existsSync(path)) return;
  unmountBelow(path);
  runSync(['rm', '-rf', '--one-file-system', '--', path]);
}
