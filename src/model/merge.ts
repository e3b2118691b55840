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
 * merged objects that share their leaves with the manifest (and, for what a host does not set itself, with the other
 * hosts of its group), and nothing may change either.
 */
export function effectiveHosts(manifest: Manifest): readonly EffectiveSettings[] {
  let hosts = effectiveByManifest.get(manifest);
  if (hosts === undefined) {
    // Defaults ◀ group is the same for every host of a group: merged once per group, not once per host.
    const frames = new Map<string | undefined, FrameLayers>();
    hosts = manifest.hosts.map((host, i) => {
      let frame = frames.get(host.group);
      if (frame === undefined) {
        frame = frameLayersOf(manifest, host.group);
        frames.set(host.group, frame);
      }
      return effectiveOf(host, i, frame);
    });
    effectiveByManifest.set(manifest, hosts);
  }
  return hosts;
}

export function effectiveSettings(manifest: Manifest, hostIndex: number): EffectiveSettings {
  const host = manifest.hosts[hostIndex];
  if (!host) throw new InternalError(`no host at index ${hostIndex}`);
  return effectiveOf(host, hostIndex, frameLayersOf(manifest, host.group));
}

/** What a host inherits: the defaults and its group's layers, innermost first, and their settings merged. */
interface FrameLayers {
  layers: readonly Layer[];
  merged: Record<string, unknown>;
}

function frameLayersOf(manifest: Manifest, groupName: string | undefined): FrameLayers {
  const layers: Layer[] = [];
  if (manifest.defaults) layers.push({ path: ['defaults'], settings: manifest.defaults });
  const group = groupName !== undefined ? manifest.groups?.[groupName] : undefined;
  if (group && groupName !== undefined) layers.push({ path: ['groups', groupName], settings: group });
  let merged: Record<string, unknown> = {};
  for (const layer of layers) merged = mergeObjects(merged, pickSettings(layer.settings));
  return { layers: layers.reverse(), merged };
}

function effectiveOf(host: ManifestHost, hostIndex: number, frame: FrameLayers): EffectiveSettings {
  const own = pickSettings(host);
  const hostPath: ManifestPath = ['hosts', hostIndex];
  return new MergedHost(hostIndex, host, mergeObjects(frame.merged, own) as Settings, hostPath, own, frame.layers);
}

/** EffectiveSettings, with its layers (the host's own settings, then what it inherits, innermost first). */
class MergedHost implements EffectiveSettings {
  constructor(
    readonly hostIndex: number,
    readonly host: ManifestHost,
    readonly settings: Settings,
    readonly hostPath: ManifestPath,
    own: Settings,
    inherited: readonly Layer[],
  ) {
    this.#own = own;
    this.#inherited = inherited;
  }

  // Private fields, so that the object shows (spreads, compares) as a plain EffectiveSettings.
  readonly #own: Settings;
  readonly #inherited: readonly Layer[];

  originOf(subpath: readonly (string | number)[]): ManifestPath {
    const layer = this.layerSetting(subpath);
    if (layer !== undefined) return [...layer, ...subpath];
    // Not set anywhere: the deepest object on the way that is set, else the host.
    for (let depth = subpath.length - 1; depth > 0; depth--) {
      const prefix = subpath.slice(0, depth);
      const found = this.layerSetting(prefix);
      if (found !== undefined) return [...found, ...prefix];
    }
    return this.hostPath;
  }

  /** The path of the innermost layer that sets `subpath`, if any. */
  private layerSetting(subpath: readonly (string | number)[]): ManifestPath | undefined {
    if (has(this.#own, subpath)) return this.hostPath;
    for (const layer of this.#inherited) if (has(layer.settings, subpath)) return layer.path;
    return undefined;
  }
}

function pickSettings(source: Settings): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  // Indexed: for every host of every build, mostly in code V8 has not optimized yet, where a for-of makes an iterator
  // and a result per step (write/tiering.ts).
  for (let index = 0; index < SETTING_KEYS.length; index++) {
    const key = SETTING_KEYS[index] as (typeof SETTING_KEYS)[number];
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
  // Keys, not entries: no [key, value] pair made per setting (10,000 hosts merge their own settings in a build).
  for (const key of Object.keys(over)) {
    const value = over[key];
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
