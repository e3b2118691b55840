/**
 * The Chef target: a chef-repo under out/chef/ that works both with a Chef Infra Server (knife cookbook upload,
 * knife data bag from file) and with `chef-client --local-mode`:
 *
 *   cookbooks/<cookbook>/                 the cookbook: generic, secret-free, no host data
 *   data_bags/<cookbook>/<host>.json      the host's files, install method, ssh settings (no secrets)
 *   data_bags/<cookbook>_secrets/<host>.json  the host's secret files: 0600, encrypted (v3) with --chef-secret-file,
 *                                         each host's with its own secret, else clear text and kept out of git
 *   node_secrets/<host>                   with --chef-secret-file: the host's own data bag secret (0600, kept out of
 *                                         git), for `knife bootstrap --secret-file`
 *   roles/<group>.json                    one role per group: run list recipe[<cookbook>@<version>]
 *   nodes/<host>.json                     one node per host, for local mode
 *   policyfiles/<cookbook>.rb             for Policyfile users, instead of roles: the cookbook from cookbooks/
 *
 * The cookbook's version is a digest of its content, with no order (see cookbook-version.ts): run lists pin it, so
 * a Chef Infra Server never picks another version of the cookbook because its number happens to be higher.
 */
import type { Fleet, Host } from '../../model/fleet.js';
import { FileSet } from '../fileset.js';
import { wholeTarget, type HostTarget, type TargetOptions, type TargetOutput, type TargetWarning } from '../target.js';
import { dataBagNames, renderCookbook } from './cookbook.js';
import { encryptDataBagItem, nodeDataBagSecret } from './encrypted-item.js';
import { hostItems } from './host-item.js';
import { stableJson } from './json.js';
import { rubyString } from './ruby.js';
import { template } from '../templates.js';

/** Each node's own data bag secret, for `knife bootstrap --secret-file` (which installs it as the node's
 * /etc/chef/encrypted_data_bag_secret). */
export const NODE_SECRETS_DIR = 'node_secrets';

export const chefParts: HostTarget<null> = {
  host: (fleet: Fleet, host: Host, options: TargetOptions) => {
    const files = new FileSet();
    const bags = dataBagNames(fleet);
    const items = hostItems(host);
    files.add(`data_bags/${bags.settings}/${host.name}.json`, stableJson(items.settings));
    const { chefSecret } = options;
    if (items.secrets) {
      // Each host's item under its own secret: one stolen node decrypts its own credentials, no other host's.
      const nodeSecret = chefSecret !== undefined ? nodeDataBagSecret(chefSecret, host.name) : undefined;
      const secrets = nodeSecret !== undefined ? encryptDataBagItem(bags.secrets, items.secrets, nodeSecret) : items.secrets;
      files.add(`data_bags/${bags.secrets}/${host.name}.json`, stableJson(secrets), { isSecret: true, isKeptOutOfGit: chefSecret === undefined });
      if (nodeSecret !== undefined) files.add(`${NODE_SECRETS_DIR}/${host.name}`, `${nodeSecret}\n`, { isSecret: true, isKeptOutOfGit: true });
    }
    files.add(`nodes/${host.name}.json`, stableJson({ name: host.name, run_list: nodeRunList(host, cookbookRecipe(fleet)) }));
    return { files, warnings: [], summary: null };
  },

  fleet: (fleet: Fleet, _summaries, options: TargetOptions): TargetOutput => {
    const files = new FileSet();
    const bags = dataBagNames(fleet);
    const cookbook = renderCookbook(fleet);
    const runList = [cookbookRecipe(fleet)];

    files.merge(cookbook.files, `cookbooks/${fleet.cookbookName}`);
    files.add(
      `policyfiles/${fleet.cookbookName}.rb`,
      template('chef/Policyfile.rb.hbs')({
        file: fleet.cookbookName,
        name: rubyString(fleet.cookbookName),
        recipe: rubyString(`${fleet.cookbookName}::default`),
        // Relative to the Policyfile's folder.
        cookbookPath: rubyString(`../cookbooks/${fleet.cookbookName}`),
      }),
    );

    for (const group of fleet.groups) {
      files.add(
        `roles/${group.name}.json`,
        stableJson({
          name: group.name,
          description: group.description ?? `Hosts of the ${group.name} group`,
          json_class: 'Chef::Role',
          chef_type: 'role',
          default_attributes: {},
          override_attributes: {},
          run_list: runList,
          env_run_lists: {},
        }),
      );
    }

    const warnings: TargetWarning[] = [];
    if (options.chefSecret === undefined && fleet.hosts.some((h) => h.state === 'active')) {
      warnings.push({
        target: 'chef',
        message: `data_bags/${bags.secrets}/ holds tunnel secrets in clear text (git-ignored in out/): do not commit or upload it; build with --chef-secret-file to encrypt it`,
      });
    }
    return { files, warnings };
  },
};

export const chef = wholeTarget(chefParts);

/**
 * `recipe[<cookbook>@<version>]`, the version being the cookbook's digest: rendered once per fleet (every host's
 * node needs it, and rendering the cookbook is not cheap).
 */
const recipes = new WeakMap<Fleet, string>();
function cookbookRecipe(fleet: Fleet): string {
  let recipe = recipes.get(fleet);
  if (recipe === undefined) {
    recipe = `recipe[${fleet.cookbookName}@${renderCookbook(fleet).version}]`;
    recipes.set(fleet, recipe);
  }
  return recipe;
}

/** A grouped host runs its group's role (so that role attributes apply); an ungrouped one the recipe itself. */
function nodeRunList(host: Host, recipe: string): string[] {
  return host.group !== undefined ? [`role[${host.group}]`] : [recipe];
}
