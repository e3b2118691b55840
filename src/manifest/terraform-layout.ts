/**
 * Which Terraform root module (a folder under out/terraform/, with its own state) holds a host's Cloudflare
 * objects. Decided from the manifest alone, so that validation, the model, the Terraform target and `fleetgen
 * hosts` name the same folder. A host moves to another module only when its group or the split changes.
 */

/** The module of account-wide objects (Access policies, service tokens), read by every host module. */
export const SHARED_MODULE = 'shared';
export const UNGROUPED_MODULE = 'ungrouped';
export const FLEET_MODULE = 'hosts';

export type TerraformSplit = 'group' | 'fleet';

export function terraformModuleOf(group: string | undefined, split: TerraformSplit): string {
  if (split === 'fleet') return FLEET_MODULE;
  return group === undefined ? UNGROUPED_MODULE : `group-${group}`;
}

/** terraformOutputs.dir when the manifest names none: inside the git-ignored secrets/ folder of `fleetgen init`. */
export const DEFAULT_TERRAFORM_OUTPUTS_DIR = 'secrets/terraform';
