import { createRequire } from 'node:module';
import { InternalError } from '../diagnostics/diagnostic.js';

/**
 * Words shorter than 3 letters read as fragments ("ox-be"); words longer than 8 make names tiresome to type
 * after `ssh`. Within 3–8 letters random-words 2.0.1 still offers 1,778 words (1,751 after EXCLUDED_WORDS), about
 * 3 million ordered pairs: a fleet of thousands of hosts rarely needs a second attempt.
 */
export const MIN_WORD_LENGTH = 3;
export const MAX_WORD_LENGTH = 8;

/**
 * Words a hostname should not carry: people read these names in ssh prompts, dashboards and support tickets,
 * and `kill-slave.example.com` or `dead-gun.example.com` alarms or offends more than it identifies. Also words
 * that suggest a host is broken (`failed-`, `wrong-`). Removing a word here only affects names not yet locked.
 */
export const EXCLUDED_WORDS: ReadonlySet<string> = new Set([
  'adult', 'attack', 'bad', 'badly', 'blood', 'broken', 'dead', 'death', 'die', 'dirty', 'disease', 'enemy',
  'failed', 'fat', 'gun', 'ill', 'kill', 'massage', 'master', 'mistake', 'shoot', 'sick', 'slave', 'tobacco',
  'war', 'wrong', 'zulu',
]);

/**
 * Keeps the words that are safe and short in a DNS label: lowercase a–z only (no `-`, `_`, digits, capitals
 * or accents), 3–8 letters, not excluded above, each once. Sorted by code unit, so the generator depends on
 * which words the list holds, not on the order a library release happens to list them in.
 */
export function hostnameWords(words: readonly string[]): readonly string[] {
  const kept = new Set<string>();
  for (const word of words) {
    const fits = /^[a-z]+$/.test(word) && word.length >= MIN_WORD_LENGTH && word.length <= MAX_WORD_LENGTH;
    if (fits && !EXCLUDED_WORDS.has(word)) kept.add(word);
  }
  return Object.freeze([...kept].sort(compareCodeUnits));
}

/** Locale-independent order: `localeCompare` may differ between machines, and the output must not. */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * random-words 2.0.1 exports `wordList` at runtime but its typings declare `wordsList`; read whichever exists
 * and check it, so a release that fixes either side (or renames the export) fails here loudly, not with
 * `undefined` words.
 *
 * Loaded when first asked for, not with this module: a rebuild takes every hostname from the lock file and draws
 * none, and loading random-words (and seedrandom) cost every run some 15 ms. (An ES module, required: Node 20.19,
 * the oldest fleetgen runs on, requires one synchronously.)
 */
function randomWordsList(): readonly string[] {
  const exports = createRequire(import.meta.url)('random-words') as Record<string, unknown>;
  const list = exports['wordList'] ?? exports['wordsList'];
  if (!Array.isArray(list) || !list.every((word) => typeof word === 'string')) {
    throw new InternalError('random-words no longer exports a word list (wordList); fleetgen cannot generate hostnames');
  }
  return list as string[];
}

let defaultWords: readonly string[] | undefined;

/** The word list generated hostnames are made of, unless a caller (a test) injects another. */
export function defaultHostnameWords(): readonly string[] {
  return (defaultWords ??= hostnameWords(randomWordsList()));
}
