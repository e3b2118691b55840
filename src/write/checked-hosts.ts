/**
 * out/.fleetgen-cache/checked.json: the hosts that passed the host rules, as validate/host-checks.ts remembers them;
 * and beside it secret-stamps.json: the secret files whose answers a stat confirms (validate/secret-file-answers.ts),
 * apart because it changes far less often than the hosts do (a rebuild after one host's entry changed rewrites
 * checked.json, not the stamps of 10,000 files). Part of the build cache (cache.ts): 0600 (digests over secrets), and
 * anything wrong with either — missing, damaged, another version — only means every host is checked, or every
 * secret file read.
 *
 *   checked.json: {"version": 1, "generator": "<generatorDigest>", "frame": "<digest of the frame's text>",
 *                  "hosts": [["<digest of an entry's text>", "<digest of the answers>", "<ref>", …], …]}
 *   secret-stamps.json: {"version": 1, "generator": "<generatorDigest>", "reader": "<uid:gid:groups>",
 *                  "base": "<the folder file references are relative to>", "refs": ["file:<path>", …],
 *                  "answers": ["<digest of the answer>", …], "stamps": [dev, ino, mode, size, mtimeMs, ctimeMs, …]}
 *   (the stamps six numbers a file, flat: 10,000 files parse faster as one list than as 10,000)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckedHost, CheckedHosts } from '../validate/host-checks.js';
import type { KnownFile, KnownFiles } from '../validate/secret-file-answers.js';
import { writeFileAtomic } from './atomic.js';
import { CACHE_DIR, cacheFolder, textOf } from './cache.js';

const CHECKED_FILE = 'checked.json';
const FORMAT_VERSION = 1;
const STAMPS_FILE = 'secret-stamps.json';
const STAMPS_VERSION = 1;
const STAMP_FIELDS = 6;

/** What the last build remembered; undefined when there is nothing usable. */
export function readCheckedHosts(outDir: string): CheckedHosts | undefined {
  const hosts = readHosts(outDir);
  const files = readSecretStamps(outDir);
  if (files === undefined) return hosts;
  // Stamps without hosts still save the reading (hosts remembered for no generator are not used).
  return { ...(hosts ?? { generator: '', frame: '', hosts: new Map() }), files };
}

function readHosts(outDir: string): CheckedHosts | undefined {
  const data = readJson(join(outDir, CACHE_DIR, CHECKED_FILE));
  if (!isObject(data) || data.version !== FORMAT_VERSION || typeof data.generator !== 'string' || typeof data.frame !== 'string' || !Array.isArray(data.hosts)) return undefined;
  const hosts = new Map<string, CheckedHost>();
  // Indexed, with no closure or spread per entry: a rebuild of 10,000 hosts reads 10,000 of them.
  const entries = data.hosts as unknown[];
  for (let index = 0; index < entries.length; index++) {
    const entry: unknown = entries[index];
    if (!Array.isArray(entry) || entry.length < 2) return undefined;
    for (let i = 0; i < entry.length; i++) if (typeof entry[i] !== 'string') return undefined;
    const key = entry[0] as string;
    if (hosts.has(key)) return undefined;
    hosts.set(key, { answers: entry[1] as string, refs: entry.slice(2) as string[] });
  }
  return { generator: data.generator, frame: data.frame, hosts };
}

/** The secret files known by their stat (secret-stamps.json); undefined when there is no usable list. */
export function readSecretStamps(outDir: string): KnownFiles | undefined {
  const data = readJson(join(outDir, CACHE_DIR, STAMPS_FILE));
  if (!isObject(data) || data.version !== STAMPS_VERSION) return undefined;
  const { generator, reader, base, refs, answers, stamps } = data;
  if (typeof generator !== 'string' || typeof reader !== 'string' || typeof base !== 'string') return undefined;
  if (!Array.isArray(refs) || !Array.isArray(answers) || !Array.isArray(stamps) || answers.length !== refs.length || stamps.length !== refs.length * STAMP_FIELDS) return undefined;
  const files = new Map<string, KnownFile>();
  for (let i = 0; i < refs.length; i++) {
    const ref: unknown = refs[i];
    const answer: unknown = answers[i];
    if (typeof ref !== 'string' || typeof answer !== 'string' || files.has(ref)) return undefined;
    const at = i * STAMP_FIELDS;
    const dev: unknown = stamps[at];
    const ino: unknown = stamps[at + 1];
    const mode: unknown = stamps[at + 2];
    const size: unknown = stamps[at + 3];
    const mtimeMs: unknown = stamps[at + 4];
    const ctimeMs: unknown = stamps[at + 5];
    if (!isNumber(dev) || !isNumber(ino) || !isNumber(mode) || !isNumber(size) || !isNumber(mtimeMs) || !isNumber(ctimeMs)) return undefined;
    files.set(ref, { answer, stamp: { dev, ino, mode, size, mtimeMs, ctimeMs } });
  }
  return { generator, reader, base, files };
}

/**
 * Writes what this build remembers, when it changed (the stamps only when they did); a file that cannot be written
 * only costs the next build the checks.
 */
export function writeCheckedHosts(outDir: string, remembered: { checked: CheckedHosts; isChanged: boolean }): void {
  if (!remembered.isChanged) return;
  const { generator, frame, hosts, files } = remembered.checked;
  const entries: string[][] = [];
  // Map.forEach: for every host of a rebuild, mostly in code V8 has not optimized yet, where a for-of makes an iterator
  // and a result per entry (write/tiering.ts).
  hosts.forEach((host, key) => entries.push([key, host.answers, ...host.refs]));
  try {
    writeFileAtomic(join(cacheFolder(outDir), CHECKED_FILE), JSON.stringify({ version: FORMAT_VERSION, generator, frame, hosts: entries }), { mode: 0o600 });
    if (files !== undefined && files.isChanged !== false) writeStamps(outDir, files);
  } catch {
    // see above
  }
}

function writeStamps(outDir: string, known: KnownFiles): void {
  const refs: string[] = [];
  const answers: string[] = [];
  const stamps: number[] = [];
  known.files.forEach(({ answer, stamp }, ref) => {
    refs.push(ref);
    answers.push(answer);
    stamps.push(stamp.dev, stamp.ino, stamp.mode, stamp.size, stamp.mtimeMs, stamp.ctimeMs);
  });
  const { generator, reader, base } = known;
  writeFileAtomic(join(cacheFolder(outDir), STAMPS_FILE), JSON.stringify({ version: STAMPS_VERSION, generator, reader, base, refs, answers, stamps }), { mode: 0o600 });
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(textOf(readFileSync(path)));
  } catch {
    return undefined;
  }
}

function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
