/** What identifies an ingress rule in the lock file: not its position, so reordering rules keeps names. */
export interface RuleIdentity {
  service: string;
  path?: string;
}

/**
 * Lock file keys for one host's rules, index-aligned: the service, plus ` path=<path>` when the rule has a
 * path; a key seen before in the same host gets ` #2`, ` #3`, … in rule order.
 */
export function ruleKeys(rules: readonly RuleIdentity[]): string[] {
  // Most hosts have one rule to name: it has no other key to keep apart from.
  if (rules.length === 1) return [baseKey(rules[0] as RuleIdentity)];
  const used = new Set<string>();
  const seen = new Map<string, number>();
  return rules.map((rule) => {
    const base = baseKey(rule);
    let n = (seen.get(base) ?? 0) + 1;
    let key = n === 1 ? base : `${base} #${n}`;
    // Only a path ending in " #2" could spell a suffixed key of another rule; skip over it rather than merge them.
    while (used.has(key)) {
      n += 1;
      key = `${base} #${n}`;
    }
    seen.set(base, n);
    used.add(key);
    return key;
  });
}

function baseKey(rule: RuleIdentity): string {
  return rule.path === undefined || rule.path === '' ? rule.service : `${rule.service} path=${rule.path}`;
}
