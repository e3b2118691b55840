/**
 * Texts parsed by an earlier build, remembered by a digest of their text (out/.fleetgen-cache/parsed.bin, read and
 * written by the build): a manifest's host entries (manifest-entries.ts) and the lock file. A text that changed by a
 * byte has another digest and is parsed again; so whatever happened to the build that wrote them, a remembered
 * parse is never wrong.
 *
 * Each value is kept as JSON text, so that whatever later reads a value cannot change what is remembered, and every
 * lookup hands out a fresh copy. JSON.parse makes that copy about three times faster than v8's deserialize (a one-host
 * rebuild of 10,000 hosts makes 10,000 of them: issue 10), and JSON keeps `__proto__` keys as own keys, as the parser
 * makes them. What JSON would not give back exactly (NaN, ±Infinity, -0; anything but plain data) is not remembered:
 * its text is parsed on every run.
 */
import { hash } from 'node:crypto';
import { createRequire } from 'node:module';

/**
 * The version of the yaml library that parses: the copy `npm run build` bundled into the bin (scripts/bundle-cli.mjs
 * defines __FLEETGEN_YAML_VERSION__ as its version), else the one loaded from node_modules (tsc's modules, the tests).
 */
declare const __FLEETGEN_YAML_VERSION__: string | undefined;
const YAML_VERSION =
  typeof __FLEETGEN_YAML_VERSION__ === 'string' ? __FLEETGEN_YAML_VERSION__ : (createRequire(import.meta.url)('yaml/package.json') as { version: string }).version;

export class ParseCache {
  private readonly kept = new Map<string, string>();
  private isAnyAdded = false;

  constructor(private readonly earlier: ReadonlyMap<string, string> = new Map()) {}

  /**
   * The key of `text` read as `kind` (which names what reads it, the reader's version and its options): anything
   * that decides what the parse gives, with the yaml library's version.
   */
  static keyOf(kind: string, text: string): string {
    return hash('sha256', `${kind}\0yaml ${YAML_VERSION}\0${text}`, 'base64');
  }

  /** The value remembered for `key` (a fresh copy each time), or undefined. */
  lookup(key: string): { value: unknown } | undefined {
    const json = this.kept.get(key) ?? this.earlier.get(key);
    if (json === undefined) return undefined;
    let value: unknown;
    try {
      value = JSON.parse(json);
    } catch {
      // a damaged cache file: the text is parsed
      return undefined;
    }
    this.kept.set(key, json);
    return { value };
  }

  /** Remembers `value` for `key`, when JSON gives it back exactly (isPlainData). */
  remember(key: string, value: unknown): void {
    if (!isPlainData(value)) return;
    this.kept.set(key, JSON.stringify(value));
    this.isAnyAdded = true;
  }

  /** Whether what this run used differs from what it started with (then the cache is written again). */
  get isChanged(): boolean {
    return this.isAnyAdded || this.kept.size !== this.earlier.size;
  }

  /** What this run used: exactly the texts it read, each value as JSON text. */
  entries(): ReadonlyMap<string, string> {
    return this.kept;
  }
}

/**
 * Whether JSON.parse(JSON.stringify(value)) is a value equal to `value` in every way: null, booleans, strings, finite
 * numbers but -0, and arrays and plain objects of those (an object's own enumerable string keys only, as JSON sees).
 */
export function isPlainData(value: unknown): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0);
    case 'object': {
      if (value === null) return true;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) if (!(i in value) || !isPlainData(value[i])) return false;
        return Object.getPrototypeOf(value) === Array.prototype && Object.keys(value).length === value.length;
      }
      if (Object.getPrototypeOf(value) !== Object.prototype || Object.getOwnPropertySymbols(value).length > 0) return false;
      const names = Object.getOwnPropertyNames(value);
      if (names.some((name) => !Object.prototype.propertyIsEnumerable.call(value, name))) return false;
      return names.every((name) => isPlainData((value as Record<string, unknown>)[name]));
    }
    default:
      return false;
  }
}
