import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN } from '../cli/fleetgen.js';
import { runCommand } from './run-command.js';

/**
 * Runs the built bin (dist/src/cli/main.js, bundled as it ships) with `args`, as a user would, and tells its exit code
 * and which modules matching `pattern` the process loaded (ESM imports of CommonJS packages go through require's cache
 * too): a module given to Node's --import writes them out as the process exits.
 */
export async function modulesLoadedBy(args: readonly string[], pattern: RegExp): Promise<{ code: number; loaded: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'fleetgen-modules-'));
  try {
    const probe = join(dir, 'probe.mjs');
    const list = join(dir, 'loaded.json');
    writeFileSync(
      probe,
      [
        "import { createRequire } from 'node:module';",
        "import { writeFileSync } from 'node:fs';",
        'const { cache } = createRequire(import.meta.url);',
        `process.on('exit', () => writeFileSync(${JSON.stringify(list)}, JSON.stringify(Object.keys(cache))));`,
      ].join('\n'),
    );
    const result = await runCommand(process.execPath, ['--import', probe, BIN, ...args], { timeoutMs: 60_000 });
    let loaded: string[];
    try {
      loaded = JSON.parse(readFileSync(list, 'utf8')) as string[];
    } catch {
      throw new Error(`the probe wrote no list of modules (status ${String(result.status)}):\n${result.stdout}${result.stderr}`);
    }
    return { code: result.status ?? -1, loaded: loaded.filter((path) => pattern.test(path)) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
