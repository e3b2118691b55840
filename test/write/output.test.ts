import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileSet } from '../../src/targets/fileset.js';
import { applyPlan } from '../support/apply-plan.js';
import { OutputError } from '../../src/write/output-error.js';
import { planOutput, staleCommittedFiles, staleFiles, type Plan } from '../../src/write/plan.js';
import { readState, STATE_FILE } from '../../src/write/state.js';
import { summarizePlan } from '../../src/write/summary.js';
import { ageFiles, changedPaths, snapshotDisk } from './disk.js';

const made: string[] = [];
afterAll(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function tempOut(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fleetgen-write-'));
  made.push(dir);
  return join(dir, 'out');
}

const SECRET = 'fake-tunnel-secret-0123456789';

/** A small stand-in for a build: two targets, a secret per host, a nested folder per host. */
function fleetFiles(hosts: Record<string, string>, options: { targets?: string[] } = {}): FileSet {
  const files = new FileSet();
  const targets = options.targets ?? ['ansible', 'chef'];
  if (targets.includes('chef')) {
    files.add('chef/metadata.rb', "name 'acme'\n");
    for (const [host, setting] of Object.entries(hosts)) files.add(`chef/data_bags/hosts/${host}.json`, `{"setting":"${setting}"}\n`);
  }
  if (targets.includes('ansible')) {
    files.add('ansible/site.yml', '- hosts: all\n');
    files.add('ansible/roles/acme/files/run.sh', '#!/bin/sh\n', { mode: 0o755 });
    for (const [host, setting] of Object.entries(hosts)) {
      files.add(`ansible/inventory/host_vars/${host}/main.yml`, `setting: ${setting}\n`);
      files.add(`ansible/inventory/host_vars/${host}/secrets.yml`, `secret: ${SECRET}-${host}\n`, { isSecret: true });
    }
  }
  return files;
}

function build(out: string, files: FileSet, scope?: string[]): Plan {
  const plan = planOutput(out, files, scope ? { scope } : {});
  applyPlan(plan);
  return plan;
}

const actions = (plan: Plan): Record<string, string> => Object.fromEntries(plan.files.map((f) => [f.path, f.action]));

describe('planOutput + applyPlan', () => {
  it('writes every file with its exact mode (0600 for secrets) and records them, sorted, in the state file', () => {
    const out = tempOut();
    const plan = build(out, fleetFiles({ 'web-1': 'a', 'web-2': 'b' }));
    expect(new Set(plan.files.map((f) => f.action))).toEqual(new Set(['add']));
    expect(statSync(join(out, 'ansible/inventory/host_vars/web-1/secrets.yml')).mode & 0o777).toBe(0o600);
    expect(statSync(join(out, 'ansible/roles/acme/files/run.sh')).mode & 0o777).toBe(0o755);
    expect(statSync(join(out, 'chef/metadata.rb')).mode & 0o777).toBe(0o644);
    const { state, text } = readState(out);
    const paths = state.files.map((f) => f.path);
    expect(paths).toEqual([...paths].sort());
    // The nine files of the targets, and out/.gitignore (fleetgen's own, for temp files).
    expect(paths).toHaveLength(10);
    expect(state.files.find((f) => f.path.endsWith('web-1/secrets.yml'))).toEqual({ path: 'ansible/inventory/host_vars/web-1/secrets.yml', mode: 0o600, isSecret: true, isKeptOutOfGit: false });
    expect(text).toContain('\n    ["ansible/inventory/host_vars/web-1/secrets.yml","0600","secret"],\n');
    expect(text).toContain('\n    ["chef/metadata.rb","0644"]\n');
    expect(readFileSync(join(out, STATE_FILE), 'utf8')).not.toContain(SECRET);
  });

  it('writes nothing on a second build: every file unchanged, bytes and mtimes kept', () => {
    const out = tempOut();
    build(out, fleetFiles({ 'web-1': 'a', 'web-2': 'b' }));
    ageFiles(out);
    const before = snapshotDisk(out);
    const plan = build(out, fleetFiles({ 'web-1': 'a', 'web-2': 'b' }));
    expect(new Set(plan.files.map((f) => f.action))).toEqual(new Set(['unchanged']));
    expect(plan.state.isChanged).toBe(false);
    expect(staleFiles(plan)).toEqual([]);
    expect(snapshotDisk(out)).toEqual(before);
  });

  it('rewrites only the changed file when one host changes', () => {
    const out = tempOut();
    build(out, fleetFiles({ 'web-1': 'a', 'web-2': 'b' }));
    ageFiles(out);
    const before = snapshotDisk(out);
    const plan = build(out, fleetFiles({ 'web-1': 'a', 'web-2': 'CHANGED' }));
    expect(staleFiles(plan).map((f) => [f.path, f.action])).toEqual([
      ['ansible/inventory/host_vars/web-2/main.yml', 'change'],
      ['chef/data_bags/hosts/web-2.json', 'change'],
    ]);
    // The record lists files, not their content: it changes only when a file comes or goes, or its mode or flags change.
    expect(changedPaths(before, snapshotDisk(out))).toEqual(['ansible/inventory/host_vars/web-2/main.yml', 'chef/data_bags/hosts/web-2.json']);
    expect(plan.state.isChanged).toBe(false);
  });

  it('removes the files of a removed host and the folders that held only them, and reports them per target', () => {
    const out = tempOut();
    build(out, fleetFiles({ 'web-1': 'a', 'web-2': 'b' }));
    const plan = build(out, fleetFiles({ 'web-1': 'a' }));
    expect(staleFiles(plan).map((f) => [f.path, f.action])).toEqual([
      [STATE_FILE, 'change'],
      ['ansible/inventory/host_vars/web-2/main.yml', 'remove'],
      ['ansible/inventory/host_vars/web-2/secrets.yml', 'remove'],
      ['chef/data_bags/hosts/web-2.json', 'remove'],
    ]);
    expect(existsSync(join(out, 'ansible/inventory/host_vars/web-2'))).toBe(false);
    expect(existsSync(join(out, 'ansible/inventory/host_vars/web-1/main.yml'))).toBe(true);
    expect(existsSync(join(out, 'chef/data_bags/hosts'))).toBe(true);
    expect(readFileSync(join(out, STATE_FILE), 'utf8')).not.toContain('web-2');
    expect(summarizePlan(plan).map((s) => [s.folder, s.written, s.unchanged, s.removed])).toEqual([
      ['chef', 0, 2, 1],
      ['ansible', 0, 4, 2],
    ]);
  });

  it("never touches a user's own file inside out/, not even in a folder fleetgen empties", () => {
    const out = tempOut();
    build(out, fleetFiles({ 'web-1': 'a', 'web-2': 'b' }));
    writeFileSync(join(out, 'NOTES.md'), 'mine\n');
    writeFileSync(join(out, 'ansible/inventory/host_vars/web-2/extra.yml'), 'mine too\n');
    const plan = build(out, fleetFiles({ 'web-1': 'a' }));
    expect(plan.files.map((f) => f.path)).not.toContain('NOTES.md');
    expect(readFileSync(join(out, 'NOTES.md'), 'utf8')).toBe('mine\n');
    expect(readFileSync(join(out, 'ansible/inventory/host_vars/web-2/extra.yml'), 'utf8')).toBe('mine too\n');
    expect(existsSync(join(out, 'ansible/inventory/host_vars/web-2/main.yml'))).toBe(false);
  });

  it("removes the temp files a killed build left beside its own files, and never a user's file named like one", () => {
    const out = tempOut();
    build(out, fleetFiles({ 'web-1': 'a' }));
    const folder = join(out, 'chef/data_bags/hosts');
    writeFileSync(join(folder, '.web-1.json.4242.0123456789ab.tmp'), '{"setting":');
    writeFileSync(join(out, '..fleetgen-state.json.4242.0123456789ab.tmp'), '{');
    writeFileSync(join(folder, '.notes.txt.4242.0123456789ab.tmp'), 'mine\n');
    const dryRun = planOutput(out, fleetFiles({ 'web-1': 'a' }));
    expect(dryRun.leftoverTemps).toEqual(['..fleetgen-state.json.4242.0123456789ab.tmp', 'chef/data_bags/hosts/.web-1.json.4242.0123456789ab.tmp']);
    expect(readdirSync(folder).sort()).toEqual(['.notes.txt.4242.0123456789ab.tmp', '.web-1.json.4242.0123456789ab.tmp', 'web-1.json']);
    applyPlan(dryRun);
    expect(readdirSync(folder).sort()).toEqual(['.notes.txt.4242.0123456789ab.tmp', 'web-1.json']);
    expect(existsSync(join(out, '..fleetgen-state.json.4242.0123456789ab.tmp'))).toBe(false);
  });

  it("removes the temp folders a killed build left beside the folders it writes into, whole, and never a user's folder named like one", () => {
    const out = tempOut();
    build(out, fleetFiles({ 'web-1': 'a' }));
    const hostVars = join(out, 'ansible/inventory/host_vars');
    // A first build killed before its folders went into place (chef/ made whole), and a rebuild that was adding web-2.
    const left = ['.chef.4242.0123456789ab.tmp', 'ansible/inventory/host_vars/.web-2.4242.0123456789ab.tmp'];
    writeAt(join(out, left[0] ?? '', 'data_bags/hosts/web-1.json'), '{"setting":');
    writeAt(join(out, left[1] ?? '', 'secrets.yml'), `secret: ${SECRET}-web-2\n`);
    // Named like temp folders, but of no folder fleetgen writes into there (a file's name is not a folder's): the user's.
    const own = ['.notes.4242.0123456789ab.tmp', 'chef/data_bags/hosts/.web-1.json.4242.0123456789ab.tmp'];
    for (const path of own) writeAt(join(out, path, 'mine.txt'), 'mine\n');
    const dryRun = planOutput(out, fleetFiles({ 'web-1': 'a', 'web-2': 'b' }));
    expect(dryRun.leftoverTemps).toEqual(left);
    applyPlan(dryRun);
    for (const path of left) expect(existsSync(join(out, path)), path).toBe(false);
    expect(readdirSync(hostVars).sort()).toEqual(['web-1', 'web-2']);
    for (const path of own) expect(readFileSync(join(out, path, 'mine.txt'), 'utf8')).toBe('mine\n');
  });

  it('applies a mode change by rewriting the file with the new mode', () => {
    const out = tempOut();
    build(out, fleetFiles({ 'web-1': 'a' }));
    const secret = join(out, 'ansible/inventory/host_vars/web-1/secrets.yml');
    chmodSync(secret, 0o644);
    const plan = build(out, fleetFiles({ 'web-1': 'a' }));
    expect(staleFiles(plan)).toMatchObject([{ path: 'ansible/inventory/host_vars/web-1/secrets.yml', action: 'change', difference: { content: false, mode: { from: 0o644, to: 0o600 } } }]);
    expect(statSync(secret).mode & 0o777).toBe(0o600);
  });

  it('checks only what is committed, as git keeps it: files kept out of git and non-executable mode bits do not count', () => {
    const out = tempOut();
    const files = (userData: string): FileSet =>
      fleetFiles({ 'web-1': 'a' }).add('cloud-init/web-1.yaml', userData, { isKeptOutOfGit: true });
    build(out, files('secret-1'));
    expect(readState(out).state.files).toContainEqual({ path: 'cloud-init/web-1.yaml', mode: 0o600, isSecret: true, isKeptOutOfGit: true });
    // A fresh clone: the kept-out file is absent, every file is 0644 or 0755 whatever fleetgen wrote.
    rmSync(join(out, 'cloud-init/web-1.yaml'));
    chmodSync(join(out, 'ansible/inventory/host_vars/web-1/secrets.yml'), 0o644);
    const clone = planOutput(out, files('secret-2'));
    expect(staleFiles(clone).map((f) => f.path)).toEqual(['ansible/inventory/host_vars/web-1/secrets.yml', 'cloud-init/web-1.yaml']);
    expect(staleCommittedFiles(clone)).toEqual([]);
    // What git does keep still counts: content, and whether a file is executable.
    chmodSync(join(out, 'ansible/roles/acme/files/run.sh'), 0o644);
    writeFileSync(join(out, 'chef/metadata.rb'), "name 'other'\n");
    expect(staleCommittedFiles(planOutput(out, files('secret-2'))).map((f) => [f.path, f.action])).toEqual([
      ['ansible/roles/acme/files/run.sh', 'change'],
      ['chef/metadata.rb', 'change'],
    ]);
  });

  it('does not ask --check to remove a kept-out file that is no longer produced, only to rewrite the record that lists it', () => {
    const out = tempOut();
    build(out, fleetFiles({ 'web-1': 'a' }).add('cloud-init/web-1.yaml', 'secret', { isKeptOutOfGit: true }));
    const plan = planOutput(out, fleetFiles({ 'web-1': 'a' }));
    expect(staleFiles(plan).map((f) => [f.path, f.action])).toEqual([
      [STATE_FILE, 'change'],
      ['cloud-init/web-1.yaml', 'remove'],
    ]);
    expect(staleCommittedFiles(plan).map((f) => [f.path, f.action])).toEqual([[STATE_FILE, 'change']]);
  });

  it('with a subset of targets, keeps the other targets’ files and their record', () => {
    const out = tempOut();
    build(out, fleetFiles({ 'web-1': 'a' }));
    const plan = build(out, fleetFiles({ 'web-1': 'a', 'web-3': 'c' }, { targets: ['ansible'] }), ['ansible']);
    expect(plan.files.some((f) => f.path.startsWith('chef/'))).toBe(false);
    expect(existsSync(join(out, 'chef/metadata.rb'))).toBe(true);
    const state = readFileSync(join(out, STATE_FILE), 'utf8');
    expect(state).toContain('chef/metadata.rb');
    expect(state).toContain('ansible/inventory/host_vars/web-3/main.yml');
    // A full build afterwards still knows chef/'s files, and removes the ones no longer produced.
    const full = build(out, fleetFiles({}, { targets: ['ansible'] }));
    expect(staleFiles(full).filter((f) => f.action === 'remove').map((f) => f.path)).toContain('chef/metadata.rb');
    expect(existsSync(join(out, 'chef'))).toBe(false);
  });

  it('replaces a file it generated earlier by a folder it now needs at that path', () => {
    const out = tempOut();
    const first = new FileSet().add('ssh/config', 'Host a\n');
    build(out, first);
    const plan = build(out, new FileSet().add('ssh/config/main', 'Host a\n'));
    expect(actions(plan)).toEqual({ '.gitignore': 'unchanged', 'ssh/config': 'remove', 'ssh/config/main': 'add' });
    expect(readFileSync(join(out, 'ssh/config/main'), 'utf8')).toBe('Host a\n');
  });

  it('treats an existing identical file it did not record as unchanged, and records it (a lost state file)', () => {
    const out = tempOut();
    build(out, fleetFiles({ 'web-1': 'a' }));
    rmSync(join(out, STATE_FILE));
    const plan = planOutput(out, fleetFiles({ 'web-1': 'a' }));
    expect(staleFiles(plan).map((f) => [f.path, f.action])).toEqual([[STATE_FILE, 'add']]);
    expect(plan.state.isChanged).toBe(true);
  });
});

describe('what planOutput refuses, before anything is written', () => {
  const refuses = (out: string, files: FileSet, message: RegExp): void => {
    const before = snapshotDisk(out);
    expect(() => planOutput(out, files)).toThrow(OutputError);
    expect(() => planOutput(out, files)).toThrow(message);
    expect(snapshotDisk(out)).toEqual(before);
  };

  it('a symbolic link as a folder inside out/ (a write would escape through it)', () => {
    const out = tempOut();
    const elsewhere = mkdtempSync(join(tmpdir(), 'fleetgen-elsewhere-'));
    made.push(elsewhere);
    mkdirSync(out);
    symlinkSync(elsewhere, join(out, 'chef'));
    refuses(out, fleetFiles({ 'web-1': 'a' }), /symbolic link/);
    expect(readdirSync(elsewhere)).toEqual([]);
  });

  it('a symbolic link where a generated file goes', () => {
    const out = tempOut();
    const target = join(mkdtempSync(join(tmpdir(), 'fleetgen-elsewhere-')), 'victim');
    made.push(join(target, '..'));
    writeFileSync(target, 'do not overwrite\n');
    mkdirSync(join(out, 'chef'), { recursive: true });
    symlinkSync(target, join(out, 'chef/metadata.rb'));
    refuses(out, fleetFiles({ 'web-1': 'a' }), /symbolic link/);
    expect(readFileSync(target, 'utf8')).toBe('do not overwrite\n');
  });

  it('a symbolic link on the way to a file it would remove (the delete would escape)', () => {
    const out = tempOut();
    build(out, fleetFiles({ 'web-1': 'a', 'web-2': 'b' }));
    const elsewhere = mkdtempSync(join(tmpdir(), 'fleetgen-elsewhere-'));
    made.push(elsewhere);
    mkdirSync(join(elsewhere, 'hosts'));
    writeFileSync(join(elsewhere, 'hosts/web-2.json'), 'not fleetgen’s\n');
    rmSync(join(out, 'chef/data_bags'), { recursive: true });
    symlinkSync(elsewhere, join(out, 'chef/data_bags'));
    refuses(out, fleetFiles({ 'web-1': 'a' }, { targets: ['ansible'] }), /symbolic link/);
    expect(readFileSync(join(elsewhere, 'hosts/web-2.json'), 'utf8')).toBe('not fleetgen’s\n');
  });

  it('a state file that lists a path outside out/', () => {
    const out = tempOut();
    build(out, fleetFiles({ 'web-1': 'a' }));
    const victim = join(out, '..', 'victim.txt');
    writeFileSync(victim, 'keep me\n');
    const state = JSON.parse(readFileSync(join(out, STATE_FILE), 'utf8')) as { files: unknown[] };
    state.files.push(['../victim.txt', '0644']);
    writeFileSync(join(out, STATE_FILE), JSON.stringify(state));
    refuses(out, fleetFiles({ 'web-1': 'a' }), /not inside the output folder/);
    expect(readFileSync(victim, 'utf8')).toBe('keep me\n');
  });

  it('a state file that is not JSON', () => {
    const out = tempOut();
    mkdirSync(out);
    writeFileSync(join(out, STATE_FILE), '{ nope');
    refuses(out, fleetFiles({ 'web-1': 'a' }), /not a fleetgen state file \(not valid JSON, line 1\)/);
  });

  it('a folder where a generated file goes, and a user file where a folder is needed', () => {
    const out = tempOut();
    mkdirSync(join(out, 'chef/metadata.rb'), { recursive: true });
    refuses(out, fleetFiles({ 'web-1': 'a' }), /in the way/);
    const other = tempOut();
    mkdirSync(join(other, 'chef'), { recursive: true });
    writeFileSync(join(other, 'chef/data_bags'), 'mine\n');
    refuses(other, fleetFiles({ 'web-1': 'a' }), /is a file, but fleetgen needs a folder there/);
  });

  it('an out/ that is a file', () => {
    const out = tempOut();
    mkdirSync(join(out, '..'), { recursive: true });
    writeFileSync(out, 'not a folder\n');
    expect(() => planOutput(out, fleetFiles({}))).toThrow(/exists and is not a folder/);
  });
});

describe('a recorded file replaced by a link', () => {
  it('is neither followed nor deleted', () => {
    const out = tempOut();
    build(out, fleetFiles({ 'web-1': 'a', 'web-2': 'b' }));
    const target = join(out, '..', 'precious.txt');
    writeFileSync(target, 'precious\n');
    rmSync(join(out, 'chef/data_bags/hosts/web-2.json'));
    symlinkSync(target, join(out, 'chef/data_bags/hosts/web-2.json'));
    const plan = build(out, fleetFiles({ 'web-1': 'a' }));
    expect(plan.files.map((f) => f.path)).not.toContain('chef/data_bags/hosts/web-2.json');
    expect(lstatSync(join(out, 'chef/data_bags/hosts/web-2.json')).isSymbolicLink()).toBe(true);
    expect(readFileSync(target, 'utf8')).toBe('precious\n');
  });
});

describe('a failure in the middle of applying a plan', () => {
  it('leaves no temp file and no half-written file, and keeps the old state so the next build finishes the job', () => {
    const out = tempOut();
    build(out, fleetFiles({ 'web-1': 'a', 'web-2': 'b' }));
    const stateBefore = readFileSync(join(out, STATE_FILE), 'utf8');
    const plan = planOutput(out, fleetFiles({ 'web-1': 'A', 'web-2': 'B' }));
    // Something appears where the plan writes, after planning: the rename onto a non-empty folder fails.
    rmSync(join(out, 'chef/data_bags/hosts/web-1.json'));
    mkdirSync(join(out, 'chef/data_bags/hosts/web-1.json/blocker'), { recursive: true });
    expect(() => applyPlan(plan)).toThrow();
    const files = Object.keys(snapshotDisk(out));
    expect(files.filter((path) => path.endsWith('.tmp'))).toEqual([]);
    // Files are either old or new, whole; the ansible ones (sorted before chef) are already new.
    expect(readFileSync(join(out, 'ansible/inventory/host_vars/web-1/main.yml'), 'utf8')).toBe('setting: A\n');
    expect(readFileSync(join(out, 'chef/data_bags/hosts/web-2.json'), 'utf8')).toBe('{"setting":"b"}\n');
    expect(readFileSync(join(out, STATE_FILE), 'utf8')).toBe(stateBefore);
    rmSync(join(out, 'chef/data_bags/hosts/web-1.json'), { recursive: true });
    const rerun = build(out, fleetFiles({ 'web-1': 'A', 'web-2': 'B' }));
    expect(staleFiles(rerun).map((f) => f.path)).toEqual(['chef/data_bags/hosts/web-1.json', 'chef/data_bags/hosts/web-2.json']);
    expect(staleFiles(planOutput(out, fleetFiles({ 'web-1': 'A', 'web-2': 'B' })))).toEqual([]);
  });
});

function writeAt(full: string, content: string): void {
  mkdirSync(dirname(full), { recursive: true });
  writeFileSync(full, content);
}
