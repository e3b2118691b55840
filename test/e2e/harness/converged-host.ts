/**
 * What a converged host must look like — DESIGN.md's "On the host", checked against the manifest host's hostState —
 * and how a cloud-init first boot ended: shared by the end-to-end files of every suite.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Host } from '../../../src/model/fleet.js';
import { hostState, routedHostnames, SERVICE_USER } from '../../../src/targets/common/host-state.js';
import { packageSource } from '../../../src/targets/common/package-source.js';
import { unitReport } from './ansible.js';
import { standInSha256 } from './artifact-mirror.js';
import { fileFacts, waitForActive, type FileFacts } from './host-facts.js';
import { runSync, trySync } from './run.js';
import type { TestHost } from './test-host.js';

export function expectFile(actual: FileFacts, expected: { owner: string; group: string; mode: string; content?: string | Buffer }): void {
  expect({ path: actual.path, type: actual.type, owner: actual.owner, group: actual.group, mode: actual.mode }).toEqual({
    path: actual.path,
    type: 'file',
    owner: expected.owner,
    group: expected.group,
    mode: expected.mode,
  });
  if (expected.content !== undefined) expect(actual.content?.toString('utf8'), actual.path).toBe(Buffer.from(expected.content).toString('utf8'));
}

/** The state DESIGN.md's "On the host" promises, checked against the manifest host's hostState. */
export async function checkConvergedHost(host: TestHost, model: Host): Promise<void> {
  const state = hostState(model);
  for (const dir of state.directories) {
    const facts = fileFacts(host, dir.path);
    expect({ path: dir.path, type: facts.type, owner: facts.owner, group: facts.group, mode: facts.mode }).toEqual({ ...dir, type: 'directory' });
  }
  for (const file of state.files) expectFile(fileFacts(host, file.path), file);

  // Installed from the mirror: the package from the signed apt repository, or the binary with its pinned sha256.
  const binary = fileFacts(host, model.cloudflared.binaryPath);
  expectFile(binary, { owner: 'root', group: 'root', mode: '0755' });
  const source = packageSource(model);
  if (source) {
    expectFile(fileFacts(host, source.sourceFile.path), { owner: 'root', group: 'root', mode: '0644', content: source.sourceFile.content });
    if (source.key && 'content' in source.key) expectFile(fileFacts(host, source.key.path), { owner: 'root', group: 'root', mode: '0644', content: source.key.content });
    expect(host.exec(['dpkg-query', '-W', '-f', '${Status} ${Version}', 'cloudflared']).stdout).toBe(`install ok installed ${model.cloudflared.version}`);
    // One apt source for the repository, in the format of the host's release: the other format's file is gone.
    for (const stale of source.staleSourceFiles) expect(fileFacts(host, stale).type, stale).toBe('missing');
  } else {
    expect(model.cloudflared.method).toBe('binary');
    expect(runSync(['sha256sum', join(host.root, model.cloudflared.binaryPath)]).stdout.split(' ')[0]).toBe(model.cloudflared.download?.sha256);
    expect(model.cloudflared.download?.sha256).toBe(standInSha256());
  }
  expect(host.exec([model.cloudflared.binaryPath, '--version']).stdout).toContain('stand-in');

  // systemd takes the unit as written: an unknown key or a bad value would only be logged, and silently ignored.
  const verify = trySync(host.nsenter(['systemd-analyze', 'verify', model.paths.unit]));
  expect({ status: verify.status, output: (verify.stdout + verify.stderr).trim() }).toEqual({ status: 0, output: '' });
  // Nothing on the host complained (systemd about the unit, sshd, apt…). Allowed, because they are the test bench
  // and not fleetgen: dbus cannot raise its fd limit in a container, and Debian 11's systemd 247 cannot move
  // controllers in the container's share of the machine's hybrid cgroup layout (SANDBOX.md).
  const bench = [/dbus-daemon\[\d+\]: .*Failed to set fd limit/, /systemd\[1\]: init\.scope: Failed to migrate controller cgroups from \/init\.scope, ignoring: No such file or directory$/];
  const warnings = host
    .exec(['journalctl', '-b', '--no-pager', '--quiet', '-p', 'warning'])
    .stdout.split('\n')
    .filter((line) => line.trim() !== '' && !bench.some((pattern) => pattern.test(line)));
  expect(warnings, `warnings in the journal of ${host.machine}:\n${warnings.join('\n')}\n`).toEqual([]);

  // The service: enabled, running as the cloudflared user with the unit's arguments, ready (the stand-in's /ready).
  const service = await waitForActive(host);
  expect(service.unitFileState).toBe('enabled');
  expect(service.processUser).toBe(SERVICE_USER);
  expect(service.processGroup).toBe(SERVICE_USER);
  // The stand-in is a python script: its interpreter comes first in the process's argv.
  expect(service.argv.slice(-6)).toEqual([model.cloudflared.binaryPath, '--no-autoupdate', '--config', model.paths.config, 'tunnel', 'run']);
  expect(host.exec(['curl', '-fsS', `http://${model.metrics}/ready`]).stdout).toContain('"status": 200');
  const environment = host.exec(['cat', `/proc/${service.mainPid}/environ`]).stdout.split('\0');
  expect(environment.some((v) => v.startsWith('TUNNEL_TOKEN='))).toBe(model.tunnel.mode === 'token');

  // lockdown: sshd listens on loopback only (the tunnel's ssh:// ingress reaches it there); otherwise on every address.
  const listening = host
    .exec(['ss', '-Htlnp'])
    .stdout.split('\n')
    .filter((line) => line.includes('"sshd"'))
    .map((line) => line.trim().split(/\s+/)[3])
    .sort();
  const lockdown = state.lockdown;
  if (lockdown) {
    expectFile(fileFacts(host, lockdown.dropIn.path), { owner: 'root', group: 'root', mode: '0644', content: lockdown.dropIn.content });
    expect(listening).toEqual([`127.0.0.1:${model.ssh.port}`]);
  } else {
    expect(listening).toEqual([`0.0.0.0:${model.ssh.port}`, `[::]:${model.ssh.port}`]);
  }

  if (model.tunnel.mode === 'self-register') {
    // Created on the host by `cloudflared tunnel create` (the stand-in), then made root-owned and readable by the
    // service user's group only; the zone-wide cert.pem is gone once the tunnel is registered.
    const credentials = fileFacts(host, model.paths.credentials ?? '');
    expectFile(credentials, { owner: 'root', group: SERVICE_USER, mode: '0640' });
    expect(fileFacts(host, model.paths.originCert ?? '').type).toBe('missing');
    const routes = readFileSync(join(host.root, 'var/lib/cloudflared-stand-in/routes'), 'utf8');
    expect(routes.trim().split('\n').map((line) => line.split(' ')[0])).toEqual(routedHostnames(model));
  }
}


/** How a cloud-init first boot ended: `cloud-init status --long`, and the warnings and errors of its log. */
export interface CloudInitOutcome {
  boot: string;
  status: number | null;
  isDone: boolean;
  problems: string[];
  errors: string[];
  /** status, output log and unit report, for a failure message. */
  detail: string;
}

export async function cloudInitOutcome(host: TestHost): Promise<CloudInitOutcome> {
  const boot = await host.waitForBoot();
  const status = trySync(host.nsenter(['cloud-init', 'status', '--wait', '--long']), { timeoutMs: 300_000 });
  const log = readFileSync(join(host.root, 'var/log/cloud-init.log'), 'utf8');
  const output = readFileSync(join(host.root, 'var/log/cloud-init-output.log'), 'utf8');
  const problems = log.split('\n').filter((line) => / (WARNING|ERROR|CRITICAL)\]?:? /.test(line) || /\[(WARNING|ERROR)\]/.test(line));
  const result = JSON.parse(host.exec(['cat', '/run/cloud-init/result.json']).stdout) as { v1: { errors: string[] } };
  return {
    boot,
    status: status.status,
    isDone: /^status: done$/m.test(status.stdout),
    problems,
    errors: result.v1.errors,
    detail: `cloud-init status:\n${status.stdout}${status.stderr}\ncloud-init-output.log:\n${output}\n${unitReport(host)}`,
  };
}
