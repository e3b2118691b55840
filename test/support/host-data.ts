/**
 * A host's data as the cookbook's recipes and the role's tasks see it: the host's own data merged into the profile
 * it names, every stored file (`source`) given the bytes it names in the cookbook's files/default/ or the role's
 * files/ as `content`. Tests read the data this way; separate tests state how it is split.
 */
import { parseDocument, type ScalarTag } from 'yaml';
import type { FileSet } from '../../src/targets/fileset.js';

function text(files: Pick<FileSet, 'get'>, path: string): string {
  const file = files.get(path);
  if (file === undefined) throw new Error(`${path} was not generated`);
  return String(file.content);
}

const isHash = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Hashes merged key by key, as libraries/host_data.rb merges them; both setting one value is an error. */
export function deepMerge(shared: Record<string, unknown>, own: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...shared };
  for (const [key, value] of Object.entries(own)) {
    const base = merged[key];
    if (base === undefined) merged[key] = value;
    else if (isHash(base) && isHash(value)) merged[key] = deepMerge(base, value);
    else throw new Error(`the profile and the host's own data both set ${key}`);
  }
  return merged;
}

/** Every object with a `source` gets `content`: the stored file's bytes from `storeDir`. */
function withStoredContent(value: unknown, files: Pick<FileSet, 'get'>, storeDir: string): unknown {
  if (Array.isArray(value)) return value.map((v) => withStoredContent(v, files, storeDir));
  if (!isHash(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) out[key] = withStoredContent(v, files, storeDir);
  if (typeof value.source === 'string' && out.content === undefined) out.content = text(files, `${storeDir}/${value.source}`);
  return out;
}

/** Chef: data_bags/<cookbook>/<host>.json merged into data_bags/<cookbook>_profiles/<profile>.json. */
export function chefHostData(files: Pick<FileSet, 'get'>, cookbook: string, host: string): Record<string, unknown> {
  const { id: _id, profile, ...own } = JSON.parse(text(files, `data_bags/${cookbook}/${host}.json`)) as Record<string, unknown>;
  const { id: _profileId, ...shared } = JSON.parse(text(files, `data_bags/${cookbook}_profiles/${String(profile)}.json`)) as Record<string, unknown>;
  return withStoredContent(deepMerge(shared, own), files, `cookbooks/${cookbook}/files/default`) as Record<string, unknown>;
}

const unsafeTag: ScalarTag = { tag: '!unsafe', identify: () => false, resolve: (source) => source };
const parseAnsible = (source: string): Record<string, unknown> =>
  (parseDocument(source, { version: '1.1', customTags: [unsafeTag] }).toJS() as Record<string, unknown> | null) ?? {};

/**
 * Ansible: the profile's variables (roles/<role>/vars/profiles/<profile>.yml), then host_vars (cloudflared.yml and
 * secrets.yml). For reading convenience, config.yml's entry gets its content (cloudflared_config_content), the
 * Access CA entry its bytes (cloudflared_ssh_ca_source) and the lockdown guard's service its content
 * (cloudflared_ssh_lockdown_service_content), as the role's tasks put them together.
 */
export function ansibleHostVars(files: Pick<FileSet, 'get'>, role: string, host: string): Record<string, unknown> {
  const own = parseAnsible(text(files, `inventory/host_vars/${host}/cloudflared.yml`));
  const secrets = parseAnsible(text(files, `inventory/host_vars/${host}/secrets.yml`));
  const profile = parseAnsible(text(files, `roles/${role}/vars/profiles/${String(own.cloudflared_profile)}.yml`));
  const vars = withStoredContent({ ...profile, ...own, ...secrets }, files, `roles/${role}/files`) as Record<string, unknown>;
  if (isHash(vars.cloudflared_config)) vars.cloudflared_config = { ...vars.cloudflared_config, content: vars.cloudflared_config_content };
  if (isHash(vars.cloudflared_ssh_ca) && typeof vars.cloudflared_ssh_ca_source === 'string') {
    vars.cloudflared_ssh_ca = { ...vars.cloudflared_ssh_ca, content: text(files, `roles/${role}/files/${vars.cloudflared_ssh_ca_source}`) };
  }
  if (isHash(vars.cloudflared_ssh_lockdown_service) && typeof vars.cloudflared_ssh_lockdown_service_content === 'string') {
    vars.cloudflared_ssh_lockdown_service = { ...vars.cloudflared_ssh_lockdown_service, content: vars.cloudflared_ssh_lockdown_service_content };
  }
  return vars;
}
