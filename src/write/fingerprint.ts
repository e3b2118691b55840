/**
 * Fingerprints for the build cache (cache.ts): a digest of everything that decides a host's files, so that a host
 * is regenerated exactly when one of them changed.
 *
 * - settings: fleetgen's own code and templates (generator-digest.ts), the build options (digests of the vault
 *   password and the Chef secret, never the secrets), and the fleet without its hosts — nor each group's host list,
 *   which changes whenever a host is added and decides nothing in another host's files (HostTarget.host);
 * - a host: the settings and the host's whole model (secrets' content included: a rotated credential rewrites
 *   the files that carry it);
 * - the fleet-wide files: the settings and every host's name and fingerprint, in order.
 */
import { hash } from 'node:crypto';
import type { Fleet, Host } from '../model/fleet.js';
import type { TargetOptions } from '../targets/target.js';
import { generatorDigest } from './generator-digest.js';

export function settingsFingerprint(fleet: Fleet, options: TargetOptions): string {
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

export function hostFingerprint(settings: string, host: Host): string {
  return digest(`${settings}\0${JSON.stringify(host)}`);
}

/** `hostsAndFingerprints`: name, fingerprint, name, fingerprint, … in fleet.hosts order. */
export function fleetFingerprint(settings: string, hostsAndFingerprints: readonly string[]): string {
  return digest(`${settings}\0${hostsAndFingerprints.join('\0')}`);
}

function digest(text: string): string {
  return hash('sha256', text, 'hex');
}
