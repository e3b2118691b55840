/**
 * Which Terraform root module (a folder under out/terraform/, with its own state) holds a host's Cloudflare
 * objects. Decided from the manifest alone, so that validation, the model, the Terraform target and `fleetgen
 * hosts` name the same folder. A host moves to another module only when the split changes, or, with split: group,
 * when its group changes. With split: chunks its module depends on its own name and the chunk count alone (a hash),
 * so hosts added or removed, or moved between groups, never move another host.
 */
import { createHash } from 'node:crypto';

/** The module of account-wide objects (Access policies, service tokens), read by every host module. */
export const SHARED_MODULE = 'shared';
export const UNGROUPED_MODULE = 'ungrouped';
export const FLEET_MODULE = 'hosts';

export type TerraformSplit = 'group' | 'fleet' | 'chunks';

/** How hosts are split into modules: cloudflare.terraform.split, and chunks (the chunk count) with split: chunks. */
export interface TerraformLayout {
  split: TerraformSplit;
  chunks?: number;
}

/** The layout cloudflare.terraform sets (split group when it sets none). */
export function terraformLayoutOf(terraform: { split?: TerraformSplit; chunks?: number } | undefined): TerraformLayout {
  return { split: terraform?.split ?? 'group', ...(terraform?.chunks !== undefined ? { chunks: terraform.chunks } : {}) };
}

export function terraformModuleOf(host: { name: string; group?: string | undefined }, layout: TerraformLayout): string {
  if (layout.split === 'fleet') return FLEET_MODULE;
  if (layout.split === 'chunks' && layout.chunks !== undefined) return chunkModule(host.name, layout.chunks);
  return host.group === undefined ? UNGROUPED_MODULE : `group-${host.group}`;
}

/**
 * chunk-<k>: k is the first 32 bits of SHA-256 of the host name modulo the chunk count, zero-padded to the width of
 * the largest k so that folders sort in order. Never change this mapping: it would move hosts between states.
 */
export function chunkModule(hostName: string, chunks: number): string {
  const k = createHash('sha256').update(hostName, 'utf8').digest().readUInt32BE(0) % chunks;
  return `chunk-${String(k).padStart(String(chunks - 1).length, '0')}`;
}

/** terraformOutputs.dir when the manifest names none: inside the git-ignored secrets/ folder of `fleetgen init`. */
export const DEFAULT_TERRAFORM_OUTPUTS_DIR = 'secrets/terraform';
