/**
 * The templates that `npm run build` precompiles (handlebars' precompiled code, dist/src/targets/templates.cjs) must
 * render every file exactly as the templates handlebars compiles at run time; and the built fleetgen must use them
 * only when each was made from the template the package ships.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type Handlebars from 'handlebars';
import { describe, expect, it } from 'vitest';
import { run } from '../../src/cli/run.js';
import { compileTemplate, PRECOMPILED_TEMPLATES, precompiledSpec, precompiledTemplatesCode, readGeneratorFile, templateKind, templatePaths } from '../../src/targets/templates.js';
import { copyExample, fleetgen, REPO } from '../cli/fleetgen.js';
import { modulesLoadedBy } from '../support/modules-loaded.js';
import { runCommand } from '../support/run-command.js';
import { outputOf } from '../write/disk.js';

/** The precompiled module evaluated as Node would load it. */
function evaluate(code: string): unknown {
  const module = { exports: {} as unknown };
  new Function('module', 'exports', 'require', code)(module, module.exports, createRequire(import.meta.url));
  return module.exports;
}

describe('the precompiled templates', () => {
  it('are every template in generators/, each with the digest of its source', () => {
    const paths = templatePaths();
    expect(paths).toContain('common/cloudflared.service.hbs');
    expect(paths).toContain('chef/metadata.rb.hbs');
    const module = evaluate(precompiledTemplatesCode());
    expect(Object.keys(module as object).sort()).toEqual(paths);
    for (const path of paths) expect(precompiledSpec(module, path, readGeneratorFile(path)), path).toBeDefined();
  });

  it('render what the templates compiled at run time render, for contexts that take every branch either way', () => {
    const module = evaluate(precompiledTemplatesCode());
    const runtime = (createRequire(import.meta.url)('handlebars/runtime') as typeof Handlebars).create();
    // Whatever a template looks up is there (strict mode throws on a missing name): a string, a list, or nothing, by turns.
    const context = (round: number): unknown => {
      let looked = 0;
      const value = (name: string): unknown => {
        looked++;
        switch ((looked + round) % 4) {
          case 0:
            return `⟨${name}⟩ with 'quotes' & <angles>`;
          case 1:
            return [new Proxy({}, handler), new Proxy({}, handler)];
          case 2:
            return '';
          default:
            return 7;
        }
      };
      // Own properties, every one of them (handlebars renders only an object's own properties).
      const handler: ProxyHandler<object> = {
        has: () => true,
        get: (_, name) => (typeof name === 'string' ? value(name) : undefined),
        getOwnPropertyDescriptor: (_, name) => (typeof name === 'string' ? { value: value(name), enumerable: true, configurable: true, writable: true } : undefined),
      };
      return new Proxy({}, handler);
    };
    const rendered = new Set<string>();
    for (const path of templatePaths()) {
      const precompiled = runtime.template(precompiledSpec(module, path, readGeneratorFile(path)) as Parameters<typeof runtime.template>[0]);
      const compiled = compileTemplate(path);
      for (let round = 0; round < 4; round++) {
        const outcome = (render: Handlebars.TemplateDelegate): string => {
          try {
            return render(context(round));
          } catch (err) {
            return `threw ${String(err)}`;
          }
        };
        const text = outcome(compiled);
        expect(outcome(precompiled), `${path}, round ${round}`).toBe(text);
        // Rendered, with values looked up in it.
        if (!text.startsWith('threw') && text.includes('⟨')) rendered.add(path);
      }
    }
    // Every template rendered values in some round: what is compared is text, not two errors or two blanks.
    expect([...rendered].sort()).toEqual(templatePaths());
  });

  it('are used only when made from the very template shipped', () => {
    const module = evaluate(precompiledTemplatesCode());
    const path = 'common/cloudflared.service.hbs';
    const source = readGeneratorFile(path);
    expect(precompiledSpec(module, path, source)).toBeDefined();
    expect(precompiledSpec(module, path, `${source}\n# edited`)).toBeUndefined();
    expect(precompiledSpec(module, 'common/none.hbs', source)).toBeUndefined();
    expect(precompiledSpec({ [path]: { spec: {} } }, path, source)).toBeUndefined();
    expect(precompiledSpec({ [path]: 'spec' }, path, source)).toBeUndefined();
    expect(precompiledSpec(undefined, path, source)).toBeUndefined();
    // Running from src/ (these tests), there is no precompiled module: each template is compiled.
    expect(templateKind(path)).toBe('compiled');
  });

  it('are in the build and what the built fleetgen renders with; its build of the example is byte for byte the one compiled templates make', async () => {
    const probe = [
      `const m = await import(${JSON.stringify(join(REPO, 'dist', 'src', 'targets', 'templates.js'))});`,
      'console.log(JSON.stringify(m.templatePaths().map((path) => m.templateKind(path))));',
    ].join('\n');
    const kinds = await runCommand(process.execPath, ['--input-type=module', '-e', probe], { cwd: REPO, timeoutMs: 60_000 });
    expect(kinds.stderr).toBe('');
    expect(JSON.parse(kinds.stdout) as string[]).toEqual(templatePaths().map(() => 'precompiled'));
    expect(PRECOMPILED_TEMPLATES).toBe('templates.cjs');

    const dir = copyExample({ withLock: true });
    const manifest = join(dir, 'fleet.yaml');
    const built = await fleetgen(['build', manifest, '--out', join(dir, 'out-built'), '--frozen-lockfile']);
    expect(built.status, built.stderr).toBe(0);
    const quiet = { stdout: () => {}, stderr: () => {}, env: {} };
    expect(await run(['node', 'fleetgen', 'build', manifest, '--out', join(dir, 'out-here'), '--frozen-lockfile'], quiet)).toBe(0);
    const files = outputOf(join(dir, 'out-built'));
    // The systemd unit (a template) is among them, content-addressed in the cookbook and the role.
    expect(Object.keys(files).filter((path) => /cloudflared\.service-[0-9a-f]+$/.test(path)).length).toBeGreaterThan(1);
    expect(files).toEqual(outputOf(join(dir, 'out-here')));
  });

  it("spare a build with precompiled templates from loading handlebars' compiler", async () => {
    const dir = copyExample({ withLock: true });
    const { code, loaded } = await modulesLoadedBy(['build', join(dir, 'fleet.yaml'), '--out', join(dir, 'out'), '--frozen-lockfile'], /[/]handlebars[/]/);
    expect(code).toBe(0);
    expect(loaded.some((path) => path.endsWith('handlebars.runtime.js'))).toBe(true);
    expect(loaded.filter((path) => /[/]compiler[/]/.test(path))).toEqual([]);
  });
});
