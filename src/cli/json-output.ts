/**
 * Everything fleetgen prints as JSON (`validate --format json`, `hosts --format json`) is one object that starts
 * with `formatVersion`: tools check it before reading the rest, and it changes only when a field changes meaning
 * or goes away (new fields may appear without a new version).
 */
import type { Diagnostic } from '../diagnostics/diagnostic.js';

export const JSON_FORMAT_VERSION = 1;

/** How a run that stopped on the user's input is reported: what `validate` prints, and `hosts` too. */
export interface JsonFailure {
  ok: false;
  errors: Diagnostic[];
  warnings: Diagnostic[];
}

export function renderJson(report: object): string {
  return JSON.stringify({ formatVersion: JSON_FORMAT_VERSION, ...report }, null, 2) + '\n';
}
