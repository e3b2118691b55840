/**
 * The whole compiler on a manifest with one host per supported OS (written from model/platforms.ts's table, so a
 * new OS is covered as soon as it is there): the schema accepts each, normalize gives it its family, and every
 * target builds it with the repository file of its release.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { buildFleet } from '../../src/build.js';
import { OS_FACTS } from '../../src/model/platforms.js';
import { compileFleet } from '../../src/pipeline.js';
import { packageSource } from '../../src/targets/common/package-source.js';
import { TARGET_NAMES } from '../../src/targets/target.js';
import { ansibleHostVars, chefHostData } from '../support/host-data.js';
import { platformHostName, SUPPORTED_OS } from '../support/platform-fleet.js';

const dir = mkdtempSync(join(tmpdir(), 'fleetgen-platforms-build-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** fleet.yaml with a named-tunnel host per OS (package install), and its fake credentials. */
function writeManifest(): string {
  mkdirSync(join(dir, 'secrets'), { recursive: true });
  const hosts = SUPPORTED_OS.map((os, i) => {
    const id = `00000000-0000-4000-8000-${String(i + 1).padStart(12, '0')}`;
    const credentials = { AccountTag: 'fake0account0tag0000000000000000', TunnelSecret: Buffer.from(`fake secret ${i}`).toString('base64'), TunnelID: id };
    writeFileSync(join(dir, 'secrets', `${id}.json`), JSON.stringify(credentials));
    const name = platformHostName(os);
    return {
      name,
      platform: { os },
      tunnel: { id, credentials: { file: `secrets/${id}.json` } },
      ingress: [{ hostname: `${name}.example.com`, service: 'ssh://localhost:22' }],
    };
  });
  const manifest = { version: 1, fleet: 'platforms', zone: 'example.com', defaults: { cloudflared: { version: '2025.8.1', install: 'package' } }, hosts };
  writeFileSync(join(dir, 'fleet.yaml'), stringify(manifest));
  return join(dir, 'fleet.yaml');
}

describe('fleetgen build of a host on every supported OS', () => {
  it('accepts each OS, gives each host its family, and writes the repository file of its release in every target', () => {
    const { fleet } = compileFleet(writeManifest(), { env: {} });
    expect(fleet.hosts.map((h) => [h.platform.os, h.platform.family]).sort()).toEqual(SUPPORTED_OS.map((os) => [os, OS_FACTS[os].family]).sort());
    const files = buildFleet(fleet, { targets: [...TARGET_NAMES], options: {} }).files;
    for (const host of fleet.hosts) {
      const source = packageSource(host);
      if (!source) throw new Error(`${host.name}: no package source`);
      const text = (path: string): string => String(files.get(path)?.content ?? `(no ${path})`);
      // Each target carries the file byte for byte (YAML and JSON escape it their own way; compare parsed data).
      expect(text(`cloud-init/${host.name}.yaml`), host.name).toContain(source.sourceFile.path);
      const below = (prefix: string) => ({ get: (path: string) => files.get(`${prefix}/${path}`) });
      const vars = ansibleHostVars(below('ansible'), 'platforms', host.name) as { cloudflared_repository_files: unknown[] };
      expect(vars.cloudflared_repository_files, host.name).toContainEqual(expect.objectContaining(source.sourceFile));
      const item = chefHostData(below('chef'), 'platforms', host.name) as { install: { repository: { source: unknown } } };
      expect(item.install.repository.source, host.name).toMatchObject(source.sourceFile);
    }
  });
});
