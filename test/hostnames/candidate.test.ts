import { describe, expect, it } from 'vitest';
import { InternalError } from '../../src/diagnostics/diagnostic.js';
import { candidateHostname, candidateLabel } from '../../src/hostnames/candidate.js';
import { defaultHostnameWords, EXCLUDED_WORDS, hostnameWords, MAX_WORD_LENGTH, MIN_WORD_LENGTH } from '../../src/hostnames/words.js';

const FIVE_WORDS = ['amber', 'birch', 'cedar', 'delta', 'ember'];

describe('candidateLabel', () => {
  // These pins are the algorithm's fingerprint: if one fails, every host without a lock entry gets a new name.
  it('gives the pinned names for known seeds with the default word list', () => {
    const seed = { fleet: 'acme-pos', host: 'store-0001', ruleIndex: 0, attempt: 0 };
    expect(candidateLabel(seed, defaultHostnameWords())).toBe('explore-obtain');
    expect(candidateLabel({ ...seed, attempt: 1 }, defaultHostnameWords())).toBe('alike-aid');
    expect(candidateLabel({ ...seed, ruleIndex: 1 }, defaultHostnameWords())).toBe('when-hit');
    expect(candidateLabel({ ...seed, host: 'store-0002' }, defaultHostnameWords())).toBe('salt-felt');
  });

  // Independent of random-words: a failure here is a change of the hash, not of the word list.
  it('gives the pinned names for known seeds with a fixed word list', () => {
    const seed = { fleet: 'acme-pos', host: 'store-0001', ruleIndex: 0, attempt: 0 };
    expect(candidateLabel(seed, FIVE_WORDS)).toBe('birch-amber');
    expect(candidateLabel({ ...seed, attempt: 1 }, FIVE_WORDS)).toBe('cedar-ember');
    expect(candidateLabel({ ...seed, host: 'store-0002' }, FIVE_WORDS)).toBe('amber-ember');
  });

  it('gives the same name for the same seed every time', () => {
    const seed = { fleet: 'f1', host: 'h', ruleIndex: 3, attempt: 7 };
    const first = candidateLabel(seed, defaultHostnameWords());
    for (let i = 0; i < 10; i++) expect(candidateLabel({ ...seed }, defaultHostnameWords())).toBe(first);
  });

  it('never repeats a word within a name, even with only two words', () => {
    for (let attempt = 0; attempt < 200; attempt++) {
      const [a, b] = candidateLabel({ fleet: 'f1', host: 'h', ruleIndex: 0, attempt }, ['one', 'two']).split('-');
      expect(a).not.toBe(b);
      const [c, d] = candidateLabel({ fleet: 'f1', host: 'h', ruleIndex: 0, attempt }, defaultHostnameWords()).split('-');
      expect(c).not.toBe(d);
    }
  });

  it('does not confuse seeds whose parts concatenate alike', () => {
    const words = defaultHostnameWords();
    expect(candidateLabel({ fleet: 'ab', host: 'c', ruleIndex: 0, attempt: 0 }, words)).not.toBe(
      candidateLabel({ fleet: 'a', host: 'bc', ruleIndex: 0, attempt: 0 }, words),
    );
  });

  it('refuses a word list with fewer than two words', () => {
    expect(() => candidateLabel({ fleet: 'f1', host: 'h', ruleIndex: 0, attempt: 0 }, ['solo'])).toThrow(InternalError);
  });

  it('appends the zone', () => {
    expect(candidateHostname({ fleet: 'acme-pos', host: 'store-0001', ruleIndex: 0, attempt: 0 }, 'example.com', FIVE_WORDS)).toBe(
      'birch-amber.example.com',
    );
  });
});

describe('hostname words', () => {
  it('keeps only a–z words of 3 to 8 letters, each once, sorted, without excluded words', () => {
    expect(hostnameWords(['zebra', 'ox', 'Apple', 'ice-cream', 'snake_case', 'naïve', 'x1y', 'zebra', 'lighthouse', 'amber', 'slave', 'kill'])).toEqual([
      'amber',
      'zebra',
    ]);
  });

  it('holds enough words from random-words, all safe in a DNS label', () => {
    expect(defaultHostnameWords().length).toBeGreaterThan(1500);
    for (const word of defaultHostnameWords()) {
      expect(word).toMatch(/^[a-z]+$/);
      expect(word.length).toBeGreaterThanOrEqual(MIN_WORD_LENGTH);
      expect(word.length).toBeLessThanOrEqual(MAX_WORD_LENGTH);
      expect(EXCLUDED_WORDS.has(word)).toBe(false);
    }
    expect(new Set(defaultHostnameWords()).size).toBe(defaultHostnameWords().length);
  });
});
