/**
 * What a build remembers by a whole value (a write_files entry, a profile's variables), found without building a key
 * for it: the value is read as a path of parts — markers where an array, object or yaml scalar opens and closes, keys,
 * and strings, numbers, booleans, null and undefined, or a frozen yaml scalar itself — and each part is one Map
 * lookup. A string that is the same object for every host (a helper script, a comment) is found without being read
 * again; an equal copy is read once to hash it. Building a JSON key instead, over kilobytes per host, cost more than
 * the work it saved.
 *
 * Values are told apart exactly as far as these parts go: `0` and `-0` are different parts, an absent key and a key
 * whose value is undefined are different paths. A value holding anything else (a Buffer, a Map, a yaml node other
 * than a scalar) has no slot: the caller works it out without remembering.
 */
import { isScalar, type Scalar } from 'yaml';

export interface Slot<T> {
  next?: Map<unknown, Slot<T>>;
  /** Whether this value was met before (callers remember only what they meet again). */
  met?: boolean;
  value?: T;
}

const ARRAY = Symbol('array');
const OBJECT = Symbol('object');
const SCALAR = Symbol('scalar');
const END = Symbol('end');
const NEGATIVE_ZERO = Symbol('-0');

export class ValueTrie<T> {
  #root: Slot<T> = {};
  #slots = 0;

  /** Past `maxSlots` parts, everything met is forgotten at the next lookup: memory stays flat. */
  constructor(private readonly maxSlots: number) {}

  /**
   * The slot of `parts` (plain parts: a schema id, flags) followed by `value`, made if new; undefined when `value`
   * holds something that is not plain data or a yaml scalar.
   */
  slot(parts: readonly unknown[], value: unknown): Slot<T> | undefined {
    if (this.#slots >= this.maxSlots) {
      this.#root = {};
      this.#slots = 0;
    }
    let at = this.#root;
    for (const part of parts) at = this.#step(at, part);
    return this.#walk(at, value);
  }

  /**
   * What is remembered for `parts` and `value`, else what `make()` makes. A value met a second time is remembered as
   * `keep(made)` (undefined: it is not); a value that has no slot is made every time.
   */
  get(parts: readonly unknown[], value: unknown, make: () => T, keep: (made: T) => T | undefined = (made) => made): T {
    const slot = this.slot(parts, value);
    if (slot?.value !== undefined) return slot.value;
    const made = make();
    if (slot === undefined) return made;
    if (!slot.met) {
      slot.met = true;
      return made;
    }
    const kept = keep(made);
    if (kept !== undefined) slot.value = kept;
    return kept ?? made;
  }

  #step(slot: Slot<T>, part: unknown): Slot<T> {
    let next = slot.next?.get(part);
    if (next === undefined) {
      (slot.next ??= new Map()).set(part, (next = {}));
      this.#slots++;
    }
    return next;
  }

  #walk(slot: Slot<T>, value: unknown): Slot<T> | undefined {
    if (value === null || value === undefined || typeof value === 'string' || typeof value === 'boolean') return this.#step(slot, value);
    if (typeof value === 'number') return this.#step(slot, Object.is(value, -0) ? NEGATIVE_ZERO : value);
    if (Array.isArray(value)) {
      let at: Slot<T> | undefined = this.#step(slot, ARRAY);
      for (const item of value) if ((at = this.#walk(at, item)) === undefined) return undefined;
      return this.#step(at, END);
    }
    if (isScalar(value)) return this.#walkScalar(slot, value);
    if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
      let at: Slot<T> | undefined = this.#step(slot, OBJECT);
      for (const [key, item] of Object.entries(value)) if ((at = this.#walk(this.#step(at, key), item)) === undefined) return undefined;
      return this.#step(at, END);
    }
    return undefined;
  }

  /** A yaml scalar: its value and everything the serializer reads besides it (tag, style, comments, blank line). */
  #walkScalar(slot: Slot<T>, scalar: Scalar): Slot<T> | undefined {
    // A frozen scalar cannot change: the object itself is the part (one lookup for the shared ones, ansible-yaml.ts).
    if (Object.isFrozen(scalar)) return this.#step(slot, scalar);
    if (scalar.anchor || scalar.format !== undefined || scalar.minFractionDigits !== undefined) return undefined;
    let at = this.#step(slot, SCALAR);
    for (const part of [scalar.tag, scalar.type, scalar.comment, scalar.commentBefore, scalar.spaceBefore]) at = this.#step(at, part);
    const inner = this.#walk(at, scalar.value);
    return inner && this.#step(inner, END);
  }
}
