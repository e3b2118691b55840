/**
 * JSON Schema violations as the user's mistakes: each says what is wrong in the manifest's words and what to
 * write instead. A value under a secret reference (tunnel credentials, tokens, cert.pem, service tokens) is never
 * repeated, in any part: it may be the secret itself, pasted where its reference belongs.
 */
import type { ErrorObject } from 'ajv';
import { formatPath, isSecretShaped, quote, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { ManifestPath, SourceMap } from '../load/source-map.js';
import { closest } from './closest.js';
import { secretReferenceOf } from './schema-walk.js';

interface SchemaWithText {
  description?: string;
  examples?: unknown[];
  properties?: Record<string, unknown>;
  pattern?: string;
}

/** Every violation of one validation run, explained; several about one pasted secret become one. */
export function explainSchemaErrors(errors: readonly ErrorObject[], source: SourceMap, manifest: unknown): Diagnostic[] {
  const pasted = new Map<string, ManifestPath>();
  for (const e of errors) {
    const path = pointerToPath(e.instancePath);
    const reference = secretReferenceOf(path);
    if (reference && isPastedSecret(valueAt(manifest, reference))) pasted.set(formatPath(reference), reference);
  }
  const isInPasted = (path: ManifestPath): boolean => [...pasted.values()].some((reference) => isWithin(path, reference));
  const diagnostics = [
    ...[...pasted.values()].map((reference) => pastedSecret(reference, source, manifest)),
    ...withoutOtherBranches(errors)
      .filter((e) => !isInPasted(pointerToPath(e.instancePath)))
      .flatMap((e) => explain(e, source)),
  ];
  return dedupe(diagnostics);
}

/**
 * anyOf (a setting that is a boolean or a mapping): each branch reports its own errors. When the value has the type of
 * one branch, only that branch's errors are about it; when it has none of their types, the first branch's type error
 * says what to write.
 */
function withoutOtherBranches(errors: readonly ErrorObject[]): ErrorObject[] {
  const anyOfOf = (e: ErrorObject): string | undefined => /^(.*\/anyOf)\/\d+\//.exec(e.schemaPath)?.[1];
  return errors.filter((e, i) => {
    const anyOf = anyOfOf(e);
    if (anyOf === undefined || e.keyword !== 'type') return true;
    const siblings = errors.filter((other) => other !== e && anyOfOf(other) === anyOf && other.instancePath.startsWith(e.instancePath));
    if (siblings.some((other) => other.keyword !== 'type' || other.instancePath !== e.instancePath)) return false;
    return !siblings.some((other) => errors.indexOf(other) < i);
  });
}

export function pointerToPath(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((raw) => raw.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((part) => (/^(0|[1-9][0-9]*)$/.test(part) ? Number(part) : part));
}

function valueAt(value: unknown, path: ManifestPath): unknown {
  let node = value;
  for (const part of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string | number, unknown>)[part];
  }
  return node;
}

function isWithin(path: ManifestPath, prefix: ManifestPath): boolean {
  return prefix.length <= path.length && prefix.every((part, i) => path[i] === part);
}

/** Keys of a credentials JSON or of a decoded token: a mapping holding them is the secret written out. */
const SECRET_DOCUMENT_KEYS = new Set(['AccountTag', 'TunnelSecret', 'TunnelID', 'Endpoint', 'a', 't', 's', 'e']);

/** What stands where a { file } / { env } reference belongs is the secret itself, not a broken reference. */
function isPastedSecret(value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return true;
  return Object.keys(value).some((key) => SECRET_DOCUMENT_KEYS.has(key) || isSecretShaped(key));
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** One error for a secret written into the manifest, saying where it goes instead; none of it repeated. */
function pastedSecret(reference: ManifestPath, source: SourceMap, manifest: unknown): Diagnostic {
  const key = String(reference.at(-1));
  const owner = reference.slice(0, -1);
  const message = (what: string): string => `${what} is written into the manifest; the manifest holds only a reference to it (the value is not repeated here)`;
  if (key === 'credentials') {
    const id = [valueAt(manifest, [...owner, 'id']), valueAt(manifest, [...reference, 'TunnelID'])].find((v): v is string => typeof v === 'string' && UUID.test(v));
    const file = `secrets/${id ?? '<UUID>'}.json`;
    return source.error('secret.inline', reference, message('the tunnel credentials JSON'), `put it in ${file} and write credentials: { file: ${file} }`);
  }
  if (key === 'token') {
    const host = owner[0] === 'hosts' ? valueAt(manifest, [owner[0], owner[1] ?? 0, 'name']) : undefined;
    const file = `secrets/${typeof host === 'string' && /^[a-z0-9-]+$/.test(host) ? host : '<host>'}.token`;
    return source.error('secret.inline', reference, message('the tunnel token'), `put it in ${file} and write token: { file: ${file} }, or set an environment variable and write token: { env: VARIABLE }`);
  }
  if (key === 'originCert') {
    return source.error('secret.inline', reference, message('the origin certificate'), 'put cert.pem in secrets/cert.pem and write originCert: { file: secrets/cert.pem }');
  }
  const what = owner.at(-1) === 'serviceToken' && (key === 'id' || key === 'secret') ? `the service token's client ${key === 'id' ? 'ID' : 'secret'}` : 'a secret';
  return source.error('secret.inline', reference, message(what), `set an environment variable to it and write ${key}: { env: VARIABLE }`);
}

function explain(e: ErrorObject, source: SourceMap): Diagnostic[] {
  const path = pointerToPath(e.instancePath);
  const data = (e as { data?: unknown }).data;
  const parent = e.parentSchema as SchemaWithText | undefined;
  const isSecret = secretReferenceOf(path) !== undefined;
  const hint = firstSentence(parent);
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String((e.params as { additionalProperty: string }).additionalProperty);
      const allowed = Object.keys(parent?.properties ?? {}).filter((k) => k !== '$schema');
      const guess = closest(key, allowed);
      const shown = isSecret && isSecretShaped(key) ? '' : ` ${quote(key)}`;
      return [
        source.error(
          'schema.unknown-key',
          [...path, key],
          `unknown key${shown}`,
          guess ? `did you mean ${quote(guess)}? (allowed: ${allowed.join(', ')})` : `allowed here: ${allowed.join(', ')}`,
          'key',
        ),
      ];
    }
    case 'required': {
      const key = String((e.params as { missingProperty: string }).missingProperty);
      const sub = firstSentence(parent?.properties?.[key] as SchemaWithText | undefined);
      return [source.error('schema.required', path, `missing required key ${quote(key)}`, sub ? `add ${key}: ${sub}` : `add ${key}`, 'key')];
    }
    case 'propertyNames': {
      const key = String((e.params as { propertyName: string }).propertyName);
      return [source.error('schema.key-name', [...path, key], `${quote(key)} is not a valid name here`, firstSentence((parent as { propertyNames?: SchemaWithText } | undefined)?.propertyNames) ?? hint, 'key')];
    }
    case 'type':
      return [explainType(String((e.params as { type: string }).type), data, path, source, isSecret, hint)];
    case 'enum': {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues;
      const guess = typeof data === 'string' ? closest(data, allowed.map(String)) : undefined;
      const list = allowed.map((v) => JSON.stringify(v)).join(', ');
      if (isSecret) return [source.error('schema.enum', path, `is not one of ${list}`, hint)];
      const written = source.plainScalarAt(path);
      if (written !== undefined && typeof data !== 'string' && allowed.includes(written)) {
        return [source.error('schema.enum', path, `${written} is read as ${describeType(data)}, but this must be the string ${JSON.stringify(written)}`, `quote it: ${JSON.stringify(written)}`)];
      }
      return [source.error('schema.enum', path, `${shownValue(data, path, source)} is not one of ${list}`, guess ? `did you mean ${quote(guess)}?` : hint)];
    }
    case 'const': {
      const allowed = JSON.stringify((e.params as { allowedValue: unknown }).allowedValue);
      return [source.error('schema.const', path, `must be ${allowed}, found ${isSecret ? describeType(data) : shownValue(data, path, source)}`, hint)];
    }
    case 'pattern':
    case 'format':
      return [explainForm(data, path, source, isSecret, parent)];
    case 'minItems':
      return [source.error('schema.min-items', path, `needs at least ${(e.params as { limit: number }).limit} item(s)`, hint)];
    case 'minProperties':
    case 'maxProperties':
      return [explainKeyCount(e, path, source, hint)];
    case 'minimum':
    case 'maximum':
    case 'minLength':
    case 'maxLength':
      return [explainRange(e, data, path, source, isSecret, hint)];
    case 'if':
    case 'anyOf':
    case 'oneOf':
    case 'allOf':
    case 'false schema':
      return [];
    default:
      return [source.error(`schema.${e.keyword}`, path, e.message ?? 'is not valid', hint)];
  }
}

/** YAML 1.1 wrote booleans as yes/no/on/off; YAML 1.2 reads them as strings. */
const YAML11_BOOLEANS: Readonly<Record<string, boolean>> = { y: true, yes: true, on: true, n: false, no: false, off: false };

function explainType(expected: string, data: unknown, path: ManifestPath, source: SourceMap, isSecret: boolean, hint: string | undefined): Diagnostic {
  const wanted = article(expected);
  if (isSecret) return source.error('schema.type', path, `expected ${wanted}, found ${describeType(data)}`, hint);
  const written = source.plainScalarAt(path);
  if (expected === 'string' && written !== undefined && data !== null && typeof data !== 'object') {
    const reads = written === String(data) ? '' : ` (${String(data)})`;
    return source.error('schema.type', path, `${written} is read as ${describeType(data)}${reads}, but this must be a string`, `quote it: ${JSON.stringify(written)}${hint ? ` (${hint})` : ''}`);
  }
  if (expected === 'boolean' && typeof data === 'string' && data.toLowerCase() in YAML11_BOOLEANS) {
    return source.error(
      'schema.type',
      path,
      `${quote(data)} is a string in YAML 1.2, not a boolean`,
      `write ${String(YAML11_BOOLEANS[data.toLowerCase()])}`,
    );
  }
  return source.error('schema.type', path, `expected ${wanted}, found ${describeType(data)}${data !== null && typeof data !== 'object' ? ` ${shownValue(data, path, source)}` : ''}`, hint);
}

/**
 * A string that does not have the form its key needs: the rule (the first sentence of the key's description, which
 * states it) and, when a plain correction makes it valid, the corrected value.
 */
function explainForm(data: unknown, path: ManifestPath, source: SourceMap, isSecret: boolean, parent: SchemaWithText | undefined): Diagnostic {
  const rule = firstSentence(parent);
  if (isSecret) {
    const isEnv = path.at(-1) === 'env';
    return source.error(
      'schema.format',
      path,
      isEnv ? 'is not an environment variable name (the value is not repeated here)' : 'does not have the expected form (the value is not repeated here)',
      isEnv ? "write the variable's name: letters, digits and _, not starting with a digit (e.g. KIOSK17_TUNNEL_TOKEN); set that variable to the secret" : rule,
    );
  }
  const shown = typeof data === 'string' ? quote(data) : shownValue(data, path, source);
  const example = parent?.examples?.find((v): v is string => typeof v === 'string');
  const fix = typeof data === 'string' && parent?.pattern !== undefined ? correction(data, new RegExp(parent.pattern, 'u'), example) : undefined;
  const ruleText = rule ?? (example !== undefined ? `e.g. ${JSON.stringify(example)}` : undefined);
  if (fix) return source.error('schema.format', path, `${shown} ${fix.problem}`, `write ${quote(fix.value)}${ruleText ? ` (${ruleText})` : ''}`);
  return source.error('schema.format', path, `${shown} does not have the expected form`, ruleText);
}

interface Correction {
  value: string;
  problem: string;
}

/**
 * The plain corrections people need most, tried in turn; the first that the pattern accepts is suggested. When
 * the schema's example ends in a port, a value without one gets that port.
 */
function correction(value: string, pattern: RegExp, example: string | undefined): Correction | undefined {
  const port = /:([0-9]+)$/.exec(example ?? '')?.[1];
  const steps: { problem: string; apply: (v: string) => string }[] = [
    ...(port !== undefined ? [{ problem: 'has no port', apply: (v: string) => (/:[0-9]+$/.test(v) ? v : `${v}:${port}`) }] : []),
    { problem: 'is a URL', apply: (v) => v.replace(/^[A-Za-z][A-Za-z0-9+.-]*:\/\//, '').replace(/[/?#].*$/, '') },
    { problem: 'has uppercase letters', apply: (v) => v.toLowerCase() },
    { problem: 'has "_"', apply: (v) => v.replace(/_/g, '-') },
    { problem: 'has "-"', apply: (v) => v.replace(/-/g, '_') },
    { problem: 'has surrounding spaces', apply: (v) => v.trim() },
  ];
  // Every combination, fewest steps first, so "My_Fleet" gets both the lowercase and the hyphen.
  for (let size = 1; size <= steps.length; size++) {
    for (const chosen of combinations(steps, size)) {
      let next = value;
      const problems: string[] = [];
      for (const step of chosen) {
        const applied = step.apply(next);
        if (applied === next) break;
        next = applied;
        problems.push(step.problem);
      }
      if (problems.length === chosen.length && next !== '' && pattern.test(next)) return { value: next, problem: problems.join(' and ') };
    }
  }
  return undefined;
}

function combinations<T>(items: readonly T[], size: number): T[][] {
  if (size === 0) return [[]];
  return items.flatMap((item, i) => combinations(items.slice(i + 1), size - 1).map((rest) => [item, ...rest]));
}

function explainKeyCount(e: ErrorObject, path: ManifestPath, source: SourceMap, hint: string | undefined): Diagnostic {
  const isReference = secretReferenceOf(path) !== undefined && path.length === (secretReferenceOf(path) ?? []).length;
  if (isReference && e.keyword === 'maxProperties') {
    return source.error('schema.secret-reference', path, 'names both a file and an environment variable; a secret comes from one place', 'keep either file: or env:');
  }
  if (isReference && e.keyword === 'minProperties') {
    return source.error('schema.secret-reference', path, 'names no secret', 'write { file: path relative to the manifest } or { env: VARIABLE }');
  }
  const limit = (e.params as { limit: number }).limit;
  const message = e.keyword === 'maxProperties' ? `has more than ${limit} ${limit === 1 ? 'key' : 'keys'}` : `needs at least ${limit} ${limit === 1 ? 'key' : 'keys'}`;
  return source.error('schema.properties-count', path, message, hint);
}

function explainRange(e: ErrorObject, data: unknown, path: ManifestPath, source: SourceMap, isSecret: boolean, hint: string | undefined): Diagnostic {
  const limit = (e.params as { limit: number }).limit;
  const shown = isSecret ? 'the value' : shownValue(data, path, source);
  const problem: Record<string, string> = {
    minimum: `${shown} is less than ${limit}`,
    maximum: `${shown} is more than ${limit}`,
    minLength: limit === 1 ? 'is empty' : `${shown} is shorter than ${limit} characters`,
    maxLength: `${isSecret ? 'the value' : quote(data, 40)} is longer than ${limit} characters`,
  };
  return source.error('schema.range', path, problem[e.keyword] ?? e.message ?? 'is out of range', hint);
}

/** A value as the user wrote it: the source text of a plain scalar, else a quoted, shortened rendering. */
function shownValue(data: unknown, path: ManifestPath, source: SourceMap): string {
  if (typeof data === 'string') return quote(data, 40);
  return source.plainScalarAt(path) ?? quote(data, 40);
}

/** The kind of a value, never the value: "a string", "a number", "a mapping", … */
function describeType(value: unknown): string {
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'boolean') return 'a boolean';
  return `a ${typeof value}`;
}

function article(type: string): string {
  const words: Record<string, string> = { object: 'a mapping', array: 'a list', string: 'a string', integer: 'a whole number', number: 'a number', boolean: 'true or false', null: 'an empty value' };
  return type
    .split(',')
    .map((t) => words[t] ?? t)
    .join(' or ');
}

/** First sentence of the schema's own description: the schema explains each field once, for editors and for us. */
function firstSentence(schemaNode: SchemaWithText | undefined): string | undefined {
  const text = schemaNode?.description;
  if (typeof text !== 'string') return undefined;
  const [first = text] = text.split(/(?<!\b(?:e\.g|i\.e)\.)(?<=[.!?])\s/);
  return first.replace(/\.$/, '');
}

function dedupe(diagnostics: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diagnostics.filter((d) => {
    const key = `${d.line}:${d.column}:${d.path}:${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
