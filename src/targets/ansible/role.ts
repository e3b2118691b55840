/**
 * roles/<role>/: the role itself. Tasks, handlers, defaults and templates are static files (they hold Jinja, which a
 * Handlebars template would have to escape everywhere); meta and README name the fleet. Nothing here depends on a
 * host. What hosts share is stored once, fleet-wide: files/ (by content) and vars/profiles/ (by content); changing a
 * host changes its host_vars, and these only when it needs bytes or a profile no other host has.
 */
import type { FleetSettings } from '../target.js';
import { FileSet } from '../fileset.js';
import { readGeneratorFile, template } from '../templates.js';
import type { FileStore } from '../common/file-store.js';

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
  'templates/lockdown-service.j2',
] as const;

/** The role's stored files (files/, by content) and profiles (vars/profiles/<name>.yml): what hosts share, once. */
export function buildRole(fleet: FleetSettings, store: FileStore, profiles: Map<string, string>): FileSet {
  const files = new FileSet();
  for (const path of STATIC_ROLE_FILES) files.add(path, readGeneratorFile(`ansible/role/${path}`));
  const names = { roleName: fleet.roleName, fleetName: fleet.name };
  files.add('meta/main.yml', template('ansible/meta.yml.hbs')(names));
  files.add('README.md', template('ansible/README.md.hbs')(names));
  for (const [name, content] of store.entries()) files.add(`files/${name}`, content);
  for (const [name, content] of [...profiles].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) files.add(`vars/profiles/${name}.yml`, content);
  return files;
}

export function renderSite(fleet: FleetSettings): string {
  return template('ansible/site.yml.hbs')({ roleName: fleet.roleName, fleetName: fleet.name });
}
