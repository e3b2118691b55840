import { InternalError } from '../diagnostics/diagnostic.js';
import { assignHostnames, type HostnameAssignment, type HostnameRequest } from '../hostnames/assign.js';
import type { Lockfile } from '../hostnames/lockfile.js';
import type { SecretReference, SecretSource } from '../load/secrets.js';
import { DEFAULT_TERRAFORM_OUTPUTS_DIR, terraformLayoutOf, terraformModuleOf } from '../manifest/terraform-layout.js';
import type { IngressRule as ManifestIngressRule } from '../manifest/types.generated.js';
import { isCatchAllRule } from '../validate/ingress.js';
import { effectiveIngress, tunnelOwner } from '../validate/rules/context.js';
import type { HostTerraformValues } from '../validate/terraform-outputs.js';
import type { Manifest } from '../validate/schema.js';
import { parseService } from '../validate/service.js';
import { normalizeFingerprint } from '../validate/openpgp.js';
import { decodeTunnelToken, parseCredentials } from '../validate/tunnel-secrets.js';
import type {
  AccessPolicy,
  Arch,
  CloudflaredInstall,
  Fleet,
  Group,
  Host,
  HostPaths,
  IngressRule,
  OsId,
  PackageRepository,
  Platform,
  Secret,
  ServiceToken,
  SshAccess,
  Tunnel,
} from './fleet.js';
import { fleetOf, LazyHosts, type FleetWithoutHosts, type LazyFleet } from './lazy-fleet.js';
import { effectiveHosts, type EffectiveSettings } from './merge.js';
import { osFacts } from './platforms.js';

export const DEFAULT_OS: OsId = 'debian-12';
export const DEFAULT_ARCH: Arch = 'amd64';
export const DEFAULT_METRICS = '127.0.0.1:20241';
export const CONFIG_DIR = '/etc/cloudflared';
/** What a catch-all answers when the manifest names none. */
export const DEFAULT_CATCH_ALL = 'http_status:404';

const CLOUDFLARE_APT = { url: 'https://pkg.cloudflare.com/cloudflared', keyUrl: 'https://pkg.cloudflare.com/cloudflare-main.gpg' };
const CLOUDFLARE_RPM = { url: 'https://pkg.cloudflare.com/cloudflared/rpm', keyUrl: 'https://pkg.cloudflare.com/cloudflare-ascii-pubkey.gpg' };
const RELEASES = 'https://github.com/cloudflare/cloudflared/releases/download';

export interface NormalizeResult {
  fleet: Fleet;
  hostnames: HostnameAssignment;
}

export interface LazyNormalizeResult {
  fleet: LazyFleet;
  hostnames: HostnameAssignment;
}

/** What decides a host's model besides the frame, its entry and the secrets it reads (see normalizeLazily). */
export interface HostInputs {
  /** The host's index in the manifest's host list. */
  hostIndex: number;
  /** The hostnames generated for its rules without one, in order. */
  generated: readonly string[];
  /** What Terraform's saved outputs give it. */
  terraform: HostTerraformValues;
  // Its Terraform module is not here: the frame (cloudflare.terraform.split) and its entry (name, group) decide it.
}

/**
 * Turns a manifest that passed schema and semantic validation into the Fleet model. Anything it finds wrong
 * here is a bug in validation (InternalError), not a user mistake.
 */
export function normalize(
  manifest: Manifest,
  secrets: SecretSource,
  lock: Lockfile | undefined,
  terraform: ReadonlyMap<string, HostTerraformValues> = new Map(),
): NormalizeResult {
  const { fleet, hostnames } = normalizeLazily(manifest, secrets, lock, terraform, undefined);
  return { fleet: fleetOf(fleet.settings, fleet.hosts.all()), hostnames };
}

/**
 * As normalize, but each host's model is made when first asked for (LazyHosts): everything across hosts (names, order,
 * groups, generated hostnames) is decided here. `inputKeyOf`, when given, gives each host's LazyHosts.inputKey from
 * what normalize hands the host's model besides the frame, its entry and the secrets it reads: HostInputs.
 */
export function normalizeLazily(
  manifest: Manifest,
  secrets: SecretSource,
  lock: Lockfile | undefined,
  terraform: ReadonlyMap<string, HostTerraformValues>,
  inputKeyOf: ((inputs: HostInputs) => string) | undefined,
): LazyNormalizeResult {
  const effective = effectiveHosts(manifest);
  // Fleet order: by name (names are unique).
  const byName = [...effective].sort((a, b) => compareNames(a.host.name, b.host.name));

  // Asked for in fleet order, the order assignHostnames works in: its sort finds them sorted.
  const taken = new Set<string>();
  const requests: HostnameRequest[] = [];
  // Indexed, here and below: for every host of every build, mostly in code V8 has not optimized yet, where a for-of
  // makes an iterator and a result per step (write/tiering.ts).
  for (let index = 0; index < byName.length; index++) {
    const e = byName[index] as EffectiveSettings;
    const rules = effectiveIngress(e)?.rules;
    if (rules === undefined) continue;
    let unnamed: ManifestIngressRule[] | undefined;
    for (let position = 0; position < rules.length; position++) {
      const rule = rules[position] as ManifestIngressRule;
      if (rule.hostname) {
        if (rule.hostname !== '*') taken.add(rule.hostname);
      } else if (!isCatchAllRule(rule)) (unnamed ??= []).push(rule);
    }
    // A rule is its own RuleIdentity: its service and path name it in the lock.
    if (unnamed !== undefined) requests.push({ host: e.host.name, rules: unnamed });
  }
  const hostnames = assignHostnames({ fleet: manifest.fleet, zone: manifest.zone, requests, taken, lock });

  const layout = terraformLayoutOf(manifest.cloudflare?.terraform);
  const inputsOf = (e: EffectiveSettings): HostInputs => ({
    hostIndex: e.hostIndex,
    generated: hostnames.names.get(e.host.name) ?? [],
    terraform: terraform.get(e.host.name) ?? {},
  });
  const make = (index: number, reader: SecretSource): Host => {
    const e = byName[index];
    if (e === undefined) throw new InternalError(`no host at index ${index}`);
    const inputs = inputsOf(e);
    return normalizeHost(manifest, e, reader, inputs.generated, inputs.terraform, terraformModuleOf(e.host, layout));
  };
  // all() makes the models in manifest order: the order their secrets were read in before (and `build` reads them
  // ahead in next time).
  const manifestOrder = new Array<number>(byName.length).fill(-1);
  for (let index = 0; index < byName.length; index++) manifestOrder[(byName[index] as EffectiveSettings).hostIndex] = index;
  const names = byName.map((e) => e.host.name);
  const hosts = new LazyHosts(names, make, secrets, inputKeyOf && byName.map((e) => inputKeyOf(inputsOf(e))), manifestOrder);

  // One pass over the hosts, not one per group: a fleet can have thousands of groups.
  const namesByGroup = new Map<string, string[]>();
  for (let index = 0; index < byName.length; index++) {
    const e = byName[index] as EffectiveSettings;
    if (e.host.group === undefined) continue;
    const names = namesByGroup.get(e.host.group);
    if (names) names.push(e.host.name);
    else namesByGroup.set(e.host.group, [e.host.name]);
  }
  const groups: Group[] = Object.entries(manifest.groups ?? {})
    .map(([name, group]) => ({
      name,
      ...(group.description !== undefined ? { description: group.description } : {}),
      hosts: namesByGroup.get(name) ?? [],
    }))
    .sort((a, b) => compareNames(a.name, b.name));

  const serviceToken = manifest.client?.serviceToken;
  const settings: FleetWithoutHosts = {
    name: manifest.fleet,
    zone: manifest.zone,
    cookbookName: manifest.fleet.replace(/-/g, '_'),
    roleName: manifest.fleet.replace(/-/g, '_'),
    groups,
    client: {
      ...(serviceToken ? { serviceToken: { idEnv: serviceToken.id.env, secretEnv: serviceToken.secret.env } } : {}),
      ...(manifest.client?.sshUser !== undefined ? { sshUser: manifest.client.sshUser } : {}),
    },
    cloudflare: {
      ...(manifest.cloudflare?.accountId !== undefined ? { accountId: manifest.cloudflare.accountId } : {}),
      ...(manifest.cloudflare?.zoneId !== undefined ? { zoneId: manifest.cloudflare.zoneId } : {}),
      ...layout,
      ...(manifest.cloudflare?.terraform?.backend
        ? {
            backend: {
              type: manifest.cloudflare.terraform.backend.type,
              config: { ...manifest.cloudflare.terraform.backend.config },
              keyPrefix: manifest.cloudflare.terraform.backend.keyPrefix ?? `fleetgen/${manifest.fleet}`,
            },
          }
        : {}),
      outputsDir: manifest.cloudflare?.terraformOutputs?.dir ?? DEFAULT_TERRAFORM_OUTPUTS_DIR,
    },
    access: {
      policies: Object.entries(manifest.access?.policies ?? {})
        .map(([name, policy]): AccessPolicy => ({ name, ...policy }))
        .sort((a, b) => compareNames(a.name, b.name)),
      serviceTokens: Object.entries(manifest.access?.serviceTokens ?? {})
        .map(([name, token]): ServiceToken => ({ name, ...(token.duration !== undefined ? { duration: token.duration } : {}) }))
        .sort((a, b) => compareNames(a.name, b.name)),
    },
  };
  return { fleet: { settings, hosts }, hostnames };
}

/** Byte order, not locale order: output must not depend on the machine's locale. */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function ingressOf(e: EffectiveSettings): ManifestIngressRule[] {
  return [...(effectiveIngress(e)?.rules ?? [])];
}

function normalizeHost(
  manifest: Manifest,
  e: EffectiveSettings,
  secrets: SecretSource,
  generated: readonly string[],
  terraform: HostTerraformValues,
  terraformModule: string,
): Host {
  const s = e.settings;
  const platform = platformOf(s.platform?.os ?? DEFAULT_OS, s.platform?.arch ?? DEFAULT_ARCH);
  const tunnel = tunnelOf(manifest, e, secrets, terraform);
  const ingress = ingressRules(ingressOf(e), generated, tunnel.mode);
  const port = s.ssh?.port ?? 22;
  const user = s.ssh?.user ?? manifest.client?.sshUser;
  const ssh: SshAccess = {
    port,
    ...(user !== undefined ? { user } : {}),
    hostnames: ingress.flatMap((r) => (r.kind === 'ssh' && r.hostname !== undefined && !r.hostname.startsWith('*') ? [r.hostname] : [])),
    ...(s.ssh?.shortLivedCerts ? { shortLivedCerts: shortLivedCertsOf(s.ssh.shortLivedCerts.caPublicKey, terraform) } : {}),
    principals: Object.fromEntries(
      Object.entries(s.ssh?.principals ?? {})
        .sort(([a], [b]) => compareNames(a, b))
        .map(([localUser, list]) => [localUser, [...new Set(list)].sort(compareNames)]),
    ),
  };
  return {
    name: e.host.name,
    state: s.state ?? 'active',
    ...(e.host.group !== undefined ? { group: e.host.group } : {}),
    ...(e.host.address !== undefined ? { address: e.host.address } : {}),
    platform,
    cloudflared: installOf(e, platform, secrets),
    tunnel,
    ingress,
    ...(s.originRequest !== undefined ? { originRequest: s.originRequest } : {}),
    options: s.tunnel?.options ?? {},
    metrics: s.metrics ?? DEFAULT_METRICS,
    lockdown: s.lockdown !== undefined && s.lockdown !== false,
    ...(typeof s.lockdown === 'object' ? { lockdownProbe: lockdownProbeOf(s.lockdown.probe.serviceToken, ssh, ingress, terraform) } : {}),
    ssh,
    access: {
      policies: [...(s.access?.policies ?? [])],
      ...(s.access?.sessionDuration !== undefined ? { sessionDuration: s.access.sessionDuration } : {}),
    },
    terraformModule,
    paths: pathsOf(tunnel),
  };
}

/**
 * What the lockdown proves SSH with: the host's own SSH hostname whose rule reaches sshd on loopback at its port (the
 * lockdown rules made sure there is one), and the service token Terraform created (absent until its outputs are saved).
 */
function lockdownProbeOf(serviceToken: string, ssh: SshAccess, ingress: IngressRule[], terraform: HostTerraformValues): NonNullable<Host['lockdownProbe']> {
  const own = ingress.find((rule) => {
    if (rule.kind !== 'ssh' || rule.hostname === undefined || rule.hostname.startsWith('*')) return false;
    const service = parseService(rule.service);
    return service.ok && ['localhost', '127.0.0.1'].includes(service.host ?? '') && service.port === ssh.port;
  });
  return {
    serviceToken,
    hostname: own?.hostname ?? ssh.hostnames[0] ?? '',
    ...(terraform.lockdownProbe ? { tokenId: terraform.lockdownProbe.id, tokenSecret: terraform.lockdownProbe.secret } : {}),
  };
}

function shortLivedCertsOf(caPublicKey: string | undefined, terraform: HostTerraformValues): NonNullable<SshAccess['shortLivedCerts']> {
  if (caPublicKey !== undefined) return { caPublicKey: caPublicKey.trim(), isCaFromTerraform: false };
  return { ...(terraform.sshCaPublicKey !== undefined ? { caPublicKey: terraform.sshCaPublicKey } : {}), isCaFromTerraform: true };
}

function platformOf(os: OsId, arch: Arch): Platform {
  return { os, arch, family: osFacts(os).family };
}

function readSecret(secrets: SecretSource, ref: SecretReference | undefined, what: string, host: string): Secret {
  if (!ref) throw new InternalError(`host ${host}: ${what} is missing after validation`);
  const found = secrets.read(ref);
  if (!found.ok) throw new InternalError(`host ${host}: ${what} unreadable after validation: ${found.message}`);
  return { origin: found.origin, value: found.value };
}

function tunnelOf(manifest: Manifest, e: EffectiveSettings, secrets: SecretSource, terraform: HostTerraformValues): Tunnel {
  const t = e.settings.tunnel ?? {};
  const host = e.host.name;
  const mode = t.mode ?? 'named';
  if (mode !== 'self-register' && tunnelOwner(e) === 'terraform') {
    const made = terraform.tunnel;
    const adopted = t.id !== undefined ? { adoptedId: t.id } : {};
    if (!made) return { mode: 'awaiting-terraform', runsAs: mode, managedBy: 'terraform', ...adopted };
    const origin = { kind: 'file' as const, file: (made.credentials ?? made.token)?.file ?? '' };
    if (mode === 'named' && made.credentials) {
      return { mode, managedBy: 'terraform', id: made.id, accountTag: made.accountTag, credentials: { origin, value: made.credentials.value }, ...adopted };
    }
    if (mode === 'token' && made.token) {
      return { mode, managedBy: 'terraform', id: made.id, accountTag: made.accountTag, token: { origin, value: made.token.value }, ...adopted };
    }
    throw new InternalError(`host ${host}: Terraform outputs passed validation but lack the ${mode} tunnel's secret`);
  }
  switch (mode) {
    case 'named': {
      const credentials = readSecret(secrets, t.credentials, 'tunnel.credentials', host);
      const parsed = parseCredentials(credentials.value);
      if (!parsed.ok || !t.id) throw new InternalError(`host ${host}: credentials passed validation but do not parse`);
      return { mode: 'named', managedBy: 'external', id: t.id, accountTag: parsed.accountTag, credentials };
    }
    case 'token': {
      const token = readSecret(secrets, t.token, 'tunnel.token', host);
      const decoded = decodeTunnelToken(token.value.trim());
      if (!decoded.ok) throw new InternalError(`host ${host}: token passed validation but does not decode`);
      return { mode: 'token', managedBy: 'external', id: decoded.tunnelId, accountTag: decoded.accountTag, token: { ...token, value: token.value.trim() } };
    }
    case 'self-register':
      return {
        mode: 'self-register',
        name: t.name ?? `${manifest.fleet}-${host}`,
        originCert: readSecret(secrets, t.originCert, 'tunnel.originCert', host),
        keepsOriginCert: t.keepOriginCert ?? false,
      };
  }
}

/** A host without ingress (a token tunnel whose ingress is managed in Cloudflare by hand) has none, not a catch-all. */
function ingressRules(rules: ManifestIngressRule[], generated: readonly string[], mode: Tunnel['mode']): IngressRule[] {
  // A token tunnel without rules keeps whatever ingress Cloudflare has. A locally managed one needs its catch-all:
  // `ingress: []` fails `ingress validate`, which every target runs before config.yml replaces the old one.
  if (rules.length === 0 && mode === 'token') return [];
  let next = 0;
  const out: IngressRule[] = rules.map((rule) => {
    const isCatchAll = isCatchAllRule(rule);
    const service = parseService(rule.service);
    if (!service.ok) throw new InternalError(`service ${JSON.stringify(rule.service)} passed validation but does not parse`);
    let hostname: string | undefined;
    let isGeneratedHostname = false;
    if (!isCatchAll) {
      if (rule.hostname) hostname = rule.hostname;
      else {
        hostname = generated[next++];
        isGeneratedHostname = true;
        if (!hostname) throw new InternalError(`no generated hostname for rule ${JSON.stringify(rule.service)}`);
      }
    }
    return {
      ...(hostname !== undefined ? { hostname } : {}),
      ...(rule.path !== undefined ? { path: rule.path } : {}),
      service: rule.service,
      kind: service.kind,
      ...(rule.originRequest !== undefined ? { originRequest: rule.originRequest } : {}),
      isCatchAll,
      isGeneratedHostname,
    };
  });
  if (!out.at(-1)?.isCatchAll) {
    out.push({ service: DEFAULT_CATCH_ALL, kind: 'status', isCatchAll: true, isGeneratedHostname: false });
  }
  return out;
}

function installOf(e: EffectiveSettings, platform: Platform, secrets: SecretSource): CloudflaredInstall {
  const c = e.settings.cloudflared ?? {};
  const method = c.install ?? 'package';
  const mirror = c.mirror?.replace(/\/+$/, '');
  const binaryPath = c.path ?? (method === 'binary' ? '/usr/local/bin/cloudflared' : '/usr/bin/cloudflared');
  const base = { method, ...(c.version !== undefined ? { version: c.version } : {}), binaryPath };
  if (method === 'package') {
    const official = platform.family === 'rhel' ? CLOUDFLARE_RPM : CLOUDFLARE_APT;
    const url = mirror ? `${mirror}/${platform.family === 'rhel' ? 'rpm' : 'deb'}` : official.url;
    let key: PackageRepository['key'];
    if (c.repositoryKey) {
      const found = secrets.read({ file: c.repositoryKey.file });
      if (!found.ok) throw new InternalError(`repository key unreadable after validation: ${found.message}`);
      key = { file: c.repositoryKey.file, content: found.bytes, isArmored: found.value.includes('-----BEGIN PGP PUBLIC KEY BLOCK-----') };
    }
    // A mirror of Cloudflare's repository is still signed by Cloudflare: without a key of its own, the key is
    // fetched from the mirror too (an air-gapped host cannot reach pkg.cloudflare.com).
    const keyUrl = key ? undefined : (c.repositoryKeyUrl ?? (mirror ? `${mirror}/${official.keyUrl.split('/').pop()}` : official.keyUrl));
    const keyFingerprints = c.repositoryKeyFingerprints ? [...new Set(c.repositoryKeyFingerprints.map(normalizeFingerprint))] : undefined;
    return { ...base, repository: { url, ...(keyUrl ? { keyUrl } : {}), ...(key ? { key } : {}), ...(keyFingerprints ? { keyFingerprints } : {}) } };
  }
  if (method === 'binary') {
    const sha256 = c.sha256?.[platform.arch];
    if (!c.version || !sha256) throw new InternalError(`host ${e.host.name}: binary install without version or sha256 after validation`);
    const file = `cloudflared-linux-${platform.arch}`;
    const url = mirror ? `${mirror}/${c.version}/${file}` : `${RELEASES}/${c.version}/${file}`;
    return { ...base, download: { url, sha256 } };
  }
  return base;
}

function pathsOf(tunnel: Tunnel): HostPaths {
  return {
    configDir: CONFIG_DIR,
    config: `${CONFIG_DIR}/config.yml`,
    ...(tunnel.mode === 'named' ? { credentials: `${CONFIG_DIR}/${tunnel.id}.json` } : {}),
    ...(tunnel.mode === 'self-register' ? { credentials: `${CONFIG_DIR}/${tunnel.name}.json`, originCert: `${CONFIG_DIR}/cert.pem` } : {}),
    ...(tunnel.mode === 'token' ? { tokenEnv: `${CONFIG_DIR}/tunnel-token.env` } : {}),
    unit: '/etc/systemd/system/cloudflared.service',
    sshCaKey: '/etc/ssh/cloudflare-access-ca.pub',
    sshdDropIn: '/etc/ssh/sshd_config.d/50-cloudflare-access.conf',
    principalsDir: '/etc/ssh/auth_principals',
    sshdLockdownDropIn: '/etc/ssh/sshd_config.d/60-cloudflared-lockdown.conf',
  };
}
