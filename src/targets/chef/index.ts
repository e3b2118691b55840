/**
 * The Chef target: a chef-repo under out/chef/ that works both with a Chef Infra Server (knife cookbook upload,
 * knife data bag from file) and with `chef-client --local-mode`:
 *
 *   cookbooks/<cookbook>/                 the cookbook: generic, secret-free, no host data
 *   cookbooks/<cookbook>/files/default/   the files hosts share (unit, scripts, drop-ins), named by content
 *   data_bags/<cookbook>/<host>.json      what is the host's own (config.yml, CA key name, ...) and its profile's name
 *   data_bags/<cookbook>_profiles/<id>.json  a profile: install method, files (by stored name), ssh and lockdown
 *                                         settings; shared by every host with the same ones, named by content
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
import { FileStore, sharedParts } from '../common/file-store.js';
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

/** What the fleet-wide files need from a host: the profile and the stored files it names (by name only). */
export interface ChefHostSummary {
  profile?: string;
  stored: readonly string[];
}

/** What the fleet-wide files read of a host: an ungrouped host gets its node file, an active one a secret. */
export interface ChefHostView {
  name: string;
  group?: string;
  isActive: boolean;
}

export const chefParts: HostTarget<ChefHostSummary, ChefHostView> = {
  host: (fleet: Fleet, host: Host, options: TargetOptions) => {
    const files = new FileSet();
    const bags = dataBagNames(fleet);
    const store = new FileStore();
    const items = hostItems(host, store);
    files.add(`data_bags/${bags.settings}/${host.name}.json`, stableJson(items.settings));
    const { chefSecret } = options;
    if (items.secrets) {
      // Each host's item under its own secret: one stolen node decrypts its own credentials, no other host's.
      const nodeSecret = chefSecret !== undefined ? nodeDataBagSecret(chefSecret, host.name) : undefined;
      const secrets = nodeSecret !== undefined ? encryptDataBagItem(bags.secrets, items.secrets, nodeSecret) : items.secrets;
      files.add(`data_bags/${bags.secrets}/${host.name}.json`, stableJson(secrets), { isSecret: true, isKeptOutOfGit: chefSecret === undefined });
      if (nodeSecret !== undefined) files.add(`${NODE_SECRETS_DIR}/${host.name}`, `${nodeSecret}\n`, { isSecret: true, isKeptOutOfGit: true });
    }
    // A grouped host runs its group's role; an ungrouped one's node pins the cookbook's version, which depends on what
    // every host stores: it is a fleet-wide file.
    if (host.group !== undefined) files.add(`nodes/${host.name}.json`, stableJson({ name: host.name, run_list: [`role[${host.group}]`] }));
    const summary = { ...(items.profile ? { profile: items.profile.id } : {}), stored: store.names() };
    return { files, warnings: [], summary };
  },

  view: (host) => ({ name: host.name, ...(host.group !== undefined ? { group: host.group } : {}), isActive: host.state === 'active' }),
  fleet: (fleet, inputs, options: TargetOptions): TargetOutput => {
    const files = new FileSet();
    const bags = dataBagNames(fleet);
    const { store, profiles } = sharedParts(inputs, (host, hostStore) => {
      const profile = hostItems(host, hostStore).profile;
      return profile && { name: profile.id, content: stableJson(profile) };
    });
    const shared = { store, profiles: new Map([...profiles].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) };
    const cookbook = renderCookbook(fleet, shared.store);
    const recipe = `recipe[${fleet.cookbookName}@${cookbook.version}]`;
    const runList = [recipe];

    files.merge(cookbook.files, `cookbooks/${fleet.cookbookName}`);
    for (const [id, profile] of shared.profiles) files.add(`data_bags/${bags.profiles}/${id}.json`, profile);
    for (const host of inputs.views) {
      if (host.group === undefined) files.add(`nodes/${host.name}.json`, stableJson({ name: host.name, run_list: [recipe] }));
    }
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
    if (options.chefSecret === undefined && inputs.views.some((h) => h.isActive)) {
      warnings.push({
        target: 'chef',
        code: 'chef.clear-text-secrets',
        message: `data_bags/${bags.secrets}/ holds tunnel secrets in clear text (git-ignored in out/): do not commit or upload it; build with --chef-secret-file to encrypt it`,
      });
    }
    // The secrets bag holds nothing but the hosts' secret items: kept out of git whole while they are in clear text.
    // Encrypted, they are committed, and the nodes' own secrets are kept out instead. (The bag is named after the fleet:
    // letters, digits and underscores, nothing a pattern reads apart.)
    const keptOutOfGitPatterns = [options.chefSecret === undefined ? `/data_bags/${bags.secrets}/` : `/${NODE_SECRETS_DIR}/`];
    return { files, warnings, keptOutOfGitPatterns };
  },
  hostWarningKinds: [],
};

export const chef = wholeTarget(chefParts);
