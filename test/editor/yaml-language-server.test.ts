/**
 * fleet.yaml in an editor: the real yaml-language-server (what VS Code's YAML extension, Neovim and others run),
 * driven over stdio like an editor drives it, with no network. The manifest `fleetgen init` writes must get the
 * schema from its modeline: completion inside a host, hover on a key, a diagnostic for an unknown key.
 */
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_DIR, fleetgen, REPO, tempDir } from '../cli/fleetgen.js';
import { LspClient, type Diagnostic } from '../support/lsp-client.js';

const SERVER = join(REPO, 'node_modules', 'yaml-language-server', 'bin', 'yaml-language-server');

interface CompletionItem {
  label: string;
}
interface Hover {
  contents: { kind: string; value: string } | string | { value: string }[];
}
const hoverText = (hover: Hover | null): string => {
  const contents = hover?.contents;
  if (contents === undefined) return '';
  if (typeof contents === 'string') return contents;
  return Array.isArray(contents) ? contents.map((c) => c.value).join('\n') : contents.value;
};

/** The 0-based line and character just after the first occurrence of `text` in `source`. */
function positionAfter(source: string, text: string): { line: number; character: number } {
  const offset = source.indexOf(text);
  if (offset < 0) throw new Error(`"${text}" is not in the document`);
  const before = source.slice(0, offset + text.length).split('\n');
  return { line: before.length - 1, character: (before.at(-1) ?? '').length };
}

let server: LspClient;
let initDir: string;
let version = 1;

/** Opens (or replaces) a document in the server, as an editor does when a file is opened or edited. */
function open(path: string, text: string): string {
  const uri = pathToFileURL(path).href;
  server.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version: version++, text } });
  return uri;
}
function change(uri: string, text: string): void {
  server.notify('textDocument/didChange', { textDocument: { uri, version: version++ }, contentChanges: [{ text }] });
}
const noLoadError = (diagnostics: Diagnostic[]): Diagnostic[] => diagnostics.filter((d) => /schema/i.test(d.message));

beforeAll(async () => {
  if (!existsSync(SERVER)) throw new Error(`${SERVER} is missing: yaml-language-server is a devDependency, run npm ci`);
  initDir = join(tempDir(), 'my-fleet');
  const init = await fleetgen(['init', initDir]);
  expect(init.status, init.stderr).toBe(0);
  // No schema store, no network: only the modeline can give the server a schema.
  const settings = { yaml: { validate: true, hover: true, completion: true, schemaStore: { enable: false }, schemas: {} } };
  server = new LspClient(process.execPath, [SERVER, '--stdio'], settings);
  await server.request('initialize', {
    processId: process.pid,
    rootUri: pathToFileURL(initDir).href,
    workspaceFolders: [{ uri: pathToFileURL(initDir).href, name: 'my-fleet' }],
    capabilities: {
      workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: false } },
      textDocument: { completion: { completionItem: { snippetSupport: false } }, hover: { contentFormat: ['markdown', 'plaintext'] }, publishDiagnostics: {} },
    },
  });
  server.notify('initialized', {});
  server.notify('workspace/didChangeConfiguration', { settings });
}, 60_000);
afterAll(() => server?.close());

describe('fleet.yaml as init writes it, in the real yaml-language-server', () => {
  it('loads the schema through the modeline with no network, and finds nothing wrong', async () => {
    const text = readFileSync(join(initDir, 'fleet.yaml'), 'utf8');
    const uri = open(join(initDir, 'fleet.yaml'), text);
    const diagnostics = await server.diagnosticsFor(uri, () => true);
    expect(diagnostics).toEqual([]);
  });

  it('completes the keys of a host inside a host', async () => {
    const path = join(initDir, 'fleet.yaml');
    const text = readFileSync(path, 'utf8').replace('    group: servers\n', '    group: servers\n    \n');
    const uri = open(path, text);
    const position = positionAfter(text, '    group: servers\n    ');
    const completion = await server.request<{ items: CompletionItem[] } | CompletionItem[]>('textDocument/completion', { textDocument: { uri }, position });
    const labels = (Array.isArray(completion) ? completion : completion.items).map((item) => item.label);
    expect(labels).toEqual(expect.arrayContaining(['platform', 'cloudflared', 'ssh', 'lockdown']));
    // Keys the host already has are not offered again; keys of other levels are not offered at all.
    expect(labels).not.toContain('group');
    expect(labels).not.toContain('zone');
  });

  it("shows a key's description from the schema on hover", async () => {
    const path = join(initDir, 'fleet.yaml');
    const text = readFileSync(path, 'utf8');
    const uri = open(path, text);
    const position = positionAfter(text, '\nzo');
    const hover = await server.request<Hover | null>('textDocument/hover', { textDocument: { uri }, position });
    expect(hoverText(hover)).toContain('The Cloudflare zone');
  });

  it('flags an unknown key of a host where it is', async () => {
    const path = join(initDir, 'fleet.yaml');
    const text = readFileSync(path, 'utf8');
    const uri = open(path, text);
    await server.diagnosticsFor(uri, () => true);
    const edited = text.replace('    group: servers\n', '    group: servers\n    colour: blue\n');
    change(uri, edited);
    const diagnostics = await server.diagnosticsFor(uri, (d) => d.length > 0);
    expect(diagnostics.map((d) => ({ line: d.range.start.line, message: d.message }))).toEqual([
      { line: positionAfter(edited, '    colour').line, message: expect.stringMatching(/colour.*not allowed/i) },
    ]);
  });
});

describe('the bundled example in the real yaml-language-server', () => {
  it('gets the schema through its modeline, in the checkout and in an installed package alike (a path inside the package)', async () => {
    const path = join(EXAMPLE_DIR, 'fleet.yaml');
    const text = readFileSync(path, 'utf8');
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=../../schemas/fleet.schema.json');
    const uri = open(path, text);
    expect(noLoadError(await server.diagnosticsFor(uri, () => true))).toEqual([]);
    const hover = await server.request<Hover | null>('textDocument/hover', { textDocument: { uri }, position: positionAfter(text, '\nzo') });
    expect(hoverText(hover)).toContain('The Cloudflare zone');
  });
});

describe('the other modelines the README offers', () => {
  it('the README shows the modeline init writes', () => {
    const modeline = readFileSync(join(initDir, 'fleet.yaml'), 'utf8').split('\n')[0] ?? '';
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    expect(readme).toContain(`\`\`\`yaml\n${modeline}\n\`\`\``);
    expect(readme).not.toMatch(/yaml-language-server: \$schema=https?:/);
  });

  it('a path into fleetgen installed in the project works as well', async () => {
    const project = tempDir();
    mkdirSync(join(project, 'node_modules'));
    symlinkSync(REPO, join(project, 'node_modules', 'fleetgen'));
    const text = readFileSync(join(initDir, 'fleet.yaml'), 'utf8').replace(/^.*\n/, '# yaml-language-server: $schema=./node_modules/fleetgen/schemas/fleet.schema.json\n');
    writeFileSync(join(project, 'fleet.yaml'), text);
    const uri = open(join(project, 'fleet.yaml'), text);
    const hover = await server.request<Hover | null>('textDocument/hover', { textDocument: { uri }, position: positionAfter(text, '\nzo') });
    expect(hoverText(hover)).toContain('The Cloudflare zone');
  });
});
