/**
 * What decommissioning a host (state: decommissioned) takes away, whatever the target: every file, directory, package
 * and account fleetgen may have put there under any earlier manifest (another tunnel mode, install method, lockdown or
 * short-lived certificates), so that a host that changed over its life is cleaned as well as one that did not.
 *
 * The order keeps the host reachable, because operators often reach it through the very tunnel being removed:
 *  1. sshd as it was before fleetgen — the lockdown lifted, the Access CA trust and principals gone, `sshd -t`, then
 *     sshd reloaded (a socket-activated sshd: its socket regenerated) — while the tunnel still carries SSH;
 *  2. the unit disabled and removed (the service keeps running), then every other file, the package or binary, the
 *     repository and the kernel settings;
 *  3. last, a transient systemd timer stops cloudflared and removes its user and group a while after the run, so that
 *     a run over the tunnel finishes and reports before the tunnel goes.
 * Chef and Ansible carry this list to the host with their own resources. cloud-init sets up fresh instances only: a
 * decommissioned host gets no user-data.
 */
import { InternalError } from '../../diagnostics/diagnostic.js';
import type { Host } from '../../model/fleet.js';
import { readGeneratorFile } from '../templates.js';
import {
  APPLY_SYSCTL,
  EGRESS_CHECK_SCRIPT,
  LOCKDOWN_KEEP_DIR,
  LOCKDOWN_SCRIPT,
  LOCKDOWN_SERVICE,
  LOCKDOWN_TIMER,
  SELF_REGISTER_SCRIPT,
  SERVICE_NAME,
  SERVICE_USER,
  SSHD_CHECK_SCRIPT,
  sshdService,
  TAKEOVER_SCRIPT,
  UDP_BUFFERS_SYSCTL,
  type SshdService,
} from './host-state.js';
import { APT_KEYRINGS, APT_PREFERENCES_PATH, APT_SOURCE_PATHS, KEY_CHECK_SCRIPT, RPM_KEY_PATH, YUM_REPO_PATH } from './package-source.js';

/** The transient systemd unit (a .timer and its .service) that stops cloudflared after the run. */
export const FINISH_UNIT = 'cloudflared-decommission';
/** How long after the run the tunnel stops, unless the operator sets the Chef attribute or Ansible variable. */
export const DEFAULT_STOP_DELAY_SECONDS = 60;

export interface HostRemoval {
  /**
   * Step 1: the lockdown's guard (`guard`: its timer, then its service) stopped and disabled first (`systemctl disable
   * --now`), so that it never locks SSH down again, nor restores a config, while sshd goes back to how it was; then
   * `files` removed, then `sshd -t`, then sshd reloads (or its socket is regenerated and restarted). `directories` (the
   * principals folder fleetgen made) go once nothing is left in them.
   */
  sshd: { service: SshdService; guard: string[]; files: string[]; directories: string[] };
  /** Step 2: disabled (not stopped) while its unit file exists, then the file goes and systemd reloads. */
  service: { name: string; unit: string };
  /** Step 2: the config folder with every secret in it, removed with all it holds. */
  directories: string[];
  /** Step 2: helper scripts, repository source, hold, keys — every path fleetgen may have written. Sorted. */
  files: string[];
  /** Step 2: the kernel settings drop-in; afterwards sysctl.d is applied again (the limits stay raised until reboot). */
  sysctl: { file: string; apply: string[] };
  /** Step 2: the package fleetgen installed (install: package or binary — a switch may have left it); none when preinstalled. */
  package?: { name: string; manager: 'apt' | 'dnf' };
  /** Step 2: the release binary fleetgen downloaded (install: binary). */
  binary?: string;
  /**
   * Step 3: `check` prints "needed" while there is something left to stop or remove and no stop is scheduled yet;
   * then `schedule` followed by `--on-active=<seconds>s` and `finish` starts the transient timer. `finish` stops the
   * service, forgets a failed unit, and removes the service user and group.
   */
  stop: { unit: string; check: string[]; schedule: string[]; finish: string[] };
}

export function hostRemoval(host: Host): HostRemoval {
  if (host.state !== 'decommissioned') throw new InternalError(`host ${host.name} is not decommissioned`);
  const p = host.paths;
  const principals = Object.keys(host.ssh.principals).map((user) => `${p.principalsDir}/${user}`);
  const install = host.cloudflared.method;
  const repository = [...Object.values(APT_SOURCE_PATHS), YUM_REPO_PATH, APT_PREFERENCES_PATH, ...APT_KEYRINGS, RPM_KEY_PATH, `${RPM_KEY_PATH}.download`];
  const scripts = [SELF_REGISTER_SCRIPT, TAKEOVER_SCRIPT, EGRESS_CHECK_SCRIPT, KEY_CHECK_SCRIPT, SSHD_CHECK_SCRIPT];
  // The lockdown's guard: its units and the link that enables its timer (systemd reloads after step 2's files go).
  const lockdownGuard = [LOCKDOWN_SERVICE, LOCKDOWN_TIMER, `timers.target.wants/${LOCKDOWN_TIMER}`].map((unit) => `/etc/systemd/system/${unit}`);
  return {
    sshd: { service: sshdService(host), guard: [LOCKDOWN_TIMER, LOCKDOWN_SERVICE], files: [p.sshdLockdownDropIn, p.sshdDropIn, p.sshCaKey, ...principals, LOCKDOWN_SCRIPT], directories: [p.principalsDir] },
    service: { name: SERVICE_NAME, unit: p.unit },
    // The lockdown's kept copies of config and credentials are secrets too.
    directories: [p.configDir, LOCKDOWN_KEEP_DIR],
    files: [...scripts, ...lockdownGuard, ...repository].sort(),
    sysctl: { file: UDP_BUFFERS_SYSCTL, apply: APPLY_SYSCTL },
    ...(install === 'preinstalled' ? {} : { package: { name: 'cloudflared', manager: host.platform.family === 'rhel' ? ('dnf' as const) : ('apt' as const) } }),
    ...(install === 'binary' ? { binary: host.cloudflared.binaryPath } : {}),
    stop: {
      unit: FINISH_UNIT,
      check: ['/bin/sh', '-c', readGeneratorFile('common/cloudflared-decommission-check.sh'), 'cloudflared-decommission-check', FINISH_UNIT, SERVICE_NAME, SERVICE_USER],
      schedule: ['systemd-run', `--unit=${FINISH_UNIT}`, '--collect', '--description=fleetgen: stop cloudflared and remove its user (decommissioned)'],
      // No $ and no % in it: systemd would expand them in a transient unit's command line.
      finish: ['/bin/sh', '-c', readGeneratorFile('common/cloudflared-decommission-finish.sh')],
    },
  };
}
