/**
 * One host's cloud-config user-data: data, built as a structure and serialized by the yaml library (never by
 * string concatenation), so every value is quoted by the serializer.
 *
 * Order on first boot (cloud-init 22.4 and later, every distro; see cloud.cfg's module lists):
 *   init stage:   bootcmd → write_files (files owned by root) → users_groups (creates `cloudflared`)
 *   config stage: runcmd only writes the script
 *   final stage:  write_files_deferred (files owned by `cloudflared`) → scripts_user (runs the runcmd script)
 * So a file owned by the service user is written with `defer: true` (its owner does not exist in the init stage),
 * and the runcmd script finds every file in place.
 */
import { Document, isMap, isScalar, isSeq, type YAMLSeq } from 'yaml';
import { InternalError } from '../../diagnostics/diagnostic.js';
import type { Host } from '../../model/fleet.js';
import { GENERATED_HEADER } from '../common/config-yaml.js';
import { hostState, SERVICE_USER } from '../common/host-state.js';
import { packageSource } from '../common/package-source.js';
import type { TargetWarning } from '../target.js';
import { firstBoot, type Step } from './first-boot.js';

interface WriteFile {
  path: string;
  owner: string;
  permissions: string;
  defer?: true;
  encoding?: 'b64';
  content: string;
}

export interface UserData {
  /** The file as written: `#cloud-config`, the header, the YAML. */
  text: string;
  /** What `text` must parse back to, for any YAML parser (tests check PyYAML and js-yaml). */
  data: Record<string, unknown>;
  warnings: TargetWarning[];
}

export function renderUserData(host: Host): UserData {
  const state = hostState(host);
  const source = packageSource(host);
  const boot = firstBoot(host, state, source);
  const warnings: TargetWarning[] = [];
  if (source?.family === 'rhel' && source.key && 'content' in source.key && !source.key.isArmored) {
    warnings.push({
      target: 'cloud-init',
      host: host.name,
      message: 'the repository key is binary; rpm imports ASCII-armored keys only — give the key armored (gpg --armor --export)',
    });
  }

  const writeFiles: WriteFile[] = [
    ...state.files.map((f) => writeFile(f.path, f.content, f.owner, f.group, f.mode)),
    ...boot.installFiles.map((f) => writeFile(f.path, f.content, 'root', 'root', f.mode)),
  ].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

  const userData = {
    users: [
      'default',
      { name: SERVICE_USER, system: true, shell: '/usr/sbin/nologin', no_create_home: true, lock_passwd: true },
    ],
    bootcmd: [['mkdir', '-p', '-m', '0700', host.paths.configDir]],
    write_files: writeFiles,
    runcmd: boot.steps.map((s) => s.argv),
  };

  // cloud-init parses user-data with PyYAML, i.e. YAML 1.1: serialize with the 1.1 schema so that strings like
  // "yes", "on" or "0640" are quoted (YAML 1.2 would leave some of them plain, and 1.1 would read a bool or a number).
  const doc = new Document(userData, { version: '1.1' });
  doc.commentBefore = [
    'cloud-config',
    ` ${GENERATED_HEADER}`,
    ` First-boot user-data for ${host.name} (${host.platform.os}, ${host.platform.arch}): installs cloudflared, starts the tunnel.`,
    ' It holds this host\'s tunnel secrets: give it to the VM launch only, never commit it.',
  ].join('\n');
  annotateKey(doc, 'users', ['`default` first: a users list without it drops the image\'s own login user.']);
  annotateKey(doc, 'bootcmd', [
    'Runs before write_files: the secrets\' folder is root-only before anything is written into it (cloud-init sets',
    'a file\'s mode only after writing it). mkdir -p leaves the folder alone on later boots.',
  ]);
  annotateKey(doc, 'write_files', [
    'defer: files owned by the cloudflared user or group wait for the final stage; users are created after write_files.',
  ]);
  annotateSteps(doc, boot.steps);
  const text = doc.toString({ lineWidth: 0, flowCollectionPadding: false });
  if (!text.startsWith('#cloud-config\n')) throw new InternalError('user-data must start with #cloud-config');
  return { text, data: userData, warnings };
}

function writeFile(path: string, content: string | Buffer, owner: string, group: string, mode: string): WriteFile {
  const isText = typeof content === 'string' && !needsEncoding(content);
  return {
    path,
    owner: `${owner}:${group}`,
    permissions: mode,
    // The owner is created by users_groups, after write_files: write it in the final stage instead.
    ...(owner === SERVICE_USER || group === SERVICE_USER ? { defer: true as const } : {}),
    ...(isText ? {} : { encoding: 'b64' as const }),
    content: isText ? content : Buffer.from(content).toString('base64'),
  };
}

/**
 * Text that YAML 1.1 could not carry byte for byte in a block scalar: control characters other than tab and
 * newline, carriage returns, and the characters PyYAML treats as line breaks (NEL, LS, PS) or strips (BOM),
 * and lone surrogates (not UTF-8 at all).
 */
function needsEncoding(text: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\ufeff]/.test(text) || /[\ud800-\udfff]/u.test(text);
}

function annotateKey(doc: Document, key: string, lines: string[]): void {
  const pair = isMap(doc.contents) ? doc.contents.items.find((p) => isScalar(p.key) && p.key.value === key) : undefined;
  if (!pair || !isScalar(pair.key)) throw new InternalError(`user-data has no ${key}`);
  pair.key.commentBefore = lines.map((l) => ` ${l}`).join('\n');
}

/** Each step's reason becomes a comment above its runcmd entry; the argv lists print on one line each. */
function annotateSteps(doc: Document, steps: Step[]): void {
  for (const key of ['bootcmd', 'runcmd']) {
    const seq = doc.get(key, true);
    if (!isSeq(seq)) throw new InternalError(`${key} is not a sequence`);
    for (const item of seq.items) if (isSeq(item)) item.flow = true;
  }
  const runcmd = doc.get('runcmd', true) as YAMLSeq;
  steps.forEach((step, i) => {
    const item = runcmd.items[i];
    if (step.why && isSeq(item)) item.commentBefore = wrapComment(step.why);
  });
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
