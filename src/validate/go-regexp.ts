/**
 * Whether an ingress `path` compiles as a Go regular expression, which is what cloudflared does with it.
 *
 * re2js is a port of RE2/J, which follows Go's regexp/syntax parser: the same flags ((?i)(?m)(?s)(?U)), named
 * groups ((?P<n>…) and (?<n>…)), \Q…\E, POSIX classes, the 1000 repeat-count and nesting limits, and the same
 * rejections (lookaround, backreferences, \Z, possessive quantifiers, (?x), (?#…)). Lookbehind is an opt-in flag
 * in re2js (RE2JS.LOOKBEHINDS), which is never passed here. Its error texts are Go's ("error parsing regexp: …").
 *
 * (?<name>…) needs Go 1.22 or later; the cloudflared releases fleetgen supports (FACTS.md) are built with it.
 *
 * Known gaps, none of which makes a valid Go pattern fail here:
 * - Go rejects patterns that are not valid UTF-8; a JavaScript string can hold a lone surrogate (YAML "\ud800"),
 *   which re2js accepts. Checked here before compiling.
 * - Unicode tables: \p{Script} names come from re2js's Unicode version, which may be newer than the Go release
 *   cloudflared was built with (e.g. \p{Garay}, Unicode 16, is accepted here but unknown to older Go).
 * - Go also refuses programs that compile too large ("expression too large", about 128 MiB of instructions) for
 *   patterns far below the repeat limit, e.g. deeply nested large character-class repeats; not reproduced here.
 */
import { createRequire } from 'node:module';
import type { RE2JS as RE2JSClass } from 're2js';

/**
 * Loaded when a path is first checked, not with this module: few fleets give ingress paths, and loading re2js cost
 * every run some 10 ms.
 */
let re2js: typeof RE2JSClass | undefined;

export type RegexpCheck = { ok: true } | { ok: false; message: string; hint: string };

const GENERIC_HINT = 'write a Go (RE2) regular expression, e.g. "^/api/"';

export function checkGoRegexp(pattern: string): RegexpCheck {
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(pattern)) {
    return { ok: false, message: 'invalid UTF-8', hint: 'remove the lone \\uD800-\\uDFFF escape' };
  }
  try {
    re2js ??= (createRequire(import.meta.url)('re2js') as { RE2JS: typeof RE2JSClass }).RE2JS;
    re2js.compile(pattern);
    return { ok: true };
  } catch (err) {
    const raw = err instanceof Error ? err.message : String(err);
    const message = raw.replace(/^error parsing regexp:\s*/, '');
    return { ok: false, message, hint: hintFor(message) };
  }
}

/** re2js reports lookaround and backreferences as generic syntax errors; say what they are and what to do. */
function hintFor(message: string): string {
  if (/`\(\?[=!]/.test(message)) return 'RE2 has no lookahead ((?=…), (?!…)): match the text itself, or split the rule in two';
  if (/`\(\?<[=!]/.test(message)) return 'RE2 has no lookbehind ((?<=…), (?<!…)): match the text itself, or split the rule in two';
  if (/invalid escape sequence: `\\([1-9]|k)/.test(message)) return 'RE2 has no backreferences (\\1, \\k<name>): spell out the alternatives instead';
  return GENERIC_HINT;
}
