/**
 * model → files: runs the chosen targets on the fleet and gathers their output under one FileSet, each target in
 * its own folder (chef/…, ansible/…, cloud-init/…, ssh/…), each with a .gitignore for what must never be committed
 * (targets/gitignore.ts). Pure like the targets: writing is a separate step
 * (src/write/), so a build can be planned, checked or diffed without touching the disk.
 */
import type { Fleet } from './model/fleet.js';
import { ansible, ansibleParts } from './targets/ansible/index.js';
import { chef, chefParts } from './targets/chef/index.js';
import { cloudInit, cloudInitParts } from './targets/cloud-init/index.js';
import { FileSet } from './targets/fileset.js';
import { GITIGNORE, renderGitignore } from './targets/gitignore.js';
import { ssh, sshParts } from './targets/ssh/index.js';
import { terraform, terraformParts } from './targets/terraform/index.js';
import { TARGET_NAMES, type HostTarget, type Target, type TargetName, type TargetOptions, type TargetWarning } from './targets/target.js';

/** Each target by the name used on the command line, which is also its folder under out/. */
export const TARGETS: Readonly<Record<TargetName, Target>> = {
  chef,
  ansible,
  'cloud-init': cloudInit,
  ssh,
  terraform,
};

/** The same targets split along hosts, for a build that regenerates only the hosts that changed (write/incremental.ts). */
export const TARGET_PARTS: Readonly<Record<TargetName, HostTarget>> = {
  chef: chefParts as HostTarget,
  ansible: ansibleParts as HostTarget,
  'cloud-init': cloudInitParts as HostTarget,
  ssh: sshParts as HostTarget,
  terraform: terraformParts as HostTarget,
};

export interface BuildOptions {
  /** Which targets to run; each appears once, in TARGET_NAMES order whatever the order given. */
  targets: readonly TargetName[];
  options: TargetOptions;
  /** Called before each target runs (for a progress line). */
  onTarget?: (name: TargetName, index: number, count: number) => void;
}

export interface BuildOutput {
  /** Paths prefixed by the target's folder: `chef/metadata.rb`, `cloud-init/store-0001.yaml`, … */
  files: FileSet;
  warnings: TargetWarning[];
}

export function buildFleet(fleet: Fleet, build: BuildOptions): BuildOutput {
  const files = new FileSet();
  const warnings: TargetWarning[] = [];
  const chosen = TARGET_NAMES.filter((name) => build.targets.includes(name));
  for (const [index, name] of chosen.entries()) {
    build.onTarget?.(name, index, chosen.length);
    const output = TARGETS[name](fleet, build.options);
    const ignore = renderGitignore(output.files.list(), output.toolFiles, output.keptOutOfGitPatterns);
    files.merge(output.files, name);
    if (ignore !== undefined) files.add(`${name}/${GITIGNORE}`, ignore);
    for (const warning of output.warnings) warnings.push(warning); // one per host may be too many for push(...)
  }
  return { files, warnings };
}
