/**
 * out/.fleetgen-state.json: what it records, how it is laid out for git (one line per file, sorted, small), that a
 * state file written by an earlier fleetgen (version 1) is still honoured and rewritten, and what a damaged one says.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildFleet } from '../../src/build.js';
import { TARGET_NAMES, type TargetOptions } from '../../src/targets/target.js';
import { CACHE_DIR } from '../../src/write/cache.js';
import { buildIntoOut } from '../../src/write/incremental.js';
import { OutputError } from '../../src/write/output-error.js';
import { planOutput, staleFiles } from '../../src/write/plan.js';
import { outGitignoreFile } from '../../src/write/out-gitignore.js';
import { parseState, readState, serializeState, STATE_FILE, type OutputState, type RecordedFile } from '../../src/write/state.js';
import { sampleFleet } from '../support/sample-fleet.js';
import { asVersion1 } from '../support/state-version-1.js';

const made: string[] = [];
afterAll(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function tempOut(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fleetgen-state-'));
  made.push(dir);
  return join(dir, 'out');
}

const everything = { targets: TARGET_NAMES, options: {} as TargetOptions };
const PATH = '/repo/out/.fleetgen-state.json';

const file = (path: string, mode = 0o644, flags: { isSecret?: boolean; isKeptOutOfGit?: boolean } = {}): RecordedFile => ({
  path,
  mode,
  isSecret: flags.isSecret ?? false,
  isKeptOutOfGit: flags.isKeptOutOfGit ?? false,
});

const STATE: OutputState = {
  files: [
    file('ansible/inventory/host_vars/web-1/cloudflared.yml'),
    file('ansible/inventory/host_vars/web-1/secrets.yml', 0o600, { isSecret: true, isKeptOutOfGit: true }),
    file('ansible/roles/acme/files/run.sh', 0o755),
    file('chef/data_bags/acme_secrets/web-1.json', 0o600, { isSecret: true }),
    file('cloud-init/web-1.yaml', 0o600, { isSecret: true, isKeptOutOfGit: true }),
    file('ssh/config'),
  ],
};

/** What parseState throws for `text`. */
function refusal(text: string): OutputError {
  try {
    parseState(text, PATH);
  } catch (err) {
    expect(err).toBeInstanceOf(OutputError);
    return err as OutputError;
  }
  throw new Error('parseState accepted the text');
}

describe('the state file', () => {
  it('reads back exactly what it recorded: path, mode, secret and kept out of git', () => {
    expect(parseState(serializeState(STATE), PATH)).toEqual(STATE);
  });

  it('is JSON with one line per file: [path, octal mode, "secret", "gitignored"], the flags only when they apply', () => {
    const text = serializeState(STATE);
    expect(text).toBe(
      [
        '{',
        `  "comment": ${JSON.stringify((JSON.parse(text) as { comment: string }).comment)},`,
        '  "version": 2,',
        '  "files": [',
        '    ["ansible/inventory/host_vars/web-1/cloudflared.yml","0644"],',
        '    ["ansible/inventory/host_vars/web-1/secrets.yml","0600","secret","gitignored"],',
        '    ["ansible/roles/acme/files/run.sh","0755"],',
        '    ["chef/data_bags/acme_secrets/web-1.json","0600","secret"],',
        '    ["cloud-init/web-1.yaml","0600","secret","gitignored"],',
        '    ["ssh/config","0644"]',
        '  ]',
        '}',
        '',
      ].join('\n'),
    );
    expect(serializeState({ files: [] })).toMatch(/\n {2}"files": \[\]\n\}\n$/);
  });

  it('is the same text whatever order the files come in, sorted by bytes rather than by locale', () => {
    const files = [file('ssh/config'), file('chef/B.json'), file('chef/a.json'), file('chef/a-b.json'), file('chef/a/b.json'), file('chef/é.json')];
    const text = serializeState({ files });
    expect(serializeState({ files: [...files].reverse() })).toBe(text);
    expect(parseState(text, PATH).files.map((f) => f.path)).toEqual(['chef/B.json', 'chef/a-b.json', 'chef/a.json', 'chef/a/b.json', 'chef/é.json', 'ssh/config']);
  });

  it('keeps every path on its own line and intact, whatever characters it holds', () => {
    const odd = ['a/quote".txt', 'a/new\nline', 'a/tab\there', 'a/\u2028separator', 'a/ünïcode 😀', 'a/{"files":[]}'].map((path) => file(path));
    const text = serializeState({ files: odd });
    expect(parseState(text, PATH)).toEqual({ files: [...odd].sort((a, b) => (a.path < b.path ? -1 : 1)) });
    expect(text.split('\n')).toHaveLength(odd.length + 7);
  });

  it('changes by one line when one file is added, and not at all when only content changes', () => {
    const before = serializeState(STATE).split('\n');
    const after = serializeState({ files: [...STATE.files, file('ansible/inventory/host_vars/web-2/cloudflared.yml')] }).split('\n');
    expect(after.filter((line) => !before.includes(line))).toEqual(['    ["ansible/inventory/host_vars/web-2/cloudflared.yml","0644"],']);
    expect(before.filter((line) => !after.includes(line))).toEqual([]);
  });
});

describe('the state file of a real build', () => {
  const out = tempOut();
  buildIntoOut(out, sampleFleet(), everything);
  const text = readFileSync(join(out, STATE_FILE), 'utf8');
  const { files } = parseState(text, PATH);
  const produced = buildFleet(sampleFleet(), everything).files.list();

  it('lists every file the build wrote, with its mode and flags', () => {
    const written = [outGitignoreFile(), ...produced];
    expect(files).toEqual(written.map((f) => ({ path: f.path, mode: f.mode, isSecret: f.isSecret, isKeptOutOfGit: f.isKeptOutOfGit })));
  });

  it('costs one line per file, of little more than the path: under half of what version 1 took', () => {
    const lines = text.split('\n');
    expect(lines).toHaveLength(files.length + 7); // {, comment, version, "files": [, …, ], }, and the final newline
    const entryLines = lines.slice(4, 4 + files.length);
    for (const [i, line] of entryLines.entries()) {
      const f = files[i] as RecordedFile;
      expect(line).toMatch(/^ {4}\[".*"\],?$/);
      expect(line.length, line).toBeLessThanOrEqual(JSON.stringify(f.path).length + 36);
    }
    const version1 = asVersion1({ files }, (path) => readFileSync(join(out, path)));
    expect(text.length).toBeLessThan(version1.length / 2);
  });
});

describe('a state file written by fleetgen before version 2', () => {
  const VERSION_1 = `{
  "comment": "Written by fleetgen: every file it generated in this folder, so that a rebuild removes the ones it no longer produces and never touches any other. Do not edit; commit it with the output.",
  "version": 1,
  "files": [
    {
      "path": "ansible/inventory/host_vars/host-0/cloudflared.yml",
      "sha256": "42d3d866d939d7f5323dffce9826349a3fc37a825df64561f0299f3ea9298059",
      "mode": "0644"
    },
    {
      "path": "ansible/inventory/host_vars/host-0/secrets.yml",
      "sha256": "ed2a2b2e42df552782228b24b7ef059673129fa15e0f2b673957cb041be268bb",
      "mode": "0600",
      "secret": true,
      "gitignored": true
    },
    {
      "path": "ansible/roles/bench/files/run.sh",
      "sha256": "7ff446455b89067f15bc246fb38e8cfc8e9eda2f78e1c1f859b29da362056ec7",
      "mode": "0755"
    }
  ]
}
`;

  it('is read: paths, modes and flags (its digests are not needed)', () => {
    expect(parseState(VERSION_1, PATH)).toEqual({
      files: [
        file('ansible/inventory/host_vars/host-0/cloudflared.yml'),
        file('ansible/inventory/host_vars/host-0/secrets.yml', 0o600, { isSecret: true, isKeptOutOfGit: true }),
        file('ansible/roles/bench/files/run.sh', 0o755),
      ],
    });
  });

  it('still decides what a rebuild removes, and the rebuild rewrites it as version 2', () => {
    const out = tempOut();
    buildIntoOut(out, sampleFleet(), everything);
    const current = readState(out).state;
    // out/ as an earlier fleetgen left it: its record, a file it produced then and no longer does, and no cache (a
    // new fleetgen version, or a fresh clone).
    mkdirSync(join(out, 'ssh/old'), { recursive: true });
    writeFileSync(join(out, 'ssh/old/config'), 'Host old\n');
    writeFileSync(join(out, 'ssh/users-own-file'), 'mine\n');
    const recorded = { files: [...current.files, file('ssh/old/config')] };
    writeFileSync(join(out, STATE_FILE), asVersion1(recorded, (path) => readFileSync(join(out, path))));
    rmSync(join(out, CACHE_DIR), { recursive: true });

    const check = planOutput(out, buildFleet(sampleFleet(), everything).files);
    expect(staleFiles(check).map((f) => [f.path, f.action])).toEqual([[STATE_FILE, 'change'], ['ssh/old/config', 'remove']]);

    const result = buildIntoOut(out, sampleFleet(), everything);
    expect(result.files.filter((f) => f.action !== 'unchanged')).toEqual([{ path: 'ssh/old/config', action: 'remove' }]);
    expect(existsSync(join(out, 'ssh/old'))).toBe(false);
    expect(readFileSync(join(out, 'ssh/users-own-file'), 'utf8')).toBe('mine\n');
    const rewritten = readFileSync(join(out, STATE_FILE), 'utf8');
    expect(rewritten).toBe(serializeState(current));
    expect(rewritten).toContain('\n  "version": 2,\n');
  });
});

describe('a damaged state file: an OutputError naming the file, what is wrong and what to do', () => {
  const valid = serializeState(STATE);

  it('not JSON: says on which line', () => {
    const error = refusal(valid.replace('"0755"],', '"0755"]'));
    expect(error.path).toBe(PATH);
    expect(error.message).toBe('is not a fleetgen state file (not valid JSON, line 8)');
    expect(error.hint).toMatch(/^restore it from version control; or delete it and rebuild/);
    expect(refusal('').message).toBe('is not a fleetgen state file (not valid JSON)');
  });

  it('a merge conflict left in it: says where, and how to resolve it', () => {
    const lines = valid.split('\n');
    lines.splice(6, 0, '<<<<<<< HEAD', '    ["chef/a.json","0644"],', '=======', '    ["chef/b.json","0644"],', '>>>>>>> other-branch');
    const error = refusal(lines.join('\n'));
    expect(error.message).toBe('is not a fleetgen state file (a merge conflict is left in it, line 7)');
    expect(error.hint).toMatch(/keep the entries of both sides .* remove the markers, then rebuild/);
  });

  it('written by a newer fleetgen: says so, rather than calling it damaged', () => {
    const error = refusal(valid.replace('"version": 2', '"version": 3'));
    expect(error.message).toBe('was written by a newer fleetgen (format version 3; this one reads up to 2)');
    expect(error.hint).toBe('build with that fleetgen version or a newer one');
  });

  it.each([
    ['no version', '{"files": []}', 'expected a version and a files list'],
    ['no files list', '{"version": 2}', 'expected a version and a files list'],
    ['an unknown version', '{"version": 0, "files": []}', 'unknown format version 0'],
    ['an entry that is not a list', '{"version": 2, "files": [{"path": "ssh/config", "mode": "0644"}]}', 'files[0] is not [path, mode, flags…]'],
    ['an entry without a mode', '{"version": 2, "files": [["ssh/config"]]}', 'files[0] is not [path, mode, flags…]'],
    ['a mode that is not octal', '{"version": 2, "files": [["ssh/config", "644x"]]}', 'files[0]: mode "644x" of ssh/config is not an octal mode'],
    ['an unknown flag', '{"version": 2, "files": [["ssh/config", "0644", "secrett"]]}', 'files[0] (ssh/config): ["secrett"] are not its flags ("secret", then "gitignored", each when it applies)'],
    ['a flag twice', '{"version": 2, "files": [["ssh/config", "0644", "secret", "secret"]]}', 'files[0] (ssh/config): ["secret","secret"] are not its flags ("secret", then "gitignored", each when it applies)'],
    ['a path outside out/', '{"version": 2, "files": [["../victim.txt", "0644"]]}', 'files[0]: "../victim.txt" is not inside the output folder'],
    ['the state file itself', '{"version": 2, "files": [[".fleetgen-state.json", "0644"]]}', 'files[0]: ".fleetgen-state.json" is not inside the output folder'],
    ['a path listed twice', '{"version": 2, "files": [["ssh/config", "0644"], ["ssh/config", "0600"]]}', '"ssh/config" is listed twice'],
    ['a version 1 entry without a mode', '{"version": 1, "files": [{"path": "ssh/config", "sha256": "00"}]}', 'files[0] needs path and mode'],
    ['a version 1 path outside out/', '{"version": 1, "files": [{"path": "/etc/passwd", "sha256": "00", "mode": "0644"}]}', 'files[0]: "/etc/passwd" is not inside the output folder'],
  ])('%s', (_, text, what) => {
    const error = refusal(text);
    expect(error.path).toBe(PATH);
    expect(error.message).toBe(`is not a fleetgen state file (${what})`);
    expect(error.hint).toMatch(/^restore it from version control/);
  });
});
