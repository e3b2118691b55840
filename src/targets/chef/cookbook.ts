/**
 * The cookbook: Ruby that is the same for every host. Only the cookbook's name and the fleet's name reach Ruby
 * source (as single-quoted literals); all host data is read from data bags at converge time.
 */
import type { FleetSettings } from '../target.js';
import { DEFAULT_STOP_DELAY_SECONDS } from '../common/host-removal.js';
import type { FileStore } from '../common/file-store.js';
import { FileSet } from '../fileset.js';
import { readGeneratorFile, template } from '../templates.js';
import { cookbookVersion } from './cookbook-version.js';
import { rubyString } from './ruby.js';

/** Recipes in the order recipes/default.rb includes them (a decommissioned host: `decommission` alone). */
export const RECIPES = ['install', 'user', 'config', 'register', 'service', 'ssh', 'lockdown', 'decommission'] as const;
const LIBRARIES = ['host_data'] as const;

export interface DataBagNames {
  settings: string;
  profiles: string;
  secrets: string;
}

export function dataBagNames(fleet: FleetSettings): DataBagNames {
  return { settings: fleet.cookbookName, profiles: `${fleet.cookbookName}_profiles`, secrets: `${fleet.cookbookName}_secrets` };
}

/** Where the cookbook keeps the files hosts share, by content (cookbook_file's default source folder). */
export const STORE_DIR = 'files/default';

/** The cookbook's files, and its version (which the roles and nodes pin). */
export function renderCookbook(fleet: FleetSettings, store: FileStore): { files: FileSet; version: string } {
  const bags = dataBagNames(fleet);
  const files = new FileSet();
  files.add(
    'attributes/default.rb',
    template('chef/attributes/default.rb.hbs')({
      name: rubyString(fleet.cookbookName),
      dataBag: rubyString(bags.settings),
      profilesDataBag: rubyString(bags.profiles),
      secretsDataBag: rubyString(bags.secrets),
      stopDelay: DEFAULT_STOP_DELAY_SECONDS,
    }),
  );
  for (const recipe of ['default', ...RECIPES]) files.add(`recipes/${recipe}.rb`, readGeneratorFile(`chef/recipes/${recipe}.rb`));
  for (const library of LIBRARIES) files.add(`libraries/${library}.rb`, readGeneratorFile(`chef/libraries/${library}.rb`));
  // Markdown, not code: names here are schema-restricted (cookbook, fleet and data bag names).
  files.add(
    'README.md',
    template('chef/README.md.hbs')({ cookbook: fleet.cookbookName, fleet: fleet.name, dataBag: bags.settings, profilesDataBag: bags.profiles, secretsDataBag: bags.secrets }),
  );
  files.add('chefignore', readGeneratorFile('chef/chefignore'));
  // Plain files: cookbook_file gives each its owner, group and mode on the host.
  for (const [name, content] of store.entries()) files.add(`${STORE_DIR}/${name}`, content);
  // metadata.rb last: its version is a digest of everything else in the cookbook, itself included.
  const metadata = (version: string): string =>
    template('chef/metadata.rb.hbs')({
      name: rubyString(fleet.cookbookName),
      description: rubyString(`Cloudflare Tunnel (cloudflared) and Access SSH for the ${fleet.name} fleet`),
      version: rubyString(version),
    });
  const version = cookbookVersion(files, metadata(''));
  files.add('metadata.rb', metadata(version));
  return { files, version };
}
