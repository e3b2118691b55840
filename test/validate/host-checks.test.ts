import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../src/diagnostics/diagnostic.js';
import { parseManifest } from '../../src/load/manifest.js';
import { ParseCache } from '../../src/load/parse-cache.js';
import { SecretReader, type PrefetchedSecretFiles, type StatTaken } from '../../src/load/secrets.js';
import { HostChecks, type CheckedHosts } from '../../src/validate/host-checks.js';
import { RACY_MARGIN_MS, type KnownFile, type KnownFiles } from '../../src/validate/secret-file-answers.js';
import { fleetSchema, hostListJudgedByEntry } from '../../src/validate/schema.js';
import { validateManifest } from '../../src/validate/validate.js';
import { fixtureEnv } from './run-fixture.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));
const GENERATOR = 'generator-1';

interface Run {
  diagnostics: string[];
  remembered: { checked: CheckedHosts; isChanged: boolean };
  notChecked: number;
  /** The secret files read (absolute paths). */
  filesRead?: readonly string[];
  /** What validateManifest was given, and what it handed on when the schema accepted it. */
  value?: unknown;
  manifest?: unknown;
}

/** Validates as `build` does: read entry by entry, with what an earlier run remembered (if anything). */
function validateWith(
  dir: string,
  text: string,
  earlier: CheckedHosts | undefined,
  options: { env?: Record<string, string>; generator?: string; whole?: boolean; startedAt?: number; racyMarginMs?: number; prefetched?: PrefetchedSecretFiles } = {},
): Run {
  const parsed = parseManifest(text, 'fleet.yaml', options.whole === true ? {} : { cache: new ParseCache() });
  if (!parsed.ok) return { diagnostics: parsed.diagnostics.map(formatDiagnostic), remembered: { checked: { generator: '', frame: '', hosts: new Map() }, isChanged: false }, notChecked: 0 };
  const { startedAt, racyMarginMs } = options;
  const checks = new HostChecks(parsed.manifest.texts, options.generator ?? GENERATOR, earlier, {
    ...(startedAt !== undefined ? { startedAt } : {}),
    ...(racyMarginMs !== undefined ? { racyMarginMs } : {}),
  });
  const reader = new SecretReader(dir, options.env ?? {}, options.prefetched);
  const validation = validateManifest(parsed.manifest.value, parsed.manifest.source, reader, checks);
  return {
    filesRead: reader.filesRead,
    diagnostics: validation.diagnostics.map(formatDiagnostic),
    remembered: checks.toRemember(),
    notChecked: checks.hostsNotChecked,
    value: parsed.manifest.value,
    ...(validation.isSchemaValid ? { manifest: validation.manifest } : {}),
  };
}

/** What `validate` reports: no parse cache, nothing remembered. */
function plain(dir: string, text: string, env: Record<string, string> = {}): string[] {
  const parsed = parseManifest(text, 'fleet.yaml');
  if (!parsed.ok) return parsed.diagnostics.map(formatDiagnostic);
  return validateManifest(parsed.manifest.value, parsed.manifest.source, new SecretReader(dir, env)).diagnostics.map(formatDiagnostic);
}

/** Every fixture with a manifest (invalid and valid): where it is, its text and the environment it runs with. */
function fixtures(): { label: string; dir: string; text: string; env: Record<string, string> }[] {
  return ['invalid', 'valid'].flatMap((kind) =>
    readdirSync(join(FIXTURES, kind)).flatMap((name) => {
      const dir = join(FIXTURES, kind, name);
      if (!existsSync(join(dir, 'fleet.yaml'))) return [];
      return [{ label: `${kind}/${name}`, dir, text: readFileSync(join(dir, 'fleet.yaml'), 'utf8'), env: fixtureEnv(dir) }];
    }),
  );
}

const ID = (n: number): string => `${String(n).repeat(8)}-${String(n).repeat(4)}-4${String(n).repeat(3)}-8${String(n).repeat(3)}-${String(n).repeat(12)}`;
const credentials = (n: number): string => JSON.stringify({ AccountTag: 'fake', TunnelSecret: Buffer.alloc(32, n).toString('base64'), TunnelID: ID(n) });

const made: string[] = [];
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fleetgen-host-checks-'));
  made.push(dir);
  return dir;
}

/** Three clean hosts: named tunnels, host 2's credentials from a file, the others' from the environment. */
function fleet(dir: string, options: { defaults?: string; host2?: string; top?: string } = {}): { text: string; env: Record<string, string> } {
  writeFileSync(join(dir, 'creds-2.json'), credentials(2));
  const text = `version: 1
fleet: acme
zone: example.com
${options.top ?? ''}defaults:
  cloudflared: { version: "2025.8.1" }
  ingress: [{ service: "ssh://localhost:22" }]
${options.defaults ?? ''}hosts:
  - name: store-1
    tunnel: { id: ${ID(1)}, credentials: { env: CREDS_1 } }
  - name: store-2
    tunnel: { id: ${ID(2)}, credentials: { file: creds-2.json } }
${options.host2 ?? ''}  - name: store-3
    tunnel: { id: ${ID(3)}, credentials: { env: CREDS_3 } }
`;
  return { text, env: { CREDS_1: credentials(1), CREDS_3: credentials(3) } };
}

describe('host checks remembered by a build', () => {
  it('find what a run without them finds, for every fixture, on a first run and on the run after it', () => {
    let skipped = 0;
    for (const { label, dir, text, env } of fixtures()) {
      const expected = plain(dir, text, env);
      const first = validateWith(dir, text, undefined, { env });
      expect(first.diagnostics, `${label}, first run`).toEqual(expected);
      const second = validateWith(dir, text, first.remembered.checked, { env });
      expect(second.diagnostics, `${label}, second run`).toEqual(expected);
      skipped += second.notChecked;
    }
    // Not vacuous: the fixtures' clean hosts were not checked again.
    expect(skipped).toBeGreaterThan(10);
  });

  it('does not check again a host whose entry, frame and secrets are as when it was found clean', () => {
    const dir = tempDir();
    const { text, env } = fleet(dir);
    const first = validateWith(dir, text, undefined, { env });
    expect(first.diagnostics).toEqual([]);
    expect(first.notChecked).toBe(0);
    expect(first.remembered.checked.hosts.size).toBe(3);
    expect(first.remembered.isChanged).toBe(true);
    const second = validateWith(dir, text, first.remembered.checked, { env });
    expect(second.notChecked).toBe(3);
    expect(second.remembered.isChanged).toBe(false); // nothing new: the build does not write it again
  });

  it('checks a host again when a secret file it read changed', () => {
    const dir = tempDir();
    const { text, env } = fleet(dir);
    const first = validateWith(dir, text, undefined, { env });
    writeFileSync(join(dir, 'creds-2.json'), credentials(4)); // another tunnel's credentials: the id no longer matches
    const second = validateWith(dir, text, first.remembered.checked, { env });
    expect(second.diagnostics).toEqual(plain(dir, text, env));
    expect(second.diagnostics.join('\n')).toContain('hosts[1].tunnel');
    expect(second.notChecked).toBe(2);
  });

  it('checks a host again when an environment variable it read changed, or is gone', () => {
    const dir = tempDir();
    const { text, env } = fleet(dir);
    const first = validateWith(dir, text, undefined, { env });
    const variants: Record<string, string>[] = [{ ...env, CREDS_3: '{"AccountTag": "fake"}' }, { CREDS_1: env.CREDS_1 ?? '' }];
    for (const changed of variants) {
      const second = validateWith(dir, text, first.remembered.checked, { env: changed });
      expect(second.diagnostics).toEqual(plain(dir, text, changed));
      expect(second.diagnostics.join('\n')).toContain('hosts[2].tunnel.credentials');
      expect(second.notChecked).toBe(2);
    }
  });

  it("checks a host again when its entry changed, and the others' positions do not matter", () => {
    const dir = tempDir();
    const { text, env } = fleet(dir);
    const first = validateWith(dir, text, undefined, { env });
    // Host 2 gains a line (so host 3 moves down) and an ingress rule that cloudflared refuses.
    const edited = fleet(dir, { host2: '    ingress: [{ service: "localhost:22" }]\n' });
    const second = validateWith(dir, edited.text, first.remembered.checked, { env });
    expect(second.diagnostics).toEqual(plain(dir, edited.text, env));
    expect(second.diagnostics.join('\n')).toContain('hosts[1].ingress[0].service');
    expect(second.notChecked).toBe(2);
  });

  it('checks every host again when the frame changed, or fleetgen did', () => {
    const dir = tempDir();
    const { text, env } = fleet(dir);
    const first = validateWith(dir, text, undefined, { env });
    const edited = fleet(dir, { defaults: '  tunnel: { options: { region: us } }\n' });
    const framed = validateWith(dir, edited.text, first.remembered.checked, { env });
    expect(framed.diagnostics).toEqual(plain(dir, edited.text, env));
    expect(framed.notChecked).toBe(0);
    expect(framed.remembered.isChanged).toBe(true);
    const upgraded = validateWith(dir, text, first.remembered.checked, { env, generator: 'generator-2' });
    expect(upgraded.notChecked).toBe(0);
  });

  it('does not remember a host its host rules found something about: it is checked, and reported, every time', () => {
    const dir = tempDir();
    // sshd listens on 22 (ssh.port is not set), the ingress goes to 2222: a warning about host 2.
    const { text, env } = fleet(dir, { host2: '    ingress: [{ service: "ssh://localhost:2222" }]\n' });
    const first = validateWith(dir, text, undefined, { env });
    expect(first.diagnostics.join('\n')).toContain('goes to port 2222');
    expect(first.remembered.checked.hosts.size).toBe(2);
    const second = validateWith(dir, text, first.remembered.checked, { env });
    expect(second.diagnostics).toEqual(first.diagnostics);
    expect(second.notChecked).toBe(2);
  });

  it('trusts what it remembers: a host remembered clean is not checked (which is why the keys must cover every input)', () => {
    const dir = tempDir();
    const { text, env } = fleet(dir, { host2: '    ingress: [{ service: "localhost:22" }]\n' });
    const first = validateWith(dir, text, undefined, { env });
    expect(first.diagnostics.join('\n')).toContain('has no scheme');
    // Forged: host 2's entry remembered as clean, having read what it reads (its credentials file) as it is now.
    const forged = validateWith(dir, fleet(dir).text, undefined, { env }).remembered.checked;
    const host2 = [...forged.hosts.values()].find((host) => host.refs.includes('file:creds-2.json'));
    const parsed = parseManifest(text, 'fleet.yaml', { cache: new ParseCache() });
    const key = parsed.ok ? parsed.manifest.texts?.entries[1] : undefined;
    if (host2 === undefined || key === undefined || !parsed.ok || parsed.manifest.texts === undefined) throw new Error('test setup');
    const trusted = validateWith(dir, text, { generator: GENERATOR, frame: parsed.manifest.texts.frame, hosts: new Map([[key, host2]]) }, { env });
    expect(trusted.notChecked).toBe(1);
    expect(trusted.diagnostics.join('\n')).not.toContain('has no scheme');
  });

  it('remembers nothing for a manifest read whole (no digests of its parts)', () => {
    const dir = tempDir();
    const { text, env } = fleet(dir);
    const first = validateWith(dir, text, undefined, { env });
    const whole = validateWith(dir, text, first.remembered.checked, { env, whole: true });
    expect(whole.notChecked).toBe(0);
    expect(whole.remembered.checked.hosts.size).toBe(0);
  });

  it('checks a host whose remembered secret file moved with the manifest by what the file holds there', () => {
    const dir = tempDir();
    const { text, env } = fleet(dir);
    const first = validateWith(dir, text, undefined, { env });
    const moved = tempDir();
    cpSync(join(dir, 'creds-2.json'), join(moved, 'creds-2.json'));
    expect(validateWith(moved, text, first.remembered.checked, { env }).notChecked).toBe(3);
    rmSync(join(moved, 'creds-2.json'));
    const missing = validateWith(moved, text, first.remembered.checked, { env });
    expect(missing.notChecked).toBe(2);
    expect(missing.diagnostics).toEqual(plain(moved, text, env));
  });
});

/** Whether one host entry passes the schema's host item schema on its own: ajv asked directly, not through fleetgen. */
const isValidHostEntry = (() => {
  const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
  (addFormats as unknown as (ajv: Ajv2020) => Ajv2020)(ajv);
  const schema = fleetSchema();
  ajv.addSchema(schema);
  const validate = ajv.getSchema(`${String(schema.$id)}#/$defs/host`);
  if (validate === undefined) throw new Error('the schema has no $defs/host');
  return (entry: unknown): boolean => validate(entry) === true;
})();

/** A memory that says only that these entries passed the schema: no host rule is skipped (the answers never match). */
function schemaOnly(text: string, indexes: (value: unknown[]) => number[]): CheckedHosts {
  const parsed = parseManifest(text, 'fleet.yaml', { cache: new ParseCache() });
  if (!parsed.ok || parsed.manifest.texts === undefined) throw new Error('test setup: the manifest must be read entry by entry');
  const { texts } = parsed.manifest;
  const hosts = (parsed.manifest.value as { hosts: unknown[] }).hosts;
  return { generator: GENERATOR, frame: texts.frame, hosts: new Map(indexes(hosts).map((i) => [texts.entries[i] ?? '', { refs: [], answers: 'no answers' }])) };
}

describe('the schema, with host checks remembered by a build', () => {
  it('the schema judges each host entry on its own: nothing in it compares entries or reads outside one', () => {
    const schema = fleetSchema();
    expect(hostListJudgedByEntry(schema)).toEqual({ minItems: 1 });
    const properties = schema.properties as Record<string, Record<string, unknown>>;
    const withHostList = (list: Record<string, unknown>): Record<string, unknown> => ({ ...schema, properties: { ...properties, hosts: { ...properties.hosts, ...list } } });
    for (const list of [{ maxItems: 100 }, { uniqueItems: true }, { contains: { required: ['group'] } }, { prefixItems: [{}] }, { unevaluatedItems: false }, { items: true }, { minItems: '1' }]) {
      expect(hostListJudgedByEntry(withHostList(list)), JSON.stringify(list)).toBeUndefined();
    }
    for (const root of [{ allOf: [{}] }, { if: {} }, { dependentSchemas: {} }, { unevaluatedProperties: false }, { patternProperties: {} }, { $ref: '#/$defs/x' }]) {
      expect(hostListJudgedByEntry({ ...schema, ...root }), JSON.stringify(root)).toBeUndefined();
    }
  });

  it('reports what validate reports for every fixture, with every entry the schema accepts remembered, and hands on the same value', () => {
    let fellBack = 0;
    let skipped = 0;
    for (const { label, dir, text, env } of fixtures()) {
      const parsed = parseManifest(text, 'fleet.yaml', { cache: new ParseCache() });
      if (!parsed.ok || parsed.manifest.texts === undefined) continue;
      const valid = (hosts: unknown[]): number[] => hosts.flatMap((host, i) => (isValidHostEntry(host) ? [i] : []));
      const before = structuredClone(parsed.manifest.value);
      const run = validateWith(dir, text, schemaOnly(text, valid), { env });
      expect(run.diagnostics, label).toEqual(plain(dir, text, env));
      if (run.manifest !== undefined) {
        expect(run.manifest, `${label}: the very value parsed`).toBe(run.value);
        expect(run.manifest, `${label}: unchanged`).toEqual(before);
        skipped++;
      } else if (valid((parsed.manifest.value as { hosts: unknown[] }).hosts).length > 0) fellBack++;
    }
    // Not vacuous: both ways were taken, the memory's and the whole manifest's after a finding.
    expect(skipped).toBeGreaterThan(3);
    expect(fellBack).toBeGreaterThan(3);
  });

  it("finds an entry changed since the last build that breaks the schema, with validate's message and position", () => {
    const dir = tempDir();
    const { text, env } = fleet(dir);
    const first = validateWith(dir, text, undefined, { env });
    expect(first.remembered.checked.hosts.size).toBe(3);
    const edited = fleet(dir, { host2: '    colour: blue\n    ssh: { port: "22" }\n' });
    const second = validateWith(dir, edited.text, first.remembered.checked, { env });
    expect(second.diagnostics).toEqual(plain(dir, edited.text, env));
    expect(second.diagnostics).toEqual([
      'fleet.yaml:12:5: error: hosts[1].colour: unknown key "colour" — allowed here: name, group, address, platform, cloudflared, tunnel, ingress, originRequest, ssh, metrics, lockdown, state, access',
      'fleet.yaml:13:18: error: hosts[1].ssh.port: expected a whole number, found a string "22" — Port sshd listens on',
    ]);
  });

  it('checks a changed frame, with every entry remembered', () => {
    const dir = tempDir();
    const { text, env } = fleet(dir);
    const remembered = validateWith(dir, text, undefined, { env }).remembered.checked;
    // Even a memory of this very frame (forged: the frame changed) keeps the frame from being skipped.
    const edited = fleet(dir, { top: 'colour: blue\n' });
    const forged = schemaOnly(edited.text, (hosts) => hosts.map((_, i) => i));
    for (const earlier of [remembered, forged]) {
      const run = validateWith(dir, edited.text, earlier, { env });
      expect(run.diagnostics).toEqual(plain(dir, edited.text, env));
      expect(run.diagnostics.join('\n')).toContain('fleet.yaml:4:1: error: colour: unknown key "colour"');
    }
  });

  it('trusts what it remembers: an entry remembered as passing the schema is not checked by it', () => {
    const dir = tempDir();
    const { text, env } = fleet(dir, { host2: '    colour: blue\n' });
    expect(plain(dir, text, env).join('\n')).toContain('hosts[1].colour: unknown key');
    // Forged: host 2's broken entry remembered, with the two others (so only the frame and one entry are left).
    for (const remembered of [[1], [0, 1, 2]]) {
      const run = validateWith(dir, text, schemaOnly(text, () => remembered), { env });
      expect(run.diagnostics, `remembered ${remembered.join(', ')}`).toEqual([]);
      expect(run.manifest).toBe(run.value);
    }
  });

  it('checks every entry where nothing is remembered, as validate does', () => {
    const dir = tempDir();
    const { text, env } = fleet(dir, { host2: '    colour: blue\n' });
    const broken = validateWith(dir, text, schemaOnly(text, () => [1]), { env, generator: 'generator-2' });
    expect(broken.diagnostics).toEqual(plain(dir, text, env));
    expect(broken.diagnostics.join('\n')).toContain('hosts[1].colour: unknown key');
  });
});

describe('secret files known unchanged by their stat', () => {
  /**
   * A build that begins now, with a margin of MARGIN ms (not RACY_MARGIN_MS's seconds): files changed more than
   * MARGIN ms before can be remembered by stat.
   */
  const MARGIN = 40;
  const now = (): { startedAt: number; racyMarginMs: number } => ({ startedAt: Date.now(), racyMarginMs: MARGIN });
  /** Waits until what was just written is older than MARGIN ms. */
  const settle = (): void => void Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, MARGIN * 2);

  /** A first run over fleet(dir), once its files are old enough to be remembered, and what it remembered of creds-2.json. */
  const rememberedFirst = (dir: string): { text: string; env: Record<string, string>; path: string; first: Run; files: KnownFiles; known: KnownFile } => {
    const { text, env } = fleet(dir);
    settle();
    const first = validateWith(dir, text, undefined, { env, ...now() });
    const files = first.remembered.checked.files;
    const known = files?.files.get('file:creds-2.json');
    if (files === undefined || known === undefined) throw new Error('nothing remembered');
    return { text, env, path: join(dir, 'creds-2.json'), first, files, known };
  };

  it('confirms a remembered host without reading its secret file when the stat shows it unchanged since before that build began', () => {
    const dir = tempDir();
    const { text, env } = fleet(dir);
    settle();
    const first = validateWith(dir, text, undefined, { env, ...now() });
    expect(first.filesRead).toEqual([join(dir, 'creds-2.json')]);
    expect([...(first.remembered.checked.files?.files.keys() ?? [])]).toEqual(['file:creds-2.json']);
    const second = validateWith(dir, text, first.remembered.checked, { env, ...now() });
    expect(second.notChecked).toBe(3);
    expect(second.filesRead).toEqual([]);
    expect(second.remembered.isChanged).toBe(false);
  });

  it('notices a changed secret file even when its size, inode and mtime are as remembered: a change sets the ctime', () => {
    const dir = tempDir();
    const { text, env, path, first, files, known } = rememberedFirst(dir);
    // Another tunnel's credentials, of the same length, written in place: the id no longer matches.
    expect(credentials(4).length).toBe(credentials(2).length);
    writeFileSync(path, credentials(4));
    const after = statSync(path);
    expect([after.ino, after.size]).toEqual([known.stamp.ino, known.stamp.size]);
    // As if the mtime had been put back (touch -r, tar, cp -p): only the ctime tells.
    const memo = { ...files, files: new Map([['file:creds-2.json', { ...known, stamp: { ...known.stamp, mtimeMs: after.mtimeMs } }]]) };
    const second = validateWith(dir, text, { ...first.remembered.checked, files: memo }, { env, ...now() });
    expect(second.filesRead).toEqual([path]);
    expect(second.diagnostics).toEqual(plain(dir, text, env));
    expect(second.diagnostics.join('\n')).toContain('hosts[1].tunnel');
    expect(second.notChecked).toBe(2);
  });

  it('does not remember a file changed too close to when the build began (it may change again within one timestamp tick)', () => {
    const dir = tempDir();
    const { text, env } = fleet(dir);
    settle();
    const ctime = statSync(join(dir, 'creds-2.json')).ctimeMs;
    const racy = validateWith(dir, text, undefined, { env, startedAt: ctime + RACY_MARGIN_MS, racyMarginMs: RACY_MARGIN_MS });
    expect(racy.remembered.checked.files?.files.size).toBe(0);
    const settled = validateWith(dir, text, undefined, { env, startedAt: ctime + RACY_MARGIN_MS + 1, racyMarginMs: RACY_MARGIN_MS });
    expect(settled.remembered.checked.files?.files.size).toBe(1);
    // Not remembered: the next build reads it, and remembers it then if it is old enough by that build's start.
    const next = validateWith(dir, text, racy.remembered.checked, { env, ...now() });
    expect(next.notChecked).toBe(3);
    expect(next.filesRead).toEqual([join(dir, 'creds-2.json')]);
    expect(next.remembered.checked.files?.files.size).toBe(1);
  });

  it('reads the file again when what is remembered of it does not match: another stamp, another user, another folder, another fleetgen', () => {
    const dir = tempDir();
    const { text, env, first, files, known } = rememberedFirst(dir);
    const damaged: KnownFiles[] = [
      ...(['dev', 'ino', 'mode', 'size', 'mtimeMs', 'ctimeMs'] as const).map((field) => ({
        ...files,
        files: new Map([['file:creds-2.json', { ...known, stamp: { ...known.stamp, [field]: known.stamp[field] + 1 } }]]),
      })),
      { ...files, reader: 'someone else' },
      { ...files, base: '/elsewhere' },
      { ...files, generator: 'another fleetgen' },
    ];
    for (const memo of damaged) {
      const run = validateWith(dir, text, { ...first.remembered.checked, files: memo }, { env, ...now() });
      expect(run.filesRead, JSON.stringify(memo, (_, v: unknown) => (v instanceof Map ? [...v] : v))).toEqual([join(dir, 'creds-2.json')]);
      expect(run.notChecked).toBe(3);
    }
  });

  it('takes a stat the build took ahead (on its stat-ahead thread) as its own, and stats the file itself when that one does not vouch for it', () => {
    const dir = tempDir();
    const { text, env, path, first, known } = rememberedFirst(dir);
    const asked: string[] = [];
    const aheadWith = (stat: StatTaken | undefined): PrefetchedSecretFiles => ({ take: () => undefined, statOf: (at) => (asked.push(at), stat) });

    // Taken ahead as remembered, and changed on disk since: only the stat taken ahead can have vouched for it.
    writeFileSync(path, credentials(4));
    const vouched = validateWith(dir, text, first.remembered.checked, { env, ...now(), prefetched: aheadWith(known.stamp) });
    expect(asked).toEqual([path]);
    expect(vouched.filesRead).toEqual([]);
    expect(vouched.notChecked).toBe(3);

    // Taken ahead otherwise (or not at all): the file's own stat decides, and it shows the change.
    for (const stat of [{ ...known.stamp, ino: known.stamp.ino + 1 }, undefined]) {
      const run = validateWith(dir, text, first.remembered.checked, { env, ...now(), prefetched: aheadWith(stat) });
      expect(run.filesRead).toEqual([path]);
      expect(run.notChecked).toBe(2);
    }

    // Put back, unchanged since the first run by its own stat: vouched for by that, whatever was taken ahead.
    writeFileSync(path, credentials(2));
    settle();
    const again = validateWith(dir, text, undefined, { env, ...now() });
    const stale = { ...(again.remembered.checked.files?.files.get('file:creds-2.json')?.stamp ?? known.stamp), ino: -1 };
    const own = validateWith(dir, text, again.remembered.checked, { env, ...now(), prefetched: aheadWith(stale) });
    expect(own.filesRead).toEqual([]);
    expect(own.notChecked).toBe(3);
  });

  it('vouches for a file however its reference spells the path (./, .., a folder), by the path the reader opens', () => {
    const dir = tempDir();
    const fleetText = fleet(dir);
    settle();
    for (const spelling of ['./creds-2.json', 'sub/../creds-2.json', `${dir}/creds-2.json`, `${dir}//creds-2.json`]) {
      const text = fleetText.text.replace('file: creds-2.json', `file: ${spelling}`);
      const first = validateWith(dir, text, undefined, { env: fleetText.env, ...now() });
      expect(first.filesRead, spelling).toHaveLength(1);
      const second = validateWith(dir, text, first.remembered.checked, { env: fleetText.env, ...now() });
      expect(second.filesRead, spelling).toEqual([]);
      expect(second.notChecked, spelling).toBe(3);
    }
  });

  it('a wrong answer remembered for an unchanged file only costs the checks: the host is checked again', () => {
    const dir = tempDir();
    const { text, env, first, files, known } = rememberedFirst(dir);
    const memo = { ...files, files: new Map([['file:creds-2.json', { ...known, answer: 'not the digest' }]]) };
    const run = validateWith(dir, text, { ...first.remembered.checked, files: memo }, { env, ...now() });
    expect(run.notChecked).toBe(2);
    expect(run.diagnostics).toEqual([]);
  });
});
