/**
 * Ruby literals for the few values that reach Ruby source (the cookbook's name and description). A
 * single-quoted Ruby string interpolates nothing (`#{}` stays text); only `\` and `'` need escaping in it.
 */
export function rubyString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
