/**
 * The Ansible target: a secret-free role plus per-host data.
 *
 *   site.yml                                 play: every host gets the role
 *   roles/<role>/                            tasks split by concern, handlers, defaults, meta, README, files/
 *   inventory/hosts.yml, inventory/access.yml   direct and Cloudflare Access inventories
 *   inventory/host_vars/<host>/cloudflared.yml  the host's files and settings (no secret)
 *   inventory/host_vars/<host>/secrets.yml      its secret files (0600; Ansible Vault with a vault password)
 */
import type { Target } from '../target.js';
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
    const secrets = options.vaultPassword !== undefined ? encryptVault(vars.secrets, options.vaultPassword, secretsPath) : vars.secrets;
    files.add(secretsPath, secrets, { isSecret: true, mode: 0o600 });
    if (vars.shippedKey) shippedKeys.push(vars.shippedKey);
  }
  files.merge(buildRole(fleet, shippedKeys), `roles/${fleet.roleName}`);
  return { files, warnings: [] };
};
