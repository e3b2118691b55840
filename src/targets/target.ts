import type { Fleet } from '../model/fleet.js';
import type { FileSet } from './fileset.js';

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
  host?: string;
  message: string;
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
}

/** A target is a pure function of the model: no disk, no clock, no randomness. */
export type Target = (fleet: Fleet, options: TargetOptions) => TargetOutput;
