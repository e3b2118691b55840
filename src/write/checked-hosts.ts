/**
 * out/.fleetgen-cache/checked.json: the hosts that passed the host rules, as validate/host-checks.ts remembers them.
 * Part of the build cache (cache.ts): 0600 (digests over secrets), and anything wrong with it — missing, damaged,
 * another version — only means every host is checked.
 *
 *   {"version": 1, "generator": "<generatorDigest>", "frame": "<digest of the frame's text>",
 *    "hosts": [["<digest of an entry's text>", "<digest of the answers>", "<ref>", …], …]}
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckedHost, CheckedHosts } from '../validate/host-checks.js';
import { writeFileAtomic } from './atomic.js';
import { CACHE_DIR, cacheFolder } from './cache.js';

const CHECKED_FILE = 'checked.json';
const FORMAT_VERSION = 1;

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
  return { generator: data.generator, frame: data.frame, hosts };
}

/** Writes what this build remembers, when it changed; a file that cannot be written only costs the next build the checks. */
export function writeCheckedHosts(outDir: string, remembered: { checked: CheckedHosts; isChanged: boolean }): void {
  if (!remembered.isChanged) return;
  const { generator, frame, hosts } = remembered.checked;
  const entries: string[][] = [];
  for (const [key, host] of hosts) entries.push([key, host.answers, ...host.refs]);
  try {
    writeFileAtomic(join(cacheFolder(outDir), CHECKED_FILE), JSON.stringify({ version: FORMAT_VERSION, generator, frame, hosts: entries }), { mode: 0o600 });
  } catch {
    // see above
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
