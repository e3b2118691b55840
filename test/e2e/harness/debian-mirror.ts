/**
 * The Debian mirror this machine already uses, read from its own apt sources: the repository never names a
 * mirror host (CI machines and laptops each have their own).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const SOURCES_DIR = '/etc/apt/sources.list.d';

/**
 * The Debian archive for `suite`: the first `deb` source that names it (deb822 `.sources` first, then
 * `sources.list`), else the archive the machine's own release comes from (the source of its codename, component
 * `main`), which serves every release Debian still publishes (bullseye and trixie on a bookworm machine).
 */
export function machineDebianMirror(suite: string): string {
  const sources = debSources().filter((s) => s.components.includes('main'));
  const codename = /^VERSION_CODENAME=(\S+)$/m.exec(existsSync('/etc/os-release') ? readFileSync('/etc/os-release', 'utf8') : '')?.[1];
  const exact = sources.filter((s) => s.suites.includes(suite));
  const archive = sources.filter((s) => codename !== undefined && s.suites.includes(codename));
  const mirror = [...exact, ...archive].flatMap((s) => s.uris).find((uri) => /^https?:\/\//.test(uri));
  if (!mirror) {
    throw new Error(`no Debian archive in ${SOURCES_DIR}/*.sources or /etc/apt/sources.list: the e2e base roots are built from the mirror this machine uses`);
  }
  return mirror;
}

/** The machine's `deb` sources: their URIs, suites and components. */
function debSources(): { uris: string[]; suites: string[]; components: string[] }[] {
  const found: { uris: string[]; suites: string[]; components: string[] }[] = [];
  if (existsSync(SOURCES_DIR)) {
    for (const name of readdirSync(SOURCES_DIR).filter((n) => n.endsWith('.sources')).sort()) {
      for (const stanza of readFileSync(join(SOURCES_DIR, name), 'utf8').split(/\n\s*\n/)) {
        const fields = deb822Fields(stanza);
        const types = (fields.get('types') ?? '').split(/\s+/);
        const suites = (fields.get('suites') ?? '').split(/\s+/);
        if (fields.get('enabled') === 'no' || !types.includes('deb')) continue;
        const components = (fields.get('components') ?? '').split(/\s+/);
        found.push({ uris: (fields.get('uris') ?? '').split(/\s+/).filter(Boolean), suites, components });
      }
    }
  }
  if (existsSync('/etc/apt/sources.list')) {
    for (const line of readFileSync('/etc/apt/sources.list', 'utf8').split('\n')) {
      const match = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)((?:\s+\S+)*)/.exec(line.trim());
      if (match?.[1] && match[2]) found.push({ uris: [match[1]], suites: [match[2]], components: (match[3] ?? '').trim().split(/\s+/) });
    }
  }
  return found;
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
