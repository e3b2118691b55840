/**
 * Texts parsed by an earlier build, remembered by a digest of their text (out/.fleetgen-cache/parsed.bin, read and
 * written by the build): a manifest's host entries (manifest-entries.ts) and the lock file. A text that changed by a
 * byte has another digest and is parsed again; so whatever happened to the build that wrote them, a remembered
 * parse is never wrong.
 *
 * Each value is kept as bytes (v8 serialization keeps NaN, -0 and `__proto__` keys as the parser made them), so
 * that whatever later reads a value cannot change what is remembered, and every lookup hands out a fresh copy.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { deserialize, serialize } from 'node:v8';

const YAML_VERSION = (createRequire(import.meta.url)('yaml/package.json') as { version: string }).version;

export class ParseCache {
  private readonly kept = new Map<string, Uint8Array>();
  private isAnyAdded = false;

  constructor(private readonly earlier: ReadonlyMap<string, Uint8Array> = new Map()) {}

  /**
   * The key of `text` read as `kind` (which names what reads it, the reader's version and its options): anything
   * that decides what the parse gives, with the yaml library's version.
   */
  static keyOf(kind: string, text: string): string {
    return createHash('sha256').update(`${kind}\0yaml ${YAML_VERSION}\0`).update(text).digest('base64');
  }

  /** The value remembered for `key` (a fresh copy each time), or undefined. */
  lookup(key: string): { value: unknown } | undefined {
    const bytes = this.kept.get(key) ?? this.earlier.get(key);
    if (bytes === undefined) return undefined;
    this.kept.set(key, bytes);
    return { value: deserialize(bytes) as unknown };
  }

  remember(key: string, value: unknown): void {
    this.kept.set(key, serialize(value));
    this.isAnyAdded = true;
  }

  /** Whether what this run used differs from what it started with (then the cache is written again). */
  get isChanged(): boolean {
    return this.isAnyAdded || this.kept.size !== this.earlier.size;
  }

  /** What this run used: exactly the texts it read. */
  entries(): ReadonlyMap<string, Uint8Array> {
    return this.kept;
  }
}
