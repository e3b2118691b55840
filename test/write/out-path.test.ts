import { describe, expect, it } from 'vitest';
import { isCleanRelativePath, topFolderOf } from '../../src/write/out-path.js';

describe('isCleanRelativePath', () => {
  const clean = ['a', 'chef/metadata.rb', '...', 'a/.../b', '.gitignore', 'a/.b', 'a/..b', 'a/b..', 'ansible/inventory/host_vars/web-1/cloudflared.yml', 'a\n/b'];
  const unclean = ['', '/', '/etc/passwd', '.', '..', './a', '../a', 'a/.', 'a/..', 'a/./b', 'a/../b', 'a//b', 'a/', '//a', 'a\\b', 'a\0b'];

  it.each(clean)('accepts %j', (path) => expect(isCleanRelativePath(path)).toBe(true));
  it.each(unclean)('refuses %j: it is empty, absolute, has an empty, "." or ".." segment, a backslash or a NUL', (path) => expect(isCleanRelativePath(path)).toBe(false));
});

describe('topFolderOf', () => {
  it("is a path's first segment: its target's folder", () => {
    expect(topFolderOf('chef/cookbooks/acme/metadata.rb')).toBe('chef');
    expect(topFolderOf('.fleetgen-cache/build.json')).toBe('.fleetgen-cache');
    expect(topFolderOf('.gitignore')).toBe('.gitignore');
    expect(topFolderOf('')).toBe('');
  });
});
