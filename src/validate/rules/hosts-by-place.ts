import { formatPath } from '../../diagnostics/diagnostic.js';
import type { ManifestPath } from '../../load/source-map.js';

/**
 * Hosts grouped by the place a diagnostic about them belongs (and a detail such as an arch), so a setting that
 * fifty hosts inherit from defaults is reported once, naming the hosts, instead of fifty times.
 */
export class HostsByPlace<Detail extends string = string> {
  private readonly places = new Map<string, { path: ManifestPath; detail: Detail; hosts: string[] }>();

  add(path: ManifestPath, detail: Detail, host: string): void {
    const key = `${formatPath(path)}\u0000${detail}`;
    const place = this.places.get(key);
    if (place) place.hosts.push(host);
    else this.places.set(key, { path, detail, hosts: [host] });
  }

  entries(): { path: ManifestPath; detail: Detail; hosts: string[] }[] {
    return [...this.places.values()];
  }
}
