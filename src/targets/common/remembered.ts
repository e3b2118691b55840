/**
 * What a build works out again and again for every host (a profile's id, a helper script compressed, a comment
 * wrapped), remembered by a string key for the first `max` distinct keys: the same few values for tens of thousands of
 * hosts cost one computation each, and a fleet whose hosts all differ keeps no more than `max` of them.
 */
export class Remembered<T> {
  private readonly known = new Map<string, T>();

  constructor(private readonly max: number) {}

  /** The value remembered for `key`, or `compute()`'s (remembered while fewer than `max` are). */
  get(key: string, compute: () => T): T {
    let value = this.known.get(key);
    if (value === undefined) {
      value = compute();
      if (this.known.size < this.max) this.known.set(key, value);
    }
    return value;
  }
}
