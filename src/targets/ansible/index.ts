/**
 * The Ansible target: a secret-free role plus per-host data.
 *
 *   site.yml                                 play: every host gets the role
 *   roles/<role>/                            tasks split by concern, handlers, defaults, meta, README
 *   roles/<role>/files/, vars/profiles/      what hosts share, once, named by content: files, and profiles (the
 *                                            settings hosts share)
 *   inventory/hosts.yml, inventory/access.yml   direct and Cloudflare Access inventories
 *   inventory/host_vars/<host>/cloudflared.yml  what is the host's own, and its profile's name (no secret)
 *   inventory/host_vars/<host>/secrets.yml      its secret files (0600; Ansible Vault with a vault password, else
 *                                               clear text and kept out of git)
 */
import { wholeTarget, type HostTarget, type TargetWarning } from '../target.js';
import { FileStore, sharedParts } from '../common/file-store.js';
import { FileSet } from '../fileset.js';
import { buildHostVars } from './host-vars.js';
import { ansibleHostView, renderAccessInventory, renderHostsInventory, type AnsibleHostView } from './inventory.js';
import { buildRole, renderSite } from './role.js';
import { encryptVault } from './vault.js';

/** What the role needs from a host: its profile and the stored files it names (by name only). */
export interface AnsibleHostSummary {
  profile?: string;
  stored: readonly string[];
}

export const ansibleParts: HostTarget<AnsibleHostSummary, AnsibleHostView> = {
  host: (fleet, host, options) => {
    const files = new FileSet();
    const store = new FileStore();
    const vars = buildHostVars(host, fleet.roleName, store);
    const dir = `inventory/host_vars/${host.name}`;
    files.add(`${dir}/cloudflared.yml`, vars.settings);
    const secretsPath = `${dir}/secrets.yml`;
    const { vaultPassword } = options;
    if (vars.secrets !== undefined) {
      const secrets = vaultPassword !== undefined ? encryptVault(vars.secrets, vaultPassword, secretsPath) : vars.secrets;
      files.add(secretsPath, secrets, { isSecret: true, isKeptOutOfGit: vaultPassword === undefined, mode: 0o600 });
    }
    const summary = { ...(vars.profile ? { profile: vars.profile.name } : {}), stored: store.names() };
    return { files, warnings: [], summary };
  },

  view: ansibleHostView,
  fleet: (fleet, inputs, options) => {
    const files = new FileSet();
    files.add('site.yml', renderSite(fleet));
    files.add('inventory/hosts.yml', renderHostsInventory(fleet, inputs.views));
    files.add('inventory/access.yml', renderAccessInventory(fleet, inputs.views));
    const shared = sharedParts(inputs, (host, store) => {
      const profile = buildHostVars(host, fleet.roleName, store).profile;
      return profile && { name: profile.name, content: profile.content };
    });
    files.merge(buildRole(fleet, shared.store, shared.profiles), `roles/${fleet.roleName}`);
    const warnings: TargetWarning[] = [];
    if (options.vaultPassword === undefined && inputs.views.some((h) => h.isActive)) {
      warnings.push({
        target: 'ansible',
        code: 'ansible.clear-text-secrets',
        message:
          'inventory/host_vars/*/secrets.yml hold tunnel secrets in clear text (git-ignored in out/): do not commit or copy them into a repository; build with --vault-password-file to encrypt them',
      });
    }
    // Every host's secrets.yml, while they are in clear text: no other file is named so.
    return { files, warnings, ...(options.vaultPassword === undefined ? { keptOutOfGitPatterns: ['/inventory/host_vars/*/secrets.yml'] } : {}) };
  },
  hostWarningKinds: [],
};

export const ansible = wholeTarget(ansibleParts);
