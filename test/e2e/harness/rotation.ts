/**
 * Issue 9's "rotation and mode changes leave nothing behind", on the test fleet (fixtures/fleet.yaml): web-named
 * moves to another tunnel (new id and credentials) and kiosk-token from a token to a named tunnel. Shared by the
 * Debian 12 proof (fleet.e2e.test.ts) and the other releases (suites.e2e.test.ts).
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Document } from 'yaml';
import { SERVICE_USER } from '../../../src/targets/common/host-state.js';
import { expectFile } from './converged-host.js';
import { fileFacts, waitForActive } from './host-facts.js';
import type { TestFleet } from './test-fleet.js';
import type { TestHost } from './test-host.js';

/** The tunnels the two hosts move to. */
export const ROTATED = { 'web-named': '5c2e8f1a-7b3d-4e9c-8a6f-1d2c3b4a5e60', 'kiosk-token': '6d3f9a2b-8c4e-4fad-9b7a-2e3d4c5b6f71' } as const;
type RotatedHost = keyof typeof ROTATED;

export interface Rotation {
  /** web-named's credentials file before the rotation: gone after it. */
  oldCredentials: string;
}

/**
 * Writes the new tunnels' credentials beside the manifest and hands `rebuild` the manifest edit (web-named:
 * fixtures' hosts[0], kiosk-token: hosts[1]); `rebuild` applies it and builds the outputs the test converges with.
 */
export function rotateTunnels(fleet: TestFleet, rebuild: (change: (doc: Document) => void) => void): Rotation {
  for (const id of Object.values(ROTATED)) {
    const credentials = { AccountTag: '8028548601d1377c59ff611a7b3920aa', TunnelSecret: randomBytes(32).toString('base64'), TunnelID: id };
    writeFileSync(join(fleet.dir, 'secrets', `${id}.json`), JSON.stringify(credentials), { mode: 0o600 });
  }
  const oldCredentials = fleet.host('web-named').paths.credentials ?? '';
  rebuild((doc) => {
    if (doc.getIn(['hosts', 0, 'name']) !== 'web-named' || doc.getIn(['hosts', 1, 'name']) !== 'kiosk-token') {
      throw new Error(`${fleet.manifest}: the rotation expects web-named and kiosk-token as hosts[0] and hosts[1]`);
    }
    doc.setIn(['hosts', 0, 'tunnel', 'id'], ROTATED['web-named']);
    doc.setIn(['hosts', 0, 'tunnel', 'credentials', 'file'], `secrets/${ROTATED['web-named']}.json`);
    doc.setIn(['hosts', 1, 'tunnel'], doc.createNode({ id: ROTATED['kiosk-token'], credentials: { file: `secrets/${ROTATED['kiosk-token']}.json` } }));
  });
  return { oldCredentials };
}

/** After the converge: each host holds only its new tunnel's files, and its service runs on that tunnel. */
export async function checkRotated(fleet: TestFleet, hostOf: (name: RotatedHost) => TestHost, rotation: Rotation): Promise<void> {
  for (const name of Object.keys(ROTATED) as RotatedHost[]) {
    const host = hostOf(name);
    const model = fleet.host(name);
    expectFile(fileFacts(host, model.paths.credentials ?? ''), { owner: 'root', group: SERVICE_USER, mode: '0640' });
    // Nothing of the old tunnel is left in /etc/cloudflared.
    expect(readdirSync(join(host.root, 'etc/cloudflared')).sort(), name).toEqual(['config.yml', `${ROTATED[name]}.json`].sort());
    const service = await waitForActive(host);
    const environment = host.exec(['cat', `/proc/${service.mainPid}/environ`]).stdout.split('\0');
    expect(environment.some((v) => v.startsWith('TUNNEL_TOKEN=')), name).toBe(false);
    expect(host.exec(['journalctl', '-u', 'cloudflared', '--no-pager', '-n', '30']).stdout, name).toContain(`tunnelID=${ROTATED[name]}`);
  }
  expect(fileFacts(hostOf('web-named'), rotation.oldCredentials).type).toBe('missing');
  expect(fileFacts(hostOf('kiosk-token'), '/etc/cloudflared/tunnel-token.env').type).toBe('missing');
}
