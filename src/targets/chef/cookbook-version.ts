/**
 * The cookbook's version, derived from its content: equal content gives an equal version, and any change to any
 * file of the cookbook gives a new one. A Chef Infra Server refuses new content under a frozen version (`knife
 * cookbook upload --freeze`), and without freezing a re-upload silently changes what every node pinned to that
 * version runs: the version has to change exactly when the cookbook does.
 *
 * The number carries no order: a newer cookbook may get a smaller version. The generated roles and nodes therefore
 * pin the exact version in their run lists (`recipe[name@version]`), and Policyfiles lock by content anyway.
 */
import { createHash } from 'node:crypto';
import type { FileSet } from '../fileset.js';

/** Each part stays below 2^31: Chef Infra Server keeps version parts as integers. */
const PART_BITS = 31;

/**
 * `0.<a>.<b>` from a SHA-256 over every file of the cookbook (path, mode, content) and the metadata.rb it goes into,
 * rendered without its version: 62 bits of the digest, so two different cookbooks never share a version in practice.
 */
export function cookbookVersion(files: FileSet, metadataWithoutVersion: string): string {
  const hash = createHash('sha256');
  for (const file of files.list()) {
    if (file.path === 'metadata.rb') continue;
    hash.update(`${file.path}\0${file.mode.toString(8)}\0`).update(file.content).update('\0');
  }
  hash.update(`metadata.rb\0${metadataWithoutVersion}`);
  const digest = hash.digest();
  const part = (offset: number): number => digest.readUInt32BE(offset) >>> (32 - PART_BITS);
  return `0.${part(0)}.${part(4)}`;
}
