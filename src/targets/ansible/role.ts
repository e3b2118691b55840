/**
 * roles/<role>/: the role itself. Tasks, handlers, defaults and templates are static files (they hold Jinja, which a
 * Handlebars template would have to escape everywhere); meta and README name the fleet. Nothing here depends on a
 * host, apart from repository keys shipped in files/ — so changing a host changes only its host_vars.
 */
import type { Fleet } from '../../model/fleet.js';
import { FileSet } from '../fileset.js';
import { readGeneratorFile, template } from '../templates.js';
import type { ShippedKey } from './host-vars.js';

/** Static role files under generators/ansible/role/, listed so that the output never depends on a directory walk. */
export const STATIC_ROLE_FILES = [
  'defaults/main.yml',
  'handlers/main.yml',
  'meta/argument_specs.yml',
  'tasks/config.yml',
  'tasks/decommission.yml',
  'tasks/files.yml',
  'tasks/install-apt.yml',
  'tasks/install-binary.yml',
  'tasks/install-dnf.yml',
  'tasks/install-preinstalled.yml',
  'tasks/install-repository-key.yml',
  'tasks/install.yml',
  'tasks/lockdown.yml',
  'tasks/main.yml',
  'tasks/register.yml',
  'tasks/service.yml',
  'tasks/setup.yml',
  'tasks/ssh.yml',
  'tasks/user.yml',
  'templates/config.yml.j2',
  'templates/file.j2',
] as const;

export function buildRole(fleet: Fleet, shippedKeys: ShippedKey[]): FileSet {
  const files = new FileSet();
  for (const path of STATIC_ROLE_FILES) files.add(path, readGeneratorFile(`ansible/role/${path}`));
  const names = { roleName: fleet.roleName, fleetName: fleet.name };
  files.add('meta/main.yml', template('ansible/meta.yml.hbs')(names));
  files.add('README.md', template('ansible/README.md.hbs')(names));
  const seen = new Set<string>();
  for (const key of shippedKeys) {
    if (seen.has(key.name)) continue;
    seen.add(key.name);
    files.add(`files/${key.name}`, key.content);
  }
  return files;
}

export function renderSite(fleet: Fleet): string {
  return template('ansible/site.yml.hbs')({ roleName: fleet.roleName, fleetName: fleet.name });
}
