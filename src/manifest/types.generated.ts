/* Generated from schemas/fleet.schema.json by `npm run gen:types`. Do not edit: edit the schema and regenerate. */

/**
 * Ingress rules, in order; the catch-all rule (http_status:404) is appended when the last rule is not one. In token mode, fleetgen's Terraform writes them as the tunnel's remote configuration.
 *
 * @minItems 1
 */
export type Ingress = [IngressRule, ...IngressRule[]];
/**
 * host:port where cloudflared serves its metrics and /ready, such as 127.0.0.1:20241 or localhost:20241. The host is localhost or an IP address; /ready gates lockdown. Default: 127.0.0.1:20241.
 */
export type Metrics = string;
/**
 * Drop inbound SSH that does not come through the tunnel: sshd listens on 127.0.0.1 at ssh.port only — applied only once SSH through the host's own tunnel hostname is proven with an Access service token (probe.serviceToken), and kept only while it keeps working: a guard (a systemd timer, after boot and every 5 minutes) restores the last config and credentials that proved it, or lifts the lockdown, when a later change or restart broke it. Needs an ssh:// ingress rule to localhost or 127.0.0.1 at ssh.port. When the proof fails within 60 s, nothing changes (SSH stays open) and the run fails. true alone is refused (nothing to prove with); false lifts a lockdown on the next Chef or Ansible run. Default: false.
 */
export type Lockdown =
  | boolean
  | {
      /**
       * How the host proves SSH through its own tunnel hostname before locking down: `cloudflared access ssh` with an Access service token, which a non_identity policy of the host's Access application must admit.
       */
      probe: {
        /**
         * Name of a service token under access.serviceTokens. Terraform creates it; its client ID and secret reach the host (root-only) from Terraform's outputs (the shared module's service_tokens).
         */
        serviceToken: string;
      };
    };
/**
 * Whether fleetgen keeps cloudflared on the host. active: set it up and keep it. decommissioned: the next Chef or Ansible run removes everything fleetgen put there, in an order that keeps the host reachable: sshd first (lockdown lifted, Access CA trust and principals removed, sshd -t, reload: sshd listens as before fleetgen), then the files, package or binary, repository, sysctl drop-in and helper scripts, and last, a minute after the run (cloudflared_decommission_stop_delay / decommission_stop_delay), the service and its user: a run that reaches the host through its own tunnel finishes and reports. Set it on a host, a group or defaults (the whole fleet). cloud-init writes no user-data for a decommissioned host. Terraform keeps the host's tunnel, DNS records and Access application while the host stays in the manifest: remove the host once it is clean, and the next terraform apply deletes them. Default: active.
 */
export type State = 'active' | 'decommissioned';
/**
 * A lowercase DNS name.
 */
export type DnsName = string;

/**
 * One fleet of machines behind Cloudflare Tunnel and Cloudflare Access SSH. fleetgen compiles it into a Chef cookbook, an Ansible role, cloud-init user-data and an ssh_config.
 */
export interface FleetgenFleetManifest {
  /**
   * Optional URL of this schema, for editors.
   */
  $schema?: string;
  /**
   * Manifest format version: always 1 (the cloudflared release to install goes in cloudflared.version).
   */
  version: 1;
  /**
   * Fleet name: lowercase letters, digits and hyphens, 2 to 40 characters, starting with a letter and ending with a letter or digit. It names the Chef cookbook and the Ansible role (hyphens become underscores there) and seeds generated hostnames.
   */
  fleet: string;
  /**
   * The Cloudflare zone (DNS domain) of the fleet. Every public hostname lies inside it; generated hostnames are <word>-<word>.<zone>.
   */
  zone: string;
  cloudflare?: Cloudflare;
  defaults?: Settings;
  /**
   * Named groups of hosts. A group carries settings that override defaults for its hosts, and becomes a Chef role/Ansible inventory group.
   */
  groups?: {
    [k: string]: Group;
  };
  /**
   * The machines of the fleet. Each runs one cloudflared tunnel.
   *
   * @minItems 1
   */
  hosts: [Host, ...Host[]];
  access?: Access;
  client?: Client;
}
/**
 * The Cloudflare account side, which fleetgen writes as Terraform (out/terraform/) for the cloudflare/cloudflare provider v5: tunnels, DNS records, Access applications, policies and service tokens.
 */
export interface Cloudflare {
  /**
   * Cloudflare account ID (32 hex digits). Becomes the default of the Terraform variable account_id; without it, Terraform asks for it (or reads TF_VAR_account_id).
   */
  accountId?: string;
  /**
   * ID of the zone (32 hex digits). Becomes the default of the Terraform variable zone_id; without it, Terraform looks the zone up by its name (zone).
   */
  zoneId?: string;
  /**
   * How the Terraform is laid out.
   */
  terraform?: {
    /**
     * Root modules, each with its own state: group (default) gives one module per group (group-<name>/, hosts without a group in ungrouped/), so a plan reads only its part of a large fleet; chunks spreads the hosts over a fixed number of modules (chunk-<k>/, set by chunks) by a hash of each host's name, so no module outgrows the rest and a host never changes module when hosts are added, removed or regrouped; fleet puts every host in one module (hosts/). Account-wide objects are always in shared/.
     */
    split?: 'group' | 'fleet' | 'chunks';
    /**
     * With split: chunks, the number of modules (chunk-0/ … chunk-<chunks - 1>/, zero-padded). A host's chunk is SHA-256 of its name modulo this count: stable while the count stays, so choose it for the fleet you expect (about 250 hosts, 1,000 resources, per chunk plans quickly); changing it moves most hosts to another module and state.
     */
    chunks?: number;
    /**
     * Where every module keeps its Terraform state. Default: a local terraform.tfstate in each module's folder (git-ignored there). With a backend, fleetgen gives each module its own state: key <keyPrefix>/<module>/terraform.tfstate (s3, azurerm) or prefix <keyPrefix>/<module> (gcs), and the host modules read the shared module's state from there. Credentials never go here: the backends read them from their usual environment variables.
     */
    backend?: {
      /**
       * The backend: s3 (AWS S3 or compatible), gcs (Google Cloud Storage) or azurerm (Azure Blob Storage).
       */
      type: 's3' | 'gcs' | 'azurerm';
      /**
       * The backend's settings as Terraform names them (bucket, region, storage_account_name, …), except the state's key or prefix, which fleetgen sets per module.
       */
      config: {
        [k: string]: string | number | boolean;
      };
      /**
       * Where the fleet's states lie in the backend. Default: fleetgen/<fleet>.
       */
      keyPrefix?: string;
    };
  };
  /**
   * Where fleetgen reads what Terraform created (tunnel IDs, credentials, tokens, SSH CA keys): a folder of files, one per module, each written by `terraform output -json`. They hold secrets: keep the folder out of version control.
   */
  terraformOutputs?: {
    /**
     * Folder relative to the manifest. Default: secrets/terraform (inside the git-ignored secrets/ folder that fleetgen init creates).
     */
    dir: string;
  };
}
/**
 * Settings every host gets unless its group or the host itself overrides them. Objects merge key by key (defaults ◀ group ◀ host); lists replace.
 */
export interface Settings {
  platform?: Platform;
  cloudflared?: Cloudflared;
  tunnel?: Tunnel;
  ingress?: Ingress;
  originRequest?: OriginRequest;
  ssh?: Ssh;
  metrics?: Metrics;
  lockdown?: Lockdown;
  state?: State;
  access?: HostAccess;
}
/**
 * Operating system and CPU architecture of the host. Decides the package repository and the release binary.
 */
export interface Platform {
  /**
   * Operating system: debian-11, debian-12, debian-13, ubuntu-20.04, ubuntu-22.04, ubuntu-24.04, rhel-8, rhel-9 or rhel-10 (rhel-* covers RHEL, Rocky, AlmaLinux, CentOS Stream). Default: debian-12.
   */
  os?:
    | 'debian-11'
    | 'debian-12'
    | 'debian-13'
    | 'ubuntu-20.04'
    | 'ubuntu-22.04'
    | 'ubuntu-24.04'
    | 'rhel-8'
    | 'rhel-9'
    | 'rhel-10';
  /**
   * CPU architecture, in cloudflared release names: amd64, arm64, armhf (ARMv7, 32-bit Raspberry Pi), arm (ARMv5/v6), 386. Default: amd64.
   */
  arch?: 'amd64' | 'arm64' | 'armhf' | 'arm' | '386';
}
/**
 * How cloudflared is installed.
 */
export interface Cloudflared {
  /**
   * cloudflared release to install, e.g. "2025.8.1". Quote it in YAML. Required for install: binary; without it install: package installs the repository's latest (a warning).
   */
  version?: string;
  /**
   * package: Cloudflare's apt/rpm repository (or the mirror); binary: the release binary for the host's arch, verified by sha256; preinstalled: already on the host, install nothing. Default: package.
   */
  install?: 'package' | 'binary' | 'preinstalled';
  /**
   * Base URL of a mirror for air-gapped fleets. install: package reads an apt repository at <mirror>/deb (suite "any", component "main") or a yum repository at <mirror>/rpm; install: binary downloads <mirror>/<version>/cloudflared-linux-<arch>.
   */
  mirror?: string;
  /**
   * SHA-256 of the release binary per arch (cloudflared publishes them only in its release notes). install: binary needs one for every arch the hosts use.
   */
  sha256?: {
    /**
     * SHA-256 (64 lowercase hex digits) of cloudflared-linux-386.
     */
    '386'?: string;
    /**
     * SHA-256 (64 lowercase hex digits) of cloudflared-linux-amd64.
     */
    amd64?: string;
    /**
     * SHA-256 (64 lowercase hex digits) of cloudflared-linux-arm64.
     */
    arm64?: string;
    /**
     * SHA-256 (64 lowercase hex digits) of cloudflared-linux-armhf.
     */
    armhf?: string;
    /**
     * SHA-256 (64 lowercase hex digits) of cloudflared-linux-arm.
     */
    arm?: string;
  };
  repositoryKey?: FileRef;
  /**
   * URL of the OpenPGP key that signs the package repository, fetched by the host on every run so that a rotated key replaces the old one (apt: the signed-by keyring; rpm: the .repo file's gpgkey). Default: <mirror>/<file name> with a mirror, else Cloudflare's: https://pkg.cloudflare.com/cloudflare-main.gpg (apt) or https://pkg.cloudflare.com/cloudflare-ascii-pubkey.gpg (rpm, what Cloudflare's own cloudflared.repo names).
   */
  repositoryKeyUrl?: string;
  /**
   * Pin the repository key: only keys with these fingerprints may sign it. apt accepts signatures by these keys only (signed-by); rpm hosts install a downloaded key only when every key in it is pinned. List the old and the new fingerprint while a key is rotated.
   *
   * @minItems 1
   */
  repositoryKeyFingerprints?: [string, ...string[]];
  /**
   * Path of the cloudflared binary on the host. Default: /usr/bin/cloudflared (package, preinstalled), /usr/local/bin/cloudflared (binary).
   */
  path?: string;
}
/**
 * The OpenPGP public key (ASCII-armored or binary) that signs the package repository, as a file beside the manifest. Needed when mirror serves a repository signed by your own key; default: Cloudflare's key for pkg.cloudflare.com.
 */
export interface FileRef {
  /**
   * Path relative to the manifest.
   */
  file: string;
}
/**
 * The host's tunnel. mode named (default): a locally managed tunnel (ingress in config.yml). mode token: a remotely managed tunnel (ingress in Cloudflare, written by fleetgen's Terraform from this host's ingress). Either is created by fleetgen's Terraform (managedBy: terraform, the default without id/credentials/token) or exists already (external: given by UUID and credentials JSON, or by its token). mode self-register: the host creates its own tunnel with a shared origin cert.pem (anyone holding it can create tunnels and DNS records in the zone; prefer named).
 */
export interface Tunnel {
  /**
   * named | token | self-register. Default: named.
   */
  mode?: 'named' | 'token' | 'self-register';
  /**
   * Who creates the tunnel. terraform: fleetgen's Terraform creates it, or adopts the existing tunnel tunnel.id names (give no credentials or token; fleetgen reads them from terraformOutputs). external: it exists already (tunnel.id + credentials, or token); Terraform still creates its DNS records and Access application. Default: terraform when none of id, credentials and token is given, else external.
   */
  managedBy?: 'terraform' | 'external';
  /**
   * named, external: the tunnel's UUID (lowercase), as printed by `cloudflared tunnel create`. Written to config.yml as tunnel:. With managedBy: terraform (named or token): the UUID of a tunnel that exists already and that Terraform adopts instead of creating one (an import block in the host's module): a tunnel made with `cloudflared tunnel create`, or the host's own tunnel when it moves to another group.
   */
  id?: string;
  credentials?: SecretRef;
  token?: SecretRef1;
  originCert?: SecretRef2;
  /**
   * self-register: keep cert.pem on the host (root-only) after the tunnel is registered. Default false: the host gets it only while it registers its tunnel or routes a new hostname, and removes it once done; cloudflared runs with the tunnel's credentials alone. Anyone holding cert.pem can create tunnels and DNS records in the zone.
   */
  keepOriginCert?: boolean;
  /**
   * self-register: name of the tunnel the host creates. Default: <fleet>-<host name>.
   */
  name?: string;
  options?: TunnelOptions;
}
/**
 * named, external: the tunnel credentials JSON ({AccountTag, TunnelSecret, TunnelID}) written by `cloudflared tunnel create`. A reference, never the secret itself: { file: path relative to the manifest } or { env: VARIABLE }.
 */
export interface SecretRef {
  /**
   * Path of a file holding the secret, relative to the manifest.
   */
  file?: string;
  /**
   * Name of an environment variable holding the secret.
   */
  env?: string;
}
/**
 * token, external: the tunnel token shown in the Cloudflare dashboard. A reference, never the secret itself: { file: path relative to the manifest } or { env: VARIABLE }.
 */
export interface SecretRef1 {
  /**
   * Path of a file holding the secret, relative to the manifest.
   */
  file?: string;
  /**
   * Name of an environment variable holding the secret.
   */
  env?: string;
}
/**
 * self-register: the origin certificate cert.pem from `cloudflared tunnel login`, shared by the hosts that register themselves. A reference, never the secret itself: { file: path relative to the manifest } or { env: VARIABLE }.
 */
export interface SecretRef2 {
  /**
   * Path of a file holding the secret, relative to the manifest.
   */
  file?: string;
  /**
   * Name of an environment variable holding the secret.
   */
  env?: string;
}
/**
 * Top-level cloudflared settings written to config.yml, by their cloudflared flag names. Only settings that exist are accepted (cloudflared silently ignores unknown ones).
 */
export interface TunnelOptions {
  /**
   * Log level of cloudflared. Default: info.
   */
  loglevel?: 'debug' | 'info' | 'warn' | 'error' | 'fatal';
  /**
   * Log level of the connection to Cloudflare. Default: info.
   */
  'transport-loglevel'?: 'debug' | 'info' | 'warn' | 'error' | 'fatal';
  /**
   * Transport to Cloudflare's edge. Default: auto.
   */
  protocol?: 'auto' | 'quic' | 'http2';
  /**
   * IP version used to reach the edge. Quote "4" and "6". Default: 4.
   */
  'edge-ip-version'?: 'auto' | '4' | '6';
  /**
   * Local IP address (IPv4 or IPv6) to bind outgoing edge connections to; it must exist on the host.
   */
  'edge-bind-address'?: string;
  /**
   * Restrict edge connections to a region. Only "us" exists.
   */
  region?: 'us';
  /**
   * How long to wait for requests to finish at shutdown, a Go duration such as "30s"; at most 3m (cloudflared refuses more).
   */
  'grace-period'?: string;
  /**
   * Maximum retries for connection and protocol errors.
   */
  retries?: number;
  /**
   * Require post-quantum key agreement to the edge. cloudflared before 2026.5.0 then uses QUIC only (no HTTP/2 fallback where UDP is blocked) and refuses protocol: http2.
   */
  'post-quantum'?: boolean;
  /**
   * Tags identifying this tunnel's connections in Cloudflare, as key: value. Written to config.yml as cloudflared reads them, a list of "key=value" strings. A key is letters, digits and !#$%&'*+-.^_`|~ (an HTTP header name); a value is one or more printable ASCII characters.
   */
  tag?: {
    /**
     * A tag value: one or more printable ASCII characters (cloudflared refuses an empty one).
     */
    [k: string]: string;
  };
}
/**
 * One ingress rule: requests for hostname (and path) go to service. Without hostname, fleetgen generates <word>-<word>.<zone> (kept in fleet.lock.yaml). The catch-all is hostname "*" (or a last rule with neither hostname nor path whose service is http_status:NNN); fleetgen appends http_status:404 when there is none.
 */
export interface IngressRule {
  /**
   * Public hostname inside the zone, no port; a leading "*." wildcard is allowed; "*" alone marks the catch-all, which must be last. Omit it to get a generated <word>-<word>.<zone>.
   */
  hostname?: string;
  /**
   * A regular expression (Go RE2 syntax: no lookaround, no backreferences) matched against the request path.
   */
  path?: string;
  /**
   * Where matching requests go: a URL with a scheme and no path (ssh://localhost:22, http://localhost:8080, https://, ws://, wss://, tcp://, rdp://, smb://), unix:/path, unix+tls:/path, http_status:NNN, hello_world, bastion or socks-proxy.
   */
  service: string;
  originRequest?: OriginRequest;
}
/**
 * How cloudflared talks to the origin service (cloudflared's originRequest; keys are camelCase and case-sensitive).
 */
export interface OriginRequest {
  /**
   * Timeout for establishing a TCP connection to the origin, e.g. "30s".
   */
  connectTimeout?: string;
  /**
   * Timeout for the TLS handshake with the origin, e.g. "10s".
   */
  tlsTimeout?: string;
  /**
   * TCP keep-alive interval to the origin, e.g. "30s".
   */
  tcpKeepAlive?: string;
  /**
   * How long an idle keep-alive connection is kept, e.g. "90s".
   */
  keepAliveTimeout?: string;
  /**
   * Disable the happy-eyeballs IPv4/IPv6 fallback.
   */
  noHappyEyeballs?: boolean;
  /**
   * Maximum idle keep-alive connections to the origin.
   */
  keepAliveConnections?: number;
  /**
   * Host header sent to the origin.
   */
  httpHostHeader?: string;
  /**
   * Hostname expected in the origin's TLS certificate.
   */
  originServerName?: string;
  /**
   * Use the request's Host as SNI to the origin.
   */
  matchSNItoHost?: boolean;
  /**
   * Absolute path on the host of a CA bundle trusted for the origin.
   */
  caPool?: string;
  /**
   * Do not verify the origin's TLS certificate.
   */
  noTLSVerify?: boolean;
  /**
   * Disable chunked transfer encoding to the origin.
   */
  disableChunkedEncoding?: boolean;
  /**
   * Act as a jump host (the client chooses the destination).
   */
  bastionMode?: boolean;
  /**
   * Listen address of cloudflared's local proxy (for TCP services such as ssh).
   */
  proxyAddress?: string;
  /**
   * Listen port of cloudflared's local proxy.
   */
  proxyPort?: number;
  /**
   * Type of the local proxy: "" or "socks".
   */
  proxyType?: '' | 'socks';
  /**
   * socks proxy: allow/deny rules, checked in order.
   */
  ipRules?: {
    /**
     * CIDR prefix, e.g. 10.0.0.0/8.
     */
    prefix: string;
    /**
     * Ports the rule applies to (all when empty).
     */
    ports?: number[];
    /**
     * Allow (true) or deny (false).
     */
    allow: boolean;
  }[];
  /**
   * Speak HTTP/2 to the origin.
   */
  http2Origin?: boolean;
  /**
   * Require a valid Cloudflare Access token on every request.
   */
  access?: {
    /**
     * Reject requests without a valid Access JWT.
     */
    required?: boolean;
    /**
     * Your Zero Trust team name. Required when audTag is set.
     */
    teamName?: string;
    /**
     * Application audience (AUD) tags accepted.
     */
    audTag?: string[];
  };
}
/**
 * SSH on the host, reached through the tunnel and Cloudflare Access.
 */
export interface Ssh {
  /**
   * Port sshd listens on. Default: 22.
   */
  port?: number;
  /**
   * Login user that ssh_config and the Ansible inventory use. Default: none (your ssh default).
   */
  user?: string;
  /**
   * Cloudflare Access short-lived certificates: sshd trusts the Access CA, clients get a certificate per session. Without caPublicKey, the CA is the one fleetgen's Terraform creates for the host's Access application (read from terraformOutputs).
   */
  shortLivedCerts?: {
    /**
     * The Access SSH CA public key, one OpenSSH line, from Zero Trust ▸ Access ▸ Service auth ▸ SSH. Leave it out to use the CA Terraform creates for the host.
     */
    caPublicKey?: string;
  };
  /**
   * Local user ▸ certificate principals allowed to log in as that user (AuthorizedPrincipalsFile). A principal is the local part of the user's e-mail. Without it, a certificate logs in only as the user named like its principal.
   */
  principals?: {
    /**
     * @minItems 1
     */
    [k: string]: [string, ...string[]];
  };
}
/**
 * Who may reach this host's SSH hostnames through Cloudflare Access. Terraform gives each host with SSH hostnames one Access application with these policies.
 */
export interface HostAccess {
  /**
   * Names of policies under access.policies, in order of precedence. Replaces the list of defaults or the group.
   */
  policies?: string[];
  /**
   * How long a login to the host's application lasts, e.g. "24h". Default: Cloudflare's (24h).
   */
  sessionDuration?: string;
}
/**
 * A group of hosts: settings that override defaults for its members.
 */
export interface Group {
  /**
   * What the group is, for people.
   */
  description?: string;
  platform?: Platform;
  cloudflared?: Cloudflared;
  tunnel?: Tunnel;
  ingress?: Ingress;
  originRequest?: OriginRequest;
  ssh?: Ssh;
  metrics?: Metrics;
  lockdown?: Lockdown;
  state?: State;
  access?: HostAccess;
}
/**
 * One machine.
 */
export interface Host {
  /**
   * Host name: a DNS label (lowercase letters, digits, hyphens; 1-63 characters). Unique in the fleet. Names the node in Chef, the inventory host in Ansible and the user-data file.
   */
  name: string;
  /**
   * Group name: lowercase letters, digits and underscores, starting with a letter (valid as an Ansible group and a Chef role name).
   */
  group?: string;
  /**
   * Address for direct management (ansible_host in the direct inventory). Optional: the Access inventory reaches the host through its SSH hostname.
   */
  address?: string;
  platform?: Platform;
  cloudflared?: Cloudflared;
  tunnel?: Tunnel;
  ingress?: Ingress;
  originRequest?: OriginRequest;
  ssh?: Ssh;
  metrics?: Metrics;
  lockdown?: Lockdown;
  state?: State;
  access?: HostAccess;
}
/**
 * Cloudflare Access for the fleet's SSH hostnames: reusable policies and service tokens, created once in the shared Terraform module. Hosts choose policies with access.policies in defaults, a group or the host.
 */
export interface Access {
  /**
   * Policies by name (lowercase letters, digits, - and _).
   */
  policies?: {
    [k: string]: AccessPolicy;
  };
  /**
   * Service tokens by name, for automation (cloudflare_zero_trust_access_service_token). Terraform creates them; read their client ID and secret with `terraform -chdir=out/terraform/shared output -json service_tokens`.
   */
  serviceTokens?: {
    [k: string]: ServiceToken;
  };
}
/**
 * A reusable Access policy (cloudflare_zero_trust_access_policy), created once in the shared Terraform module. include matches anyone listed (OR), require must also match for each kind listed (AND), exclude never matches anyone listed (NOT).
 */
export interface AccessPolicy {
  /**
   * allow: people who log in; non_identity: automation with a service token; deny; bypass.
   */
  decision: 'allow' | 'deny' | 'non_identity' | 'bypass';
  include: AccessRules;
  require?: AccessRules;
  exclude?: AccessRules;
  /**
   * How long a login lasts under this policy, e.g. "8h".
   */
  sessionDuration?: string;
}
/**
 * Who a policy matches: include is OR (anyone listed), require is AND (every kind listed), exclude is NOT.
 */
export interface AccessRules {
  /**
   * E-mail addresses of people.
   *
   * @minItems 1
   */
  emails?: [string, ...string[]];
  /**
   * Everyone whose e-mail is in one of these domains.
   *
   * @minItems 1
   */
  emailDomains?: [DnsName, ...DnsName[]];
  /**
   * IDs of Access groups defined in the Zero Trust dashboard.
   *
   * @minItems 1
   */
  accessGroups?: [string, ...string[]];
  /**
   * Groups of an identity provider (Okta, Microsoft Entra ID, Google Workspace, GitHub).
   *
   * @minItems 1
   */
  identityProviderGroups?: [IdentityProviderGroup, ...IdentityProviderGroup[]];
  /**
   * Service tokens by their name under access.serviceTokens: for automation (use with decision non_identity).
   *
   * @minItems 1
   */
  serviceTokens?: [string, ...string[]];
  /**
   * Any valid service token of the account.
   */
  anyValidServiceToken?: true;
}
/**
 * A group of an identity provider configured in Zero Trust ▸ Settings ▸ Authentication.
 */
export interface IdentityProviderGroup {
  /**
   * Kind of identity provider.
   */
  provider: 'okta' | 'azure-ad' | 'google-workspace' | 'github';
  /**
   * ID of the identity provider in Cloudflare Zero Trust.
   */
  identityProviderId: string;
  /**
   * okta: the group name; azure-ad: the group's object ID; google-workspace: the group's e-mail; github: the organization.
   */
  group: string;
  /**
   * github only: a team of the organization.
   */
  team?: string;
}
/**
 * An Access service token.
 */
export interface ServiceToken {
  /**
   * How long the token is valid, e.g. "8760h", or "forever". Default: Cloudflare's (one year).
   */
  duration?: string;
}
/**
 * The operator side: how people and automation reach the fleet.
 */
export interface Client {
  /**
   * A Cloudflare Access service token for automation, as environment variable names. fleetgen never writes its value: the generated ssh_config and inventory export it to cloudflared as TUNNEL_SERVICE_TOKEN_ID / TUNNEL_SERVICE_TOKEN_SECRET.
   */
  serviceToken?: {
    id: EnvRef;
    secret: EnvRef1;
  };
  /**
   * Default login user for ssh_config. Default: none.
   */
  sshUser?: string;
}
/**
 * Environment variable holding the service token's client ID.
 */
export interface EnvRef {
  /**
   * Name of the environment variable.
   */
  env: string;
}
/**
 * Environment variable holding the service token's client secret.
 */
export interface EnvRef1 {
  /**
   * Name of the environment variable.
   */
  env: string;
}
