import { InternalError } from '../diagnostics/diagnostic.js';
import type { ManifestPath } from '../load/source-map.js';
import type { Host as ManifestHost, Settings } from '../manifest/types.generated.js';
import type { Manifest } from '../validate/schema.js';

/** The settings keys a host inherits: defaults ◀ group ◀ host. */
export const SETTING_KEYS = ['platform', 'cloudflared', 'tunnel', 'ingress', 'originRequest', 'ssh', 'metrics', 'lockdown', 'state', 'access'] as const;

type Layer = { path: ManifestPath; settings: Settings };

/**
 * A host's settings with every layer applied: objects merge key by key, lists and scalars replace.
 * `originOf` tells which layer gave a value, so a diagnostic about an inherited value points where it was written.
 */
export interface EffectiveSettings {
  hostIndex: number;
  host: ManifestHost;
  settings: Settings;
  /** Manifest path of the layer (host, group or defaults) that sets `subpath`, e.g. ['tunnel','credentials']. */
  originOf(subpath: readonly (string | number)[]): ManifestPath;
  /** Path of the host itself: where errors about something missing are reported. */
  hostPath: ManifestPath;
}

const effectiveByManifest = new WeakMap<Manifest, readonly EffectiveSettings[]>();

/**
 * Every host's effective settings, in manifest order: worked out once per manifest object and shared by validation,
 * the Terraform outputs and normalization (three passes over 10,000 hosts otherwise). Read-only: the settings are
 * merged objects that share their leaves with the manifest, and nothing may change either.
 */
export function effectiveHosts(manifest: Manifest): readonly EffectiveSettings[] {
  let hosts = effectiveByManifest.get(manifest);
  if (hosts === undefined) {
    hosts = manifest.hosts.map((_, i) => effectiveSettings(manifest, i));
    effectiveByManifest.set(manifest, hosts);
  }
  return hosts;
}

export function effectiveSettings(manifest: Manifest, hostIndex: number): EffectiveSettings {
  const host = manifest.hosts[hostIndex];
  if (!host) throw new InternalError(`no host at index ${hostIndex}`);
  const layers: Layer[] = [];
  if (manifest.defaults) layers.push({ path: ['defaults'], settings: manifest.defaults });
  const group = host.group !== undefined ? manifest.groups?.[host.group] : undefined;
  if (group && host.group !== undefined) layers.push({ path: ['groups', host.group], settings: group });
  layers.push({ path: ['hosts', hostIndex], settings: pickSettings(host) });

  let settings: Record<string, unknown> = {};
  for (const layer of layers) settings = mergeObjects(settings, pickSettings(layer.settings));

  const hostPath: ManifestPath = ['hosts', hostIndex];
  const innermostFirst = layers.reverse();
  return {
    hostIndex,
    host,
    settings: settings as Settings,
    hostPath,
    originOf(subpath) {
      for (const layer of innermostFirst) {
        if (has(layer.settings, subpath)) return [...layer.path, ...subpath];
      }
      // Not set anywhere: the deepest object on the way that is set, else the host.
      for (let depth = subpath.length - 1; depth > 0; depth--) {
        const prefix = subpath.slice(0, depth);
        for (const layer of innermostFirst) {
          if (has(layer.settings, prefix)) return [...layer.path, ...prefix];
        }
      }
      return hostPath;
    },
  };
}

function pickSettings(source: Settings): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of SETTING_KEYS) {
    if (source[key] !== undefined) out[key] = source[key];
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Deep merge: objects merge key by key; lists, scalars and secret references are replaced by the later layer. */
export function mergeObjects(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (value === undefined) continue;
    const prior = out[key];
    out[key] = isPlainObject(prior) && isPlainObject(value) && !isReference(value) ? mergeObjects(prior, value) : value;
  }
  return out;
}

/** `{ file: … }` / `{ env: … }` name one secret as a whole: a host's `{ env }` replaces a default `{ file }`. */
function isReference(value: Record<string, unknown>): boolean {
  const keys = Object.keys(value);
  return keys.length > 0 && keys.every((k) => k === 'file' || k === 'env');
}

function has(root: unknown, path: readonly (string | number)[]): boolean {
  let node = root;
  for (const part of path) {
    if (!isPlainObject(node) && !Array.isArray(node)) return false;
    const next = (node as Record<string | number, unknown>)[part];
    if (next === undefined) return false;
    node = next;
  }
  return true;
}
