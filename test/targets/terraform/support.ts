/** Reading the Terraform target's output as Terraform would: modules by folder, each file parsed. */
import { buildFleet } from '../../../src/build.js';
import type { Fleet } from '../../../src/model/fleet.js';
import type { FileSet } from '../../../src/targets/fileset.js';
import { checkTerraformModule } from '../../support/terraform-provider-schema.js';

export function terraformFiles(fleet: Fleet): FileSet {
  return buildFleet(fleet, { targets: ['terraform'], options: {} }).files;
}

/** module folder → { file name → parsed JSON }, for every *.tf.json (paths relative to out/terraform/). */
export function modulesOf(files: FileSet, prefix = 'terraform/'): Map<string, Record<string, unknown>> {
  const modules = new Map<string, Record<string, unknown>>();
  for (const file of files.list()) {
    if (!file.path.startsWith(prefix) || !file.path.endsWith('.tf.json')) continue;
    const [module, name, ...rest] = file.path.slice(prefix.length).split('/');
    if (!module || !name || rest.length > 0) throw new Error(`unexpected Terraform path ${file.path}`);
    const docs = modules.get(module) ?? {};
    docs[name] = JSON.parse(file.content.toString()) as unknown;
    modules.set(module, docs);
  }
  return modules;
}

/** Every problem the provider-schema checker finds in every module, as `<module>/<file>: …`. */
export function schemaProblems(files: FileSet, prefix = 'terraform/'): string[] {
  return [...modulesOf(files, prefix)].flatMap(([module, docs]) => checkTerraformModule(docs).map((p) => `${module}/${p}`));
}

/** Every string value (and key) anywhere in a parsed JSON document. */
export function stringsIn(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsIn);
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => [k, ...stringsIn(v)]);
  return [];
}
