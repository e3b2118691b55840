/**
 * Checks Terraform JSON-syntax configuration (`*.tf.json`) against the cloudflare/cloudflare 5.22.0 provider schema
 * (`<repo>/../shared/terraform/cloudflare-provider-5.22.0.schema.json`, loaded once per process; a missing file
 * throws, so every test using it fails), plus small built-in schemas for random_id, random_password, local_file,
 * local_sensitive_file and the terraform_remote_state data source.
 *
 *   import { checkTerraformModule } from '../support/terraform-provider-schema.js';
 *   // all *.tf.json of one root module, file name → parsed JSON; [] when valid
 *   expect(checkTerraformModule({ 'main.tf.json': JSON.parse(text), 'variables.tf.json': … })).toEqual([]);
 *   // one file that is a whole module
 *   expect(checkTerraformJson(JSON.parse(text), { file: 'main.tf.json' })).toEqual([]);
 *   // manifest text must reach Terraform escaped ($${, %%{)
 *   expect(unescapedTemplateSequences(value)).toEqual([]);
 *
 * Problems read `main.tf.json: resource.cloudflare_dns_record.x.ttl: expected number, got string "1"`. Checked:
 * top-level blocks and the keys of terraform/variable/output/module/moved/import/check; resource and data types
 * (did-you-mean, v4 names → their v5 names); at every depth unknown attributes, missing required ones, read-only
 * (computed, not optional) ones set, deprecated ones set, literal types and enum values; secrets written as literals
 * (sensitive attributes, sensitive variables' defaults, provider credentials); valid block names; meta-arguments;
 * references in `${…}`/`%{…}` (var, local, module, data.T.N.attr, T.N.attr, indexes only with count/for_each,
 * nested attribute paths) and in depends_on/import.to; bare names that are no reference (unescaped hostile text);
 * unterminated sequences; outputs that expose a sensitive attribute without `"sensitive": true`; duplicate
 * declarations across files; required_providers.cloudflare present, source cloudflare/cloudflare, a version range
 * admitting 5.22.0 and not 6.x. Not checked: expressions beyond their references (functions, operators, result
 * types), module inputs/outputs, remote-state output names, provider block arguments.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// ---------------------------------------------------------------------------------------------------------------
// The provider schema file and its shape
// ---------------------------------------------------------------------------------------------------------------

/** Where the schema sits relative to a checkout: CI clones the repository with a copy of shared/ beside it. */
export const PROVIDER_SCHEMA_RELATIVE_PATH = join('..', 'shared', 'terraform', 'cloudflare-provider-5.22.0.schema.json');
/** The provider version the schema describes; the generated version constraint must admit it. */
export const PROVIDER_VERSION = '5.22.0';

/** One attribute as the schema file describes it (resource/data attributes and nested object attributes alike). */
export interface AttributeSchema {
  type: string;
  required: boolean;
  optional: boolean;
  computed: boolean;
  sensitive: boolean;
  deprecated: boolean;
  description: string;
  enum?: (string | number)[];
  attributes?: Record<string, AttributeSchema>;
}

export interface BlockSchema {
  attributes: Record<string, AttributeSchema>;
}

export interface ProviderSchema {
  provider: string;
  version: string;
  notes: string;
  resource_schemas: Record<string, BlockSchema>;
  data_source_schemas: Record<string, BlockSchema>;
  /** v4 resource type → its v5 name(s). */
  renamed_resources: Record<string, string[]>;
}

function repositoryRoot(): string {
  // Walk up from this file to the directory holding package.json: works from test/support and from dist/test/support.
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
  return dir;
}

/** A git worktree's main checkout (the one whose .git is a directory), or undefined when root is not a worktree. */
function mainCheckoutOfWorktree(root: string): string | undefined {
  const dotGit = join(root, '.git');
  if (!existsSync(dotGit) || statSync(dotGit).isDirectory()) return undefined;
  const gitdir = /^gitdir:\s*(.+)$/m.exec(readFileSync(dotGit, 'utf8'))?.[1]?.trim();
  if (!gitdir) return undefined;
  const commondirFile = join(gitdir, 'commondir');
  const common = existsSync(commondirFile) ? resolve(gitdir, readFileSync(commondirFile, 'utf8').trim()) : gitdir;
  return basename(common) === '.git' ? dirname(common) : undefined;
}

/** Candidate locations, first the documented one (`<repo>/../shared/...`), then beside a worktree's main checkout. */
export function providerSchemaCandidates(): string[] {
  const root = repositoryRoot();
  const candidates = [resolve(root, PROVIDER_SCHEMA_RELATIVE_PATH)];
  const main = mainCheckoutOfWorktree(root);
  if (main) candidates.push(resolve(main, PROVIDER_SCHEMA_RELATIVE_PATH));
  return candidates;
}

let loadedSchema: ProviderSchema | undefined;

/**
 * The provider schema, read and parsed once per process. Throws (never skips) when the file is missing or is not
 * the shape this checker reads: a check that cannot load its schema must fail the tests that rely on it.
 */
export function loadProviderSchema(): ProviderSchema {
  if (loadedSchema) return loadedSchema;
  const candidates = providerSchemaCandidates();
  const path = candidates.find((p) => existsSync(p));
  if (!path) {
    throw new Error(
      `Terraform provider schema not found; looked at ${candidates.join(', ')}. ` +
        `It belongs at <repository>/${PROVIDER_SCHEMA_RELATIVE_PATH} (CI puts a copy of shared/ beside the clone).`,
    );
  }
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<ProviderSchema>;
  for (const key of ['resource_schemas', 'data_source_schemas', 'renamed_resources'] as const) {
    if (typeof parsed[key] !== 'object' || parsed[key] === null) throw new Error(`${path}: no "${key}" object`);
  }
  if (parsed.version !== PROVIDER_VERSION) throw new Error(`${path}: version ${String(parsed.version)}, expected ${PROVIDER_VERSION}`);
  loadedSchema = parsed as ProviderSchema;
  return loadedSchema;
}

// ---------------------------------------------------------------------------------------------------------------
// Schemas of the few non-Cloudflare types a fleet's Terraform may use (hashicorp/random, terraform's built-in)
// ---------------------------------------------------------------------------------------------------------------

const attr = (type: string, flags: 'required' | 'optional' | 'computed', extra: Partial<AttributeSchema> = {}): AttributeSchema => ({
  type,
  required: flags === 'required',
  optional: flags === 'optional',
  computed: flags === 'computed',
  sensitive: false,
  deprecated: false,
  description: '',
  ...extra,
});

/** hashicorp/local's file resources: the same schema, with the content marked sensitive in local_sensitive_file. */
function localFile(isSensitive: boolean): BlockSchema {
  return {
    attributes: {
      filename: attr('string', 'required'),
      content: attr('string', 'optional', { sensitive: isSensitive }),
      content_base64: attr('string', 'optional', { sensitive: isSensitive }),
      source: attr('string', 'optional'),
      file_permission: attr('string', 'optional'),
      directory_permission: attr('string', 'optional'),
      ...(isSensitive ? {} : { sensitive_content: attr('string', 'optional', { sensitive: true, deprecated: true, description: 'Use local_sensitive_file instead.' }) }),
      id: attr('string', 'computed'),
      content_md5: attr('string', 'computed'),
      content_sha1: attr('string', 'computed'),
      content_sha256: attr('string', 'computed'),
      content_sha512: attr('string', 'computed'),
      content_base64sha256: attr('string', 'computed'),
      content_base64sha512: attr('string', 'computed'),
    },
  };
}

/** From the documentation of hashicorp/random (random_id, random_password) and hashicorp/local (files). */
const BUILTIN_RESOURCE_SCHEMAS: Record<string, BlockSchema> = {
  local_file: localFile(false),
  local_sensitive_file: localFile(true),
  random_id: {
    attributes: {
      byte_length: attr('number', 'required'),
      keepers: attr('map(string)', 'optional'),
      prefix: attr('string', 'optional'),
      b64_std: attr('string', 'computed'),
      b64_url: attr('string', 'computed'),
      dec: attr('string', 'computed'),
      hex: attr('string', 'computed'),
      id: attr('string', 'computed'),
    },
  },
  random_password: {
    attributes: {
      length: attr('number', 'required'),
      keepers: attr('map(string)', 'optional'),
      lower: attr('bool', 'optional'),
      min_lower: attr('number', 'optional'),
      min_numeric: attr('number', 'optional'),
      min_special: attr('number', 'optional'),
      min_upper: attr('number', 'optional'),
      number: attr('bool', 'optional', { deprecated: true, description: 'Use numeric instead.' }),
      numeric: attr('bool', 'optional'),
      override_special: attr('string', 'optional'),
      special: attr('bool', 'optional'),
      upper: attr('bool', 'optional'),
      bcrypt_hash: attr('string', 'computed', { sensitive: true }),
      id: attr('string', 'computed'),
      result: attr('string', 'computed', { sensitive: true }),
    },
  },
};

/** Terraform's built-in data source (provider terraform.io/builtin/terraform). */
const BUILTIN_DATA_SOURCE_SCHEMAS: Record<string, BlockSchema> = {
  terraform_remote_state: {
    attributes: {
      backend: attr('string', 'required'),
      config: attr('dynamic', 'optional'),
      defaults: attr('dynamic', 'optional'),
      workspace: attr('string', 'optional'),
      outputs: attr('dynamic', 'computed'),
    },
  },
};

type BlockKind = 'resource' | 'data';

function blockSchema(kind: BlockKind, type: string): BlockSchema | undefined {
  const schema = loadProviderSchema();
  const table = kind === 'resource' ? schema.resource_schemas : schema.data_source_schemas;
  const builtin = kind === 'resource' ? BUILTIN_RESOURCE_SCHEMAS : BUILTIN_DATA_SOURCE_SCHEMAS;
  return Object.hasOwn(table, type) ? table[type] : Object.hasOwn(builtin, type) ? builtin[type] : undefined;
}

function knownTypes(kind: BlockKind): string[] {
  const schema = loadProviderSchema();
  return kind === 'resource'
    ? [...Object.keys(schema.resource_schemas), ...Object.keys(BUILTIN_RESOURCE_SCHEMAS)]
    : [...Object.keys(schema.data_source_schemas), ...Object.keys(BUILTIN_DATA_SOURCE_SCHEMAS)];
}

// ---------------------------------------------------------------------------------------------------------------
// Type strings: string, number, bool, dynamic, list(T), set(T), map(T), object (nested attributes in the schema)
// ---------------------------------------------------------------------------------------------------------------

type TfType =
  | { kind: 'string' | 'number' | 'bool' | 'dynamic' }
  | { kind: 'list' | 'set' | 'map'; element: TfType }
  | { kind: 'object'; attributes: Record<string, AttributeSchema> };

function parseType(text: string, nested: Record<string, AttributeSchema> | undefined): TfType {
  const t = text.trim();
  if (t === 'string' || t === 'number' || t === 'bool' || t === 'dynamic') return { kind: t };
  if (t === 'object') {
    if (!nested) throw new Error(`schema type "object" without nested attributes`);
    return { kind: 'object', attributes: nested };
  }
  const collection = /^(list|set|map)\((.*)\)$/.exec(t);
  if (collection?.[1] && collection[2] !== undefined) {
    return { kind: collection[1] as 'list' | 'set' | 'map', element: parseType(collection[2], nested) };
  }
  throw new Error(`unknown schema type "${text}"`);
}

const typeCache = new WeakMap<AttributeSchema, TfType>();
function typeOf(attribute: AttributeSchema): TfType {
  let t = typeCache.get(attribute);
  if (!t) {
    t = parseType(attribute.type, attribute.attributes);
    typeCache.set(attribute, t);
  }
  return t;
}

function typeName(t: TfType): string {
  return 'element' in t ? `${t.kind}(${typeName(t.element)})` : t.kind;
}

const isReadOnly = (a: AttributeSchema): boolean => a.computed && !a.optional;

// ---------------------------------------------------------------------------------------------------------------
// Templates: in Terraform's JSON syntax every string is a template; `${` and `%{` open an expression or
// directive, `$${` and `%%{` are the escaped literal forms.
// ---------------------------------------------------------------------------------------------------------------

interface TemplateScan {
  /** Source text of each interpolation/directive at the top level, e.g. `${var.x}`. */
  sequences: string[];
  /** Expression text of every interpolation (nested ones included), string-literal contents blanked out. */
  expressions: string[];
  /** The template opens a sequence it never closes. */
  unterminated: boolean;
  /** Where the unclosed sequence starts. */
  unterminatedAt: number;
}

function scanTemplateText(s: string, start: number, quoted: boolean, out: TemplateScan): number {
  let i = start;
  while (i < s.length) {
    const c = s[i];
    if (quoted && c === '\\') {
      i += 2;
      continue;
    }
    if (quoted && c === '"') return i;
    if ((c === '$' || c === '%') && s[i + 1] === c && s[i + 2] === '{') {
      i += 3;
      continue;
    }
    if ((c === '$' || c === '%') && s[i + 1] === '{') {
      const open = i;
      const expression: string[] = [];
      i = scanExpression(s, i + 2, expression, out);
      out.expressions.push(expression.join(''));
      if (i >= s.length) {
        if (!out.unterminated) out.unterminatedAt = open;
        out.unterminated = true;
        if (!quoted) out.sequences.push(s.slice(open));
        return s.length;
      }
      i++;
      if (!quoted) out.sequences.push(s.slice(open, i));
      continue;
    }
    i++;
  }
  return i;
}

/** Reads an expression up to its closing `}`; returns that brace's index (s.length when there is none). */
function scanExpression(s: string, start: number, expression: string[], out: TemplateScan): number {
  let depth = 0;
  let i = start;
  while (i < s.length) {
    const c = s[i] as string;
    if (c === '"') {
      expression.push(' "" ');
      i = scanTemplateText(s, i + 1, true, out) + 1;
      continue;
    }
    if (c === '{') depth++;
    else if (c === '}') {
      if (depth === 0) return i;
      depth--;
    }
    expression.push(c);
    i++;
  }
  return s.length;
}

function scanTemplate(s: string): TemplateScan {
  const out: TemplateScan = { sequences: [], expressions: [], unterminated: false, unterminatedAt: -1 };
  scanTemplateText(s, 0, false, out);
  return out;
}

/**
 * The template sequences (`${…}`, `%{…}`) in a string that Terraform would evaluate — empty when every `${` and
 * `%{` in it is escaped (`$${`, `%%{`). Text from a manifest must always give an empty list.
 */
export function unescapedTemplateSequences(value: string): string[] {
  return scanTemplate(value).sequences;
}

const isTemplate = (s: string): boolean => {
  const scan = scanTemplate(s);
  return scan.sequences.length > 0 || scan.unterminated;
};

// ---------------------------------------------------------------------------------------------------------------
// References inside expressions
// ---------------------------------------------------------------------------------------------------------------

type Step = { name: string } | { index: true };

interface Reference {
  root: string;
  steps: Step[];
  /** The text as written, for messages. */
  text: string;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const TRAVERSAL = /(?<![\w.])([A-Za-z_][\w-]*)((?:\s*\.\s*(?:[A-Za-z_][\w-]*|\d+|\*)|\s*\[[^\]]*\])*)/g;
const STEP = /\s*\.\s*([A-Za-z_][\w-]*|\d+|\*)|\s*\[[^\]]*\]/g;
const FOR_VARIABLES = /\bfor\s+([A-Za-z_][\w-]*)(?:\s*,\s*([A-Za-z_][\w-]*))?\s+in\b/g;
const KEYWORDS = new Set(['true', 'false', 'null', 'for', 'in', 'if', 'else', 'endif', 'endfor']);
const UNCHECKED_ROOTS = new Set(['count', 'each', 'self', 'path', 'terraform']);

interface ExpressionNames {
  references: Reference[];
  /** Bare names that are neither references, keywords, function calls nor object keys. */
  unknownNames: string[];
}

function namesInExpressions(expressions: string[]): ExpressionNames {
  const forVariables = new Set<string>();
  for (const e of expressions) {
    for (const m of e.matchAll(FOR_VARIABLES)) {
      if (m[1]) forVariables.add(m[1]);
      if (m[2]) forVariables.add(m[2]);
    }
  }
  const references: Reference[] = [];
  const unknownNames: string[] = [];
  for (const e of expressions) {
    for (const m of e.matchAll(TRAVERSAL)) {
      const root = m[1] as string;
      const tail = m[2] ?? '';
      const after = e.slice((m.index ?? 0) + m[0].length).trimStart();
      if (KEYWORDS.has(root) || forVariables.has(root)) continue;
      if (tail === '' && (after.startsWith('(') || after.startsWith('::'))) continue; // function call
      const steps: Step[] = [];
      for (const s of tail.matchAll(STEP)) {
        const name = s[1];
        steps.push(name === undefined || name === '*' || /^\d+$/.test(name) ? { index: true } : { name });
      }
      const isKnownRoot = ['var', 'local', 'data', 'module'].includes(root) || UNCHECKED_ROOTS.has(root) || blockSchema('resource', root);
      if (tail === '' && !isKnownRoot) {
        // `{ name = … }` / `{ name: … }` in an object constructor is a key, not a reference.
        const before = e.slice(0, m.index ?? 0);
        const braceDepth = (before.match(/\{/g)?.length ?? 0) - (before.match(/\}/g)?.length ?? 0);
        if (braceDepth > 0 && /^(=(?![=>])|:)/.test(after)) continue;
        unknownNames.push(root);
        continue;
      }
      references.push({ root, steps, text: m[0].replace(/\s+/g, '') });
    }
  }
  return { references, unknownNames };
}

// ---------------------------------------------------------------------------------------------------------------
// What a module declares (collected across its files before anything is checked)
// ---------------------------------------------------------------------------------------------------------------

interface DeclaredBlock {
  file: string;
  isRepeated: boolean;
}

interface ModuleDeclarations {
  variables: Map<string, { file: string; isSensitive: boolean }>;
  locals: Map<string, { file: string; value: unknown }>;
  resources: Map<string, DeclaredBlock>; // key: type.name
  data: Map<string, DeclaredBlock>; // key: type.name
  modules: Map<string, DeclaredBlock>;
  outputs: Map<string, DeclaredBlock>;
  /** Locals whose value refers (transitively) to a sensitive value. */
  sensitiveLocals: Set<string>;
}

interface Labeled {
  labels: string[];
  body: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

interface LabelProblem {
  at: string[];
  message: string;
}

/** HCL's JSON form lets every level of a labeled block be an object or an array of objects. */
function labeledBodies(value: unknown, labelCount: number, labels: string[] = []): Labeled[] | LabelProblem {
  if (Array.isArray(value)) {
    const all: Labeled[] = [];
    for (const item of value) {
      const part = labeledBodies(item, labelCount, labels);
      if (!Array.isArray(part)) return part;
      all.push(...part);
    }
    return all;
  }
  if (labels.length === labelCount) return isObject(value) ? [{ labels, body: value }] : { at: labels, message: `expected an object, got ${describe(value)}` };
  if (!isObject(value)) {
    return { at: labels, message: `expected an object keyed by ${labelCount === 2 && labels.length === 0 ? 'type' : 'name'}, got ${describe(value)}` };
  }
  const all: Labeled[] = [];
  for (const [key, inner] of Object.entries(value)) {
    const part = labeledBodies(inner, labelCount, [...labels, key]);
    if (!Array.isArray(part)) return part;
    all.push(...part);
  }
  return all;
}

function describe(value: unknown, isSensitive = false): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (isSensitive) return `${typeof value === 'boolean' ? 'bool' : typeof value} (value hidden: sensitive)`;
  if (typeof value === 'string') return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'boolean') return `bool ${value}`;
  return `${typeof value} ${String(value)}`;
}

function pathJoin(path: string, key: string): string {
  return IDENTIFIER.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function didYouMean(name: string, candidates: Iterable<string>): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(name, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? ` (did you mean ${best}?)` : '';
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length] as number;
}

// ---------------------------------------------------------------------------------------------------------------
// The checker
// ---------------------------------------------------------------------------------------------------------------

const TOP_LEVEL_BLOCKS = ['terraform', 'provider', 'variable', 'locals', 'resource', 'data', 'output', 'module', 'moved', 'import', 'check'];
const RESOURCE_META = ['count', 'for_each', 'depends_on', 'provider', 'lifecycle', 'connection', 'provisioner'];
const DATA_META = ['count', 'for_each', 'depends_on', 'provider', 'lifecycle'];
const VARIABLE_KEYS = ['type', 'default', 'description', 'sensitive', 'nullable', 'validation', 'ephemeral'];
const OUTPUT_KEYS = {
  value: 'expression',
  description: 'string',
  sensitive: 'bool',
  depends_on: 'references',
  precondition: 'conditions',
  ephemeral: 'bool',
} as const;
const TERRAFORM_KEYS = ['required_version', 'required_providers', 'backend', 'cloud', 'experiments', 'provider_meta'];
/** Providers whose types this checker knows, with the source each must be required from. */
const PROVIDER_SOURCES: Record<string, string> = { cloudflare: 'cloudflare/cloudflare', random: 'hashicorp/random', local: 'hashicorp/local' };

class Checker {
  readonly problems: string[] = [];
  file = '';

  constructor(private readonly decl: ModuleDeclarations) {}

  report(path: string, message: string): void {
    this.problems.push(path ? `${this.file}: ${path}: ${message}` : `${this.file}: ${message}`);
  }

  checkDocument(doc: unknown): void {
    if (!isObject(doc)) {
      this.report('', `a Terraform JSON file is an object at the top, got ${describe(doc)}`);
      return;
    }
    for (const [key, value] of Object.entries(doc)) {
      if (key === '//') continue;
      switch (key) {
        case 'terraform':
          this.checkTerraformBlock(value);
          break;
        case 'provider':
          this.checkProviders(value);
          break;
        case 'variable':
          this.eachLabeled(value, 1, key, (labels, body, path) => this.checkVariable(labels[0] as string, body, path));
          break;
        case 'locals':
          this.eachUnlabeled(value, key, (body) => {
            for (const [name, v] of Object.entries(body)) {
              if (name === '//') continue;
              this.checkName(`local.${name}`, name, 'local value');
              this.checkExpressions(v, `local.${name}`);
            }
          });
          break;
        case 'resource':
        case 'data':
          this.eachLabeled(value, 2, key, (labels, body, path) => this.checkBlock(key, labels[0] as string, labels[1] as string, body, path));
          break;
        case 'output':
          this.eachLabeled(value, 1, key, (labels, body, path) => this.checkOutput(body, path));
          break;
        case 'module':
          this.eachLabeled(value, 1, key, (labels, body, path) => this.checkModuleCall(body, path));
          break;
        case 'moved':
          this.eachUnlabeled(value, key, (body) => this.checkKeys(body, key, { from: 'reference', to: 'reference' }, ['from', 'to']));
          break;
        case 'import':
          this.eachUnlabeled(value, key, (body) =>
            this.checkKeys(body, key, { to: 'target', id: 'expression', provider: 'provider', for_each: 'expression' }, ['to', 'id']),
          );
          break;
        case 'check':
          this.eachLabeled(value, 1, key, (labels, body, path) => this.checkKeys(body, path, { data: 'any', assert: 'conditions' }, ['assert']));
          break;
        default:
          this.report(key, `unknown top-level block "${key}"${didYouMean(key, TOP_LEVEL_BLOCKS)}; Terraform JSON allows ${TOP_LEVEL_BLOCKS.join(', ')}`);
      }
    }
  }

  eachLabeled(value: unknown, labelCount: number, path: string, each: (labels: string[], body: Record<string, unknown>, path: string) => void): void {
    const bodies = labeledBodies(value, labelCount);
    if (!Array.isArray(bodies)) {
      this.report([path, ...bodies.at].join('.'), bodies.message);
      return;
    }
    for (const { labels, body } of bodies) each(labels, body as Record<string, unknown>, [path, ...labels].join('.'));
  }

  eachUnlabeled(value: unknown, path: string, each: (body: Record<string, unknown>) => void): void {
    for (const body of Array.isArray(value) ? value : [value]) {
      if (isObject(body)) each(body);
      else this.report(path, `expected an object, got ${describe(body)}`);
    }
  }

  checkName(path: string, name: string, what: string): void {
    if (!IDENTIFIER.test(name)) this.report(path, `"${name}" is not a valid ${what} name: a name starts with a letter or underscore and holds only letters, digits, underscores and dashes`);
  }

  /** Checks an object's keys against a small vocabulary: how each key's value is read, and which are required. */
  checkKeys(
    body: Record<string, unknown>,
    path: string,
    vocabulary: Record<string, 'string' | 'bool' | 'expression' | 'reference' | 'target' | 'references' | 'provider' | 'conditions' | 'any'>,
    required: string[] = [],
  ): void {
    for (const [key, value] of Object.entries(body)) {
      if (key === '//') continue;
      const p = `${path}.${key}`;
      const how = vocabulary[key];
      if (!how) {
        this.report(p, `unknown argument "${key}"${didYouMean(key, Object.keys(vocabulary))}; allowed: ${Object.keys(vocabulary).join(', ')}`);
        continue;
      }
      switch (how) {
        case 'string':
          if (typeof value !== 'string') this.report(p, `expected string, got ${describe(value)}`);
          else this.checkExpressions(value, p);
          break;
        case 'bool':
          if (typeof value !== 'boolean' && !(typeof value === 'string' && isTemplate(value))) this.report(p, `expected bool, got ${describe(value)}`);
          else this.checkExpressions(value, p);
          break;
        case 'expression':
        case 'any':
          this.checkExpressions(value, p);
          break;
        case 'reference':
          if (typeof value !== 'string') this.report(p, `expected a reference string, got ${describe(value)}`);
          break;
        case 'target':
          if (typeof value !== 'string') this.report(p, `expected a reference string, got ${describe(value)}`);
          else this.checkReferenceText(value, p);
          break;
        case 'references':
          this.checkDependsOn(value, p);
          break;
        case 'provider':
          if (typeof value !== 'string' || !/^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)?$/.test(value)) {
            this.report(p, `expected a provider reference like "cloudflare" or "cloudflare.alias", got ${describe(value)}`);
          }
          break;
        case 'conditions':
          this.eachUnlabeled(value, p, (c) => this.checkKeys(c, p, { condition: 'expression', error_message: 'string' }, ['condition', 'error_message']));
          break;
      }
    }
    for (const key of required) if (!(key in body)) this.report(path, `missing required argument "${key}"`);
  }

  checkTerraformBlock(value: unknown): void {
    this.eachUnlabeled(value, 'terraform', (body) => {
      for (const [key, v] of Object.entries(body)) {
        if (key === '//') continue;
        const p = `terraform.${key}`;
        if (!TERRAFORM_KEYS.includes(key)) {
          this.report(p, `unknown argument "${key}"${didYouMean(key, TERRAFORM_KEYS)}; allowed: ${TERRAFORM_KEYS.join(', ')}`);
        } else if (key === 'required_version' && typeof v !== 'string') {
          this.report(p, `expected a version constraint string, got ${describe(v)}`);
        } else if (key === 'required_providers') {
          this.eachUnlabeled(v, p, (providers) => {
            for (const [name, requirement] of Object.entries(providers)) {
              if (name === '//') continue;
              const rp = `${p}.${name}`;
              if (!isObject(requirement)) {
                this.report(rp, `expected an object with "source" and "version", got ${describe(requirement)}`);
                continue;
              }
              for (const [k, rv] of Object.entries(requirement)) {
                if (k === 'source' || k === 'version') {
                  if (typeof rv !== 'string') this.report(`${rp}.${k}`, `expected string, got ${describe(rv)}`);
                } else if (k === 'configuration_aliases') {
                  if (!Array.isArray(rv) || rv.some((a) => typeof a !== 'string')) this.report(`${rp}.${k}`, `expected a list of provider references`);
                } else {
                  this.report(`${rp}.${k}`, `unknown argument "${k}"; a provider requirement has source, version, configuration_aliases`);
                }
              }
              if (typeof requirement.source !== 'string') this.report(rp, `missing "source" (e.g. "${PROVIDER_SOURCES[name] ?? 'namespace/name'}")`);
            }
          });
        }
      }
    });
  }

  checkProviders(value: unknown): void {
    this.eachLabeled(value, 1, 'provider', (labels, body, path) => {
      for (const [key, v] of Object.entries(body)) {
        if (key === '//') continue;
        const p = `${path}.${key}`;
        if (key === 'alias') {
          if (typeof v !== 'string' || !IDENTIFIER.test(v)) this.report(p, `expected an alias name, got ${describe(v)}`);
          continue;
        }
        // Credentials come from the environment or a sensitive variable, never from the file.
        if (/token|key|secret|password/i.test(key) && typeof v === 'string' && !isTemplate(v)) {
          this.report(p, `a credential written as a literal; pass it as a sensitive variable or an environment variable`);
        }
        this.checkExpressions(v, p);
      }
    });
  }

  checkVariable(name: string, body: Record<string, unknown>, path: string): void {
    this.checkName(path, name, 'variable');
    let declared: TfType | undefined;
    for (const [key, v] of Object.entries(body)) {
      if (key === '//') continue;
      const p = `${path}.${key}`;
      if (!VARIABLE_KEYS.includes(key)) {
        this.report(p, `unknown argument "${key}"${didYouMean(key, VARIABLE_KEYS)}; a variable has ${VARIABLE_KEYS.join(', ')}`);
        continue;
      }
      if (key === 'type') {
        if (typeof v !== 'string') this.report(p, `expected a type expression string like "string" or "list(string)", got ${describe(v)}`);
        else {
          const parsed = parseVariableType(v);
          if (parsed === 'invalid') this.report(p, `"${v}" is not a type expression`);
          else declared = parsed;
        }
      } else if (key === 'description' && typeof v !== 'string') this.report(p, `expected string, got ${describe(v)}`);
      else if ((key === 'sensitive' || key === 'nullable' || key === 'ephemeral') && typeof v !== 'boolean') this.report(p, `expected bool, got ${describe(v)}`);
      else if (key === 'validation') {
        this.eachUnlabeled(v, p, (c) => this.checkKeys(c, p, { condition: 'expression', error_message: 'string' }, ['condition', 'error_message']));
      }
    }
    if ('default' in body) {
      const p = `${path}.default`;
      if (body.sensitive === true && body.default !== null) {
        this.report(p, `a sensitive variable has a default written into the file; secrets must not be committed — drop the default`);
      } else if (declared) this.checkValue(body.default, declared, undefined, p);
      else this.checkExpressions(body.default, p);
    }
  }

  checkOutput(body: Record<string, unknown>, path: string): void {
    this.checkName(path, path.slice('output.'.length), 'output');
    this.checkKeys(
      body,
      path,
      OUTPUT_KEYS,
      ['value'],
    );
    if (body.sensitive !== true && 'value' in body) {
      const sensitive = referencesIn(body.value).find((r) => this.resolve(r).isSensitive);
      if (sensitive) {
        this.report(`${path}.value`, `refers to the sensitive value ${sensitive.text}; Terraform refuses this output unless it sets "sensitive": true`);
      }
    }
  }

  checkModuleCall(body: Record<string, unknown>, path: string): void {
    this.checkName(path, path.slice('module.'.length), 'module');
    if (typeof body.source !== 'string') this.report(path, `missing "source" (a string)`);
    for (const [key, v] of Object.entries(body)) {
      if (key === '//' || key === 'source') continue;
      const p = `${path}.${key}`;
      if (key === 'depends_on') this.checkDependsOn(v, p);
      else if (key === 'version' && typeof v !== 'string') this.report(p, `expected string, got ${describe(v)}`);
      else this.checkExpressions(v, p);
    }
  }

  checkDependsOn(value: unknown, path: string): void {
    if (!Array.isArray(value)) {
      this.report(path, `expected a list of references, got ${describe(value)}`);
      return;
    }
    value.forEach((item, i) => {
      if (typeof item !== 'string') this.report(`${path}[${i}]`, `expected a reference string like "cloudflare_dns_record.x", got ${describe(item)}`);
      else this.checkReferenceText(item, `${path}[${i}]`);
    });
  }

  /** A bare reference string (depends_on, replace_triggered_by): not a template, one traversal. */
  checkReferenceText(text: string, path: string): void {
    const names = namesInExpressions([text]);
    for (const ref of names.references) {
      const problem = this.resolve(ref).problem;
      if (problem) this.report(path, problem);
    }
    for (const n of names.unknownNames) this.report(path, `"${n}" is not a reference`);
  }

  checkBlock(kind: BlockKind, type: string, name: string, body: Record<string, unknown>, path: string): void {
    this.checkName(path, name, kind === 'resource' ? 'resource' : 'data source');
    const schema = blockSchema(kind, type);
    if (!schema) {
      this.report(`${kind}.${type}`, unknownTypeMessage(kind, type));
      return;
    }
    const meta = kind === 'resource' ? RESOURCE_META : DATA_META;
    const attributes: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(body)) {
      if (key === '//') continue;
      if (!meta.includes(key)) {
        attributes[key] = v;
        continue;
      }
      const p = `${path}.${key}`;
      switch (key) {
        case 'count':
          if (typeof v !== 'number' && !(typeof v === 'string' && isTemplate(v))) this.report(p, `expected number, got ${describe(v)}`);
          else this.checkExpressions(v, p);
          break;
        case 'for_each':
          if (typeof v !== 'string' && !isObject(v) && !Array.isArray(v)) this.report(p, `expected a map, a set or an expression, got ${describe(v)}`);
          else this.checkExpressions(v, p);
          break;
        case 'depends_on':
          this.checkDependsOn(v, p);
          break;
        case 'provider':
          this.checkKeys({ provider: v }, path, { provider: 'provider' });
          break;
        case 'lifecycle':
          this.eachUnlabeled(v, p, (l) => this.checkLifecycle(kind, schema, l, p));
          break;
        default: // connection, provisioner: free-form bodies, their expressions still checked
          this.checkExpressions(v, p);
      }
    }
    this.checkObject(attributes, schema.attributes, path);
  }

  checkLifecycle(kind: BlockKind, schema: BlockSchema, body: Record<string, unknown>, path: string): void {
    const conditions = { precondition: 'conditions', postcondition: 'conditions' } as const;
    if (kind === 'data') {
      this.checkKeys(body, path, conditions);
      return;
    }
    const { ignore_changes: ignoreChanges, ...rest } = body;
    this.checkKeys(rest, path, { create_before_destroy: 'bool', prevent_destroy: 'bool', replace_triggered_by: 'references', ignore_changes: 'any', ...conditions });
    if (ignoreChanges === undefined || ignoreChanges === 'all') return;
    if (!Array.isArray(ignoreChanges)) {
      this.report(`${path}.ignore_changes`, `expected a list of attribute names or "all", got ${describe(ignoreChanges)}`);
      return;
    }
    ignoreChanges.forEach((item, i) => {
      const first = typeof item === 'string' ? /^[A-Za-z_][\w-]*/.exec(item)?.[0] : undefined;
      if (!first) this.report(`${path}.ignore_changes[${i}]`, `expected an attribute name, got ${describe(item)}`);
      else if (!Object.hasOwn(schema.attributes, first)) {
        this.report(`${path}.ignore_changes[${i}]`, `no attribute "${first}"${didYouMean(first, Object.keys(schema.attributes))}`);
      }
    });
  }

  /** Checks an object against nested attribute schemas: unknown, read-only, deprecated, missing required. */
  checkObject(value: Record<string, unknown>, attributes: Record<string, AttributeSchema>, path: string): void {
    for (const [key, v] of Object.entries(value)) {
      const p = pathJoin(path, key);
      const a = Object.hasOwn(attributes, key) ? attributes[key] : undefined;
      if (!a) {
        this.report(p, `unknown attribute "${key}"${didYouMean(key, Object.keys(attributes))}`);
        continue;
      }
      if (isReadOnly(a)) {
        this.report(p, `"${key}" is read-only (computed by the provider); remove it`);
        continue;
      }
      if (a.deprecated && v !== null) this.report(p, `"${key}" is deprecated in provider ${PROVIDER_VERSION}: ${a.description}`);
      if (a.required && v === null) this.report(p, `required attribute "${key}" must not be null`);
      this.checkValue(v, typeOf(a), a, p);
    }
    for (const [key, a] of Object.entries(attributes)) {
      if (a.required && !(key in value)) this.report(path, `missing required attribute "${key}"`);
    }
  }

  checkValue(value: unknown, type: TfType, a: AttributeSchema | undefined, path: string): void {
    if (value === null) return;
    if (typeof value === 'string' && isTemplate(value)) {
      this.checkExpressions(value, path);
      return;
    }
    const isSensitive = a?.sensitive ?? false;
    if (isSensitive && (typeof value === 'string' || typeof value === 'number')) {
      this.report(path, `sensitive attribute set to a literal; a secret must not be committed — take it from a sensitive variable or a random_* resource`);
      return;
    }
    const mismatch = (): void => this.report(path, `expected ${typeName(type)}, got ${describe(value, isSensitive)}`);
    switch (type.kind) {
      case 'dynamic':
        this.checkExpressions(value, path);
        this.checkEnum(value, a, path);
        return;
      case 'string':
        if (typeof value !== 'string') return mismatch();
        this.checkEnum(value, a, path);
        return;
      case 'number':
        if (typeof value !== 'number') return mismatch();
        this.checkEnum(value, a, path);
        return;
      case 'bool':
        if (typeof value !== 'boolean') return mismatch();
        return;
      case 'list':
      case 'set':
        if (!Array.isArray(value)) return mismatch();
        value.forEach((item, i) => {
          if (item === null) this.report(`${path}[${i}]`, `a ${type.kind} element must not be null`);
          else this.checkValue(item, type.element, a, `${path}[${i}]`);
        });
        return;
      case 'map':
        if (!isObject(value)) return mismatch();
        for (const [key, item] of Object.entries(value)) {
          if (isTemplate(key)) this.checkExpressions(key, path);
          this.checkValue(item, type.element, a, pathJoin(path, key));
        }
        return;
      case 'object':
        if (!isObject(value)) return mismatch();
        this.checkObject(value, type.attributes, path);
        return;
    }
  }

  checkEnum(value: unknown, a: AttributeSchema | undefined, path: string): void {
    if (!a?.enum || (typeof value !== 'string' && typeof value !== 'number')) return;
    if (!a.enum.some((allowed) => allowed === value)) {
      this.report(path, `${describe(value, a.sensitive)} is not one of the allowed values: ${a.enum.map((e) => JSON.stringify(e)).join(', ')}`);
    }
  }

  /** Every template (strings and object keys, at any depth) in an untyped value: references must resolve. */
  checkExpressions(value: unknown, path: string): void {
    if (typeof value === 'string') {
      const scan = scanTemplate(value);
      if (scan.unterminated) {
        const opened = value.slice(scan.unterminatedAt, scan.unterminatedAt + 20);
        this.report(path, `unterminated template sequence ${JSON.stringify(opened)}; a literal "\${" or "%{" is written "$\${" or "%%{"`);
      }
      if (scan.expressions.length === 0) return;
      const names = namesInExpressions(scan.expressions);
      for (const ref of names.references) {
        const problem = this.resolve(ref).problem;
        if (problem) this.report(path, problem);
      }
      if (names.unknownNames.length > 0) {
        const unknown = [...new Set(names.unknownNames)].map((n) => `"${n}"`).join(', ');
        this.report(path, `${unknown} in ${JSON.stringify(scan.sequences.join(' '))}: not a reference Terraform knows; if the text is literal, escape it as "$\${" / "%%{"`);
      }
      return;
    }
    if (Array.isArray(value)) value.forEach((item, i) => this.checkExpressions(item, `${path}[${i}]`));
    else if (isObject(value)) {
      for (const [key, item] of Object.entries(value)) {
        if (isTemplate(key)) this.checkExpressions(key, path);
        this.checkExpressions(item, pathJoin(path, key));
      }
    }
  }

  resolve(ref: Reference): { problem?: string; isSensitive: boolean } {
    return resolveReference(ref, this.decl);
  }
}

function referencesIn(value: unknown): Reference[] {
  if (typeof value === 'string') return isTemplate(value) ? namesInExpressions(scanTemplate(value).expressions).references : [];
  if (Array.isArray(value)) return value.flatMap(referencesIn);
  if (isObject(value)) return Object.entries(value).flatMap(([k, v]) => [...referencesIn(k), ...referencesIn(v)]);
  return [];
}

function unknownTypeMessage(kind: BlockKind, type: string): string {
  const what = kind === 'resource' ? 'resource type' : 'data source';
  const renamed = loadProviderSchema().renamed_resources[type];
  const known = renamed?.filter((r) => blockSchema(kind, r));
  if (known && known.length > 0) return `${what} "${type}" does not exist in provider ${PROVIDER_VERSION}: renamed in v5 to ${known.join(' or ')}`;
  if (/^(random|local|terraform)_/.test(type)) {
    return `${what} "${type}" is not one this checker knows (it knows ${Object.keys(kind === 'resource' ? BUILTIN_RESOURCE_SCHEMAS : BUILTIN_DATA_SOURCE_SCHEMAS).join(', ')} besides Cloudflare's); add its schema to test/support/terraform-provider-schema.ts`;
  }
  return `unknown ${what} "${type}" in provider cloudflare/cloudflare ${PROVIDER_VERSION}${didYouMean(type, knownTypes(kind))}`;
}

function resolveReference(ref: Reference, decl: ModuleDeclarations): { problem?: string; isSensitive: boolean } {
  const [first, ...rest] = ref.steps;
  const firstName = first && 'name' in first ? first.name : undefined;
  switch (ref.root) {
    case 'var': {
      if (!firstName) return { problem: `${ref.text}: a variable reference is var.<name>`, isSensitive: false };
      const v = decl.variables.get(firstName);
      if (!v) return { problem: `${ref.text}: no variable "${firstName}" is declared in this module${didYouMean(firstName, decl.variables.keys())}`, isSensitive: false };
      return { isSensitive: v.isSensitive };
    }
    case 'local':
      if (!firstName) return { problem: `${ref.text}: a local value reference is local.<name>`, isSensitive: false };
      if (!decl.locals.has(firstName)) return { problem: `${ref.text}: no local value "${firstName}" in this module${didYouMean(firstName, decl.locals.keys())}`, isSensitive: false };
      return { isSensitive: decl.sensitiveLocals.has(firstName) };
    case 'module':
      if (!firstName) return { problem: `${ref.text}: a module reference is module.<name>.<output>`, isSensitive: false };
      if (!decl.modules.has(firstName)) return { problem: `${ref.text}: no module "${firstName}" in this module${didYouMean(firstName, decl.modules.keys())}`, isSensitive: false };
      return { isSensitive: false };
    case 'data': {
      const second = rest[0];
      if (!firstName || !second || !('name' in second)) return { problem: `${ref.text}: a data reference is data.<type>.<name>`, isSensitive: false };
      return resolveBlockReference('data', firstName, second.name, rest.slice(1), ref, decl);
    }
    default: {
      if (UNCHECKED_ROOTS.has(ref.root)) return { isSensitive: false };
      if (!firstName) return { problem: `${ref.text}: a resource reference is <type>.<name>`, isSensitive: false };
      return resolveBlockReference('resource', ref.root, firstName, rest, ref, decl);
    }
  }
}

function resolveBlockReference(kind: BlockKind, type: string, name: string, steps: Step[], ref: Reference, decl: ModuleDeclarations): { problem?: string; isSensitive: boolean } {
  const schema = blockSchema(kind, type);
  if (!schema) return { problem: `${ref.text}: ${unknownTypeMessage(kind, type)}`, isSensitive: false };
  const prefix = kind === 'data' ? `data.${type}` : type;
  const block = (kind === 'data' ? decl.data : decl.resources).get(`${type}.${name}`);
  if (!block) {
    const names = [...(kind === 'data' ? decl.data : decl.resources).keys()].filter((k) => k.startsWith(`${type}.`)).map((k) => k.slice(type.length + 1));
    return { problem: `${ref.text}: no ${kind === 'data' ? 'data source' : 'resource'} ${prefix}.${name} in this module${didYouMean(name, names)}`, isSensitive: false };
  }
  let remaining = steps;
  if (remaining[0] && 'index' in remaining[0]) {
    if (!block.isRepeated) return { problem: `${ref.text}: ${prefix}.${name} has no count or for_each, so it takes no index`, isSensitive: false };
    remaining = remaining.slice(1);
  }
  const [attrStep, ...deeper] = remaining;
  // The whole object: Terraform marks only its sensitive attributes, and whether those reach an output depends on
  // the expression around it, which this checker does not evaluate; so it is not counted as sensitive here.
  if (!attrStep) return { isSensitive: false };
  if ('index' in attrStep) return { problem: `${ref.text}: an attribute name goes here, not an index`, isSensitive: false };
  const a = Object.hasOwn(schema.attributes, attrStep.name) ? schema.attributes[attrStep.name] : undefined;
  if (!a) {
    return { problem: `${ref.text}: ${type} has no attribute "${attrStep.name}"${didYouMean(attrStep.name, Object.keys(schema.attributes))}`, isSensitive: false };
  }
  return walkAttributePath(a, deeper, ref);
}

function containsSensitive(a: AttributeSchema): boolean {
  return a.sensitive || Object.values(a.attributes ?? {}).some(containsSensitive);
}

function walkAttributePath(a: AttributeSchema, steps: Step[], ref: Reference): { problem?: string; isSensitive: boolean } {
  let type = typeOf(a);
  let isSensitive = a.sensitive;
  let current = a;
  for (const step of steps) {
    if (type.kind === 'dynamic') return { isSensitive };
    if ('index' in step) {
      if (type.kind === 'object') return { problem: `${ref.text}: ${current.type} value is an object; it takes an attribute name, not an index`, isSensitive };
      if (!('element' in type)) return { problem: `${ref.text}: a ${type.kind} value takes no index`, isSensitive };
      type = type.element;
      continue;
    }
    if (type.kind === 'map') {
      type = type.element;
      continue;
    }
    if (type.kind !== 'object') {
      return { problem: `${ref.text}: "${step.name}" cannot be read from a ${typeName(type)} value${type.kind === 'list' || type.kind === 'set' ? ' (index it or use [*] first)' : ''}`, isSensitive };
    }
    const next = Object.hasOwn(type.attributes, step.name) ? type.attributes[step.name] : undefined;
    if (!next) return { problem: `${ref.text}: no attribute "${step.name}" here${didYouMean(step.name, Object.keys(type.attributes))}`, isSensitive };
    current = next;
    isSensitive ||= next.sensitive;
    type = typeOf(next);
  }
  // A whole object (or collection of them) holding a sensitive attribute is sensitive too.
  return { isSensitive: isSensitive || containsSensitive(current) };
}

/** `variable.type`: primitives, collections of them, any, object({...}) and tuple([...]) (the last two unchecked inside). */
function parseVariableType(text: string): TfType | undefined | 'invalid' {
  const t = text.trim();
  if (t === 'string' || t === 'number' || t === 'bool') return { kind: t };
  if (t === 'any') return { kind: 'dynamic' };
  const collection = /^(list|set|map)\((.*)\)$/s.exec(t);
  if (collection?.[1] && collection[2] !== undefined) {
    const element = parseVariableType(collection[2]);
    if (element === 'invalid') return 'invalid';
    return { kind: collection[1] as 'list' | 'set' | 'map', element: element ?? { kind: 'dynamic' } };
  }
  if (/^(object\(\{.*\}\)|tuple\(\[.*\]\))$/s.test(t)) return undefined;
  return 'invalid';
}

// ---------------------------------------------------------------------------------------------------------------
// Module-wide: declarations, duplicates, required_providers
// ---------------------------------------------------------------------------------------------------------------

function collectDeclarations(files: Record<string, unknown>, problems: string[]): ModuleDeclarations {
  const decl: ModuleDeclarations = {
    variables: new Map(),
    locals: new Map(),
    resources: new Map(),
    data: new Map(),
    modules: new Map(),
    outputs: new Map(),
    sensitiveLocals: new Set(),
  };
  const declare = <T extends { file: string }>(map: Map<string, T>, key: string, entry: T, what: string): void => {
    const earlier = map.get(key);
    if (earlier) problems.push(`${entry.file}: ${what}: declared again (first in ${earlier.file})`);
    else map.set(key, entry);
  };
  for (const [file, doc] of Object.entries(files)) {
    if (!isObject(doc)) continue;
    const labeled = (value: unknown, count: number): Labeled[] => {
      const bodies = labeledBodies(value, count);
      return Array.isArray(bodies) ? bodies : [];
    };
    const isRepeated = (body: unknown): boolean => isObject(body) && ('count' in body || 'for_each' in body);
    for (const { labels, body } of labeled(doc.variable, 1)) {
      const name = labels[0] as string;
      declare(decl.variables, name, { file, isSensitive: isObject(body) && body.sensitive === true }, `variable.${name}`);
    }
    for (const locals of Array.isArray(doc.locals) ? doc.locals : [doc.locals]) {
      if (!isObject(locals)) continue;
      for (const [name, value] of Object.entries(locals)) if (name !== '//') declare(decl.locals, name, { file, value }, `local.${name}`);
    }
    for (const { labels, body } of labeled(doc.resource, 2)) {
      declare(decl.resources, labels.join('.'), { file, isRepeated: isRepeated(body) }, `resource.${labels.join('.')}`);
    }
    for (const { labels, body } of labeled(doc.data, 2)) {
      declare(decl.data, labels.join('.'), { file, isRepeated: isRepeated(body) }, `data.${labels.join('.')}`);
    }
    for (const { labels, body } of labeled(doc.module, 1)) {
      declare(decl.modules, labels[0] as string, { file, isRepeated: isRepeated(body) }, `module.${labels[0] as string}`);
    }
    for (const { labels } of labeled(doc.output, 1)) declare(decl.outputs, labels[0] as string, { file, isRepeated: false }, `output.${labels[0] as string}`);
  }
  // A local is sensitive when what it refers to is; follow local → local until nothing changes.
  let changed = true;
  while (changed) {
    changed = false;
    for (const [name, { value }] of decl.locals) {
      if (decl.sensitiveLocals.has(name)) continue;
      if (referencesIn(value).some((r) => resolveReference(r, decl).isSensitive)) {
        decl.sensitiveLocals.add(name);
        changed = true;
      }
    }
  }
  return decl;
}

type Version = [number, number, number];

function parseVersion(text: string): { version: Version; segments: number } | undefined {
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-[\w.]+)?$/.exec(text.trim());
  if (!m) return undefined;
  const segments = m[3] !== undefined ? 3 : m[2] !== undefined ? 2 : 1;
  return { version: [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)], segments };
}

const compareVersions = (a: Version, b: Version): number => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

/** Whether a Terraform version constraint (`~> 5.22`, `>= 5.0, < 6.0`, …) admits a version; undefined if unreadable. */
export function versionConstraintAdmits(constraint: string, versionText: string): boolean | undefined {
  const version = parseVersion(versionText)?.version;
  if (!version) return undefined;
  for (const clause of constraint.split(',')) {
    const m = /^\s*(=|!=|>=|<=|>|<|~>)?\s*(\S+)\s*$/.exec(clause);
    const bound = m?.[2] ? parseVersion(m[2]) : undefined;
    if (!m || !bound) return undefined;
    const c = compareVersions(version, bound.version);
    const [major, minor] = bound.version;
    const ok = ((): boolean => {
      switch (m[1] ?? '=') {
        case '=':
          return c === 0;
        case '!=':
          return c !== 0;
        case '>':
          return c > 0;
        case '>=':
          return c >= 0;
        case '<':
          return c < 0;
        case '<=':
          return c <= 0;
        default: {
          // ~>: only the rightmost given segment may grow.
          const upper: Version = bound.segments === 3 ? [major, minor + 1, 0] : [major + 1, 0, 0];
          return c >= 0 && compareVersions(version, upper) < 0;
        }
      }
    })();
    if (!ok) return false;
  }
  return true;
}

function checkRequiredProviders(files: Record<string, unknown>, decl: ModuleDeclarations, problems: string[]): void {
  const used = new Set<string>();
  for (const key of [...decl.resources.keys(), ...decl.data.keys()]) {
    const provider = key.split('_')[0] as string;
    if (Object.hasOwn(PROVIDER_SOURCES, provider)) used.add(provider);
  }
  const required = new Map<string, { file: string; requirement: Record<string, unknown> }>();
  for (const [file, doc] of Object.entries(files)) {
    if (!isObject(doc)) continue;
    for (const tf of Array.isArray(doc.terraform) ? doc.terraform : [doc.terraform]) {
      if (!isObject(tf)) continue;
      for (const rp of Array.isArray(tf.required_providers) ? tf.required_providers : [tf.required_providers]) {
        if (!isObject(rp)) continue;
        for (const [name, requirement] of Object.entries(rp)) if (isObject(requirement)) required.set(name, { file, requirement });
      }
    }
  }
  const firstFile = Object.keys(files)[0] ?? '';
  if (used.has('cloudflare') && !required.has('cloudflare')) {
    problems.push(
      `${firstFile}: terraform.required_providers.cloudflare: missing; without it Terraform looks for hashicorp/cloudflare, which does not exist — declare source "cloudflare/cloudflare" with a 5.x version`,
    );
  }
  for (const [name, { file, requirement }] of required) {
    const expected = PROVIDER_SOURCES[name];
    const path = `${file}: terraform.required_providers.${name}`;
    const source = typeof requirement.source === 'string' ? requirement.source.toLowerCase().replace(/^registry\.terraform\.io\//, '') : undefined;
    if (expected && source !== undefined && source !== expected) problems.push(`${path}.source: "${String(requirement.source)}", expected "${expected}"`);
    if (name !== 'cloudflare') continue;
    const version = requirement.version;
    if (typeof version !== 'string') {
      problems.push(`${path}: no "version"; pin a 5.x range that includes ${PROVIDER_VERSION}, e.g. "~> 5.22"`);
      continue;
    }
    const admits = versionConstraintAdmits(version, PROVIDER_VERSION);
    if (admits === undefined) problems.push(`${path}.version: "${version}" is not a version constraint Terraform reads`);
    else if (!admits) problems.push(`${path}.version: "${version}" does not admit ${PROVIDER_VERSION}, the version the configuration is checked against`);
    else if (versionConstraintAdmits(version, '6.0.0')) problems.push(`${path}.version: "${version}" admits 6.x; pin a 5.x range (e.g. "~> 5.22")`);
  }
}

/**
 * Checks the `*.tf.json` files of one root module together: each file on its own, plus references across files
 * (variables, locals, resources, data sources, modules), duplicates, and the provider requirements.
 * `files` maps a file name (used in messages) to its parsed JSON.
 */
export function checkTerraformModule(files: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const file of Object.keys(files)) {
    if (!file.endsWith('.tf.json')) problems.push(`${file}: Terraform reads only files named *.tf.json in JSON syntax`);
  }
  const decl = collectDeclarations(files, problems);
  const checker = new Checker(decl);
  for (const [file, doc] of Object.entries(files)) {
    checker.file = file;
    checker.checkDocument(doc);
  }
  problems.push(...checker.problems);
  checkRequiredProviders(files, decl, problems);
  return problems;
}

/**
 * Checks one parsed `*.tf.json` document as a whole root module (its references must resolve within it).
 * Use checkTerraformModule for a folder of several files.
 */
export function checkTerraformJson(doc: unknown, options: { file: string }): string[] {
  return checkTerraformModule({ [options.file]: doc });
}
