/**
 * ssh target: `config`, one ssh_config for the whole fleet (out/ssh/config). Secret-free: safe to commit.
 */
import { FileSet } from '../fileset.js';
import type { Target, TargetOutput } from '../target.js';
import { renderSshConfig } from './ssh-config.js';

export const ssh: Target = (fleet): TargetOutput => ({
  files: new FileSet().add('config', renderSshConfig(fleet), { mode: 0o644 }),
  warnings: [],
});
