import { createHash } from 'node:crypto';
import { InternalError } from '../diagnostics/diagnostic.js';

/**
 * Part of every seed. Changing it (or anything else in this file) renames every host that has no lock entry,
 * so it changes only with a deliberate, announced change of algorithm; the pinned names in
 * test/hostnames/candidate.test.ts make such a change visible.
 */
const SEED_DOMAIN = 'fleetgen/hostname/v1';

/** What a generated name is derived from, and nothing else: no clock, no Math.random, no library RNG. */
export interface HostnameSeed {
  fleet: string;
  host: string;
  /** Index of the rule among the host's rules that need a generated name. */
  ruleIndex: number;
  /** 0 first; bumped while the candidate is already taken. */
  attempt: number;
}

/**
 * `<word>-<word>` for a seed: two distinct words picked by SHA-256 of the seed. The hash is ours (not
 * random-words' seeded `generate`) so names stay the same across releases of that library and of Node.
 */
export function candidateLabel(seed: HostnameSeed, words: readonly string[]): string {
  if (words.length < 2) throw new InternalError(`a hostname needs two distinct words, but the word list holds ${words.length}`);
  // JSON of an array: unambiguous however names are spelled ("a-b" + "c" never meets "a" + "b-c").
  const digest = createHash('sha256')
    .update(JSON.stringify([SEED_DOMAIN, seed.fleet, seed.host, seed.ruleIndex, seed.attempt]), 'utf8')
    .digest();
  // 48 bits per pick: the modulo bias over ~2,000 words is below 1e-11, and the value stays a safe integer.
  const first = digest.readUIntBE(0, 6) % words.length;
  let second = digest.readUIntBE(6, 6) % (words.length - 1);
  // Pick the second word among the others, so the two always differ without a retry.
  if (second >= first) second += 1;
  const [one, other] = [words[first], words[second]];
  if (one === undefined || other === undefined) throw new InternalError('word index out of range');
  return `${one}-${other}`;
}

export function candidateHostname(seed: HostnameSeed, zone: string, words: readonly string[]): string {
  return `${candidateLabel(seed, words)}.${zone}`;
}
