/** What every semantic rule reads, and the small vocabulary the rules share. */
import { isSecretShaped, type Diagnostic } from '../../diagnostics/diagnostic.js';
import type { SecretLookup, SecretReader, SecretReference, SecretSource } from '../../load/secrets.js';
import type { ManifestPath, SourceMap } from '../../load/source-map.js';
import type { IngressRule } from '../../manifest/types.generated.js';
import type { EffectiveSettings } from '../../model/merge.js';
import type { Manifest } from '../schema.js';

/** What every rule reads, whether it looks at one host or at the whole fleet. */
export interface RuleContext {
  source: SourceMap;
  secrets: SecretSource;
  /** The zone, unless the schema rejected it (then checks against the zone are skipped). */
  zone?: string;
  /** The fleet name, unless the schema rejected it (then default tunnel names are not checked). */
  fleetName?: string;
}

export interface FleetContext extends RuleContext {
  manifest: Manifest;
  secrets: SecretReader;
  /** Merged settings (defaults ◀ group ◀ host) of every host, by host index. */
  hosts: readonly EffectiveSettings[];
}

/** The manifest without its host list: what every host inherits from (defaults, groups) and the fleet-wide settings. */
export type ManifestFrame = Omit<Manifest, 'hosts'>;

/** What a host rule reads besides its host: the frame, never another host. */
export interface HostContext extends RuleContext {
  frame: ManifestFrame;
}

/** A semantic rule: reads the whole fleet, returns its diagnostics (duplicates are removed by checkFleet). */
export type FleetRule = (fleet: FleetContext) => Diagnostic[];

/**
 * A semantic rule about one host: what it finds depends only on that host's entry and merged settings, the frame, and
 * the secrets it reads through `fleet.secrets`. So a host whose entry, frame and secrets are as when its host rules
 * last found nothing is not checked again (host-checks.ts); the type keeps the other hosts out of reach.
 */
export type HostRule = (fleet: HostContext, host: EffectiveSettings) => Diagnostic[];

export type TunnelMode = 'named' | 'token' | 'self-register';

export function tunnelMode(host: EffectiveSettings): TunnelMode {
  return host.settings.tunnel?.mode ?? 'named';
}

export type TunnelOwner = 'terraform' | 'external';

/**
 * Who creates a named or token tunnel: as the manifest says, else fleetgen's Terraform when the manifest gives
 * none of id, credentials and token (a tunnel given by them exists already). Undefined for self-register.
 */
export function tunnelOwner(host: EffectiveSettings): TunnelOwner | undefined {
  if (tunnelMode(host) === 'self-register') return undefined;
  const t = host.settings.tunnel ?? {};
  if (t.managedBy !== undefined) return t.managedBy;
  return t.id === undefined && t.credentials === undefined && t.token === undefined ? 'terraform' : 'external';
}

/** How specific the layer holding `path` is: defaults 0, a group 1, a host 2. */
export function layerRank(path: ManifestPath): number {
  if (path[0] === 'hosts') return 2;
  if (path[0] === 'groups') return 1;
  return 0;
}

/**
 * Whether a setting written at `settingPath` is meant to go with the choice the host made at `choice` (its tunnel
 * mode, its install method). A setting inherited from a broader layer than the one that made the choice is meant
 * for other hosts (defaults give every host an ingress; one host overrides the mode to token), and a host cannot
 * unset what it inherits, so only a setting written at least as specifically as the choice counts. When the choice
 * is not written anywhere (the default applies everywhere), every setting counts.
 */
export function goesWithChoice(host: EffectiveSettings, settingPath: ManifestPath, choice: readonly string[]): boolean {
  if (!isWritten(host, choice)) return true;
  return layerRank(settingPath) >= layerRank(host.originOf(choice));
}

/** Whether a setting counts against the host's tunnel mode (see goesWithChoice). */
export function countsAgainstMode(host: EffectiveSettings, settingPath: ManifestPath): boolean {
  return goesWithChoice(host, settingPath, ['tunnel', 'mode']);
}

function isWritten(host: EffectiveSettings, subpath: readonly string[]): boolean {
  let node: unknown = host.settings;
  for (const part of subpath) {
    if (typeof node !== 'object' || node === null) return false;
    node = (node as Record<string, unknown>)[part];
  }
  return node !== undefined;
}

/** Where to report something a host lacks: its own tunnel mapping when it has one, else the host entry. */
export function missingTunnelPath(host: EffectiveSettings): ManifestPath {
  return host.host.tunnel ? [...host.hostPath, 'tunnel'] : host.hostPath;
}

/** Whether `path` lies inside this host's own entry (not inherited from defaults or a group). */
export function isOwnPath(host: EffectiveSettings, path: ManifestPath): boolean {
  return path[0] === 'hosts' && path[1] === host.hostIndex;
}

/** ` (host "x")` for a diagnostic about one host located at a value it inherits, so the message names it. */
export function forHost(host: EffectiveSettings, path: ManifestPath): string {
  return isOwnPath(host, path) ? '' : ` (host ${JSON.stringify(host.host.name)})`;
}

/** `host "a"`, `hosts "a" and "b"`, `hosts "a", "b", "c" and 4 more`. */
export function describeHosts(names: readonly string[]): string {
  return `${names.length === 1 ? 'host' : 'hosts'} ${listHosts(names)}`;
}

/** `"a"`, `"a" and "b"`, `"a", "b", "c" and 4 more`: the first three names, however many there are. */
export function listHosts(names: readonly string[]): string {
  const quoted = names.slice(0, 4).map((n) => JSON.stringify(n));
  if (names.length === 1) return quoted[0] ?? '';
  if (names.length <= 3) return `${quoted.slice(0, -1).join(', ')} and ${quoted.at(-1)}`;
  return `${quoted.slice(0, 3).join(', ')} and ${names.length - 3} more`;
}

export function lineOf(source: SourceMap, path: ManifestPath): number {
  return source.positionOf(path).line;
}

/** `file "secrets/x.json"` / `environment variable KIOSK_TOKEN`: names the reference, never its value. */
export function describeReference(ref: SecretReference): string {
  const name = 'file' in ref ? ref.file : ref.env;
  if (name === undefined || isSecretShaped(name)) return 'file' in ref ? 'the referenced file' : 'the referenced environment variable';
  return 'file' in ref ? `file ${JSON.stringify(ref.file)}` : `environment variable ${ref.env}`;
}

/** A schema-valid secretRef has exactly one of file/env. */
export function asReference(ref: { file?: string; env?: string }): SecretReference {
  return ref.file !== undefined ? { file: ref.file } : { env: ref.env ?? '' };
}

/**
 * Reads the secret referenced at `refPath`. When it cannot be read, the error points at the reference's own
 * `file`/`env` value and carries the reader's message, which names the file or variable but never a value.
 */
export function readReference(
  fleet: RuleContext,
  refPath: ManifestPath,
  ref: SecretReference,
  code = 'secret.unreadable',
): { ok: true; value: string; bytes: Buffer } | { ok: false; diagnostic: Diagnostic } {
  const lookup: SecretLookup = fleet.secrets.read(ref);
  if (lookup.ok) return { ok: true, value: lookup.value, bytes: lookup.bytes };
  const key = 'file' in ref ? 'file' : 'env';
  return { ok: false, diagnostic: fleet.source.error(code, [...refPath, key], lookup.message, lookup.hint) };
}

export interface WrittenIngress {
  /** Path of the list: defaults.ingress, groups.<g>.ingress or hosts[i].ingress. */
  path: ManifestPath;
  rules: readonly IngressRule[];
}

/** The ingress lists written in defaults and groups. */
export function frameIngressLists(frame: ManifestFrame): WrittenIngress[] {
  const lists: WrittenIngress[] = [];
  if (frame.defaults?.ingress) lists.push({ path: ['defaults', 'ingress'], rules: frame.defaults.ingress });
  for (const [name, group] of Object.entries(frame.groups ?? {})) {
    if (group.ingress) lists.push({ path: ['groups', name, 'ingress'], rules: group.ingress });
  }
  return lists;
}

/** The ingress list written in the host's own entry, if any. */
export function ownIngressList(host: EffectiveSettings): WrittenIngress | undefined {
  return host.host.ingress ? { path: [...host.hostPath, 'ingress'], rules: host.host.ingress } : undefined;
}

/**
 * The ingress a host runs with and where it was written; undefined when the host has none. A token-mode host uses
 * an ingress list only when it is written at least as specifically as its mode (see goesWithChoice): defaults that
 * give every host an ssh:// rule do not take over the dashboard-managed ingress of a host that chose token mode.
 */
export function effectiveIngress(host: EffectiveSettings): WrittenIngress | undefined {
  const rules = host.settings.ingress;
  if (!rules) return undefined;
  const path = host.originOf(['ingress']);
  if (tunnelMode(host) === 'token' && !countsAgainstMode(host, path)) return undefined;
  return { path, rules };
}

/**
 * effectiveIngress(host)?.rules, without working out where they were written unless the host's tunnel mode needs it:
 * for the fleet rules' passes over every host, which need the place only for the few hosts they report.
 */
export function effectiveIngressRules(host: EffectiveSettings): readonly IngressRule[] | undefined {
  const rules = host.settings.ingress;
  if (!rules) return undefined;
  return tunnelMode(host) === 'token' ? effectiveIngress(host)?.rules : rules;
}
