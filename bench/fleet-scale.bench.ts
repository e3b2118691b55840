/**
 * `npm run bench:scale`: fleetgen at fleet scale, end to end, as a user runs it (the built CLI in a child process).
 * Every figure is a ratio to a baseline measured in the same run, so a busy or slow machine moves both sides:
 *
 * - cold build          ÷ the plain-write floor: Node writing the same bytes to the same paths (writeFileSync,
 *                         no temp file, no fsync), measured right after the build it copies; both start after a
 *                         `sync`, so neither pays for the other's pending writeback. On this project's 2-core VMs
 *                         the floor still varies several-fold from run to run (4 s to 37 s for the same 70,111
 *                         files, back to back), so the cold build's CPU time (user + system) is printed beside it:
 *                         the figure to compare across runs;
 * - nothing changed     ÷ `fleetgen validate` of the same manifest;
 * - one host changed    ÷ the cold build (and how many files the build touched: written, renamed or removed);
 * - peak RSS of the cold build (process.resourceUsage().maxRSS of the fleetgen process);
 * - startup: the same CLI printing its version (`fleetgen --version`: Node starting and fleetgen's modules loading),
 *   which every figure above includes: at 1,000 hosts it is more than a tenth of the cold build by itself;
 * - committed size: bytes per host of everything a user commits, which is what `git add out/` stages (git itself is
 *   asked, so the .gitignore files the build writes decide: user-data and clear-text secrets aside, the record in);
 *   beside it, the part in out/chef + out/ansible (issue 10's goal: ≤ 2 KB per host), and each folder's part below
 *   the table.
 *
 *   npm run bench:scale                      # 1,000 and 10,000 hosts, median of 5
 *   npm run bench:scale -- --sizes 1000 --runs 3
 *   npm run bench:scale -- --huge            # also 100,000 hosts (one run; needs several GB and many minutes)
 *
 * Not a test: nothing here fails on a slow machine. It prints a table and the 10k/1k scaling of every case.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { committedPerHost, type Committed, type Size } from './committed-size.js';
import { writeScaleFleet } from './scale-fleet.js';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(REPO, 'dist', 'src', 'cli', 'main.js');
const RSS_PROBE = join(REPO, 'bench', 'rss-probe.mjs');

interface Settings {
  sizes: number[];
  runs: number;
}

function parseSettings(argv: readonly string[]): Settings {
  let sizes = [1000, 10_000];
  let runs = 5;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--sizes') sizes = String(argv[++i] ?? '').split(',').map(Number).filter((n) => n > 0);
    else if (arg === '--runs') runs = Math.max(1, Number(argv[++i]) || 1);
    else if (arg === '--huge') sizes = [...sizes, 100_000];
    else throw new Error(`unknown argument ${arg}: use --sizes N[,N…], --runs N, --huge`);
  }
  return { sizes, runs };
}

interface Measured {
  ms: number;
  /** Peak resident set of the fleetgen process, in MB. */
  rssMb: number;
  /** CPU time of the fleetgen process (user + system), in ms. */
  cpuMs: number;
}

/** Runs the CLI; exit 0 or 1 (e.g. --check) are results, anything else is a failure of the bench. */
async function fleetgen(args: readonly string[], cwd: string): Promise<Measured> {
  const rssFile = join(cwd, `.rss-${process.hrtime.bigint()}`);
  const start = performance.now();
  await run(process.execPath, ['--import', RSS_PROBE, BIN, ...args], {
    cwd,
    env: { ...process.env, FLEETGEN_BENCH_RSS_FILE: rssFile },
    maxBuffer: 256 * 1024 * 1024,
  });
  const ms = performance.now() - start;
  const usage = JSON.parse(readFileSync(rssFile, 'utf8')) as { maxRSS: number; userCPUTime: number; systemCPUTime: number };
  rmSync(rssFile);
  return { ms, rssMb: usage.maxRSS / 1024, cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000 };
}

/** Writes out every dirty page first, so that the next timed step does not pay for the previous one's. */
async function settleDisk(): Promise<void> {
  await run('sync');
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

interface Listed {
  path: string;
  stat: Stats;
}

function listFiles(root: string, below = ''): Listed[] {
  const found: Listed[] = [];
  for (const entry of readdirSync(join(root, below), { withFileTypes: true })) {
    const path = below ? `${below}/${entry.name}` : entry.name;
    if (entry.isDirectory()) for (const file of listFiles(root, path)) found.push(file); // 100k hosts: too many for push(...)
    else if (entry.isFile()) found.push({ path, stat: statSync(join(root, path), { bigint: false }) });
  }
  return found;
}

/** The floor: the same bytes written to the same paths by plain Node, in a fresh folder. */
async function plainWrite(outDir: string, floorDir: string): Promise<number> {
  const files = listFiles(outDir).map((f) => ({ path: f.path, content: readFileSync(join(outDir, f.path)) }));
  rmSync(floorDir, { recursive: true, force: true });
  await settleDisk();
  const start = performance.now();
  for (const file of files) {
    const full = join(floorDir, file.path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, file.content);
  }
  return performance.now() - start;
}

/** Files a build wrote, replaced or removed: anything whose inode, mtime or presence differs. */
function touchedFiles(before: readonly Listed[], after: readonly Listed[]): number {
  const old = new Map(before.map((f) => [f.path, f.stat]));
  let touched = 0;
  for (const file of after) {
    const previous = old.get(file.path);
    if (previous === undefined || previous.ino !== file.stat.ino || previous.mtimeMs !== file.stat.mtimeMs) touched++;
    old.delete(file.path);
  }
  return touched + old.size;
}

interface Row {
  hosts: number;
  files: number;
  floorMs: number;
  coldMs: number;
  coldCpuMs: number;
  /** `fleetgen --version`: what every run of the CLI takes before it reads anything. */
  startupMs: number;
  validateMs: number;
  noChangeMs: number;
  oneHostMs: number;
  oneHostTouched: number;
  rssMb: number;
  committed: Committed;
}

async function measure(n: number, runs: number): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), 'fleetgen-scale-'));
  try {
    const manifest = writeScaleFleet(dir, n);
    // The lock file is written by the first build; every measured build runs with it in place.
    await fleetgen(['hosts', manifest], dir);
    const cold: Measured[] = [];
    const floors: number[] = [];
    for (let i = 0; i < runs; i++) {
      rmSync(join(dir, 'out'), { recursive: true, force: true });
      await settleDisk();
      cold.push(await fleetgen(['build', manifest, '--out', 'out'], dir));
      floors.push(await plainWrite(join(dir, 'out'), join(dir, 'floor')));
    }
    const validate: number[] = [];
    const noChange: number[] = [];
    const startup: number[] = [];
    for (let i = 0; i < runs; i++) {
      startup.push((await fleetgen(['--version'], dir)).ms);
      validate.push((await fleetgen(['validate', manifest], dir)).ms);
      noChange.push((await fleetgen(['build', manifest, '--out', 'out'], dir)).ms);
    }
    const oneHost: number[] = [];
    let touched = 0;
    for (let i = 0; i < runs; i++) {
      // Alternate the changed host's port so every run is a real one-host change against the previous build.
      writeScaleFleet(dir, n, { withSecrets: false, ...(i % 2 === 0 ? { changedHost: Math.floor(n / 2) } : {}) });
      const before = listFiles(join(dir, 'out'));
      oneHost.push((await fleetgen(['build', manifest, '--out', 'out'], dir)).ms);
      touched = touchedFiles(before, listFiles(join(dir, 'out')));
    }
    return {
      hosts: n,
      files: listFiles(join(dir, 'out')).length,
      floorMs: median(floors),
      coldMs: median(cold.map((m) => m.ms)),
      coldCpuMs: median(cold.map((m) => m.cpuMs)),
      validateMs: median(validate),
      noChangeMs: median(noChange),
      oneHostMs: median(oneHost),
      oneHostTouched: touched,
      rssMb: Math.max(...cold.map((m) => m.rssMb)),
      startupMs: median(startup),
      committed: await committedPerHost(dir, n),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function fixed(value: number, digits = 2): string {
  return value.toFixed(digits);
}

/** `3.2 KB (12.0 KB)`: content, then on disk. */
function kilobytes(size: Size): string {
  return `${fixed(size.bytes / 1024, 1)} KB (${fixed(size.diskBytes / 1024, 1)} KB)`;
}

async function main(): Promise<void> {
  const { sizes, runs } = parseSettings(process.argv.slice(2));
  statSync(BIN); // a clear ENOENT before minutes of work: run `npm run build` first (npm run bench:scale does)
  const rows: Row[] = [];
  console.log(`median of ${runs} run(s) per figure; goals (issue 10): cold ≤ 2× floor, no change ≤ 2× validate, one host ≤ 0.1× cold, RSS ≤ 500 MB at 10k, chef+ansible ≤ 2 KB/host committed`);
  // [heading, width of a typical cell, cell]: rows print as they are measured, so widths are set beforehand.
  const columns: [heading: string, width: number, cell: (row: Row) => string][] = [
    ['hosts', 6, (row) => String(row.hosts)],
    ['files', 7, (row) => String(row.files)],
    ["cold/floor (the build's CPU time)", 34, (row) => `${fixed(row.coldMs / row.floorMs)}× (${fixed(row.coldMs / 1000, 1)} s / ${fixed(row.floorMs / 1000, 1)} s; CPU ${fixed(row.coldCpuMs / 1000, 1)} s)`],
    ['nothing/validate', 23, (row) => `${fixed(row.noChangeMs / row.validateMs)}× (${fixed(row.noChangeMs / 1000, 1)} s / ${fixed(row.validateMs / 1000, 1)} s)`],
    ['one-host/cold (files touched)', 29, (row) => `${fixed(row.oneHostMs / row.coldMs)}× (${fixed(row.oneHostMs / 1000, 1)} s, ${row.oneHostTouched} files)`],
    ['peak RSS', 8, (row) => `${fixed(row.rssMb, 0)} MB`],
    ['startup/cold', 20, (row) => `${fixed(row.startupMs / row.coldMs)}× (${fixed(row.startupMs / 1000)} s)`],
    ['committed/host (on disk)', 24, (row) => kilobytes(row.committed.all)],
    ['of it chef+ansible', 18, (row) => kilobytes(row.committed.chefAndAnsible)],
  ];
  const line = (cells: readonly string[]): string => cells.map((cell, i) => cell.padEnd(Math.max(columns[i]?.[0].length ?? 0, columns[i]?.[1] ?? 0))).join('  ').trimEnd();
  console.log(line(columns.map(([heading]) => heading)));
  for (const n of ascending(sizes)) {
    const runsHere = n >= 100_000 ? 1 : runs;
    const row = await measure(n, runsHere);
    rows.push(row);
    console.log(line(columns.map(([, , cell]) => cell(row))));
  }
  for (const row of rows) {
    const folders = [...row.committed.byFolder].map(([folder, size]) => `${folder} ${fixed(size.bytes / 1024, 2)} KB`);
    console.log(`committed per host at ${row.hosts} hosts (what git add out/ stages), by folder: ${folders.join(', ')}`);
  }
  const small = rows.find((r) => r.hosts === 1000);
  const large = rows.find((r) => r.hosts === 10_000);
  if (small && large) {
    const scale = (pick: (r: Row) => number) => fixed(pick(large) / pick(small), 1);
    console.log(
      `10k/1k scaling (goal ≤ 11×): cold ${scale((r) => r.coldMs)}×, nothing changed ${scale((r) => r.noChangeMs)}×, one host ${scale((r) => r.oneHostMs)}×, validate ${scale((r) => r.validateMs)}×, floor ${scale((r) => r.floorMs)}×`,
    );
  }
}

function ascending(sizes: readonly number[]): number[] {
  return [...new Set(sizes)].sort((a, b) => a - b);
}

await main();
