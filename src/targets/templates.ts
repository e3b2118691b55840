import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type Handlebars from 'handlebars';
import { packageRoot } from '../package-root.js';

/**
 * Templates hold code (Ruby, Jinja, shell, systemd units) and live in generators/. They are compiled with
 * `strict` (a misspelt variable is an error, not an empty string) and `noEscape` (HTML escaping would corrupt
 * code): every value that reaches a template must already be escaped for its target, or be safe by schema.
 */
const cache = new Map<string, Handlebars.TemplateDelegate>();
/**
 * Loaded with the first template compiled, not with this file: the build's main thread loads every target, yet in a
 * rebuild that reuses the fleet-wide files it compiles no template, and loading handlebars (its compiler and
 * source-map, some 45 files) was about 20 ms of every start.
 */
let handlebars: typeof Handlebars | undefined;

export function template(relativePath: string): Handlebars.TemplateDelegate {
  let compiled = cache.get(relativePath);
  if (!compiled) {
    handlebars ??= (createRequire(import.meta.url)('handlebars') as typeof Handlebars).create();
    compiled = handlebars.compile(readGeneratorFile(relativePath), { noEscape: true, strict: true });
    cache.set(relativePath, compiled);
  }
  return compiled;
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
