/**
 * The Ansible target: a secret-free role plus per-host data.
 *
 *   site.yml                                 play: every host gets the role
 *   roles/<role>/                            tasks split by concern, handlers, defaults, meta, README, files/
 *   inventory/hosts.yml, inventory/access.yml   direct and Cloudflare Access inventories
 *   inventory/host_vars/<host>/cloudflared.yml  the host's files and settings (no secret)
 *   inventory/host_vars/<host>/secrets.yml      its secret files (0600; Ansible Vault with a vault password, else
 *                                               clear text and kept out of git)
 */
import type { Target, TargetWarning } from '../target.js';
import { FileSet } from '../fileset.js';
import { buildHostVars, type ShippedKey } from './host-vars.js';
import { renderAccessInventory, renderHostsInventory } from './inventory.js';
import { buildRole, renderSite } from './role.js';
import { encryptVault } from './vault.js';

export const ansible: Target = (fleet, options) => {
  const files = new FileSet();
  const shippedKeys: ShippedKey[] = [];

  files.add('site.yml', renderSite(fleet));
  files.add('inventory/hosts.yml', renderHostsInventory(fleet));
  files.add('inventory/access.yml', renderAccessInventory(fleet));
  for (const host of fleet.hosts) {
    const vars = buildHostVars(host, fleet.roleName);
    const dir = `inventory/host_vars/${host.name}`;
    files.add(`${dir}/cloudflared.yml`, vars.settings);
    const secretsPath = `${dir}/secrets.yml`;
    const { vaultPassword } = options;
    if (vars.secrets !== undefined) {
      const secrets = vaultPassword !== undefined ? encryptVault(vars.secrets, vaultPassword, secretsPath) : vars.secrets;
      files.add(secretsPath, secrets, { isSecret: true, isKeptOutOfGit: vaultPassword === undefined, mode: 0o600 });
    }
    if (vars.shippedKey) shippedKeys.push(vars.shippedKey);
  }
  files.merge(buildRole(fleet, shippedKeys), `roles/${fleet.roleName}`);
  const warnings: TargetWarning[] = [];
  if (options.vaultPassword === undefined && fleet.hosts.some((h) => h.state === 'active')) {
    warnings.push({
      target: 'ansible',
      message:
        'inventory/host_vars/*/secrets.yml hold tunnel secrets in clear text (git-ignored in out/): do not commit or copy them into a repository; build with --vault-password-file to encrypt them',
    });
  }
  return { files, warnings };
};
