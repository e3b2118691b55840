/**
 * What is on a test host, read from the machine through the host's overlay mount (files: type, owner and group by
 * name, mode, content) and from inside it (the service's state and process).
 */
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { TestHost } from './test-host.js';

export interface FileFacts {
  path: string;
  type: 'file' | 'directory' | 'symlink' | 'other' | 'missing';
  owner?: string;
  group?: string;
  /** Octal, 4 digits ("0640"). */
  mode?: string;
  content?: Buffer;
  /** symlink target */
  target?: string;
}

/** uid/gid → name from the host's own /etc/passwd and /etc/group. */
function idNames(host: TestHost, file: 'passwd' | 'group'): Map<number, string> {
  const names = new Map<number, string>();
  for (const line of readFileSync(join(host.root, 'etc', file), 'utf8').split('\n')) {
    const [name, , id] = line.split(':');
    if (name && id !== undefined) names.set(Number(id), name);
  }
  return names;
}

export function fileFacts(host: TestHost, path: string): FileFacts {
  let stat;
  try {
    stat = lstatSync(join(host.root, path));
  } catch {
    return { path, type: 'missing' };
  }
  const users = idNames(host, 'passwd');
  const groups = idNames(host, 'group');
  const base = {
    path,
    owner: users.get(stat.uid) ?? String(stat.uid),
    group: groups.get(stat.gid) ?? String(stat.gid),
    mode: (stat.mode & 0o7777).toString(8).padStart(4, '0'),
  };
  if (stat.isSymbolicLink()) return { ...base, type: 'symlink', target: readlinkSync(join(host.root, path)) };
  if (stat.isDirectory()) return { ...base, type: 'directory' };
  if (stat.isFile()) return { ...base, type: 'file', content: readFileSync(join(host.root, path)) };
  return { ...base, type: 'other' };
}

/** A folder and everything below it, sorted by path. */
export function treeFacts(host: TestHost, path: string): FileFacts[] {
  const top = fileFacts(host, path);
  if (top.type !== 'directory') return [top];
  const below = readdirSync(join(host.root, path))
    .sort()
    .flatMap((name) => treeFacts(host, `${path}/${name}`));
  return [top, ...below];
}

export interface ServiceFacts {
  activeState: string;
  subState: string;
  unitFileState: string;
  mainPid: number;
  /** The main process's argv (/proc/<pid>/cmdline). */
  argv: string[];
  /** Real user and group of the main process, by name. */
  processUser: string;
  processGroup: string;
  nRestarts: number;
}

export function serviceFacts(host: TestHost, unit = 'cloudflared'): ServiceFacts {
  const show = host.exec(['systemctl', 'show', unit, '--property=ActiveState,SubState,UnitFileState,MainPID,NRestarts']).stdout;
  const props = Object.fromEntries(
    show
      .trim()
      .split('\n')
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  ) as Record<string, string>;
  const mainPid = Number(props.MainPID ?? 0);
  let argv: string[] = [];
  let processUser = '';
  let processGroup = '';
  // The process may end between `systemctl show` and reading /proc (a unit stopping): then it has no process facts.
  const cmdline = mainPid > 0 ? host.exec(['cat', `/proc/${mainPid}/cmdline`], { okStatuses: [0, 1] }) : undefined;
  const status = cmdline?.status === 0 ? host.exec(['cat', `/proc/${mainPid}/status`], { okStatuses: [0, 1] }) : undefined;
  if (cmdline?.status === 0 && status?.status === 0) {
    argv = cmdline.stdout.split('\0').filter((a, i, all) => a !== '' || i < all.length - 1);
    const uid = Number(/^Uid:\s+(\d+)/m.exec(status.stdout)?.[1]);
    const gid = Number(/^Gid:\s+(\d+)/m.exec(status.stdout)?.[1]);
    processUser = idNames(host, 'passwd').get(uid) ?? String(uid);
    processGroup = idNames(host, 'group').get(gid) ?? String(gid);
  }
  return {
    activeState: props.ActiveState ?? '',
    subState: props.SubState ?? '',
    unitFileState: props.UnitFileState ?? '',
    mainPid,
    argv,
    processUser,
    processGroup,
    nRestarts: Number(props.NRestarts ?? 0),
  };
}

/** Waits until the unit is active (Type=notify: the stand-in said READY=1); throws with its state otherwise. */
export async function waitForActive(host: TestHost, unit = 'cloudflared', timeoutMs = 60_000): Promise<ServiceFacts> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const facts = serviceFacts(host, unit);
    if (facts.activeState === 'active' && facts.subState === 'running') return facts;
    if (Date.now() > deadline) throw new Error(`${unit} on ${host.hostname} is ${facts.activeState}/${facts.subState}, not active/running`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** A passwd entry without its numeric ids (those depend on creation order). */
export function passwdEntry(host: TestHost, user: string): { name: string; gecos: string; home: string; shell: string; group: string; isSystem: boolean } | undefined {
  const line = readFileSync(join(host.root, 'etc/passwd'), 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${user}:`));
  if (!line) return undefined;
  const [name = '', , uid = '', gid = '', gecos = '', home = '', shell = ''] = line.split(':');
  return { name, gecos, home, shell, group: idNames(host, 'group').get(Number(gid)) ?? gid, isSystem: Number(uid) < 1000 };
}
