/** How often each target's parts run during a build, to prove which hosts (and which fleet-wide files) it regenerated. */
import { vi } from 'vitest';
import { TARGET_PARTS } from '../../src/build.js';
import { TARGET_NAMES } from '../../src/targets/target.js';

/** How often each target's host part (or its fleet-wide part) runs during `step`. */
export function partRuns(part: 'host' | 'fleet', step: () => void): Record<string, number> {
  const spies = TARGET_NAMES.map((name) => [name, vi.spyOn(TARGET_PARTS[name], part)] as const);
  step();
  const counts = Object.fromEntries(spies.map(([name, spy]) => [name, spy.mock.calls.length]));
  for (const [, spy] of spies) spy.mockRestore();
  return counts;
}

export const hostRuns = (step: () => void): Record<string, number> => partRuns('host', step);
export const fleetRuns = (step: () => void): Record<string, number> => partRuns('fleet', step);
