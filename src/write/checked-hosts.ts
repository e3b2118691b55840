/**
 * out/.fleetgen-cache/checked.json: the hosts that passed the host rules, as validate/host-checks.ts remembers them.
 * Part of the build cache (cache.ts): 0600 (digests over secrets), and anything wrong with it — missing, damaged,
 * another version — only means every host is checked.
 *
 *   {"version": 2, "generator": "<generatorDigest>", "frame": "<digest of the frame's text>",
 *    "hosts": [["<digest of an entry's text>", "<digest of the answers>", "<ref>", …], …],
 *    "reader": "<uid:gid:groups>", "base": "<the folder file references are relative to>",
 *    "files": [["<ref>", "<absolute path>", "<digest of its answer>", dev, ino, mode, size, mtimeMs, ctimeMs], …]}
 *
 * "files" are the secret files whose answers a stat confirms (validate/secret-file-answers.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckedHost, CheckedHosts } from '../validate/host-checks.js';
import type { KnownFile } from '../validate/secret-file-answers.js';
import { writeFileAtomic } from './atomic.js';
import { CACHE_DIR, cacheFolder } from './cache.js';

const CHECKED_FILE = 'checked.json';
const FORMAT_VERSION = 2;

/** What the last build remembered; undefined when there is nothing usable. */
export function readCheckedHosts(outDir: string): CheckedHosts | undefined {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(join(outDir, CACHE_DIR, CHECKED_FILE), 'utf8'));
  } catch {
    return undefined;
  }
  if (!isObject(data) || data.version !== FORMAT_VERSION || typeof data.generator !== 'string' || typeof data.frame !== 'string' || !Array.isArray(data.hosts)) return undefined;
  const hosts = new Map<string, CheckedHost>();
  for (const entry of data.hosts as unknown[]) {
    if (!Array.isArray(entry) || entry.length < 2 || !entry.every((item) => typeof item === 'string')) return undefined;
    const [key, answers, ...refs] = entry as string[];
    if (key === undefined || answers === undefined || hosts.has(key)) return undefined;
    hosts.set(key, { answers, refs });
  }
  const files = new Map<string, KnownFile>();
  if (typeof data.reader !== 'string' || typeof data.base !== 'string' || !Array.isArray(data.files)) return undefined;
  for (const entry of data.files as unknown[]) {
    if (!Array.isArray(entry) || entry.length !== 9) return undefined;
    const [ref, path, answer, ...numbers] = entry as unknown[];
    if (typeof ref !== 'string' || typeof path !== 'string' || typeof answer !== 'string' || files.has(ref)) return undefined;
    if (!numbers.every((n): n is number => typeof n === 'number' && Number.isFinite(n))) return undefined;
    const [dev = 0, ino = 0, mode = 0, size = 0, mtimeMs = 0, ctimeMs = 0] = numbers;
    files.set(ref, { path, answer, stamp: { dev, ino, mode, size, mtimeMs, ctimeMs } });
  }
  return { generator: data.generator, frame: data.frame, hosts, files: { reader: data.reader, base: data.base, files } };
}

/** Writes what this build remembers, when it changed; a file that cannot be written only costs the next build the checks. */
export function writeCheckedHosts(outDir: string, remembered: { checked: CheckedHosts; isChanged: boolean }): void {
  if (!remembered.isChanged) return;
  const { generator, frame, hosts, files } = remembered.checked;
  const entries: string[][] = [];
  for (const [key, host] of hosts) entries.push([key, host.answers, ...host.refs]);
  const fileEntries: (string | number)[][] = [];
  for (const [ref, { path, answer, stamp }] of files?.files ?? []) {
    fileEntries.push([ref, path, answer, stamp.dev, stamp.ino, stamp.mode, stamp.size, stamp.mtimeMs, stamp.ctimeMs]);
  }
  const data = { version: FORMAT_VERSION, generator, frame, hosts: entries, reader: files?.reader ?? '', base: files?.base ?? '', files: fileEntries };
  try {
    writeFileAtomic(join(cacheFolder(outDir), CHECKED_FILE), JSON.stringify(data), { mode: 0o600 });
  } catch {
    // see above
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
