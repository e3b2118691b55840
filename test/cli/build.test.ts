import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { runCommand } from '../support/run-command.js';
import { CACHE_DIR } from '../../src/write/cache.js';
import { RACY_MARGIN_MS } from '../../src/validate/secret-file-answers.js';
import { readState, STATE_FILE, type OutputState } from '../../src/write/state.js';
import { asVersion1 } from '../support/state-version-1.js';
import { ageFiles, changedPaths, snapshotDisk, type DiskEntry } from '../write/disk.js';
import { copyExample, fleetgen, STACK_FRAME, tempDir } from './fleetgen.js';

const TUNNEL_ID = '84c7a8c5-e667-40fb-b6dc-4accc418da04';
const CREDENTIALS = `secrets/${TUNNEL_ID}.json`;

/** A copy of the example with out/ built once. */
async function builtExample(extra: string[] = []): Promise<string> {
  const dir = copyExample({ withLock: true });
  const result = await fleetgen(['build', 'fleet.yaml', ...extra], { cwd: dir });
  expect(result.stderr).not.toMatch(STACK_FRAME);
  expect(result.status, result.stderr).toBe(0);
  return dir;
}

function editManifest(dir: string, from: string | RegExp, to: string): void {
  const path = join(dir, 'fleet.yaml');
  const text = readFileSync(path, 'utf8');
  const edited = text.replace(from, to);
  expect(edited, `the fixture no longer contains ${String(from)}`).not.toBe(text);
  writeFileSync(path, edited);
}

/** Drops one host's block (from its `- name:` line to the next host or the end of hosts). */
function removeHost(dir: string, name: string): void {
  editManifest(dir, new RegExp(`\\n  - name: ${name}\\b[\\s\\S]*?(?=\\n  - name: |\\n\\S)`), '');
}

/**
 * Waits until every file of the copy outside out/ (the secret files among them) changed more than RACY_MARGIN_MS
 * before now: a build started then remembers the secret files by their stat (secret-file-answers.ts). Before that, a
 * build reads them again and remembers them only once they have settled, which a later build would then write down.
 */
async function untilFilesSettle(dir: string): Promise<void> {
  let newest = 0;
  const walk = (folder: string): void => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const full = join(folder, entry.name);
      if (entry.isDirectory() && full !== join(dir, 'out')) walk(full);
      else if (entry.isFile()) newest = Math.max(newest, statSync(full).ctimeMs);
    }
  };
  walk(dir);
  const wait = newest + RACY_MARGIN_MS + 100 - Date.now();
  if (wait > 0) await sleep(wait);
}

/** A snapshot of out/ without the build cache (which a build rewrites whenever it records anything new). */
function withoutCache(snapshot: Record<string, DiskEntry>): Record<string, DiskEntry> {
  return Object.fromEntries(Object.entries(snapshot).filter(([path]) => !path.startsWith(`${CACHE_DIR}/`)));
}

const state = (dir: string): OutputState => readState(join(dir, 'out')).state;

describe('fleetgen build', () => {
  it('writes every target into out/ and prints a summary per target', async () => {
    const dir = copyExample({ withLock: true });
    const result = await fleetgen(['build', 'fleet.yaml'], { cwd: dir });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      /^chef: \d+ written, 0 unchanged, 0 removed\nansible: \d+ written, 0 unchanged, 0 removed\ncloud-init: 8 written, 0 unchanged, 0 removed\nssh: 1 written, 0 unchanged, 0 removed\nterraform: \d+ written, 0 unchanged, 0 removed\n$/,
    );
    expect(readdirSync(join(dir, 'out')).sort()).toEqual(['.fleetgen-cache', '.fleetgen-state.json', '.gitignore', 'ansible', 'chef', 'cloud-init', 'ssh', 'terraform']);
    expect(existsSync(join(dir, 'out/cloud-init/store-0001.yaml'))).toBe(true);
  });

  it('writes every secret file 0600, and the files that are not secret are readable', async () => {
    const dir = await builtExample();
    const files = state(dir).files;
    const secrets = files.filter((f) => f.isSecret);
    expect(secrets.map((f) => f.path)).toEqual(expect.arrayContaining(['cloud-init/store-0001.yaml', 'ansible/inventory/host_vars/store-0001/secrets.yml']));
    for (const file of files) {
      const mode = statSync(join(dir, 'out', file.path)).mode & 0o777;
      expect([file.path, mode]).toEqual([file.path, file.isSecret ? 0o600 : file.mode]);
    }
  });

  it('writes nothing on a second build: every file unchanged, bytes and mtimes kept', async () => {
    const dir = await builtExample();
    const out = join(dir, 'out');
    // However long the machine took so far, the second build (not a third one) is the first to find the secret files
    // settled: it may write that down in the cache, the third has nothing to write.
    await untilFilesSettle(dir);
    ageFiles(out);
    const before = snapshotDisk(out);
    const lockBefore = readFileSync(join(dir, 'fleet.lock.yaml'));
    const result = await fleetgen(['build', 'fleet.yaml'], { cwd: dir });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^chef: 0 written, \d+ unchanged, 0 removed$/m);
    expect(result.stdout).not.toMatch(/[1-9]\d* written/);
    // The aged files are read and compared once (their mtimes moved): the build cache records them again.
    expect(withoutCache(snapshotDisk(out))).toEqual(withoutCache(before));
    expect(readFileSync(join(dir, 'fleet.lock.yaml'))).toEqual(lockBefore);
    // From then on not even the cache is written.
    const cached = snapshotDisk(out);
    expect((await fleetgen(['build', 'fleet.yaml'], { cwd: dir })).status).toBe(0);
    expect(snapshotDisk(out)).toEqual(cached);
  });

  it("changes only that host's files when one host changes", async () => {
    const dir = await builtExample();
    const out = join(dir, 'out');
    ageFiles(out);
    const before = snapshotDisk(out);
    editManifest(dir, 'connectTimeout: 10s', 'connectTimeout: 20s');
    const result = await fleetgen(['build', 'fleet.yaml'], { cwd: dir });
    expect(result.status, result.stderr).toBe(0);
    const changed = changedPaths(withoutCache(before), withoutCache(snapshotDisk(out))).filter((path) => path !== '.fleetgen-state.json');
    expect(changed.length).toBeGreaterThan(0);
    for (const path of changed) expect(path).toContain('store-0001');
  });

  it('rebuilds from the texts it remembers (manifest entries, lock file) the same bytes as a fresh build, and locates warnings alike', async () => {
    const dir = await builtExample();
    const out = join(dir, 'out');
    const parsed = join(out, CACHE_DIR, 'parsed.bin');
    const remembered = statSync(parsed).mtimeMs;
    const again = await fleetgen(['build', 'fleet.yaml'], { cwd: dir });
    expect(again.status, again.stderr).toBe(0);
    expect(statSync(parsed).mtimeMs).toBe(remembered); // nothing new to remember: not rewritten

    // A changed host entry one line longer: the warnings of later entries (the example has one: lab-pi-3's
    // cert.pem) are located in the new text, as `validate` locates them.
    const edit = (at: string): void => editManifest(at, 'connectTimeout: 10s }', 'connectTimeout: 20s }\n        # one line more');
    edit(dir);
    const rebuilt = await fleetgen(['build', 'fleet.yaml'], { cwd: dir });
    expect(rebuilt.status, rebuilt.stderr).toBe(0);
    const fresh = copyExample({ withLock: true });
    edit(fresh);
    const built = await fleetgen(['build', 'fleet.yaml'], { cwd: fresh });
    expect(built.status, built.stderr).toBe(0);
    const bytes = (root: string): Record<string, string> =>
      Object.fromEntries(Object.entries(withoutCache(snapshotDisk(join(root, 'out')))).map(([path, entry]) => [path, `${entry.mode.toString(8)} ${entry.bytes}`]));
    expect(bytes(dir)).toEqual(bytes(fresh));

    const validated = await fleetgen(['validate', 'fleet.yaml'], { cwd: fresh });
    const located = validated.stderr.split('\n').filter((line) => /^fleet\.yaml:\d+:\d+: warning/.test(line));
    expect(located.length).toBeGreaterThan(0);
    expect(built.stderr).not.toBe(again.stderr); // the lines moved
    for (const line of located) expect(rebuilt.stderr).toContain(line);
  });

  it('checks again, and refuses, a host whose secret changed since the build that found it clean', async () => {
    const dir = await builtExample();
    const checked = join(dir, 'out', CACHE_DIR, 'checked.json');
    expect(statSync(checked).mode & 0o777).toBe(0o600);
    expect(readFileSync(checked, 'utf8')).not.toContain('TunnelSecret'); // references and digests, never a secret
    const remembered = statSync(checked).mtimeMs;
    const again = await fleetgen(['build', 'fleet.yaml'], { cwd: dir });
    expect(again.status, again.stderr).toBe(0);
    expect(statSync(checked).mtimeMs).toBe(remembered); // nothing new to remember: not rewritten

    // Another tunnel's credentials in the file: the id in the manifest no longer matches them.
    const file = join(dir, 'secrets', '84c7a8c5-e667-40fb-b6dc-4accc418da04.json');
    const original = readFileSync(file, 'utf8');
    writeFileSync(file, readFileSync(join(dir, 'secrets', '570156a2-cab0-49ca-91c4-d124f5b75ece.json')));
    const refused = await fleetgen(['build', 'fleet.yaml'], { cwd: dir });
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/^fleet\.yaml:\d+:\d+: error: hosts\[\d+\]\.tunnel/m);
    const validated = await fleetgen(['validate', 'fleet.yaml'], { cwd: dir });
    const located = (stderr: string): string[] => stderr.split('\n').filter((line) => /^fleet\.yaml:\d+:/.test(line));
    expect(located(refused.stderr)).toEqual(located(validated.stderr));

    writeFileSync(file, original);
    const mended = await fleetgen(['build', 'fleet.yaml'], { cwd: dir });
    expect(mended.status, mended.stderr).toBe(0);
  });

  it("changes only that host's files and the lock file when a host's new rule gets a generated hostname", async () => {
    const dir = await builtExample();
    const out = join(dir, 'out');
    ageFiles(out);
    const before = snapshotDisk(out);
    const lockBefore = readFileSync(join(dir, 'fleet.lock.yaml'), 'utf8');
    editManifest(dir, '      - hostname: lab-ci.example.com', '      - service: http://localhost:3000\n      - hostname: lab-ci.example.com');
    const result = await fleetgen(['build', 'fleet.yaml'], { cwd: dir });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toContain('updated fleet.lock.yaml');
    const changed = changedPaths(withoutCache(before), withoutCache(snapshotDisk(out))).filter((path) => path !== '.fleetgen-state.json');
    expect(changed.length).toBeGreaterThan(0);
    for (const path of changed) expect(path).toContain('lab-build-1');
    const lockAfter = readFileSync(join(dir, 'fleet.lock.yaml'), 'utf8');
    expect(lockAfter).not.toBe(lockBefore);
    expect(lockAfter).toContain('http://localhost:3000');
  });

  it("removes a removed host's files (and its now-empty folders), and says so per target", async () => {
    const dir = await builtExample();
    removeHost(dir, 'kiosk-17');
    const result = await fleetgen(['build', 'fleet.yaml'], { cwd: dir });
    expect(result.status, result.stderr).toBe(0);
    // Its user-data goes; the .gitignore, whose pattern covers every host's, stays as it was.
    expect(result.stdout).toMatch(/^cloud-init: 0 written, 7 unchanged, 1 removed$/m);
    const left = Object.keys(snapshotDisk(join(dir, 'out')));
    expect(left.filter((path) => path.includes('kiosk-17'))).toEqual([]);
    expect(state(dir).files.some((f) => f.path.includes('kiosk-17'))).toBe(false);
  });

  it("never touches a user's own files inside out/, even in a folder of a removed host", async () => {
    const dir = await builtExample();
    const out = join(dir, 'out');
    writeFileSync(join(out, 'README.md'), 'our notes\n');
    writeFileSync(join(out, 'ansible/inventory/host_vars/kiosk-17/local.yml'), 'ours: true\n');
    chmodSync(join(out, 'README.md'), 0o640);
    removeHost(dir, 'kiosk-17');
    expect((await fleetgen(['build', 'fleet.yaml'], { cwd: dir })).status).toBe(0);
    expect(readFileSync(join(out, 'README.md'), 'utf8')).toBe('our notes\n');
    expect(statSync(join(out, 'README.md')).mode & 0o777).toBe(0o640);
    expect(readdirSync(join(out, 'ansible/inventory/host_vars/kiosk-17'))).toEqual(['local.yml']);
    expect((await fleetgen(['build', 'fleet.yaml', '--check'], { cwd: dir })).status).toBe(0);
  });

  it('records new generated hostnames in the lock file, after the output', async () => {
    const dir = copyExample({ withLock: false });
    const result = await fleetgen(['build', 'fleet.yaml'], { cwd: dir });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toContain('updated fleet.lock.yaml');
    expect(statSync(join(dir, 'fleet.lock.yaml')).mode & 0o777).toBe(0o644);
    expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    // The names the output uses are the ones recorded.
    const lock = readFileSync(join(dir, 'fleet.lock.yaml'), 'utf8');
    const sshName = /store-0001:\n\s+ssh:\/\/localhost:22: (\S+)/.exec(lock)?.[1];
    expect(sshName).toMatch(/^[a-z]+-[a-z]+\.example\.com$/);
    expect(readFileSync(join(dir, 'out/ssh/config'), 'utf8')).toContain(`${sshName}`);
  });

  it('with --frozen-lockfile and no lock file, exits 1 and writes nothing at all', async () => {
    const dir = copyExample({ withLock: false });
    const result = await fleetgen(['build', 'fleet.yaml', '--frozen-lockfile'], { cwd: dir });
    expect(result.status, result.stderr).toBe(1);
    expect(result.stderr).toMatch(/fleet\.lock\.yaml:1:1: error: does not exist/);
    expect(existsSync(join(dir, 'out'))).toBe(false);
    expect(existsSync(join(dir, 'fleet.lock.yaml'))).toBe(false);
  });

  it('prints target warnings on stderr, not stdout', async () => {
    const dir = copyExample({ withLock: true });
    const result = await fleetgen(['build', 'fleet.yaml'], { cwd: dir });
    expect(result.stderr).toMatch(/^fleetgen: warning: chef: .*clear text/m);
    expect(result.stdout).not.toContain('warning');
  });

  it('with --gzip, also writes each host’s user-data compressed, 0600 like the plain one', async () => {
    const dir = await builtExample(['--gzip', '--target', 'cloud-init']);
    const gz = join(dir, 'out/cloud-init/store-0001.yaml.gz');
    expect(statSync(gz).mode & 0o777).toBe(0o600);
    expect(readFileSync(gz).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
  });
});

describe('fleetgen build with an invalid manifest or input', () => {
  it('exits 2 and creates no out/ folder', async () => {
    const dir = copyExample({ withLock: true });
    editManifest(dir, 'zone: example.com', 'zone: 42');
    const result = await fleetgen(['build', 'fleet.yaml'], { cwd: dir });
    expect(result.status, result.stderr).toBe(2);
    expect(result.stderr).toContain('nothing was written');
    expect(result.stderr).not.toMatch(STACK_FRAME);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('exits 2 and leaves an existing out/ exactly as it was', async () => {
    const dir = await builtExample();
    const before = snapshotDisk(join(dir, 'out'));
    editManifest(dir, 'service: http://localhost:8080', 'service: localhost:8080');
    const result = await fleetgen(['build', 'fleet.yaml'], { cwd: dir });
    expect(result.status, result.stderr).toBe(2);
    expect(snapshotDisk(join(dir, 'out'))).toEqual(before);
  });

  it('exits 2 with a clear message when the vault password file or the Chef secret file cannot be read', async () => {
    const dir = copyExample({ withLock: true });
    const vault = await fleetgen(['build', 'fleet.yaml', '--vault-password-file', 'no-such-file'], { cwd: dir });
    expect(vault.status).toBe(2);
    expect(vault.stderr).toBe('fleetgen: cannot read the vault password file no-such-file (ENOENT) — check the path and that you may read it\n');
    const chef = await fleetgen(['build', 'fleet.yaml', '--chef-secret-file', '.'], { cwd: dir });
    expect(chef.status).toBe(2);
    expect(chef.stderr).toContain('cannot read the Chef data bag secret file . (EISDIR)');
    writeFileSync(join(dir, 'empty'), '\n');
    const empty = await fleetgen(['build', 'fleet.yaml', '--vault-password-file', 'empty'], { cwd: dir });
    expect(empty.status).toBe(2);
    expect(empty.stderr).toContain('is empty');
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('exits 2 on an unknown target, or --diff without --dry-run or --check', async () => {
    const dir = copyExample({ withLock: true });
    const unknown = await fleetgen(['build', 'fleet.yaml', '--target', 'chef,puppet'], { cwd: dir });
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('unknown target "puppet"');
    const diff = await fleetgen(['build', 'fleet.yaml', '--diff'], { cwd: dir });
    expect(diff.status).toBe(2);
    expect(diff.stderr).toContain('--diff goes with --dry-run or --check');
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('refuses to write through a symbolic link inside out/, exit 2, nothing written', async () => {
    const dir = copyExample({ withLock: true });
    const elsewhere = tempDir();
    mkdirSync(join(dir, 'out'));
    symlinkSync(elsewhere, join(dir, 'out', 'ssh'));
    const result = await fleetgen(['build', 'fleet.yaml'], { cwd: dir });
    expect(result.status, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/out\/ssh is a symbolic link/);
    expect(readdirSync(elsewhere)).toEqual([]);
    expect(readdirSync(join(dir, 'out'))).toEqual(['ssh']);
  });
});

describe('fleetgen build --check', () => {
  it('exits 0 when out/ is what the manifest produces, and writes nothing', async () => {
    const dir = await builtExample();
    ageFiles(join(dir, 'out'));
    const before = snapshotDisk(join(dir, 'out'));
    const result = await fleetgen(['build', 'fleet.yaml', '--check'], { cwd: dir });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^out is up to date \(\d+ files checked; 21 git-ignored files holding secrets not checked\)\n$/);
    expect(snapshotDisk(join(dir, 'out'))).toEqual(before);
  });

  it('exits 1 and lists the stale committed files after a manifest change, a hand edit and a removed host', async () => {
    const dir = await builtExample();
    const before = snapshotDisk(join(dir, 'out'));
    editManifest(dir, 'connectTimeout: 10s', 'connectTimeout: 20s');
    removeHost(dir, 'kiosk-17');
    writeFileSync(join(dir, 'out/ssh/config'), 'edited by hand\n');
    const result = await fleetgen(['build', 'fleet.yaml', '--check'], { cwd: dir });
    expect(result.status, result.stderr).toBe(1);
    expect(result.stdout).toContain('  change  out/ansible/inventory/host_vars/store-0001/cloudflared.yml\n');
    expect(result.stdout).toContain('  change  out/ssh/config\n');
    expect(result.stdout).toContain('  remove  out/ansible/inventory/host_vars/kiosk-17/cloudflared.yml\n');
    // User-data and clear-text secrets are never committed: --check does not ask for them.
    expect(result.stdout).not.toContain('out/cloud-init/store-0001.yaml');
    expect(result.stdout).not.toContain('out/cloud-init/kiosk-17.yaml');
    expect(result.stderr).toMatch(/^fleetgen: out is stale: \d+ files differ from what fleet\.yaml produces/m);
    expect(changedPaths(before, snapshotDisk(join(dir, 'out')))).toEqual(['ssh/config']);
  });

  it('exits 1 when out/ does not exist yet, and does not create it', async () => {
    const dir = copyExample({ withLock: true });
    const result = await fleetgen(['build', 'fleet.yaml', '--check'], { cwd: dir });
    expect(result.status, result.stderr).toBe(1);
    expect(result.stdout).toContain('  add     out/ssh/config\n');
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('exits 1 on a record in an earlier format, which the next build rewrites, and says so; --dry-run lists it too', async () => {
    const dir = await builtExample();
    const out = join(dir, 'out');
    writeFileSync(join(out, STATE_FILE), asVersion1(state(dir), (path) => readFileSync(join(out, path))));
    const before = snapshotDisk(out);
    const check = await fleetgen(['build', 'fleet.yaml', '--check'], { cwd: dir });
    expect(check.status, check.stderr).toBe(1);
    const listed = '  change  out/.fleetgen-state.json (format 1, from an earlier fleetgen: "fleetgen build" rewrites it in format 2)\n';
    expect(check.stdout).toBe(listed);
    expect(check.stderr).toContain('fleetgen: out is stale: 1 file differs from what fleet.yaml produces — run "fleetgen build fleet.yaml --out out" and commit the result\n');
    const dryRun = await fleetgen(['build', 'fleet.yaml', '--dry-run', '--diff'], { cwd: dir });
    expect(dryRun.status, dryRun.stderr).toBe(0);
    const [dryRunList = '', summary = ''] = dryRun.stdout.split(/(?=^dry run: )/m);
    expect(dryRunList).toBe(`${listed}out/.fleetgen-state.json: rewritten whole in format 2 (one line per file)\n`);
    expect(summary).toMatch(/^dry run: 0 to add, 1 to change, 0 to remove, \d+ unchanged; nothing was written\n$/);
    expect(snapshotDisk(out)).toEqual(before);
    expect((await fleetgen(['build', 'fleet.yaml'], { cwd: dir })).status).toBe(0);
    expect((await fleetgen(['build', 'fleet.yaml', '--check'], { cwd: dir })).status).toBe(0);
  });

  it('with --target, checks only that target: other targets’ files are neither removed nor reported', async () => {
    const dir = await builtExample();
    removeHost(dir, 'kiosk-17');
    const ansibleOnly = await fleetgen(['build', 'fleet.yaml', '--target', 'ansible'], { cwd: dir });
    expect(ansibleOnly.status).toBe(0);
    expect(ansibleOnly.stdout).toMatch(/^ansible: \d+ written, \d+ unchanged, 2 removed\n$/);
    expect(existsSync(join(dir, 'out/cloud-init/kiosk-17.yaml'))).toBe(true);
    expect((await fleetgen(['build', 'fleet.yaml', '--check', '--target', 'ansible'], { cwd: dir })).status).toBe(0);
    const all = await fleetgen(['build', 'fleet.yaml', '--check'], { cwd: dir });
    expect(all.status).toBe(1);
    expect(all.stdout).toContain('  remove  out/chef/nodes/kiosk-17.json\n');
  });
});

describe('fleetgen build --dry-run', () => {
  it('writes nothing, not even out/ or the lock file, and says what it would do', async () => {
    const dir = copyExample({ withLock: false });
    const result = await fleetgen(['build', 'fleet.yaml', '--dry-run'], { cwd: dir });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('  add     out/chef/');
    expect(result.stdout).toContain('  update  fleet.lock.yaml\n');
    expect(result.stdout).toMatch(/^dry run: \d+ to add, 0 to change, 0 to remove, 0 unchanged; nothing was written$/m);
    expect(existsSync(join(dir, 'out'))).toBe(false);
    expect(existsSync(join(dir, 'fleet.lock.yaml'))).toBe(false);
  });

  it('with --diff, prints a unified diff of each changed text file', async () => {
    const dir = await builtExample();
    const before = snapshotDisk(join(dir, 'out'));
    editManifest(dir, 'connectTimeout: 10s', 'connectTimeout: 20s');
    const result = await fleetgen(['build', 'fleet.yaml', '--dry-run', '--diff'], { cwd: dir });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('--- a/out/ansible/inventory/host_vars/store-0001/cloudflared.yml\n+++ b/out/ansible/inventory/host_vars/store-0001/cloudflared.yml\n@@ ');
    expect(result.stdout).toMatch(/^-\s+connectTimeout: 10s$/m);
    expect(result.stdout).toMatch(/^\+\s+connectTimeout: 20s$/m);
    expect(snapshotDisk(join(dir, 'out'))).toEqual(before);
  });

  it('with --diff, never prints the content of a secret file: neither the old secret nor the new one', async () => {
    const dir = await builtExample();
    const path = join(dir, CREDENTIALS);
    const credentials = JSON.parse(readFileSync(path, 'utf8')) as { TunnelSecret: string };
    const oldSecret = credentials.TunnelSecret;
    const newSecret = Buffer.alloc(32, 7).toString('base64');
    writeFileSync(path, JSON.stringify({ ...credentials, TunnelSecret: newSecret }));
    const result = await fleetgen(['build', 'fleet.yaml', '--dry-run', '--diff'], { cwd: dir });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^out\/cloud-init\/store-0001\.yaml: \(secret, \d+ bytes\)$/m);
    expect(result.stdout).toMatch(/^out\/ansible\/inventory\/host_vars\/store-0001\/secrets\.yml: \(secret, \d+ bytes\)$/m);
    for (const secret of [oldSecret, newSecret]) {
      expect(result.stdout).not.toContain(secret);
      expect(result.stderr).not.toContain(secret);
    }
  });
});

describe('fleetgen build with secret files', () => {
  it('encrypts Ansible secrets with the vault password file, read with its trailing newline stripped as ansible-vault does', async () => {
    const dir = copyExample({ withLock: true });
    writeFileSync(join(dir, 'vault-pass'), 'correct horse battery staple\n');
    const result = await fleetgen(['build', 'fleet.yaml', '--vault-password-file', 'vault-pass', '--target', 'ansible'], { cwd: dir });
    expect(result.status, result.stderr).toBe(0);
    const secrets = join(dir, 'out/ansible/inventory/host_vars/store-0001/secrets.yml');
    expect(readFileSync(secrets, 'utf8')).not.toContain('TunnelSecret');
    const view = await runCommand('ansible-vault', ['view', '--vault-password-file', join(dir, 'vault-pass'), secrets], { installHint: 'apt-get install ansible-core' });
    expect(view.stderr).toBe('');
    expect(view.status).toBe(0);
    expect(view.stdout).toContain('TunnelSecret');
  });
});
