/**
 * ssh target: `config`, one ssh_config for the whole fleet (out/ssh/config). Secret-free: safe to commit.
 */
import { FileSet } from '../fileset.js';
import { wholeTarget, type HostTarget } from '../target.js';
import { renderSshConfig, sshHostView, type SshHostView } from './ssh-config.js';

export const sshParts: HostTarget<null, SshHostView> = {
  host: () => ({ files: new FileSet(), warnings: [], summary: null }),
  view: sshHostView,
  fleet: (fleet, { views }) => ({ files: new FileSet().add('config', renderSshConfig(fleet, views), { mode: 0o644 }), warnings: [] }),
  hostWarningKinds: [],
};

export const ssh = wholeTarget(sshParts);
