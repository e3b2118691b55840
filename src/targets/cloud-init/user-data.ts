/**
 * One host's cloud-config user-data: data, built as a structure and serialized by the yaml library (never by
 * string concatenation), so every value is quoted by the serializer.
 *
 * Order on first boot (cloud-init 20.4 and later, every distro; see cloud.cfg's module lists):
 *   init stage:   bootcmd (creates the `cloudflared` group and user) → write_files → users_groups
 *   config stage: runcmd only writes the script
 *   final stage:  scripts_user (runs the runcmd script)
 * The service user exists before write_files, so files it owns or may read are written there with their owner and
 * group — no `defer: true`, which cloud-init before 21.4 (Debian 11 ships 20.4) does not know: there a chown to a
 * user that does not exist yet aborted write_files, and nothing was installed.
 */
import { gzipSync } from 'node:zlib';
import { InternalError } from '../../diagnostics/diagnostic.js';
import type { Host } from '../../model/fleet.js';
import { GENERATED_HEADER } from '../common/config-yaml.js';
import { hostState, SERVICE_USER, sshdCandidatePath, type ManagedFile } from '../common/host-state.js';
import { packageSource } from '../common/package-source.js';
import { Remembered } from '../common/remembered.js';
import { rememberStrings } from '../common/remembered-strings.js';
import { rememberedStyled, Styled, YamlWriter } from '../common/yaml-writer.js';
import { hostWarning, type TargetWarning } from '../target.js';
import { firstBoot, shellCode } from './first-boot.js';
import { BINARY_REPOSITORY_KEY } from './warnings.js';

interface WriteFile {
  path: string;
  owner: string;
  permissions: string;
  encoding?: 'b64' | 'gz+b64';
  content: string;
}

export interface UserData {
  /** The file as written: `#cloud-config`, the header, the YAML. */
  text: string;
  /** What `text` must parse back to, for any YAML parser (tests check PyYAML and js-yaml). */
  data: Record<string, unknown>;
  warnings: TargetWarning[];
}

/**
 * cloud-init parses user-data with PyYAML, i.e. YAML 1.1: written with the 1.1 schema, so that strings like "yes", "on"
 * or "0640" are quoted (YAML 1.2 would leave some of them plain, and 1.1 would read a bool or a number). No %YAML or
 * %TAG line: the document has none to write.
 */
const writer = new YamlWriter({ version: '1.1', customTags: rememberStrings }, { lineWidth: 0, flowCollectionPadding: false, directives: false });

const BOOTCMD_COMMENT = [
  'Runs before write_files: the service user exists before the files it reads are written with their group, and the',
  'secrets\' folder is root-only before anything is written into it (cloud-init sets a file\'s mode only after writing',
  'it). Both leave things alone on later boots.',
]
  .map((line) => ` ${line}`)
  .join('\n');

export function renderUserData(host: Host): UserData {
  const state = hostState(host);
  const source = packageSource(host);
  const boot = firstBoot(host, state, source);
  const warnings: TargetWarning[] = [];
  if (source?.family === 'rhel' && source.key && 'content' in source.key && !source.key.isArmored) {
    warnings.push(hostWarning(BINARY_REPOSITORY_KEY, host.name, undefined));
  }

  // cert.pem for self-registration: the register script removes it once done (unless tunnel.keepOriginCert).
  const registerCert = state.selfRegister?.originCert;
  const writeFiles: WriteFile[] = [
    // An sshd drop-in is written beside its place; runcmd checks it with sshd -t before it goes live.
    ...[...state.files, state.egressCheck.script, ...(registerCert ? [registerCert] : [])].map((f) =>
      writeFile(f.checkedBySshd ? sshdCandidatePath(f.path) : f.path, f.content, f.owner, f.group, f.mode, isHelperScript(f)),
    ),
    ...boot.installFiles.map((f) => writeFile(f.path, f.content, 'root', 'root', f.mode)),
  ].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

  const bootcmd = [['sh', '-c', shellCode('cloud-init/create-service-user.sh'), 'sh', SERVICE_USER], ['mkdir', '-p', '-m', '0700', host.paths.configDir]];
  const userData = { bootcmd, write_files: writeFiles, runcmd: boot.steps.map((s) => s.argv) };

  // The entries every host shares (helper scripts, the unit, most steps) are found once per build and written once per
  // place (rememberedStyled). The argv lists print on one line each; each step's reason is a comment above its entry.
  const commentBefore = [
    'cloud-config',
    ` ${GENERATED_HEADER}`,
    ` First-boot user-data for ${host.name} (${host.platform.os}, ${host.platform.arch}): installs cloudflared, starts the tunnel.`,
    ' It holds this host\'s tunnel secrets: give it to the VM launch only, never commit it.',
  ].join('\n');
  const contents = {
    bootcmd: new Styled(
      bootcmd.map((argv) => rememberedStyled(argv, { flow: true })),
      { commentBefore: BOOTCMD_COMMENT },
    ),
    write_files: writeFiles.map((entry) => rememberedStyled(entry)),
    runcmd: boot.steps.map((step) => rememberedStyled(step.argv, { flow: true, ...(step.why ? { commentBefore: wrappedComment(step.why) } : {}) })),
  };
  const text = writer.write(contents, commentBefore);
  if (!text.startsWith('#cloud-config\n')) throw new InternalError('user-data must start with #cloud-config');
  return { text, data: userData, warnings };
}

/**
 * fleetgen's helper scripts are the same bytes for every host, readable in generators/common/ of fleetgen's source;
 * written gzip+base64 (cloud-init decompresses them), they take a third of the space: EC2 takes 16 KB of user-data.
 */
function isHelperScript(file: ManagedFile): boolean {
  return file.purpose.endsWith('-script');
}

/**
 * Helper scripts as gzip+base64, by their text: the same few scripts for every host, compressed once per build (up to
 * 64: more distinct scripts than fleetgen ships means something else is being compressed).
 */
const compressedScripts = new Remembered<string>(64);

function compressedScript(content: string | Buffer): string {
  if (typeof content !== 'string') return gzipUserData(content).toString('base64');
  return compressedScripts.get(content, () => gzipUserData(content).toString('base64'));
}

function writeFile(path: string, content: string | Buffer, owner: string, group: string, mode: string, compress = false): WriteFile {
  if (compress) return { path, owner: `${owner}:${group}`, permissions: mode, encoding: 'gz+b64', content: compressedScript(content) };
  const isText = typeof content === 'string' && !encodings.get(content, () => needsEncoding(content));
  return {
    path,
    owner: `${owner}:${group}`,
    permissions: mode,
    ...(isText ? {} : { encoding: 'b64' as const }),
    content: isText ? content : Buffer.from(content).toString('base64'),
  };
}

/** Whether a file's text needs base64, by the text: the same scripts and units for every host, tested once each. */
const encodings = new Remembered<boolean>(1024);

/**
 * Text that YAML 1.1 could not carry byte for byte in a block scalar: control characters other than tab and
 * newline, carriage returns, and the characters PyYAML treats as line breaks (NEL, LS, PS) or strips (BOM),
 * and lone surrogates (not UTF-8 at all).
 */
function needsEncoding(text: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\ufeff]/.test(text) || !isWellFormed(text);
}

/** Whether `text` has no lone surrogate (String.prototype.isWellFormed, Node 20; not in TypeScript's ES2022 lib). */
function isWellFormed(text: string): boolean {
  return (text as string & { isWellFormed(): boolean }).isWellFormed();
}

/** The steps' reasons are the same few texts for every host: each is wrapped once per build. */
const wrappedComments = new Remembered<string>(256);

function wrappedComment(text: string): string {
  return wrappedComments.get(text, () => wrapComment(text));
}

function wrapComment(text: string, width = 110): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines.map((l) => ` ${l}`).join('\n');
}

/**
 * gzip with a byte-stable header: Node's gzip writes mtime 0 and no file name, and the OS byte is set here to
 * 3 (Unix) so that the bytes do not depend on the platform zlib was built for. Rebuilds give identical files.
 */
export function gzipUserData(text: string | Buffer): Buffer {
  const gz = gzipSync(typeof text === 'string' ? Buffer.from(text, 'utf8') : text, { level: 9 });
  gz[9] = 3;
  return gz;
}
