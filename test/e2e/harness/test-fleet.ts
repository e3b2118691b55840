/**
 * The test fleet (test/e2e/fixtures/) as a user would hold it: a folder with fleet.yaml and its secrets, built with
 * the real `fleetgen build` CLI. The harness works on a copy per use, adds the run's repository key (the manifest
 * names it as cloudflared.repositoryKey) and edits the copy's manifest the way a user would.
 */
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument, type Document } from 'yaml';
import { compileFleet } from '../../../src/pipeline.js';
import type { Fleet, Host } from '../../../src/model/fleet.js';
import { standInSha256, standInVersion, STAND_IN_ARCH, STAND_IN_SOURCE, type ArtifactMirror } from './artifact-mirror.js';
import { E2E_DIR, FLEETGEN_BIN, GUEST_MIRROR_URL } from './places.js';
import { runSync } from './run.js';

export const FIXTURE_DIR = join(E2E_DIR, 'fixtures');
export const REPOSITORY_KEY_FILE = 'keys/repository.asc';

export class TestFleet {
  readonly manifest: string;

  constructor(readonly dir: string) {
    this.manifest = join(dir, 'fleet.yaml');
  }

  /** A copy of the fixture fleet in `dir`, with the run's repository key beside it. */
  static copy(dir: string, mirror: Pick<ArtifactMirror, 'repositoryKey'>): TestFleet {
    cpSync(FIXTURE_DIR, dir, { recursive: true });
    mkdirSync(join(dir, 'keys'), { recursive: true });
    cpSync(mirror.repositoryKey, join(dir, REPOSITORY_KEY_FILE));
    const fleet = new TestFleet(dir);
    fleet.checkAgainstMirror();
    return fleet;
  }

  /** The manifest must point at the harness's mirror and pin what it serves: say exactly what to fix if not. */
  private checkAgainstMirror(): void {
    const c = (this.document().toJS() as { defaults: { cloudflared: { version: string; mirror: string; sha256: Record<string, string> } } }).defaults.cloudflared;
    const fixture = join(FIXTURE_DIR, 'fleet.yaml');
    if (c.mirror !== GUEST_MIRROR_URL) throw new Error(`${fixture}: defaults.cloudflared.mirror must be ${GUEST_MIRROR_URL} (the harness's mirror)`);
    if (c.version !== standInVersion()) throw new Error(`${fixture}: defaults.cloudflared.version must be "${standInVersion()}", the VERSION of ${STAND_IN_SOURCE}`);
    if (c.sha256[STAND_IN_ARCH] !== standInSha256()) {
      throw new Error(`${fixture}: defaults.cloudflared.sha256.${STAND_IN_ARCH} must be the sha256 of ${STAND_IN_SOURCE} (it changed): write ${standInSha256()}`);
    }
  }

  document(): Document {
    return parseDocument(readFileSync(this.manifest, 'utf8'));
  }

  /** Edits the manifest as a user would (comments and layout kept). */
  edit(change: (doc: Document) => void): void {
    const doc = this.document();
    change(doc);
    writeFileSync(this.manifest, doc.toString());
  }

  /** `fleetgen build fleet.yaml --out OUT [...]` with the real CLI; throws with its output when it fails. */
  build(out: string, extraArgs: string[] = []): string {
    return runSync([process.execPath, FLEETGEN_BIN, 'build', 'fleet.yaml', '--out', out, ...extraArgs], { cwd: this.dir, timeoutMs: 60_000 }).stdout;
  }

  /** The normalized fleet, as the targets saw it: what tests compare hosts against. */
  compile(): Fleet {
    return compileFleet(this.manifest).fleet;
  }

  host(name: string): Host {
    const host = this.compile().hosts.find((h) => h.name === name);
    if (!host) throw new Error(`no host ${name} in ${this.manifest}`);
    return host;
  }
}
