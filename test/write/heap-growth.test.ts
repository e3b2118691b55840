import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { TARGET_NAMES, type TargetOptions } from '../../src/targets/target.js';
import { growHeapFreely, growHeapSlowly, heapGrowth } from '../../src/write/heap-growth.js';
import { buildIntoOut } from '../../src/write/incremental.js';
import { sampleFleetWithRemoteIngress } from '../support/sample-fleet.js';

const made: string[] = [];
afterAll(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
afterEach(() => growHeapSlowly());

function tempOut(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fleetgen-heap-'));
  made.push(dir);
  return join(dir, 'out');
}

const everything = { targets: TARGET_NAMES, options: {} as TargetOptions };

describe('heap growth', () => {
  it('goes back to slow growth after free growth, without leaving gc() in this context', () => {
    growHeapFreely();
    expect(heapGrowth()).toBe('free');
    growHeapSlowly();
    expect(heapGrowth()).toBe('slow');
    expect('gc' in globalThis).toBe(false);
  });

  it('grows slowly again once a build starts generating many hosts, and stays free for a rebuild that regenerates none', () => {
    const out = tempOut();
    const fleet = sampleFleetWithRemoteIngress();
    growHeapFreely();
    buildIntoOut(out, fleet, { ...everything, hostsForGeneratingThread: 1 });
    expect(heapGrowth()).toBe('slow');

    growHeapFreely();
    buildIntoOut(out, fleet, { ...everything, hostsForGeneratingThread: 1 }); // nothing changed: nothing to generate
    expect(heapGrowth()).toBe('free');
  });
});
