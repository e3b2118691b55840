/**
 * The chef-repo files around the recipes, as Chef's tools read them: metadata.rb (its version derived from the
 * cookbook's content, its license), chefignore, and the Policyfile beside the roles. Ruby evaluates them with the
 * same DSL method names Chef's loaders call; there is no Chef on Debian, so the DSL is a stand-in that checks
 * what Chef would check (Chef's own version format, relative cookbook paths).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Fleet } from '../../../src/model/fleet.js';
import { chef } from '../../../src/targets/chef/index.js';
import { cookbookVersion } from '../../../src/targets/chef/cookbook-version.js';
import { FileSet } from '../../../src/targets/fileset.js';
import { writeFileSetToTemp } from '../../support/fileset-on-disk.js';
import { runCommand } from '../../support/run-command.js';
import { sampleFleet } from '../../support/sample-fleet.js';

const COOKBOOK = 'cookbooks/acme_pos';
const REPO = fileURLToPath(new URL('../../..', import.meta.url));

const build = (fleet: Fleet = sampleFleet()): FileSet => chef(fleet, {}).files;
const text = (files: FileSet, path: string): string => {
  const file = files.get(path);
  if (!file) throw new Error(`${path} was not generated`);
  return String(file.content);
};
const versionOf = (files: FileSet): string => {
  const match = /^version '([^']*)'$/m.exec(text(files, `${COOKBOOK}/metadata.rb`));
  if (!match?.[1]) throw new Error('metadata.rb has no version line');
  return match[1];
};

const writeRepo = (files: FileSet): string => writeFileSetToTemp(files, 'fleetgen-chef-repo-');

async function ruby(program: string, args: string[]): Promise<string> {
  const result = await runCommand('ruby', ['-w', '-e', program, ...args], { installHint: 'apt-get install ruby' });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return result.stdout;
}

/** Evaluates metadata.rb as Chef's Chef::Cookbook::Metadata#from_file does (instance_eval), recording each call. */
const READ_METADATA = `
require 'json'
class Metadata
  # Chef::Version's format: two or three dot-separated integers.
  VERSION = /\\A(\\d+)\\.(\\d+)(\\.(\\d+))?\\z/
  attr_reader :calls
  def initialize; @calls = Hash.new { |h, k| h[k] = [] }; end
  def version(v)
    raise "version #{v.inspect} is not Chef's x.y.z" unless VERSION.match?(v)
    @calls['version'] << v
  end
  %w[name maintainer license description chef_version supports depends].each do |m|
    define_method(m) { |*args| @calls[m] << args }
  end
end
metadata = Metadata.new
metadata.instance_eval(File.read(ARGV[0]), ARGV[0])
print JSON.generate(metadata.calls)
`;

/** Evaluates a Policyfile the way ChefCLI::PolicyfileCompiler's DSL does, and resolves each cookbook path from it. */
const READ_POLICYFILE = `
require 'json'
class Policyfile
  attr_reader :result
  def initialize(path); @path = path; @result = { 'cookbooks' => {} }; end
  def name(n); @result['name'] = n; end
  def run_list(*items); @result['run_list'] = items.flatten; end
  def default_source(*args); @result['default_source'] = args; end
  def cookbook(name, options = {})
    # Relative cookbook paths are relative to the Policyfile's folder.
    dir = File.expand_path(options.fetch(:path), File.dirname(@path))
    metadata = File.join(dir, 'metadata.rb')
    raise "cookbook #{name}: no #{metadata}" unless File.file?(metadata)
    @result['cookbooks'][name] = File.read(metadata)[/^name '([^']*)'$/, 1]
  end
end
policy = Policyfile.new(ARGV[0])
policy.instance_eval(File.read(ARGV[0]), ARGV[0])
print JSON.generate(policy.result)
`;

describe('chef metadata.rb', () => {
  it('is read by Ruby as Chef reads it: the cookbook name, the project license, a version in Chef\'s format', async () => {
    const dir = writeRepo(build());
    const calls = JSON.parse(await ruby(READ_METADATA, [join(dir, COOKBOOK, 'metadata.rb')])) as Record<string, unknown[]>;
    expect(calls.name).toEqual([['acme_pos']]);
    const projectLicense = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { license: string }).license;
    expect(calls.license).toEqual([[projectLicense]]);
    expect(calls.version).toEqual([versionOf(build())]);
  });

  it('has a version derived from the cookbook: the same for the same cookbook, whatever the hosts, until one needs new bytes', () => {
    const version = versionOf(build());
    // Part of Chef's integer range: each part below 2^31.
    for (const part of version.split('.')) expect(Number(part)).toBeLessThan(2 ** 31);
    expect(versionOf(build())).toBe(version);
    // Hosts live in data bags, not in the cookbook: a host more or less whose files others share changes no version.
    const more = sampleFleet();
    const store = must(more.hosts.find((h) => h.name === 'store-0001'), 'store-0001');
    more.hosts.push({ ...store, name: 'store-0002' });
    expect(versionOf(build(more))).toBe(version);
    // A host that needs bytes no other host has (here a unit for another binary path) adds a stored file: a new version.
    const odd = sampleFleet();
    const oddHost = must(odd.hosts.find((h) => h.name === 'store-0001'), 'store-0001');
    oddHost.cloudflared = { ...oddHost.cloudflared, binaryPath: '/opt/cloudflared/bin/cloudflared' };
    expect(versionOf(build(odd))).not.toBe(version);
  });

  it('gets a new version when any file of the cookbook changes, metadata.rb itself included', () => {
    const files = build();
    const cookbook = files.list().filter((f) => f.path.startsWith(`${COOKBOOK}/`) && !f.path.endsWith('/metadata.rb'));
    const metadata = text(files, `${COOKBOOK}/metadata.rb`).replace(/^version .*$/m, "version ''");
    /** The version of the cookbook with one file's content (or the metadata) edited. */
    const versionWith = (editedPath: string | undefined, metadataText = metadata): string => {
      const copy = new FileSet();
      for (const file of cookbook) copy.add(file.path.slice(COOKBOOK.length + 1), file.path === editedPath ? `${String(file.content)}\n` : file.content, { mode: file.mode });
      return cookbookVersion(copy, metadataText);
    };
    expect(versionWith(undefined)).toBe(versionOf(files));
    const seen = new Set([versionOf(files)]);
    for (const file of cookbook) {
      const changed = versionWith(file.path);
      expect(seen.has(changed), `a change to ${file.path} keeps an earlier version`).toBe(false);
      seen.add(changed);
    }
    expect(seen.has(versionWith(undefined, metadata.replace("'>= 16.10'", "'>= 17.0'")))).toBe(false);
    const renamed = sampleFleet();
    renamed.cookbookName = 'other_pos';
    const other = chef(renamed, {}).files;
    expect(/^version '([^']*)'$/m.exec(text(other, 'cookbooks/other_pos/metadata.rb'))?.[1]).not.toBe(versionOf(files));
  });

  it('is pinned by every role and by the nodes that run the recipe directly, so a Chef Server picks exactly this cookbook', () => {
    const files = build();
    const pinned = `recipe[acme_pos@${versionOf(files)}]`;
    for (const file of files.list().filter((f) => /^(roles|nodes)\//.test(f.path))) {
      const runList = (JSON.parse(String(file.content)) as { run_list: string[] }).run_list;
      for (const item of runList) expect(item.startsWith('role[') || item === pinned, `${file.path}: ${item}`).toBe(true);
    }
    expect(JSON.parse(text(files, 'roles/stores.json')).run_list).toEqual([pinned]);
    expect(JSON.parse(text(files, 'nodes/pos-legacy.json')).run_list).toEqual([pinned]);
  });
});

describe('chef chefignore', () => {
  it('ignores what editors and version control leave beside the cookbook, and none of the files fleetgen generates', async () => {
    const files = build();
    const dir = writeRepo(files);
    const generated = files
      .list()
      .filter((f) => f.path.startsWith(`${COOKBOOK}/`))
      .map((f) => f.path.slice(COOKBOOK.length + 1));
    const junk = ['recipes/default.rb~', 'recipes/.default.rb.swp', '.git', '.DS_Store', 'README.md.orig', 'spec/default_spec.rb'];
    // Chef's Chef::Cookbook::Chefignore: one glob per line, comments and blank lines skipped, File.fnmatch? per path.
    const program = `
      globs = File.readlines(ARGV.shift, chomp: true).reject { |l| l.start_with?('#') || l.strip.empty? }
      ARGV.each { |path| puts(globs.any? { |g| File.fnmatch?(g, path) } ? "ignored #{path}" : "kept #{path}") }
    `;
    const verdicts = (await ruby(program, [join(dir, COOKBOOK, 'chefignore'), ...generated, ...junk])).trim().split('\n');
    expect(verdicts).toEqual([...generated.map((path) => `kept ${path}`), ...junk.map((path) => `ignored ${path}`)]);
  });
});

describe('chef Policyfile', () => {
  it('sits beside the roles and names the generated cookbook by a path that resolves from its folder', async () => {
    const files = build();
    const dir = writeRepo(files);
    const policy = JSON.parse(await ruby(READ_POLICYFILE, [join(dir, 'policyfiles', 'acme_pos.rb')])) as Record<string, unknown>;
    expect(policy).toEqual({ name: 'acme_pos', run_list: ['acme_pos::default'], cookbooks: { acme_pos: 'acme_pos' } });
    const syntax = await runCommand('ruby', ['-wc', join(dir, 'policyfiles', 'acme_pos.rb')]);
    expect(syntax.stdout).toBe('Syntax OK\n');
  });
});

function must<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} is missing`);
  return value;
}
