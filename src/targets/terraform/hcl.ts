/**
 * Terraform's JSON syntax (*.tf.json), built as data and serialized once. In that syntax every string value is a
 * template: `${…}` is an expression and `%{…}` a directive. So:
 * - every plain string goes through `escapeTemplate` when serialized (`${` → `$${`, `%{` → `%%{`): text from the
 *   manifest is always a literal, whatever it holds;
 * - the only way to write an expression is an `Expression`, made here from identifiers fleetgen generated
 *   (checked against Terraform's identifier syntax) — never from manifest text.
 */
import { InternalError } from '../../diagnostics/diagnostic.js';

/** Terraform identifiers: letters, digits, `_` and `-`, not starting with a digit or `-`. */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_-]*$/;
/** Keys fleetgen indexes maps with (policy names, host names): the manifest schema allows nothing else there. */
const INDEX_KEY = /^[a-z0-9][a-z0-9_-]*$/;

/** An expression fleetgen wrote itself. Serialized as `${text}` (or inside a template, see `template`). */
export class Expression {
  private constructor(readonly text: string) {}

  /** `a.b.c`: a reference to something fleetgen declared (resource, data source, variable, local). */
  static ref(...parts: string[]): Expression {
    if (parts.length === 0) throw new InternalError('an empty Terraform reference');
    for (const part of parts) identifier(part);
    return new Expression(parts.join('.'));
  }

  /** `expr["key"]`. */
  index(key: string): Expression {
    if (!INDEX_KEY.test(key)) throw new InternalError(`${JSON.stringify(key)} is not a key fleetgen indexes with`);
    return new Expression(`${this.text}[${JSON.stringify(key)}]`);
  }

  /** `expr.attribute`. */
  attr(name: string): Expression {
    return new Expression(`${this.text}.${identifier(name)}`);
  }

  /** `fn(arg, …)` for one of Terraform's built-in functions. */
  static call(fn: 'jsonencode', ...args: Expression[]): Expression {
    return new Expression(`${fn}(${args.map((a) => a.text).join(', ')})`);
  }

  /** `{ key = expr, … }` (keys in the given order: jsonencode sorts them anyway). */
  static object(members: Readonly<Record<string, Expression>>): Expression {
    const body = Object.entries(members).map(([key, value]) => `${identifier(key)} = ${value.text}`);
    return new Expression(`{ ${body.join(', ')} }`);
  }
}

/** A string template mixing expressions and literal text: `${a.id}.cfargotunnel.com`. */
export class Template {
  constructor(readonly parts: readonly (Expression | string)[]) {}

  render(): string {
    return this.parts.map((part) => (typeof part === 'string' ? escapeTemplate(part) : `\${${part.text}}`)).join('');
  }
}

export function identifier(name: string): string {
  if (!IDENTIFIER.test(name)) throw new InternalError(`${JSON.stringify(name)} is not a Terraform identifier`);
  return name;
}

/** A literal string as Terraform's JSON syntax must write it so that it stays literal. */
export function escapeTemplate(text: string): string {
  // Replacement functions, not strings: in a replacement string `$$` is itself an escape for `$`.
  return text.replace(/\$\{/g, () => '$${').replace(/%\{/g, () => '%%{');
}

export type TfValue = string | number | boolean | null | Expression | Template | readonly TfValue[] | { readonly [key: string]: TfValue | undefined };

/** Plain JSON with every string escaped and every expression rendered; keys sorted, undefined members dropped. */
export function toTerraformJson(value: TfValue): unknown {
  if (value instanceof Expression) return `\${${value.text}}`;
  if (value instanceof Template) return value.render();
  if (typeof value === 'string') return escapeTemplate(value);
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return (value as readonly TfValue[]).map(toTerraformJson);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort(byCodeUnits)) {
    // Keys are names fleetgen chose (attributes, labels, host and policy names): never a template.
    if (key.includes('${') || key.includes('%{')) throw new InternalError(`${JSON.stringify(key)} would be a template as a key`);
    const member = (value as Record<string, TfValue | undefined>)[key];
    if (member !== undefined) out[key] = toTerraformJson(member);
  }
  return out;
}

/** One *.tf.json file's text: 2-space indent, sorted keys, a final newline. Byte-stable. */
export function renderTerraformJson(document: { readonly [key: string]: TfValue | undefined }): string {
  return `${JSON.stringify(toTerraformJson(document), null, 2)}\n`;
}

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
