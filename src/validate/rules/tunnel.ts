/**
 * What each tunnel mode needs (FACTS.md, "Tunnel modes"), checked on every host's merged settings. A tunnel that
 * fleetgen's Terraform creates (managedBy: terraform, the default without id, credentials and token) needs none of
 * them here: they come from Terraform's outputs. One that exists already (external) needs id + credentials (named)
 * or a token; self-register needs a cert.pem. A setting that belongs to another mode, or to an external tunnel on a
 * Terraform-managed one, is an error, so a half-converted host cannot silently keep an old secret.
 */
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import type { ManifestPath } from '../../load/source-map.js';
import type { EffectiveSettings } from '../../model/merge.js';
import { parseOriginCert } from '../origin-cert.js';
import { decodeTunnelToken, parseCredentials } from '../tunnel-secrets.js';
import {
  asReference,
  countsAgainstMode,
  goesWithChoice,
  describeReference,
  forHost,
  missingTunnelPath,
  readReference,
  tunnelMode,
  tunnelOwner,
  type HostContext,
  type HostRule,
  type TunnelMode,
} from './context.js';

type TunnelKey = 'id' | 'credentials' | 'token' | 'originCert' | 'keepOriginCert';

/** The keys each mode uses; the others are reported when set. */
const MODE_KEYS: Record<TunnelMode, readonly TunnelKey[]> = {
  named: ['id', 'credentials'],
  token: ['token'],
  'self-register': ['originCert', 'keepOriginCert'],
};
const MODE_OF_KEY: Record<TunnelKey, TunnelMode> = {
  id: 'named',
  credentials: 'named',
  token: 'token',
  originCert: 'self-register',
  keepOriginCert: 'self-register',
};

export const checkTunnelModes: HostRule = (fleet, host) => {
  const mode = tunnelMode(host);
  const out = [...settingsOfOtherModes(fleet, host, mode)];
  if (mode === 'self-register' && host.settings.tunnel?.managedBy !== undefined) {
    const path = host.originOf(['tunnel', 'managedBy']);
    if (countsAgainstMode(host, path)) {
      out.push(
        fleet.source.error(
          'tunnel.unused-setting',
          path,
          'tunnel.managedBy is not used in self-register mode: the host creates its own tunnel',
          'remove it, or set tunnel.mode: named to let Terraform create the tunnel',
          'key',
        ),
      );
    }
  }
  if (tunnelOwner(host) === 'terraform') out.push(...settingsOfExternalTunnels(fleet, host));
  else if (mode === 'named') out.push(...checkNamed(fleet, host));
  else if (mode === 'token') out.push(...checkToken(fleet, host));
  else out.push(...checkSelfRegister(fleet, host));
  return out;
};

function settingsOfOtherModes({ source }: HostContext, host: EffectiveSettings, mode: TunnelMode): Diagnostic[] {
  const tunnel = host.settings.tunnel ?? {};
  return (Object.keys(MODE_OF_KEY) as TunnelKey[])
    .filter((key) => tunnel[key] !== undefined && !MODE_KEYS[mode].includes(key) && !isAdoptedId(host, key))
    .map((key) => host.originOf(['tunnel', key]))
    .filter((path) => countsAgainstMode(host, path))
    .map((path) => {
      const key = path.at(-1) as TunnelKey;
      return source.error(
        'tunnel.unused-setting',
        path,
        `tunnel.${key} is not used in ${mode} mode`,
        `remove it, or set tunnel.mode: ${MODE_OF_KEY[key]} if this host should use it`,
        'key',
      );
    });
}

/** tunnel.id on a tunnel Terraform owns, in either mode: the existing tunnel Terraform adopts (an import block). */
function isAdoptedId(host: EffectiveSettings, key: TunnelKey): boolean {
  return key === 'id' && tunnelOwner(host) === 'terraform';
}

/**
 * Terraform creates the tunnel (or adopts the one tunnel.id names) and generates its secret, so a secret given for it
 * would be one the host never runs with.
 */
function settingsOfExternalTunnels({ source }: HostContext, host: EffectiveSettings): Diagnostic[] {
  const tunnel = host.settings.tunnel ?? {};
  return (['credentials', 'token'] as const)
    .filter((key) => tunnel[key] !== undefined)
    .map((key) => host.originOf(['tunnel', key]))
    .filter((path) => goesWithChoice(host, path, ['tunnel', 'managedBy']))
    .map((path) =>
      source.error(
        'tunnel.managed-by-terraform',
        path,
        `tunnel.${String(path.at(-1))} is given, but tunnel.managedBy is terraform: Terraform generates this tunnel's secret, and fleetgen reads it from terraformOutputs`,
        'remove it (keep tunnel.id to have Terraform adopt the tunnel that exists), or set tunnel.managedBy: external to run the tunnel with this secret',
        'key',
      ),
    );
}

function checkNamed(fleet: HostContext, host: EffectiveSettings): Diagnostic[] {
  const { source } = fleet;
  const tunnel = host.settings.tunnel ?? {};
  const out: Diagnostic[] = [];
  const name = JSON.stringify(host.host.name);
  if (tunnel.id === undefined) {
    out.push(
      source.error(
        'tunnel.missing-id',
        missingTunnelPath(host),
        `host ${name} has no tunnel.id; a named tunnel is given by its UUID`,
        'add tunnel.id: the UUID printed by `cloudflared tunnel create`, or remove tunnel.credentials and tunnel.managedBy to let Terraform create the tunnel',
      ),
    );
  }
  if (tunnel.credentials === undefined) {
    out.push(
      source.error(
        'tunnel.missing-credentials',
        missingTunnelPath(host),
        `host ${name} has no tunnel.credentials; a named tunnel runs with its credentials JSON`,
        'add tunnel.credentials: { file: secrets/<UUID>.json }, the file `cloudflared tunnel create` wrote, or remove tunnel.id and tunnel.managedBy to let Terraform create the tunnel',
      ),
    );
    return out;
  }
  const refPath = host.originOf(['tunnel', 'credentials']);
  const ref = asReference(tunnel.credentials);
  const read = readReference(fleet, refPath, ref);
  if (!read.ok) return [...out, read.diagnostic];
  const at: ManifestPath = [...refPath, 'file' in ref ? 'file' : 'env'];
  const credentials = parseCredentials(read.value);
  if (!credentials.ok) {
    out.push(source.error('tunnel.credentials-invalid', at, `${describeReference(ref)} ${credentials.message}`, 'reference the <UUID>.json that `cloudflared tunnel create` wrote'));
  } else if (tunnel.id !== undefined && credentials.tunnelId !== tunnel.id) {
    // Tunnel IDs are not secret: naming both is what lets the user find the right file.
    out.push(
      source.error(
        'tunnel.credentials-mismatch',
        at,
        `${describeReference(ref)} holds the credentials of tunnel ${credentials.tunnelId}, but tunnel.id is ${tunnel.id}${forHost(host, at)}`,
        `reference the credentials of tunnel ${tunnel.id} (cloudflared names the file ${tunnel.id}.json), or correct tunnel.id`,
      ),
    );
  }
  return out;
}

function checkToken(fleet: HostContext, host: EffectiveSettings): Diagnostic[] {
  const { source } = fleet;
  const tunnel = host.settings.tunnel ?? {};
  const out: Diagnostic[] = [];
  if (tunnel.token === undefined) {
    out.push(
      source.error(
        'tunnel.missing-token',
        missingTunnelPath(host),
        `host ${JSON.stringify(host.host.name)} has no tunnel.token; a remotely managed tunnel runs with its token`,
        'add tunnel.token: { env: VARIABLE } or { file: path }, holding the token from Cloudflare Zero Trust ▸ Networks ▸ Tunnels, or remove tunnel.managedBy to let Terraform create the tunnel',
      ),
    );
    return out;
  }
  const refPath = host.originOf(['tunnel', 'token']);
  const ref = asReference(tunnel.token);
  const read = readReference(fleet, refPath, ref);
  if (!read.ok) return [...out, read.diagnostic];
  const decoded = decodeTunnelToken(read.value);
  if (!decoded.ok) {
    out.push(
      source.error(
        'tunnel.token-invalid',
        [...refPath, 'file' in ref ? 'file' : 'env'],
        `${describeReference(ref)} ${decoded.message}`,
        'copy the token again from Cloudflare Zero Trust ▸ Networks ▸ Tunnels (it is base64 and starts with "eyJ")',
      ),
    );
  }
  return out;
}

function checkSelfRegister(fleet: HostContext, host: EffectiveSettings): Diagnostic[] {
  const { source } = fleet;
  const tunnel = host.settings.tunnel ?? {};
  if (tunnel.originCert === undefined) {
    return [
      source.error(
        'tunnel.missing-origin-cert',
        missingTunnelPath(host),
        `host ${JSON.stringify(host.host.name)} has no tunnel.originCert; a self-registering host creates its tunnel with cert.pem`,
        'add tunnel.originCert: { file: secrets/cert.pem } (from `cloudflared tunnel login`), or prefer tunnel.mode: named',
      ),
    ];
  }
  const refPath = host.originOf(['tunnel', 'originCert']);
  const ref = asReference(tunnel.originCert);
  const read = readReference(fleet, refPath, ref);
  if (!read.ok) return [read.diagnostic];
  const cert = parseOriginCert(read.value);
  if (cert.ok) return [];
  return [
    source.error(
      'tunnel.origin-cert-invalid',
      [...refPath, 'file' in ref ? 'file' : 'env'],
      `${describeReference(ref)} ${cert.message}`,
      'reference the cert.pem that `cloudflared tunnel login` wrote (~/.cloudflared/cert.pem)',
    ),
  ];
}
