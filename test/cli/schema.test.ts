import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fleetgen, REPO } from './fleetgen.js';

describe('fleetgen schema', () => {
  it('prints schemas/fleet.schema.json as JSON', async () => {
    const result = await fleetgen(['schema']);
    expect(result.status, result.stderr).toBe(0);
    const onDisk: unknown = JSON.parse(readFileSync(join(REPO, 'schemas', 'fleet.schema.json'), 'utf8'));
    expect(JSON.parse(result.stdout)).toEqual(onDisk);
    expect(result.stderr).toBe('');
  });
});
