/**
 * Which module holds a host. With split: chunks the module depends only on the host's name and the chunk count, so a
 * fleet can grow, shrink and regroup without a single host changing state — the property that makes chunks usable
 * at 10,000 hosts, where per-group modules can grow without bound inside one large group.
 */
import { describe, expect, it } from 'vitest';
import { chunkModule, terraformLayoutOf, terraformModuleOf } from '../../src/manifest/terraform-layout.js';

const names = (count: number, prefix = 'store-'): string[] => Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(5, '0')}`);
const assign = (hosts: string[], chunks: number): Map<string, string> => new Map(hosts.map((name) => [name, terraformModuleOf({ name, group: 'stores' }, { split: 'chunks', chunks })]));

describe('terraform modules', () => {
  it('are one per group by default, ungrouped/ without a group, hosts/ with split: fleet', () => {
    expect(terraformModuleOf({ name: 'a', group: 'stores' }, terraformLayoutOf(undefined))).toBe('group-stores');
    expect(terraformModuleOf({ name: 'a' }, terraformLayoutOf({}))).toBe('ungrouped');
    expect(terraformModuleOf({ name: 'a', group: 'stores' }, terraformLayoutOf({ split: 'fleet' }))).toBe('hosts');
  });

  it('with split: chunks, never move a host when other hosts are added or removed', () => {
    const fleet = names(2000);
    const before = assign(fleet, 40);
    const grown = assign([...fleet.filter((_, i) => i % 3 !== 0), ...names(3000, 'kiosk-')], 40);
    for (const [host, module] of grown) if (before.has(host)) expect(module, host).toBe(before.get(host));
  });

  it('with split: chunks, keep a host in its module when its group changes', () => {
    for (const name of names(200)) {
      expect(terraformModuleOf({ name, group: 'lab' }, { split: 'chunks', chunks: 16 })).toBe(terraformModuleOf({ name, group: 'stores' }, { split: 'chunks', chunks: 16 }));
    }
  });

  it('spread 10,000 hosts evenly over the chunks, each within 15% of the mean, in zero-padded folders that sort in order', () => {
    const modules = [...assign(names(10_000), 40).values()];
    const counts = new Map<string, number>();
    for (const module of modules) counts.set(module, (counts.get(module) ?? 0) + 1);
    expect([...counts.keys()].sort()).toEqual(Array.from({ length: 40 }, (_, k) => `chunk-${String(k).padStart(2, '0')}`));
    for (const [module, count] of counts) expect(Math.abs(count - 250), module).toBeLessThan(250 * 0.15);
  });

  it('map a name to the same chunk in every release (changing the hash would move every host between states)', () => {
    // Pinned (computed once with Python's hashlib): SHA-256 of the name, first 32 bits big-endian, modulo the count.
    expect([chunkModule('store-0001', 16), chunkModule('store-0002', 16), chunkModule('kiosk-17', 40), chunkModule('lab-pi-3', 1000)]).toEqual([
      'chunk-01',
      'chunk-14',
      'chunk-26',
      'chunk-892',
    ]);
  });
});
