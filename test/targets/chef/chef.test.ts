import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Fleet } from '../../../src/model/fleet.js';
import { nodeDataBagSecret } from '../../../src/targets/chef/encrypted-item.js';
import { chef, NODE_SECRETS_DIR } from '../../../src/targets/chef/index.js';
import { rubyString } from '../../../src/targets/chef/ruby.js';
import { hostState } from '../../../src/targets/common/host-state.js';
import { packageSource } from '../../../src/targets/common/package-source.js';
import type { FileSet } from '../../../src/targets/fileset.js';
import type { TargetOptions } from '../../../src/targets/target.js';
import { writeFileSetToTemp } from '../../support/fileset-on-disk.js';
import { HOSTILE, hostileFleet } from '../../support/hostile-fleet.js';
import { platformFleet, SUPPORTED_OS } from '../../support/platform-fleet.js';
import { runCommand, type CommandResult } from '../../support/run-command.js';
import { FAKE_CERT_PEM, FAKE_TOKEN, FAKE_TUNNEL_SECRET, sampleFleet } from '../../support/sample-fleet.js';

const SECRET = 'correct horse battery staple';
const FAKE_CHEF = fileURLToPath(new URL('./fake-chef.rb', import.meta.url));
const COOKBOOK = 'cookbooks/acme_pos';
const SETTINGS_BAG = 'data_bags/acme_pos';
const SECRETS_BAG = 'data_bags/acme_pos_secrets';
const PROFILES_BAG = 'data_bags/acme_pos_profiles';
const STORE = `${COOKBOOK}/files/default`;
/** Every secret value in the sample fleet, and a piece of each that would show through any re-encoding. */
const SECRET_VALUES = [FAKE_TUNNEL_SECRET, FAKE_TOKEN, must(FAKE_CERT_PEM.split('\n')[1], 'the cert body'), 'api-token-secret-value'];

const build = (fleet: Fleet = sampleFleet(), options: TargetOptions = {}): FileSet => chef(fleet, options).files;
const text = (files: FileSet, path: string): string => {
  const file = files.get(path);
  if (!file) throw new Error(`${path} was not generated`);
  return String(file.content);
};

function must<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} is missing`);
  return value;
}

/** Writes a FileSet to a fresh temp dir, as `fleetgen build` would write out/chef/. */
const writeRepo = (files: FileSet): string => writeFileSetToTemp(files, 'fleetgen-chef-');

/** Runs a real tool; a missing tool is a failure, never a skip. */
const run = (command: string, args: string[]): Promise<CommandResult> => runCommand(command, args, { installHint: 'apt-get install ruby' });

describe('chef target', () => {
  it('generates the chef-repo for the sample fleet', () => {
    expect(build().toRecord()).toMatchSnapshot();
  });

  it('encrypts the secrets data bag items when a data bag secret is given', () => {
    const files = build(sampleFleet(), { chefSecret: SECRET });
    expect(Object.fromEntries(Object.entries(files.toRecord()).filter(([path]) => path.startsWith(SECRETS_BAG)))).toMatchSnapshot();
  });

  it('keeps what names the host\'s own tunnel hostname (the lockdown command, the guard\'s service) in its own item, the probe\'s token in the secrets item only', () => {
    const files = build();
    for (const host of sampleFleet().hosts) {
      const state = hostState(host);
      if (!state.lockdown) continue;
      const hostname = must(host.lockdownProbe?.hostname, 'the probe hostname');
      const own = ownItem(files, host.name);
      const profile = text(files, `${PROFILES_BAG}/${own.profile}.json`);
      expect(JSON.stringify(own), host.name).toContain(hostname);
      expect(profile, host.name).not.toContain(hostname);
      const service = must(state.files.find((f) => f.purpose === 'lockdown-unit'), 'the guard service');
      expect((own.lockdown as { files: Record<string, { content?: string }> }).files[service.path]?.content).toBe(service.content);
      const probe = must(state.files.find((f) => f.purpose === 'lockdown-probe'), 'the probe token');
      const secrets = JSON.parse(text(files, `${SECRETS_BAG}/${host.name}.json`)) as { files: Record<string, string> };
      expect(secrets.files[probe.path]).toBe(probe.content);
      expect(JSON.stringify(own) + profile).not.toContain(must(host.lockdownProbe?.tokenSecret, 'the probe secret'));
      expect((own.config as { secret_files: Record<string, unknown> }).secret_files[probe.path]).toMatchObject({ mode: '0600', owner: 'root' });
    }
  });

  it('lays out a chef-repo: cookbook, one settings and one secrets item per host, a role per group, a node per host', () => {
    const paths = build()
      .list()
      .map((f) => f.path);
    const files = build();
    const profiles = new Set(['kiosk-17', 'lab-pi-3', 'pos-legacy', 'store-0001'].map((h) => `${PROFILES_BAG}/${ownItem(files, h).profile}.json`));
    expect(paths.filter((p) => !p.startsWith(`${COOKBOOK}/`))).toEqual([
      ...['kiosk-17', 'lab-pi-3', 'pos-legacy', 'store-0001'].map((h) => `${SETTINGS_BAG}/${h}.json`),
      ...[...profiles].sort(),
      ...['kiosk-17', 'lab-pi-3', 'pos-legacy', 'store-0001'].map((h) => `${SECRETS_BAG}/${h}.json`),
      ...['kiosk-17', 'lab-pi-3', 'pos-legacy', 'store-0001'].map((h) => `nodes/${h}.json`),
      'policyfiles/acme_pos.rb',
      ...['kiosks', 'lab', 'stores'].map((g) => `roles/${g}.json`),
    ]);
    const stored = paths.filter((p) => p.startsWith(`${STORE}/`));
    expect(stored.length).toBeGreaterThan(0);
    expect(paths.filter((p) => p.startsWith(`${COOKBOOK}/`) && !stored.includes(p)).map((p) => p.slice(COOKBOOK.length + 1))).toEqual([
      'README.md',
      'attributes/default.rb',
      'chefignore',
      'libraries/host_data.rb',
      'metadata.rb',
      ...['config', 'decommission', 'default', 'install', 'lockdown', 'register', 'service', 'ssh', 'user'].map((r) => `recipes/${r}.rb`),
    ]);
  });

  it('marks the secrets items, and only them, as secret files written 0600', () => {
    for (const options of [{}, { chefSecret: SECRET }]) {
      for (const file of build(sampleFleet(), options).list()) {
        const isSecretsItem = file.path.startsWith(`${SECRETS_BAG}/`) || file.path.startsWith(`${NODE_SECRETS_DIR}/`);
        expect({ path: file.path, isSecret: file.isSecret, mode: file.mode }).toEqual({
          path: file.path,
          isSecret: isSecretsItem,
          mode: isSecretsItem ? 0o600 : 0o644,
        });
      }
    }
  });

  it('keeps every secret value out of the cookbook, roles, nodes and settings items', () => {
    for (const file of build().list()) {
      if (file.isSecret) continue;
      for (const secret of SECRET_VALUES) expect(String(file.content), file.path).not.toContain(secret);
    }
  });

  it('keeps every secret value out of all files once the secrets are encrypted', () => {
    for (const file of build(sampleFleet(), { chefSecret: SECRET }).list()) {
      for (const secret of SECRET_VALUES) expect(String(file.content), file.path).not.toContain(secret);
    }
  });

  it('warns that the secrets items are in clear text unless a data bag secret is given', () => {
    expect(chef(sampleFleet(), {}).warnings).toEqual([
      expect.objectContaining({ target: 'chef', message: expect.stringContaining('--chef-secret-file') }),
    ]);
    expect(chef(sampleFleet(), { chefSecret: SECRET }).warnings).toEqual([]);
  });

  it('builds identical bytes twice, encrypted items included', () => {
    expect(build().toRecord()).toEqual(build().toRecord());
    expect(build(sampleFleet(), { chefSecret: SECRET }).toRecord()).toEqual(build(sampleFleet(), { chefSecret: SECRET }).toRecord());
  });

  it('changes only that host’s settings item when one host’s ingress changes', () => {
    const changed = sampleFleet();
    const store = must(changed.hosts.find((h) => h.name === 'store-0001'), 'store-0001');
    must(store.ingress[1], 'the web rule').service = 'http://localhost:9090';
    const before = build(sampleFleet(), { chefSecret: SECRET }).toRecord();
    const after = build(changed, { chefSecret: SECRET }).toRecord();
    expect(Object.keys(after)).toEqual(Object.keys(before));
    expect(Object.keys(after).filter((path) => after[path] !== before[path])).toEqual([`${SETTINGS_BAG}/store-0001.json`]);
  });

  it('changes only that host’s secrets item when one host’s credentials change', () => {
    const changed = sampleFleet();
    const kiosk = must(changed.hosts.find((h) => h.name === 'kiosk-17'), 'kiosk-17');
    if (kiosk.tunnel.mode !== 'token') throw new Error('kiosk-17 is a token host in the sample fleet');
    kiosk.tunnel.token.value = `${FAKE_TOKEN}x`;
    const before = build(sampleFleet(), { chefSecret: SECRET }).toRecord();
    const after = build(changed, { chefSecret: SECRET }).toRecord();
    expect(Object.keys(after).filter((path) => after[path] !== before[path])).toEqual([`${SECRETS_BAG}/kiosk-17.json`]);
  });

  it('writes the same code for every fleet with the same cookbook name: recipes hold no manifest value, files/default only stored bytes', () => {
    const sample = build().toRecord();
    const hostile = build(hostileFleet()).toRecord();
    const isCode = (p: string): boolean => p.startsWith(`${COOKBOOK}/`) && !p.startsWith(`${STORE}/`) && p !== `${COOKBOOK}/metadata.rb`;
    for (const path of Object.keys(sample).filter(isCode)) expect(hostile[path], path).toBe(sample[path]);
    const withoutVersion = (metadata: string | undefined): string | undefined => metadata?.replace(/^version .*$/m, '');
    expect(withoutVersion(hostile[`${COOKBOOK}/metadata.rb`])).toBe(withoutVersion(sample[`${COOKBOOK}/metadata.rb`]));
  });

  it('carries hostile strings as data: data bag items hold exactly the host state, roles exactly the description', () => {
    const fleet = hostileFleet();
    const files = build(fleet);
    for (const host of fleet.hosts) {
      const item = hostData(files, host.name) as Record<string, { files?: Record<string, FileEntry>; check_script?: FileEntry }>;
      const declared = [
        ...['config', 'service', 'ssh', 'lockdown'].flatMap((recipe) => Object.values(item[recipe]?.files ?? {})),
        ...(item.ssh?.check_script ? [item.ssh.check_script] : []),
      ];
      for (const file of hostState(host).files.filter((f) => !f.isSecret && f.purpose !== 'register-script')) {
        const entry = declared.find((d) => d.path === file.path);
        expect(entry && bytesOf(files, entry), `${host.name}:${file.path}`).toBe(file.content);
      }
    }
    for (const group of fleet.groups) expect(JSON.parse(text(files, `roles/${group.name}.json`)).description).toBe(HOSTILE);
  });

  it('writes Ruby string literals that Ruby reads back unchanged, interpolating nothing', async () => {
    const values = [HOSTILE, "it's", 'back\\slash\\', '#{`id`}', "\\'", ''];
    const program = values.map((v) => `print ${rubyString(v)}, "\\0"`).join('\n');
    const result = await run('ruby', ['-w', '-e', program]);
    expect(result.stderr).toBe('');
    expect(result.stdout.split('\0').slice(0, -1)).toEqual(values);
  });

  it('orders keys in every JSON file, so assembly order never reaches the bytes', () => {
    for (const file of build(sampleFleet(), { chefSecret: SECRET }).list().filter((f) => f.path.endsWith('.json'))) {
      const sortDeep = (v: unknown): unknown =>
        Array.isArray(v) ? v.map(sortDeep) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, x]) => [k, sortDeep(x)])) : v;
      const parsed: unknown = JSON.parse(String(file.content));
      expect(String(file.content), file.path).toBe(`${JSON.stringify(sortDeep(parsed), null, 2)}\n`);
    }
  });

  it('names data bag items, roles and nodes after their files', () => {
    const files = build(sampleFleet(), { chefSecret: SECRET });
    for (const file of files.list().filter((f) => f.path.endsWith('.json'))) {
      const base = file.path.replace(/^.*\//, '').replace(/\.json$/, '');
      const parsed = JSON.parse(String(file.content)) as { id?: string; name?: string };
      expect(file.path.startsWith('data_bags/') ? parsed.id : parsed.name, file.path).toBe(base);
    }
  });

  it('declares every supported platform in metadata.rb, from the oldest supported release of each', () => {
    const metadata = text(build(), `${COOKBOOK}/metadata.rb`);
    const supports = [...metadata.matchAll(/^supports '([a-z]+)', '>= ([0-9.]+)'$/gm)].map((m) => [m[1], m[2]]);
    const oldest = (prefix: string): string => {
      const versions = SUPPORTED_OS.filter((os) => os.startsWith(`${prefix}-`)).map((os) => os.slice(prefix.length + 1));
      const first = versions.sort((a, b) => Number(a) - Number(b))[0] ?? '';
      return first.includes('.') ? first : `${first}.0`;
    };
    // Ohai's platform names: RHEL is 'redhat'; CentOS Stream reports 'centos'.
    expect(supports).toEqual([
      ['debian', oldest('debian')],
      ['ubuntu', oldest('ubuntu')],
      ...['redhat', 'centos', 'rocky', 'almalinux'].map((p) => [p, oldest('rhel')]),
    ]);
    expect(supports.length).toBe(metadata.split('\n').filter((line) => line.startsWith('supports')).length);
  });

  it('has no ERB templates: file content comes from the data bags, not from templates', () => {
    expect(
      build()
        .list()
        .filter((f) => f.path.endsWith('.erb') || f.path.includes('/templates/')),
    ).toEqual([]);
  });
});

describe('chef target, checked by real Ruby', () => {
  const fleets: [string, Fleet][] = [
    ['sample', sampleFleet()],
    ['hostile', hostileFleet()],
    ['platforms', platformFleet()],
  ];

  it('passes `ruby -wc` on every Ruby file with no warning', async () => {
    const files = build();
    const dir = writeRepo(files);
    const rubyFiles = files.list().filter((f) => f.path.endsWith('.rb'));
    expect(rubyFiles.length).toBeGreaterThan(8);
    for (const file of rubyFiles) {
      const result = await run('ruby', ['-wc', join(dir, file.path)]);
      expect({ path: file.path, status: result.status, stdout: result.stdout, stderr: result.stderr }).toEqual({
        path: file.path,
        status: 0,
        stdout: 'Syntax OK\n',
        stderr: '',
      });
    }
  });

  it('writes JSON that Ruby parses', async () => {
    const files = build(hostileFleet(), { chefSecret: SECRET });
    const dir = writeRepo(files);
    const jsonFiles = files
      .list()
      .filter((f) => f.path.endsWith('.json'))
      .map((f) => join(dir, f.path));
    const result = await run('ruby', ['-w', '-rjson', '-e', 'ARGV.each { |path| JSON.parse(File.read(path)) }; print ARGV.length', ...jsonFiles]);
    expect({ status: result.status, stderr: result.stderr, stdout: result.stdout }).toEqual({ status: 0, stderr: '', stdout: String(jsonFiles.length) });
  });

  it('writes encrypted items that Ruby’s OpenSSL decrypts (Chef’s v3 format) to exactly the clear items', async () => {
    const clear = build();
    // A secret file's trailing newline is not part of the key: Chef strips it when it loads the secret.
    const encrypted = build(sampleFleet(), { chefSecret: `${SECRET}\n` });
    const dir = writeRepo(encrypted);
    const decrypt = `
      require 'json'; require 'openssl'; require 'base64'; require 'digest'
      secret = ARGV.shift
      out = ARGV.map do |path|
        item = JSON.parse(File.read(path))
        item.to_h do |key, value|
          next [key, value] if key == 'id'
          raise "#{key}: not version 3" unless value['version'] == 3 && value['cipher'] == 'aes-256-gcm'
          cipher = OpenSSL::Cipher.new('aes-256-gcm')
          cipher.decrypt
          cipher.key = Digest::SHA256.digest(secret)
          cipher.iv = Base64.decode64(value['iv'])
          cipher.auth_tag = Base64.decode64(value['auth_tag'])
          cipher.auth_data = ''
          plaintext = cipher.update(Base64.decode64(value['encrypted_data'])) + cipher.final
          [key, JSON.parse(plaintext)['json_wrapper']]
        end
      end
      print JSON.generate(out)`;
    const paths = encrypted
      .list()
      .filter((f) => f.path.startsWith(`${SECRETS_BAG}/`))
      .map((f) => f.path);
    // Each host's item decrypts with that host's own secret, as written to node_secrets/<host> for knife bootstrap.
    const secretOf = (path: string): string => text(encrypted, `${NODE_SECRETS_DIR}/${path.replace(/^.*\//, '').replace(/\.json$/, '')}`).trim();
    for (const path of paths) {
      const result = await run('ruby', ['-w', '-e', decrypt, secretOf(path), join(dir, path)]);
      expect(result.stderr, path).toBe('');
      expect(JSON.parse(result.stdout)).toEqual([JSON.parse(text(clear, path))]);
    }

    // One host's secret opens no other host's item, and neither does a key of the whole fleet.
    const [first, second] = paths;
    for (const wrong of [secretOf(must(second, 'a second item')), SECRET]) {
      const other = await run('ruby', ['-e', decrypt, wrong, join(dir, must(first, 'a secrets item'))]);
      expect(other.status).not.toBe(0);
      expect(other.stderr).toMatch(/CipherError/);
    }

    // A flipped ciphertext byte fails GCM authentication instead of decrypting to something else.
    const item = JSON.parse(text(encrypted, must(first, 'a secrets item'))) as { files: { encrypted_data: string } };
    const bytes = Buffer.from(item.files.encrypted_data, 'base64');
    bytes.writeUInt8(bytes.readUInt8(0) ^ 1, 0);
    item.files.encrypted_data = bytes.toString('base64');
    writeFileSync(join(dir, must(first, 'a secrets item')), JSON.stringify(item));
    const tampered = await run('ruby', ['-e', decrypt, secretOf(must(first, 'a secrets item')), join(dir, must(first, 'a secrets item'))]);
    expect(tampered.status).not.toBe(0);
    expect(tampered.stderr).toMatch(/CipherError/);
  });

  it('derives each node\'s secret from the --chef-secret-file secret and the host name, and writes it for knife bootstrap', () => {
    const files = build(sampleFleet(), { chefSecret: SECRET });
    const secrets = sampleFleet().hosts.map((h) => text(files, `${NODE_SECRETS_DIR}/${h.name}`));
    for (const [i, h] of sampleFleet().hosts.entries()) expect(secrets[i]).toBe(`${nodeDataBagSecret(SECRET, h.name)}\n`);
    expect(new Set(secrets).size).toBe(secrets.length);
    for (const secret of secrets) expect(secret).not.toContain(SECRET);
    // Kept out of git, 0600; and nothing at all without --chef-secret-file.
    for (const h of sampleFleet().hosts) expect(files.get(`${NODE_SECRETS_DIR}/${h.name}`)).toMatchObject({ isKeptOutOfGit: true, mode: 0o600 });
    expect(build().list().filter((f) => f.path.startsWith(`${NODE_SECRETS_DIR}/`))).toEqual([]);
  });

  it('uses a different IV for every encrypted value', () => {
    const files = build(sampleFleet(), { chefSecret: SECRET });
    const ivs = files
      .list()
      .filter((f) => f.path.startsWith(`${SECRETS_BAG}/`))
      .map((f) => (JSON.parse(String(f.content)) as { files: { iv: string } }).files.iv);
    expect(new Set(ivs).size).toBe(ivs.length);
    for (const iv of ivs) expect(Buffer.from(iv, 'base64')).toHaveLength(12);
  });

  describe.each(fleets)('compiled against each node of the %s fleet (a stand-in for Chef’s compile phase)', (_name, fleet) => {
    const files = build(fleet, { chefSecret: SECRET });
    const dir = writeRepo(files);

    it.each(fleet.hosts.map((h) => [h.name, h] as const))('%s', async (_host, host) => {
      // The node's own secret, as knife bootstrap --secret-file puts it on the node.
      const result = await run('ruby', ['-w', FAKE_CHEF, dir, fleet.cookbookName, host.name, join(dir, NODE_SECRETS_DIR, host.name)]);
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      const compiled = JSON.parse(result.stdout) as { resources: CompiledResource[] };
      const resources = compiled.resources;
      const state = hostState(host);
      const id = (r: { type: string; name: string }): string => `${r.type}[${r.name}]`;

      // Chef identifies resources by type and name: a duplicate would silently merge two declarations.
      expect(new Set(resources.map(id)).size).toBe(resources.length);

      // Every file of the shared host state, with exactly its content, owner, group and mode.
      for (const file of state.files) {
        const declared = resources.find((r) => isFile(r) && r.name === file.path);
        expect(declared?.properties, `${host.name}: ${file.path}`).toMatchObject({
          content: file.content,
          owner: file.owner,
          group: file.group,
          mode: file.mode,
        });
      }
      // The package repository: the apt source in the format of the host's release (or the yum .repo file), and
      // fleetgen's apt source in the other format deleted. The refresh's own guard sees whether any of them changed.
      const source = packageSource(host);
      const staleSources = source?.staleSourceFiles ?? [];
      if (source) {
        expect(resources.find((r) => isFile(r) && r.name === source.sourceFile.path)?.properties).toMatchObject({ content: source.sourceFile.content, mode: '0644' });
        const deleted = resources.filter((r) => r.properties.action === 'delete' && staleSources.includes(r.name));
        expect(deleted.map((r) => r.name)).toEqual(staleSources);
        const refresh = must(resources.find((r) => r.name === 'cloudflared: refresh package index'), 'the refresh');
        expect({ command: refresh.properties.command, guards: refresh.guards }).toEqual({ command: source.refresh, guards: 1 });
        // Before anything is installed, the host's architecture is checked.
        expect(resources.findIndex((r) => r.name === 'cloudflared: check the architecture')).toBe(0);
      }
      const deletions = resources.filter((r) => r.properties.action === 'delete' && !staleSources.includes(r.name));
      for (const directory of state.directories) {
        expect(resources.find((r) => r.type === 'directory' && r.name === directory.path)?.properties).toEqual({
          owner: directory.owner,
          group: directory.group,
          mode: directory.mode,
        });
      }

      // sensitive on every resource that carries a secret, or runs with one.
      const secrets = state.files.filter((f) => f.isSecret).map((f) => f.content);
      for (const resource of resources) {
        const touchesSecret = secrets.some((s) => JSON.stringify(resource.properties).includes(JSON.stringify(s).slice(1, -1)));
        if (touchesSecret || resource.name === 'cloudflared: register tunnel') expect(resource.properties.sensitive, id(resource)).toBe(true);
        // No copy of a secret under /var/chef/backup, where a rotated credential would linger.
        if (resource.type === 'file' && resource.properties.sensitive === true) expect(resource.properties.backup, id(resource)).toBe(false);
      }

      // Idempotency: every command runs only when notified or when its guard says there is work.
      for (const resource of resources.filter((r) => r.type === 'execute' || r.type === 'ruby_block')) {
        expect(resource.properties.action === 'nothing' || resource.guards > 0, id(resource)).toBe(true);
      }

      // Notifications name resources that exist; restarts and ssh checks are delayed, so they run once.
      for (const resource of resources) {
        for (const notification of resource.notifications) {
          expect(resources.map(id), `${id(resource)} notifies ${notification.target}`).toContain(notification.target);
          if (/restart|sshd -t/.test(notification.target)) expect(notification.timing).toBe('delayed');
        }
      }
      for (const file of state.files.filter((f) => f.notifies === 'cloudflared')) {
        const declared = resources.find((r) => isFile(r) && r.name === file.path);
        expect(declared?.notifications).toContainEqual({ action: 'run', target: 'execute[cloudflared: restart]', timing: 'delayed' });
      }

      // config.yml is validated by cloudflared, from an argument vector, before it replaces the live file.
      const config = must(resources.find((r) => r.type === 'file' && r.name === host.paths.config), 'config.yml');
      expect(config.verification_commands).toEqual(
        state.validatesConfig ? [[host.cloudflared.binaryPath, 'tunnel', '--config', '/candidate', 'ingress', 'validate']] : [],
      );

      // Self-registration runs the shared script with exactly the host state's arguments.
      const register = resources.find((r) => r.name === 'cloudflared: register tunnel');
      expect(register?.properties.command).toEqual(state.selfRegister ? [state.selfRegister.script, ...state.selfRegister.args] : undefined);

      // cloudflared is started without waiting for it to connect (Type=notify), and never with a blocking start.
      const start = must(resources.find((r) => r.name === 'cloudflared: start'), 'the start command');
      expect(start.properties.command).toEqual(['systemctl', 'start', '--no-block', 'cloudflared']);
      expect(resources.filter((r) => r.type === 'service' && r.name === 'cloudflared').map((r) => r.properties.action)).toEqual(['enable']);
      // The lockdown guard's timer: enabled and started with lockdown (a timer starts at once), stopped and disabled without.
      expect(resources.filter((r) => r.type === 'service' && r.name !== 'cloudflared').map((r) => [r.name, r.properties.action])).toEqual([
        state.lockdown ? [state.lockdown.timer, ['enable', 'start']] : [state.unlock?.timer, ['stop', 'disable']],
      ]);

      // RHEL 8: the Include line goes into sshd_config, checked by sshd before it is written.
      const sshdConfig = resources.find((r) => r.name === '/etc/ssh/sshd_config');
      expect(sshdConfig?.verification_commands).toEqual(state.ssh?.needsInclude ? [['/usr/sbin/sshd', '-t', '-f', '/candidate']] : undefined);

      // Lockdown: the shared script with exactly the host state's arguments, run only when notified: by a
      // notify_group, delayed (so after the delayed cloudflared restart queued earlier), guarded by the drop-in.
      const lockdownName = 'cloudflared: lock SSH down to the tunnel once SSH through it is proven';
      const lockdown = resources.find((r) => r.name === lockdownName);
      const pending = resources.find((r) => r.type === 'notify_group');
      const position = (r: CompiledResource | undefined): number => (r ? resources.indexOf(r) : -1);
      if (state.lockdown) {
        expect(lockdown?.properties).toMatchObject({ command: [state.lockdown.script, ...state.lockdown.args], action: 'nothing' });
        expect(pending?.properties.action).toBe('run');
        expect(pending?.guards).toBe(1);
        expect(pending?.notifications).toEqual([{ action: 'run', target: `execute[${lockdownName}]`, timing: 'delayed' }]);
        // Every restart of cloudflared in the run proves SSH through the tunnel again, after it.
        expect(resources.find((r) => r.name === 'cloudflared: restart')?.notifications).toEqual([{ action: 'run', target: `execute[${lockdownName}]`, timing: 'delayed' }]);
        // The guard's service and timer, written beside the script; systemd reloads when they change.
        for (const unit of [state.lockdown.service, state.lockdown.timer]) {
          expect(resources.find((r) => isFile(r) && r.name === `/etc/systemd/system/${unit}`)?.notifications, unit).toEqual([
            { action: 'run', target: 'execute[cloudflared: daemon-reload for the lockdown guard]', timing: 'immediately' },
          ]);
        }
        // Queued after every resource that can queue a restart or an sshd reload.
        const queuesRestart = resources.filter((r) => r.notifications.some((n) => /restart|sshd -t/.test(n.target)));
        expect(Math.max(...queuesRestart.map(position))).toBeLessThan(position(pending));
        expect(resources.find((r) => isFile(r) && r.name === state.lockdown?.script)?.properties).toMatchObject({ mode: '0755' });
        expect(deletions).toEqual([]);
      } else {
        expect([lockdown, pending]).toEqual([undefined, undefined]);
        // Lockdown off lifts an earlier one: the drop-in goes (sshd -t, then reload), and so does the script.
        const unlock = must(state.unlock, 'the unlock facts');
        const removed = deletions;
        expect(removed.map((r) => r.name).sort()).toEqual([unlock.dropIn, unlock.script, unlock.keepDir, ...unlock.units].sort());
        expect(removed.find((r) => r.name === unlock.dropIn)?.notifications).toEqual([
          { action: 'run', target: 'execute[cloudflared: sshd -t, lockdown lifted]', timing: 'delayed' },
        ]);
        const check = must(resources.find((r) => r.name === 'cloudflared: sshd -t, lockdown lifted'), 'the sshd check');
        expect(check.properties).toMatchObject({ command: ['/usr/sbin/sshd', '-t'], action: 'nothing' });
        expect(check.notifications.map((n) => n.target)).toEqual(['execute[cloudflared: reload sshd, lockdown lifted]', 'execute[cloudflared: regenerate the sshd socket]']);
        expect(resources.find((r) => r.name === 'cloudflared: reload sshd, lockdown lifted')?.properties.command).toEqual([
          'systemctl',
          'try-reload-or-restart',
          unlock.sshdService,
        ]);
        const regenerate = resources.find((r) => r.name === 'cloudflared: regenerate the sshd socket');
        expect(regenerate?.guards).toBe(1);
        expect(resources.find((r) => r.name === 'cloudflared: reopen the sshd socket')?.properties.command).toEqual([
          'systemctl',
          'restart',
          `${unlock.sshdService}.socket`,
        ]);
      }
    });
  });
});

interface CompiledResource {
  type: string;
  name: string;
  properties: Record<string, unknown>;
  notifications: { action: string; target: string; timing: string }[];
  guards: number;
  verification_commands: string[][];
}

/** A file resource: `file` with its content inline, or `cookbook_file` with the bytes the stand-in read from the
 * cookbook's files/default/ as Chef would. */
function isFile(resource: CompiledResource): boolean {
  return resource.type === 'file' || resource.type === 'cookbook_file';
}

interface FileEntry {
  path: string;
  content?: string;
  source?: string;
}

function ownItem(files: FileSet, host: string): { profile: string } & Record<string, unknown> {
  return JSON.parse(text(files, `${SETTINGS_BAG}/${host}.json`)) as { profile: string } & Record<string, unknown>;
}

/** What the recipes read for a host: its profile with its own item merged in, as libraries/host_data.rb does. */
function hostData(files: FileSet, host: string): Record<string, unknown> {
  const { id: _id, profile, ...own } = ownItem(files, host);
  const { id: _profileId, ...shared } = JSON.parse(text(files, `${PROFILES_BAG}/${profile}.json`)) as Record<string, unknown>;
  return deepMerge(shared, own);
}

function deepMerge(shared: Record<string, unknown>, own: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...shared };
  for (const [key, value] of Object.entries(own)) {
    const base = merged[key];
    const isHash = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
    if (base === undefined) merged[key] = value;
    else if (isHash(base) && isHash(value)) merged[key] = deepMerge(base, value);
    else throw new Error(`the profile and the host's item both set ${key}`);
  }
  return merged;
}

/** A file entry's bytes: inline, or the stored file it names in the cookbook. */
function bytesOf(files: FileSet, entry: FileEntry): string {
  return entry.content ?? text(files, `${STORE}/${must(entry.source, `${entry.path}: content or source`)}`);
}
