// Renders the README's manifest reference from schemas/fleet.schema.json, the single source of truth: one
// table per kind of object, each key with its type, default and an example. Examples come from the schema's
// `examples`, else from the bundled example manifest (fixtures/example/fleet.yaml), else from the allowed values.
//
//   node scripts/schema-doc.mjs           print the reference
//   node scripts/schema-doc.mjs --write   replace the section between the markers in README.md
//   node scripts/schema-doc.mjs --check   exit 1 when README.md is out of date (test/docs runs this)
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

const BEGIN = '<!-- BEGIN manifest-reference: generated from schemas/fleet.schema.json by `node scripts/schema-doc.mjs --write` -->';
const END = '<!-- END manifest-reference -->';
const SETTINGS_DEF = 'settings';
const MAX_EXAMPLE = 64;

const read = (relative) => readFileSync(fileURLToPath(new URL(relative, import.meta.url)), 'utf8');

/** Section titles of the objects the schema names; an object defined inline is titled by its path. */
const TITLES = {
  settings: 'defaults',
  group: 'groups.NAME',
  host: 'hosts[]',
  ingressRule: 'ingress[]',
  tunnelOptions: 'tunnel.options',
  secretRef: 'Secret reference',
  fileRef: 'File reference',
  envRef: 'Environment variable reference',
};

export function renderManifestReference(schema = JSON.parse(read('../schemas/fleet.schema.json')), example = parse(read('../fixtures/example/fleet.yaml'))) {
  const defs = schema.$defs ?? {};
  const defNameOf = (node) => node?.$ref?.replace('#/$defs/', '');
  const deref = (node) => (node?.$ref ? defs[defNameOf(node)] : node);
  const settingsKeys = Object.keys(defs[SETTINGS_DEF]?.properties ?? {});

  // Sections: the root, then every object reached from it, in the order a reader meets them.
  const sections = [];
  const sectionOf = new Map();
  const section = (node, title) => {
    if (!sectionOf.has(node)) {
      const created = { node, title, anchor: slug(title), defName: Object.entries(defs).find(([, def]) => def === node)?.[0] };
      sectionOf.set(node, created);
      sections.push(created);
    }
    return sectionOf.get(node);
  };
  const link = (node, title) => {
    const target = section(node, title);
    return `[${target.title}](#${target.anchor})`;
  };

  // Values seen in the bundled example, per schema object and key: the most realistic example there is.
  const seen = new Map();
  const collect = (value, node) => {
    const target = deref(node);
    if (!target || value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      for (const item of value) collect(item, target.items);
      return;
    }
    for (const [key, child] of Object.entries(value)) {
      const property = target.properties?.[key];
      if (property) {
        if (!seen.has(target)) seen.set(target, new Map());
        if (!seen.get(target).has(key)) seen.get(target).set(key, child);
        collect(child, property);
      } else if (typeof target.additionalProperties === 'object') {
        collect(child, target.additionalProperties);
      }
    }
  };
  collect(example, schema);

  /** The Type cell; objects become links to their own section. */
  const typeOf = (raw, path) => {
    const node = deref(raw);
    if (!node) return 'any';
    const name = defNameOf(raw);
    if (raw.const !== undefined || node.const !== undefined) return `\`${JSON.stringify(raw.const ?? node.const)}\``;
    if (node.enum) return node.enum.map((v) => `\`${JSON.stringify(v)}\``).join(' or ');
    if (name === 'dnsName') return 'DNS name';
    if (node.type === 'object' && node.properties) return link(node, TITLES[name] ?? name ?? path);
    if (node.type === 'object' && typeof node.additionalProperties === 'object') return `mapping of names to ${typeOf(node.additionalProperties, `${path}.NAME`)}`;
    if (node.type === 'array') return `list of ${typeOf(node.items, `${path}[]`)}`;
    const bounds = node.minimum !== undefined && node.maximum !== undefined ? ` (${node.minimum}–${node.maximum})` : '';
    return `${node.type}${bounds}`;
  };

  section(schema, 'Top level');
  const out = [];
  for (let index = 0; index < sections.length; index++) {
    const { node, title, defName } = sections[index];
    const isLayer = defName === 'group' || defName === 'host';
    const rows = [];
    for (const [key, raw] of Object.entries(node.properties ?? {})) {
      if (key === '$schema' || (isLayer && settingsKeys.includes(key))) continue;
      const property = deref(raw);
      const childPath = index === 0 || isLayer || defName === SETTINGS_DEF ? key : `${title}.${key}`;
      const { text, fallback } = splitDefault(raw.description ?? property?.description ?? '');
      const isRequired = (node.required ?? []).includes(key);
      rows.push([`\`${key}\``, typeOf(raw, childPath), isRequired ? 'required' : fallback ?? '—', exampleOf(raw, property, seen.get(node)?.get(key)), text]);
    }
    out.push(`### ${title}`, '');
    const intro = node.description;
    if (intro) out.push(intro, '');
    if (isLayer) out.push(`Besides the keys below, it takes every key of [defaults](#defaults): ${settingsKeys.map((k) => `\`${k}\``).join(', ')}.`, '');
    out.push('| Key | Type | Default | Example | Description |', '| --- | --- | --- | --- | --- |');
    for (const row of rows) out.push(`| ${row.map(cell).join(' | ')} |`);
    out.push('');
  }
  return out.join('\n').trimEnd() + '\n';
}

/** "… Default: 127.0.0.1:20241." → the description without that sentence, and "127.0.0.1:20241". */
function splitDefault(description) {
  const match = /\s*Default: (.*?)\.(?=\s|$)/.exec(description);
  if (!match) return { text: description, fallback: undefined };
  return { text: (description.slice(0, match.index) + description.slice(match.index + match[0].length)).trim(), fallback: match[1] };
}

/** An example value in YAML flow style; compound values too long for a cell are left to the example manifest. */
function exampleOf(raw, node, seenValue) {
  const value = raw.examples?.[0] ?? node?.examples?.[0] ?? seenValue ?? node?.enum?.find((v) => v !== '');
  if (value === undefined) return node?.type === 'boolean' ? '`true`' : '—';
  const isCompound = value !== null && typeof value === 'object';
  let text = typeof value === 'string' ? value : stringify(value, { collectionStyle: 'flow', lineWidth: 0 }).trim();
  if (text.length > MAX_EXAMPLE) {
    if (isCompound) return '—';
    text = `${text.slice(0, MAX_EXAMPLE - 1)}…`;
  }
  return `\`${text}\``;
}

function cell(text) {
  return String(text).replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** GitHub's heading anchors: lowercase, punctuation dropped, spaces to hyphens. */
function slug(title) {
  return title
    .toLowerCase()
    .replace(/[^a-z0-9 _-]/g, '')
    .replace(/ /g, '-');
}

/** README.md with its reference section replaced by `reference`. */
export function spliceReadme(readme, reference) {
  const begin = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (begin < 0 || end < begin) throw new Error(`README.md lacks the markers ${BEGIN} … ${END}`);
  return `${readme.slice(0, begin + BEGIN.length)}\n\n${reference}\n${readme.slice(end)}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const readmePath = fileURLToPath(new URL('../README.md', import.meta.url));
  const reference = renderManifestReference();
  const mode = process.argv[2];
  if (mode === '--write' || mode === '--check') {
    const readme = readFileSync(readmePath, 'utf8');
    const updated = spliceReadme(readme, reference);
    if (mode === '--write') {
      if (updated !== readme) writeFileSync(readmePath, updated);
    } else if (updated !== readme) {
      console.error('README.md: the manifest reference is out of date with schemas/fleet.schema.json; run: node scripts/schema-doc.mjs --write');
      process.exitCode = 1;
    }
  } else {
    process.stdout.write(reference);
  }
}
