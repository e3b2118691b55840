import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import { packageRoot } from '../package-root.js';

/**
 * Templates hold code (Ruby, Jinja, shell, systemd units) and live in generators/. They are compiled with
 * `strict` (a misspelt variable is an error, not an empty string) and `noEscape` (HTML escaping would corrupt
 * code): every value that reaches a template must already be escaped for its target, or be safe by schema.
 */
const cache = new Map<string, Handlebars.TemplateDelegate>();
const handlebars = Handlebars.create();

export function template(relativePath: string): Handlebars.TemplateDelegate {
  let compiled = cache.get(relativePath);
  if (!compiled) {
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
