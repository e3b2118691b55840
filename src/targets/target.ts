import type { Fleet, Host } from '../model/fleet.js';
import { InternalError } from '../diagnostics/diagnostic.js';
import { FileSet } from './fileset.js';

export type TargetName = 'chef' | 'ansible' | 'cloud-init' | 'ssh' | 'terraform';
export const TARGET_NAMES: readonly TargetName[] = ['chef', 'ansible', 'cloud-init', 'ssh', 'terraform'];
/** The targets that put a tunnel's secret or the SSH CA on a host: they need what Terraform created. */
export const HOST_TARGET_NAMES: readonly TargetName[] = ['chef', 'ansible', 'cloud-init'];

/** Inputs a target may need beyond the fleet; read by the CLI (the only place that reads files). */
export interface TargetOptions {
  /** Ansible Vault password: host secrets files are encrypted (Vault 1.1, AES256) when given. */
  vaultPassword?: string;
  /** Chef data bag secret: secret data bag items are encrypted (version 3, aes-256-gcm) when given. */
  chefSecret?: string;
  /** cloud-init: also write <host>.yaml.gz (gzip user-data, for platforms with small user-data limits). */
  gzip?: boolean;
}

/** A note a target has for the user (e.g. user-data over a platform's size limit); printed, never fatal. */
export interface TargetWarning {
  target: TargetName;
  /** Stable kind, e.g. `terraform.no-access-policies`: warnings are grouped by it, never by their message. */
  code: string;
  host?: string;
  /** What is particular to this host (its hostnames, its sizes): the rest of the message is the same for every host. */
  detail?: Record<string, string | number | string[]>;
  /** The whole note, as printed for one host. */
  message: string;
}

/**
 * A kind of warning a target gives host by host. At fleet scale thousands of hosts share one (every host without
 * Access policies), so the CLI prints `many` once for them instead of `one` per host.
 */
export interface HostWarningKind<Detail extends TargetWarning['detail'] = TargetWarning['detail']> {
  target: TargetName;
  code: string;
  /** The message for one host. */
  one(host: string, detail: Detail): string;
  /** The message for several hosts at once; `hosts` reads `20 hosts ("a", "b", "c" and 17 more)`. */
  many(hosts: string): string;
}

/** The warning of this kind for one host. */
export function hostWarning<Detail extends TargetWarning['detail']>(kind: HostWarningKind<Detail>, host: string, detail: Detail): TargetWarning {
  return { target: kind.target, code: kind.code, host, ...(detail !== undefined ? { detail } : {}), message: kind.one(host, detail) };
}

export interface TargetOutput {
  /** Paths relative to the target's own folder under out/ (out/<target>/…). */
  files: FileSet;
  warnings: TargetWarning[];
  /**
   * Files the target's own tool writes beside the output that must never be committed (Terraform's local state),
   * as gitignore patterns relative to the target's folder, with the reason; listed in the folder's .gitignore.
   */
  toolFiles?: { reason: string; patterns: string[] };
  /**
   * Gitignore patterns relative to the target's folder (anchored, `/…`), each covering a family of files the target
   * keeps out of git and nothing it commits, whatever the fleet (a folder of clear-text secrets, every host's
   * secrets.yml): the folder's .gitignore writes the pattern rather than a line per file. With a line per file, a
   * 10,000-host fleet's .gitignore files held 30,000 lines, and git, which tries each line on each path, took seconds
   * for a `git status`.
   */
  keptOutOfGitPatterns?: readonly string[];
}

/** A target is a pure function of the model: no disk, no clock, no randomness. */
export type Target = (fleet: Fleet, options: TargetOptions) => TargetOutput;

/** What a target makes of one host: that host's own files, and what the target's fleet-wide files need from it. */
export interface HostOutput<Summary> {
  /** Paths relative to the target's own folder, as in TargetOutput. */
  files: FileSet;
  warnings: TargetWarning[];
  /** Plain JSON (a build keeps it beside out/ and reuses it for a host that did not change). */
  summary: Summary;
}

/**
 * The fleet as a target's fleet-wide files see it: every fleet-wide setting and each group's host names, but no host.
 * What they need of each host comes in FleetInputs, so that a build knows what they depend on (write/fingerprint.ts).
 */
export type FleetSettings = Omit<Fleet, 'hosts'>;

/** What a target's fleet-wide files are made from besides the fleet's settings: one entry per host, in fleet.hosts order. */
export interface FleetInputs<Summary, View> {
  /** Each host's HostOutput.summary. */
  summaries: readonly Summary[];
  /** Each host's HostTarget.view. */
  views: readonly View[];
  /**
   * The host at an index of fleet.hosts, only to render again what its summary names by content: a stored file or a
   * profile whose name is a digest of its bytes. Whichever host names it, the bytes are the same, so the files made
   * from them depend on the names alone. Nothing else may be read from it: a build would not see the dependency.
   */
  hostForContent(index: number): Host;
}

/**
 * A target split along hosts, so that a build regenerates only the hosts whose inputs changed:
 * - `host` gives one host's own files and depends on nothing but that host and the fleet-wide settings (the fleet
 *   without its hosts, and without each group's host list);
 * - `view` gives what the fleet-wide files read of one host (its name, its address, …): plain JSON, small, worked out
 *   for every host by every build;
 * - `fleet` gives the fleet-wide files (a cookbook, an inventory, ssh/config, …) and the target's fleet-wide warnings
 *   (printed before the hosts' own) from the fleet's settings and each host's summary and view, and nothing else: a
 *   build makes them again only when one of those changed.
 */
export interface HostTarget<Summary = unknown, View = unknown> {
  host(fleet: FleetSettings, host: Host, options: TargetOptions): HostOutput<Summary>;
  view(host: Host): View;
  fleet(fleet: FleetSettings, inputs: FleetInputs<Summary, View>, options: TargetOptions): TargetOutput;
  /** Every kind of warning `host` gives (each host warning's code is one of theirs). */
  hostWarningKinds: readonly HostWarningKind[];
}

/** The inputs of a target's fleet-wide files, from every host's summary (in fleet.hosts order). */
export function fleetInputs<Summary, View>(parts: HostTarget<Summary, View>, fleet: Fleet, summaries: readonly Summary[]): FleetInputs<Summary, View> {
  return {
    summaries,
    views: fleet.hosts.map((host) => parts.view(host)),
    hostForContent: (index) => {
      const host = fleet.hosts[index];
      if (host === undefined) throw new InternalError(`no host at index ${index} of ${fleet.hosts.length}`);
      return host;
    },
  };
}

/** The fleet without its hosts, as a target's fleet-wide files get it (nothing can read a host through it). */
export function fleetSettingsOf(fleet: Fleet): FleetSettings {
  const { hosts: _hosts, ...settings } = fleet;
  return settings;
}

/** The whole target from its two parts: every host's files and the fleet-wide ones (what tests and --stdout run). */
export function wholeTarget<Summary, View>(parts: HostTarget<Summary, View>): Target {
  return (fleet, options) => {
    const files = new FileSet();
    const warnings: TargetWarning[] = [];
    const summaries: Summary[] = [];
    for (const host of fleet.hosts) {
      const output = parts.host(fleet, host, options);
      files.merge(output.files);
      warnings.push(...output.warnings);
      summaries.push(output.summary);
    }
    const shared = parts.fleet(fleetSettingsOf(fleet), fleetInputs(parts, fleet, summaries), options);
    files.merge(shared.files);
    return {
      files,
      warnings: [...shared.warnings, ...warnings],
      ...(shared.toolFiles ? { toolFiles: shared.toolFiles } : {}),
      ...(shared.keptOutOfGitPatterns ? { keptOutOfGitPatterns: shared.keptOutOfGitPatterns } : {}),
    };
  };
}
