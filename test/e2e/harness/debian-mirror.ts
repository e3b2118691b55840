/**
 * The Debian mirror this machine already uses, read from its own apt sources: the repository never names a
 * mirror host (CI machines and laptops each have their own).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const SOURCES_DIR = '/etc/apt/sources.list.d';

/** The first `deb` source of the main Debian archive that serves `suite` (deb822 `.sources` first, then `sources.list`). */
export function machineDebianMirror(suite: string): string {
  const found: string[] = [];
  if (existsSync(SOURCES_DIR)) {
    for (const name of readdirSync(SOURCES_DIR).filter((n) => n.endsWith('.sources')).sort()) {
      for (const stanza of readFileSync(join(SOURCES_DIR, name), 'utf8').split(/\n\s*\n/)) {
        const fields = deb822Fields(stanza);
        const types = (fields.get('types') ?? '').split(/\s+/);
        const suites = (fields.get('suites') ?? '').split(/\s+/);
        if (fields.get('enabled') === 'no' || !types.includes('deb') || !suites.includes(suite)) continue;
        found.push(...(fields.get('uris') ?? '').split(/\s+/).filter(Boolean));
      }
    }
  }
  if (existsSync('/etc/apt/sources.list')) {
    for (const line of readFileSync('/etc/apt/sources.list', 'utf8').split('\n')) {
      const match = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line.trim());
      if (match?.[1] && match[2] === suite) found.push(match[1]);
    }
  }
  const mirror = found.find((uri) => /^https?:\/\//.test(uri));
  if (!mirror) {
    throw new Error(`no Debian mirror for "${suite}" in ${SOURCES_DIR}/*.sources or /etc/apt/sources.list: the e2e base root is built from the mirror this machine uses`);
  }
  return mirror;
}

function deb822Fields(stanza: string): Map<string, string> {
  const fields = new Map<string, string>();
  let last: string | undefined;
  for (const line of stanza.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    if (/^\s/.test(line) && last) {
      fields.set(last, `${fields.get(last) ?? ''} ${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    last = line.slice(0, colon).trim().toLowerCase();
    fields.set(last, line.slice(colon + 1).trim());
  }
  return fields;
}
