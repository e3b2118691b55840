/**
 * ssh target: `config`, one ssh_config for the whole fleet (out/ssh/config). Secret-free: safe to commit.
 */
import { FileSet } from '../fileset.js';
import { wholeTarget, type HostTarget } from '../target.js';
import { renderSshConfig } from './ssh-config.js';

export const sshParts: HostTarget<null> = {
  host: () => ({ files: new FileSet(), warnings: [], summary: null }),
  fleet: (fleet) => ({ files: new FileSet().add('config', renderSshConfig(fleet), { mode: 0o644 }), warnings: [] }),
  hostWarningKinds: [],
};

export const ssh = wholeTarget(sshParts);
