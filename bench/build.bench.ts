/**
 * `npm run bench`: how fleetgen scales with fleet size. Each figure is reported as a ratio against a baseline
 * measured in the same run on the same manifest (parsing its YAML text with the yaml library and nothing else),
 * so numbers from different machines compare. Not a test: nothing here fails on a slow machine.
 *
 *   npm run bench              # fleets of 100, 1,000 and 5,000 hosts
 *   npm run bench -- 20000     # other sizes
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { buildFleet } from '../src/build.js';
import { compileFleet } from '../src/pipeline.js';
import { TARGET_NAMES } from '../src/targets/target.js';
import { planOutput } from '../src/write/plan.js';
import { applyPlan } from '../src/write/apply.js';

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const SIZES = sizes.length > 0 ? sizes : [100, 1000, 5000];

function uuid(i: number): string {
  const hex = i.toString(16).padStart(12, '0');
  return `00000000-0000-4000-8000-${hex}`;
}

/** A fleet of `n` named hosts in 10 groups, each with a generated SSH hostname and one HTTP rule. */
function writeFleet(dir: string, n: number): string {
  mkdirSync(join(dir, 'secrets'));
  const hosts: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = uuid(i);
    writeFileSync(
      join(dir, 'secrets', `${id}.json`),
      JSON.stringify({ AccountTag: '0123456789abcdef0123456789abcdef', TunnelSecret: Buffer.alloc(32, i % 251).toString('base64'), TunnelID: id }),
    );
    hosts.push(
      [
        `  - name: host-${i}`,
        `    group: g${i % 10}`,
        `    tunnel: { id: ${id}, credentials: { file: secrets/${id}.json } }`,
        `    ingress:`,
        `      - service: ssh://localhost:22`,
        `      - { hostname: web-${i}.example.com, service: "http://localhost:8080" }`,
      ].join('\n'),
    );
  }
  const groups = Array.from({ length: 10 }, (_, g) => `  g${g}: { description: group ${g} }`).join('\n');
  const text = `version: 1\nfleet: bench\nzone: example.com\ndefaults:\n  cloudflared: { version: "2025.8.1", install: package }\n  ssh: { shortLivedCerts: { caPublicKey: "ecdsa-sha2-nistp256 AAAAE2VjZHNh open-ssh-ca@cloudflareaccess.org" } }\ngroups:\n${groups}\nhosts:\n${hosts.join('\n')}\n`;
  const path = join(dir, 'fleet.yaml');
  writeFileSync(path, text);
  return text;
}

function time<T>(fn: () => T): { ms: number; value: T } {
  const start = performance.now();
  const value = fn();
  return { ms: performance.now() - start, value };
}

/** Median of three runs: one slow run (GC, a busy core) does not decide the figure. */
function median(fn: () => unknown): number {
  const runs = [0, 1, 2].map(() => time(fn).ms).sort((a, b) => a - b);
  return runs[1] ?? 0;
}

console.log('hosts    baseline(parse)   compile         build(all targets)   first write      rebuild (no change)');
for (const n of SIZES) {
  const dir = mkdtempSync(join(tmpdir(), 'fleetgen-bench-'));
  try {
    const text = writeFleet(dir, n);
    const manifest = join(dir, 'fleet.yaml');
    const baseline = median(() => parseDocument(text).toJS());
    const compile = median(() => compileFleet(manifest, { env: {} }));
    const { fleet } = compileFleet(manifest, { env: {} });
    const build = median(() => buildFleet(fleet, { targets: [...TARGET_NAMES], options: {} }));
    const { files } = buildFleet(fleet, { targets: [...TARGET_NAMES], options: {} });
    const out = join(dir, 'out');
    const firstWrite = time(() => applyPlan(planOutput(out, files))).ms;
    const rebuild = median(() => applyPlan(planOutput(out, files)));
    const ratio = (ms: number) => `${(ms / baseline).toFixed(1)}x`.padEnd(8);
    console.log(
      `${String(n).padEnd(8)} ${baseline.toFixed(0).padStart(6)} ms = 1x   ${ratio(compile)}${compile.toFixed(0).padStart(6)} ms   ${ratio(build)}${build.toFixed(0).padStart(7)} ms      ${ratio(firstWrite)}${firstWrite.toFixed(0).padStart(6)} ms  ${ratio(rebuild)}${rebuild.toFixed(0).padStart(6)} ms   (${files.list().length} files)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
