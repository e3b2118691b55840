/** The allowed word nearest to a typo (`credentials_file` → `credentials`), if any is near enough. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  const normalized = word.toLowerCase().replace(/[-_]/g, '');
  for (const candidate of candidates) {
    const c = candidate.toLowerCase().replace(/[-_]/g, '');
    const d = c === normalized ? 0 : c.startsWith(normalized) || normalized.startsWith(c) ? 1 : levenshtein(normalized, c);
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function levenshtein(a: string, b: string): number {
  if (a.length > 64 || b.length > 64) return Infinity;
  // One row of the edit-distance table at a time; `previous` is the row above.
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? Infinity;
}
