/**
 * JSON for the chef-repo (data bag items, roles, nodes): keys sorted at every level, so the bytes depend on
 * the data and never on the order in which it was assembled; two-space indent and a final newline, as knife
 * writes it.
 */
export function stableJson(value: unknown): string {
  return `${JSON.stringify(sortKeys(value), null, 2)}\n`;
}

/**
 * `value` with the keys of every object in sorted order (and keys whose value is undefined left out, as JSON.stringify
 * leaves them). Called for every data bag item of every host: without entries arrays to build, filter and sort, and
 * an array whose items need no change is itself.
 */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) {
    let sorted: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const itemSorted = sortKeys(item);
      if (itemSorted !== item) (sorted ??= value.slice())[i] = itemSorted;
    }
    return sorted ?? value;
  }
  if (value !== null && typeof value === 'object' && !Buffer.isBuffer(value)) {
    const object = value as Record<string, unknown>;
    const keys = Object.keys(object).sort();
    // No prototype: a key named __proto__ is a key like any other, as Object.fromEntries would make it.
    const sorted = Object.create(null) as Record<string, unknown>;
    for (const key of keys) {
      const item = object[key];
      if (item !== undefined) sorted[key] = sortKeys(item);
    }
    return sorted;
  }
  return value;
}
