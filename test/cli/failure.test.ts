import { describe, expect, it } from 'vitest';
import { InternalError, ManifestError, type Diagnostic } from '../../src/diagnostics/diagnostic.js';
import { ExitCode, explainFailure, UsageError, UserError } from '../../src/cli/failure.js';

const diagnostic = (severity: Diagnostic['severity'], line: number): Diagnostic => ({
  severity,
  code: 'test.rule',
  file: 'fleet.yaml',
  line,
  column: 3,
  path: 'hosts[0].name',
  message: `problem on line ${line}`,
  hint: 'fix it',
});

describe('how a failure maps to an exit code and a message', () => {
  it('prints every diagnostic of a ManifestError, sorted, with exit 2 and no stack', () => {
    const failure = explainFailure(new ManifestError([diagnostic('error', 9), diagnostic('warning', 2)]), { debug: true });
    expect(failure.exitCode).toBe(ExitCode.invalidInput);
    expect(failure.text).toBe(
      [
        'fleet.yaml:2:3: warning: hosts[0].name: problem on line 2 — fix it',
        'fleet.yaml:9:3: error: hosts[0].name: problem on line 9 — fix it',
        'fleetgen: 1 error; nothing was written',
        '',
      ].join('\n'),
    );
  });

  it('maps a user mistake outside the manifest to exit 2 with its hint', () => {
    expect(explainFailure(new UserError('fleet.yaml already exists', 'edit it'), { debug: false })).toEqual({
      exitCode: 2,
      text: 'fleetgen: fleet.yaml already exists — edit it\n',
    });
    expect(explainFailure(new UsageError('Unknown argument: x'), { debug: false }).exitCode).toBe(2);
  });

  it('maps any other exception to exit 3, asks for a report, and hides the stack trace', () => {
    const failure = explainFailure(new TypeError("Cannot read properties of undefined (reading 'id')"), { debug: false });
    expect(failure.exitCode).toBe(ExitCode.internalError);
    expect(failure.text).toContain("fleetgen: internal error (unexpected exception): Cannot read properties of undefined (reading 'id')");
    expect(failure.text).toContain('please report it');
    expect(failure.text).not.toMatch(/^\s+at /m);
  });

  it('shows the stack trace of an internal error only when debugging (FLEETGEN_DEBUG=1)', () => {
    const error = new InternalError('the model has no hosts');
    expect(explainFailure(error, { debug: false }).text).toContain('fleetgen: internal error: the model has no hosts');
    expect(explainFailure(error, { debug: false }).text).not.toMatch(/^\s+at /m);
    expect(explainFailure(error, { debug: true }).text).toMatch(/^\s+at /m);
  });

  it('maps a thrown non-Error to exit 3 as well', () => {
    expect(explainFailure('boom', { debug: false }).exitCode).toBe(3);
  });
});
