/**
 * What Terraform created, as `terraform output -json` prints it: one file per root module in the manifest's
 * terraformOutputs.dir, written by the user (`terraform -chdir=out/terraform/<module> output -json > <dir>/<module>.json`).
 * The files hold secrets (tunnel credentials, tokens): messages name a file and a path in it, never a value.
 *
 * The contract with the Terraform target: every host module has one output, `hosts`, an object keyed by host name
 * whose members carry the fields below (those that apply to the host).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { isMap } from 'yaml';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { decodeText } from './manifest.js';
import { parseDocumentWithUniqueKeys } from './parse-yaml.js';
import { MAX_SECRET_BYTES } from './secrets.js';
import { SourceMap, type ManifestPath } from './source-map.js';

/** Name of the output every host module declares. */
export const HOSTS_OUTPUT = 'hosts';

/** The members of one host's entry in the `hosts` output. */
export const HOST_OUTPUT_FIELDS = {
  tunnelId: 'tunnel_id',
  accountTag: 'account_tag',
  /** Named tunnels: the credentials JSON cloudflared reads ({AccountTag, TunnelSecret, TunnelID}). */
  credentials: 'tunnel_credentials',
  /** Token tunnels: the token (base64 of {a, t, s}). */
  token: 'tunnel_token',
  /** Hosts with short-lived certificates: the Access SSH CA's public key (one OpenSSH line). */
  sshCaPublicKey: 'ssh_ca_public_key',
  /** Hosts with an Access application: its audience tag. */
  accessAud: 'access_application_aud',
} as const;

export type HostOutputField = keyof typeof HOST_OUTPUT_FIELDS;

/** The shared module's output of the service tokens it creates: name → { client_id, client_secret }. */
export const SERVICE_TOKENS_OUTPUT = 'service_tokens';

/** One service token of the shared module's outputs. */
export interface ServiceTokenOutputs {
  file: string;
  source: SourceMap;
  /** ['service_tokens', 'value', <name>] */
  path: ManifestPath;
  clientId?: string;
  clientSecret?: string;
}

/** One host's entry, found in one file. */
export interface HostOutputs {
  /** The file as shown in messages (relative to the working folder when below it). */
  file: string;
  /** Path of the file relative to the manifest's folder (for Secret origins). */
  fileFromManifest: string;
  source: SourceMap;
  /** The module whose `terraform output -json` the file is (its name without .json). */
  module: string;
  /** Path of the host's entry in the file: ['hosts', 'value', <host>]. */
  path: ManifestPath;
  values: Partial<Record<HostOutputField, string>>;
  /** false when a field of the entry has a problem already reported. */
  isWellFormed: boolean;
}

export interface TerraformOutputs {
  /** Host name → its entry. */
  hosts: Map<string, HostOutputs>;
  /** Service token name → its client ID and secret (the shared module's service_tokens output). */
  serviceTokens: Map<string, ServiceTokenOutputs>;
  /** Problems with the files themselves (unreadable, not the shape `terraform output -json` prints, a host twice). */
  diagnostics: Diagnostic[];
  /** Whether the folder exists: the user has saved outputs (or means to), so they are checked even where unused. */
  isPresent: boolean;
  /** The modules whose file was read (even when it holds no hosts). */
  modules: Set<string>;
  /** The modules whose file has a problem already reported: their hosts are not reported missing on top of it. */
  invalidModules: Set<string>;
}

/** The members of each output, exactly, as `terraform output -json` prints them. */
const OUTPUT_MEMBERS = ['sensitive', 'type', 'value'];

const fileError = (file: string, code: string, message: string, hint: string): Diagnostic => ({
  severity: 'error',
  code,
  file,
  line: 1,
  column: 1,
  path: '',
  message,
  hint,
});

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Reads every `*.json` in `dir` (absolute). A folder that does not exist is no error: Terraform has not been
 * applied yet, and only the hosts that need its outputs will say so. Files are shown relative to `displayBase`
 * (default: the working folder) when they lie below it.
 */
export function readTerraformOutputs(dir: string, manifestDir: string, displayBase = process.cwd()): TerraformOutputs {
  const hosts = new Map<string, HostOutputs>();
  const serviceTokens = new Map<string, ServiceTokenOutputs>();
  const diagnostics: Diagnostic[] = [];
  const modules = new Set<string>();
  const invalidModules = new Set<string>();
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => name.endsWith('.json')).sort();
  } catch {
    return { hosts, serviceTokens, diagnostics, isPresent: false, modules, invalidModules };
  }
  for (const name of names) {
    const path = join(dir, name);
    const module = name.replace(/\.json$/, '');
    /** A problem with the whole file: reported once, and its hosts are not reported missing on top of it. */
    const invalid = (diagnostic: Diagnostic): void => {
      diagnostics.push(diagnostic);
      invalidModules.add(module);
    };
    const below = relative(displayBase, path);
    const shown = below && !below.startsWith('..') ? below : path;
    const fileFromManifest = relative(manifestDir, path);
    const hint = `write it with: terraform -chdir=out/terraform/${module} output -json > ${shown}`;
    let bytes: Buffer;
    try {
      if (!statSync(path).isFile()) continue;
      if (statSync(path).size > MAX_SECRET_BYTES * 16) {
        invalid(fileError(shown, 'terraform-outputs.too-large', 'is larger than any `terraform output -json` of fleetgen modules can be', hint));
        continue;
      }
      bytes = readFileSync(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      invalid(fileError(shown, 'terraform-outputs.unreadable', `cannot be read (${code})`, 'check its permissions'));
      continue;
    }
    const text = decodeText(bytes);
    if (!text.ok) {
      invalid({ ...fileError(shown, 'terraform-outputs.invalid', text.message, hint), ...text.position });
      continue;
    }
    const { document: doc, lines } = parseDocumentWithUniqueKeys(text.text, { version: '1.2', prettyErrors: false });
    const source = new SourceMap(shown, { doc, lines });
    const firstError = doc.errors[0];
    if (firstError || !isMap(doc.contents)) {
      // The parser's message may quote the text around the error, which is a secret: give the position only.
      const at = source.offsetToPosition(firstError?.pos[0] ?? 0);
      invalid({ ...fileError(shown, 'terraform-outputs.invalid', 'is not the JSON object that `terraform output -json` prints', hint), ...at });
      continue;
    }
    const value: unknown = doc.toJS({ maxAliasCount: 0 });
    modules.add(module);
    const outputs = isRecord(value) ? value : {};
    const malformed = Object.entries(outputs).filter(([, output]) => !isOutput(output));
    for (const [output] of malformed) {
      invalid(
        source.error(
          'terraform-outputs.invalid',
          [output],
          `output ${JSON.stringify(output)} is not {"sensitive", "type", "value"}, the shape \`terraform output -json\` prints every output in`,
          `${hint} (all outputs: \`terraform output -json <name>\` prints one value alone)`,
        ),
      );
    }
    if (malformed.length > 0) continue;
    const tokens = outputs[SERVICE_TOKENS_OUTPUT];
    const tokenEntries = isRecord(tokens) && isRecord(tokens.value) ? tokens.value : {};
    for (const [name, entry] of Object.entries(tokenEntries)) {
      const text = (key: string): string | undefined => (isRecord(entry) && typeof entry[key] === 'string' && entry[key] !== '' ? entry[key] : undefined);
      const clientId = text('client_id');
      const clientSecret = text('client_secret');
      serviceTokens.set(name, { file: shown, source, path: [SERVICE_TOKENS_OUTPUT, 'value', name], ...(clientId ? { clientId } : {}), ...(clientSecret ? { clientSecret } : {}) });
    }
    const output = outputs[HOSTS_OUTPUT];
    if (output === undefined) continue; // the shared module's outputs, or another module's: nothing about hosts
    const entries = isRecord(output) ? output.value : undefined;
    if (!isRecord(entries)) {
      invalid(source.error('terraform-outputs.invalid', [HOSTS_OUTPUT, 'value'], 'is not an object of hosts, as the `hosts` output of a fleetgen module is', hint));
      continue;
    }
    for (const [host, entry] of Object.entries(entries)) {
      const at: ManifestPath = [HOSTS_OUTPUT, 'value', host];
      const seen = hosts.get(host);
      if (seen) {
        diagnostics.push(
          source.error(
            'terraform-outputs.duplicate-host',
            at,
            `host ${JSON.stringify(host)} is also in ${seen.file}; a host belongs to one Terraform module`,
            'delete the file of the module the host left (after `terraform apply` there removed its old tunnel)',
          ),
        );
        continue;
      }
      if (!isRecord(entry)) {
        diagnostics.push(source.error('terraform-outputs.invalid', at, `the entry of host ${JSON.stringify(host)} is not an object`, hint));
        hosts.set(host, { file: shown, fileFromManifest, module, source, path: at, values: {}, isWellFormed: false });
        continue;
      }
      const values: Partial<Record<HostOutputField, string>> = {};
      let isWellFormed = true;
      for (const [field, key] of Object.entries(HOST_OUTPUT_FIELDS) as [HostOutputField, string][]) {
        const found = entry[key];
        if (typeof found === 'string' && found !== '') values[field] = found;
        else if (found !== undefined && found !== null && typeof found !== 'string') {
          // Never the value: it may be a secret.
          diagnostics.push(source.error('terraform-outputs.invalid', [...at, key], `${key} is not a string, which every field of a fleetgen module's \`hosts\` output is`, hint));
          isWellFormed = false;
        }
      }
      hosts.set(host, { file: shown, fileFromManifest, module, source, path: at, values, isWellFormed });
    }
  }
  return { hosts, serviceTokens, diagnostics, isPresent: true, modules, invalidModules };
}

/** One output as `terraform output -json` prints it: exactly sensitive (a boolean), type and value. */
function isOutput(output: unknown): boolean {
  if (!isRecord(output)) return false;
  const keys = Object.keys(output).sort();
  return keys.length === OUTPUT_MEMBERS.length && keys.every((key, i) => key === OUTPUT_MEMBERS[i]) && typeof output.sensitive === 'boolean' && (typeof output.type === 'string' || Array.isArray(output.type));
}
