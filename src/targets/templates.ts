import { hash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type Handlebars from 'handlebars';
import { codeFolder, packageRoot } from '../package-root.js';

/**
 * Templates hold code (Ruby, Jinja, shell, systemd units) and live in generators/. They are compiled with
 * `strict` (a misspelt variable is an error, not an empty string) and `noEscape` (HTML escaping would corrupt
 * code): every value that reaches a template must already be escaped for its target, or be safe by schema.
 */
const OPTIONS = { noEscape: true, strict: true } as const;

const cache = new Map<string, { render: Handlebars.TemplateDelegate; kind: TemplateKind }>();
/**
 * Loaded with the first template compiled, not with this file: the build's main thread loads every target, yet in a
 * rebuild that reuses the fleet-wide files it compiles no template, and loading handlebars (its compiler and
 * source-map, some 45 files) was about 20 ms of every start.
 */
let handlebars: typeof Handlebars | undefined;
/** Handlebars' runtime alone (no compiler): what a template precompiled by `npm run build` needs. */
let runtime: typeof Handlebars | undefined;
const requireHere = createRequire(import.meta.url);

type TemplateKind = 'precompiled' | 'compiled';

export function template(relativePath: string): Handlebars.TemplateDelegate {
  let compiled = cache.get(relativePath);
  if (!compiled) {
    const precompiled = precompiledTemplate(relativePath);
    // Without one (running from src/, a build that did not make it, a template edited since): compiled here.
    compiled = precompiled !== undefined ? { render: precompiled, kind: 'precompiled' } : { render: compileTemplate(relativePath), kind: 'compiled' };
    cache.set(relativePath, compiled);
  }
  return compiled.render;
}

/** Whether this process renders the template precompiled or compiles it itself (tests check that the built fleetgen precompiled them). */
export function templateKind(relativePath: string): TemplateKind {
  template(relativePath);
  return cache.get(relativePath)?.kind ?? 'compiled';
}

/** The template compiled here and now, from its source in generators/. */
export function compileTemplate(relativePath: string): Handlebars.TemplateDelegate {
  handlebars ??= (requireHere('handlebars') as typeof Handlebars).create();
  return handlebars.compile(readGeneratorFile(relativePath), OPTIONS);
}

/**
 * Every template as handlebars' precompiled code, with the digest of the source it was made from, as a CommonJS
 * module: made by `npm run build` (scripts/precompile-templates.mjs) and written beside this module. Compiling a
 * template on first use loaded handlebars' compiler and cost a build that generates anything some 20-40 ms, on every
 * thread that generates.
 */
export const PRECOMPILED_TEMPLATES = 'templates.cjs';

export function precompiledTemplatesCode(): string {
  const compiler = requireHere('handlebars') as typeof Handlebars;
  const entries = templatePaths().map((path) => {
    const source = readGeneratorFile(path);
    return `  ${JSON.stringify(path)}: { digest: ${JSON.stringify(templateDigest(source))}, spec: ${compiler.precompile(source, OPTIONS)} },`;
  });
  return `'use strict';\n// Made by npm run build from generators/: each template precompiled by handlebars (src/targets/templates.ts).\nmodule.exports = {\n${entries.join('\n')}\n};\n`;
}

/** The templates in generators/ (their paths relative to it, with `/`), sorted. */
export function templatePaths(): string[] {
  const found: string[] = [];
  const visit = (folder: string): void => {
    for (const entry of readdirSync(join(packageRoot(), 'generators', folder), { withFileTypes: true })) {
      const path = folder === '' ? entry.name : `${folder}/${entry.name}`;
      if (entry.isDirectory()) visit(path);
      else if (entry.name.endsWith('.hbs')) found.push(path);
    }
  };
  visit('');
  return found.sort();
}

function templateDigest(source: string): string {
  return hash('sha256', source, 'hex');
}

/** A precompiled module's entry for the template, when it was made from exactly `source`; undefined otherwise. */
export function precompiledSpec(module: unknown, relativePath: string, source: string): unknown {
  if (typeof module !== 'object' || module === null || !Object.hasOwn(module, relativePath)) return undefined;
  const entry = (module as Record<string, unknown>)[relativePath];
  if (typeof entry !== 'object' || entry === null) return undefined;
  const { digest, spec } = entry as { digest?: unknown; spec?: unknown };
  return digest === templateDigest(source) && typeof spec === 'object' && spec !== null ? spec : undefined;
}

let precompiledModule: unknown;
let isPrecompiledLoaded = false;

function precompiledTemplate(relativePath: string): Handlebars.TemplateDelegate | undefined {
  if (!isPrecompiledLoaded) {
    isPrecompiledLoaded = true;
    try {
      precompiledModule = requireHere(join(codeFolder(import.meta.url, 'targets'), PRECOMPILED_TEMPLATES));
    } catch {
      // not there, or not loadable: every template is compiled instead
    }
  }
  const spec = precompiledSpec(precompiledModule, relativePath, readGeneratorFile(relativePath));
  if (spec === undefined) return undefined;
  runtime ??= (requireHere('handlebars/runtime') as typeof Handlebars).create();
  return runtime.template(spec as Parameters<typeof Handlebars.template>[0]);
}

const generatorFiles = new Map<string, string>();

/**
 * A file under generators/ taken as it is (static files shipped in an artifact). Read once per process: every host
 * of a fleet ships the same scripts, and generators/ is part of fleetgen, not something that changes mid-build.
 */
export function readGeneratorFile(relativePath: string): string {
  let content = generatorFiles.get(relativePath);
  if (content === undefined) {
    content = readFileSync(join(packageRoot(), 'generators', relativePath), 'utf8');
    generatorFiles.set(relativePath, content);
  }
  return content;
}
