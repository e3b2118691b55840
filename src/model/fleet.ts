/**
 * The normalized fleet: what every target reads, and the only thing it reads. Every default is applied, every
 * ingress list is complete (generated hostnames, catch-all last), secrets are resolved, and every path on the
 * host is decided here once so that all targets leave a host in the same state.
 */
import type {
  AccessPolicy as ManifestAccessPolicy,
  AccessRules as ManifestAccessRules,
  OriginRequest as ManifestOriginRequest,
  Platform as ManifestPlatform,
  TunnelOptions as ManifestTunnelOptions,
} from '../manifest/types.generated.js';
import type { TerraformSplit } from '../manifest/terraform-layout.js';

export type { TerraformSplit };

export type Arch = 'amd64' | 'arm64' | 'armhf' | 'arm' | '386';
/** The schema's list: a new OS there is a compile error until model/platforms.ts says what it is. */
export type OsId = NonNullable<ManifestPlatform['os']>;
export type OsFamily = 'debian' | 'rhel';
export type InstallMethod = 'package' | 'binary' | 'preinstalled';
export type TunnelMode = 'named' | 'token' | 'self-register';
/** Who creates a named or token tunnel: fleetgen's Terraform, or someone before (given by id and secret). */
export type TunnelOwner = 'terraform' | 'external';
/** active: fleetgen sets cloudflared up and keeps it; decommissioned: the next run removes everything it put there. */
export type HostLifecycle = 'active' | 'decommissioned';

export type OriginRequest = ManifestOriginRequest;
/** Top-level config.yml settings by their cloudflared names (loglevel, protocol, …). */
export type TunnelOptions = ManifestTunnelOptions;

export interface Platform {
  os: OsId;
  family: OsFamily;
  arch: Arch;
}

/** Where a secret came from, for messages; never the secret. */
export type SecretOrigin = { kind: 'file'; file: string } | { kind: 'env'; env: string };

/** A secret read while loading. `value` is the exact content; targets decide where it may go (never a committed file). */
export interface Secret {
  origin: SecretOrigin;
  value: string;
}

export interface PackageRepository {
  /** apt: the `deb` base URL (suite `any`, component `main`); rpm: the baseurl. */
  url: string;
  /** URL the signing key is fetched from (on every run: a rotated key replaces the old one), when `key` is not inline. */
  keyUrl?: string;
  /** Pinned primary-key fingerprints (uppercase hex, no spaces): only these keys may sign the repository. */
  keyFingerprints?: string[];
  /** The repository key's content (ASCII-armored or binary as read), when the manifest gives `repositoryKey`. */
  key?: { file: string; content: Buffer; isArmored: boolean };
}

export interface CloudflaredInstall {
  method: InstallMethod;
  /** Pinned release, e.g. "2025.8.1"; undefined only for package installs that take the repository's latest. */
  version?: string;
  /** Absolute path of the binary on the host. */
  binaryPath: string;
  /** package: the repository to configure for this host's OS family. */
  repository?: PackageRepository;
  /** binary: where to download the release binary for this host's arch, and its pinned sha256. */
  download?: { url: string; sha256: string };
}

export interface NamedTunnel {
  mode: 'named';
  managedBy: TunnelOwner;
  id: string;
  accountTag: string;
  /** The credentials JSON as given (AccountTag, TunnelSecret, TunnelID). */
  credentials: Secret;  /** managedBy terraform: the UUID of the existing tunnel Terraform adopts (an import block), from tunnel.id. */
  adoptedId?: string;
}

export interface TokenTunnel {
  mode: 'token';
  managedBy: TunnelOwner;
  /** Tunnel UUID and account decoded from the token (not secret); useful for reports. */
  id: string;
  accountTag: string;
  token: Secret;  /** managedBy terraform: the UUID of the existing tunnel Terraform adopts (an import block), from tunnel.id. */
  adoptedId?: string;
}

export interface SelfRegisterTunnel {
  mode: 'self-register';
  /** Name the host creates its tunnel under: unique in the fleet. */
  name: string;
  originCert: Secret;
  /** Keep cert.pem on the host after registering (tunnel.keepOriginCert); by default it is there only while needed. */
  keepsOriginCert: boolean;
}

/**
 * A tunnel fleetgen's Terraform creates, before its outputs are known (not applied yet, or `terraform output -json`
 * not saved to terraformOutputs.dir). Enough for the Terraform target; the host targets refuse to build with it
 * (the pipeline reports where), so they never see one.
 */
export interface AwaitingTerraformTunnel {
  mode: 'awaiting-terraform';
  /** How the host will run the tunnel once Terraform created it. */
  runsAs: 'named' | 'token';
  managedBy: 'terraform';  /** managedBy terraform: the UUID of the existing tunnel Terraform adopts (an import block), from tunnel.id. */
  adoptedId?: string;
}

export type Tunnel = NamedTunnel | TokenTunnel | SelfRegisterTunnel | AwaitingTerraformTunnel;

/** The mode a tunnel runs in, whether or not Terraform has created it yet. */
export function runningMode(tunnel: Tunnel): TunnelMode {
  return tunnel.mode === 'awaiting-terraform' ? tunnel.runsAs : tunnel.mode;
}

export type ServiceKind = 'http' | 'tcp' | 'ssh' | 'unix' | 'status' | 'builtin';

export interface IngressRule {
  /** Undefined only on the catch-all. */
  hostname?: string;
  path?: string;
  service: string;
  /** ssh: carried as SSH (ssh://); tcp: other TCP (tcp, rdp, smb); http: http/https/ws/wss; … */
  kind: ServiceKind;
  originRequest?: OriginRequest;
  isCatchAll: boolean;
  /** The hostname was generated (and is recorded in the lock file). */
  isGeneratedHostname: boolean;
}

export interface SshAccess {
  port: number;
  /** Login user for ssh_config and the Access inventory; undefined: the operator's own default. */
  user?: string;
  /** Hostnames of this host's SSH ingress rules, in rule order (the first is the host's SSH name). */
  hostnames: string[];
  /**
   * caPublicKey: the CA sshd trusts, from the manifest or from Terraform's outputs; undefined only while the CA
   * Terraform creates is not known yet (the host targets never see that: the pipeline refuses to build them).
   */
  shortLivedCerts?: { caPublicKey?: string; isCaFromTerraform: boolean };
  /** local user → certificate principals (sorted), for AuthorizedPrincipalsFile. */
  principals: Record<string, string[]>;
}

/** Fixed paths on every host, decided once so that Chef, Ansible and cloud-init agree to the byte. */
export interface HostPaths {
  configDir: string; // /etc/cloudflared
  config: string; // /etc/cloudflared/config.yml
  /** named: /etc/cloudflared/<UUID>.json; self-register: /etc/cloudflared/<tunnel name>.json, written by
   * `cloudflared tunnel create --credentials-file`; token mode has none. */
  credentials?: string;
  /** token mode: /etc/cloudflared/tunnel-token.env, the unit's EnvironmentFile holding TUNNEL_TOKEN=… */
  tokenEnv?: string;
  /** self-register: /etc/cloudflared/cert.pem */
  originCert?: string;
  unit: string; // /etc/systemd/system/cloudflared.service
  /** Short-lived certificates: the Access CA key sshd trusts (TrustedUserCAKeys). */
  sshCaKey: string; // /etc/ssh/cloudflare-access-ca.pub
  /** Short-lived certificates: the sshd drop-in (Debian/Ubuntu/RHEL 9 include sshd_config.d; RHEL 8 does not). */
  sshdDropIn: string; // /etc/ssh/sshd_config.d/50-cloudflare-access.conf
  /** One file per local user listing allowed principals (AuthorizedPrincipalsFile /etc/ssh/auth_principals/%u). */
  principalsDir: string; // /etc/ssh/auth_principals
  /** Lockdown: the sshd drop-in that keeps sshd on loopback, written by the lockdown script once the tunnel is ready. */
  sshdLockdownDropIn: string; // /etc/ssh/sshd_config.d/60-cloudflared-lockdown.conf
}

export interface Host {
  name: string;
  /**
   * decommissioned: Chef and Ansible remove what fleetgen put on the host (targets/common/host-removal.ts), cloud-init
   * writes nothing for it, and Terraform keeps its tunnel, DNS records and Access application until the host leaves the
   * manifest. The rest of the model stays whole (it is what was on the host), but no host target writes its secrets.
   */
  state: HostLifecycle;
  group?: string;
  address?: string;
  platform: Platform;
  cloudflared: CloudflaredInstall;
  tunnel: Tunnel;
  /**
   * Complete ingress (catch-all last). Token mode: the remote configuration Terraform writes, or empty when the
   * manifest gives none (then the tunnel's ingress is managed in Cloudflare by hand).
   */
  ingress: IngressRule[];
  originRequest?: OriginRequest;
  options: TunnelOptions;
  /** cloudflared's metrics server (config.yml `metrics`); its /ready gates the lockdown. */
  metrics: string;
  /** Once SSH through the tunnel is proven, sshd listens on 127.0.0.1 only: inbound SSH comes through the tunnel alone. */
  lockdown: boolean;
  /**
   * lockdown: how it proves SSH through the host's own tunnel hostname first — `cloudflared access ssh --hostname` with
   * this Access service token (its ID and secret from Terraform's outputs; absent until they are saved).
   */
  lockdownProbe?: { serviceToken: string; hostname: string; tokenId?: string; tokenSecret?: string };
  ssh: SshAccess;
  /** Who may reach the host's SSH hostnames through Cloudflare Access. */
  access: HostAccess;
  /** The Terraform root module (folder under out/terraform/) that holds this host's Cloudflare objects. */
  terraformModule: string;
  paths: HostPaths;
}

export interface HostAccess {
  /** Names of access policies, in order of precedence (first = 1). */
  policies: string[];
  sessionDuration?: string;
}

export type AccessRules = ManifestAccessRules;
export type AccessPolicy = ManifestAccessPolicy & { name: string };
export interface ServiceToken {
  name: string;
  duration?: string;
}

export interface FleetAccess {
  /** Sorted by name. */
  policies: AccessPolicy[];
  /** Sorted by name. */
  serviceTokens: ServiceToken[];
}


export interface TerraformBackend {
  type: 's3' | 'gcs' | 'azurerm';
  /** The backend's settings, without the state's key or prefix (set per module). */
  config: Record<string, string | number | boolean>;
  /** Where the fleet's states lie: <keyPrefix>/<module>. */
  keyPrefix: string;
}

export interface CloudflareAccount {
  accountId?: string;
  zoneId?: string;
  split: TerraformSplit;
  /** With split chunks: how many chunk modules. */
  chunks?: number;
  /** Remote state for every module; undefined: a local terraform.tfstate in each module's folder. */
  backend?: TerraformBackend;
  /** terraformOutputs.dir as written (relative to the manifest), for messages and generated READMEs. */
  outputsDir: string;
}

export interface Group {
  name: string;
  description?: string;
  /** Host names, sorted. */
  hosts: string[];
}

export interface ClientAccess {
  /** Environment variables the operator's automation sets; their values are never written anywhere. */
  serviceToken?: { idEnv: string; secretEnv: string };
  sshUser?: string;
}

export interface Fleet {
  name: string;
  zone: string;
  /** Chef cookbook name and Ansible role name (fleet name with `-` → `_`). */
  cookbookName: string;
  roleName: string;
  /** Sorted by name. */
  groups: Group[];
  /** Sorted by name, so that output order never depends on manifest order. */
  hosts: Host[];
  client: ClientAccess;
  cloudflare: CloudflareAccount;
  access: FleetAccess;
}
