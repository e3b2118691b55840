/**
 * Fingerprints for the build cache (cache.ts): a digest of everything that decides a host's files, so that a host
 * is regenerated exactly when one of them changed.
 *
 * - settings: fleetgen's own code and templates (generator-digest.ts), the build options (digests of the vault
 *   password and the Chef secret, never the secrets), and the fleet without its hosts — nor each group's host list,
 *   which changes whenever a host is added and decides nothing in another host's files (HostTarget.host);
 * - a host: the settings and a digest of the host's whole model (modelDigest; secrets' content included: a rotated
 *   credential rewrites the files that carry it). A rebuild knows that digest without making the model when the
 *   model's inputs are as the last build found them (incremental.ts, modelDigestOf);
 * - a target's fleet-wide files: the settings, each group's host names, and what the target's fleet() is given of each
 *   host (HostTarget: its summary and its view, in fleet.hosts order, each host's as a digest made with its part:
 *   fleetInputsDigest), and which of the hosts' files its .gitignore lists. fleet() sees the fleet without its hosts (FleetSettings), so that is all it can depend on: a host change that
 *   reaches none of it (a service's port, a credential) leaves the fleet-wide files alone.
 */
import { createHash, hash } from 'node:crypto';
import type { Group, Host } from '../model/fleet.js';
import type { FleetWithoutHosts } from '../model/lazy-fleet.js';
import type { TargetName, TargetOptions } from '../targets/target.js';
import { generatorDigest } from './generator-digest.js';

export function settingsFingerprint(fleet: FleetWithoutHosts, options: TargetOptions): string {
  const settings = {
    ...fleet,
    hosts: undefined,
    groups: fleet.groups.map((group) => ({ ...group, hosts: undefined })),
  };
  const buildOptions = {
    gzip: options.gzip === true,
    vaultPassword: options.vaultPassword === undefined ? null : digest(options.vaultPassword),
    chefSecret: options.chefSecret === undefined ? null : digest(options.chefSecret),
  };
  return digest(`${generatorDigest()}\0${JSON.stringify(buildOptions)}\0${JSON.stringify(settings)}`);
}

/** A digest of a host's whole model: equal digests, equal models. */
export function modelDigest(host: Host): string {
  return digest(JSON.stringify(host));
}

/** `model`: the host's modelDigest. */
export function hostFingerprint(settings: string, model: string): string {
  return digest(`${settings}\0${model}`);
}

/**
 * What a target's fleet() is given of one host (FleetInputs): its summary, and its view as JSON text (JSON.stringify
 * of FleetInputs.views' entry). Made once with the host's part and kept with it in the cache, so that a rebuild's
 * fleet-wide fingerprint reads 10,000 digests a target, not 10,000 views and summaries.
 */
export function fleetInputsDigest(summary: unknown, viewJson: string): string {
  // JSON never holds a raw NUL: one keeps the two apart.
  return hash('sha256', `${JSON.stringify(summary) ?? 'undefined'}\0${viewJson}`, 'base64');
}

/**
 * A digest of which hosts the fleet has, in order, and which of them each group has: `groups`, the fleet's groups,
 * whose host lists are part of it; `hostNames`, every host's name, in fleet order. The same for every target's
 * fleet-wide fingerprint: worked out once a build (10,000 names serialized and digested once, not once a target).
 */
export function fleetShapeDigest(fleet: { groups: readonly Group[]; hostNames: readonly string[] }): string {
  return digest(JSON.stringify([fleet.groups.map((group) => group.hosts), fleet.hostNames]));
}

/**
 * `shape`: the fleet's fleetShapeDigest. `inputs`: each host's fleetInputsDigest, in fleet order. `keptOutOfGit`: the
 * paths of the hosts' files that the target's .gitignore lists.
 */
export function fleetWideFingerprint(settings: string, target: TargetName, shape: string, inputs: readonly string[], keptOutOfGit: readonly string[]): string {
  const sha = createHash('sha256');
  // The settings and the shape are digests of one length, the target a name without NUL: none can run into the next.
  sha.update(`${settings}\0${target}\0${shape}\0`);
  // Base64 digests, one after the other (each the same length). Given to the hash in one piece: 10,000 small updates
  // cost more than the join.
  sha.update(inputs.join(''));
  sha.update(`\0\0${keptOutOfGit.join('\0')}`);
  return sha.digest('hex');
}

function digest(text: string): string {
  return hash('sha256', text, 'hex');
}
