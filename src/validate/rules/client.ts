/**
 * The Access service token is named by environment variables that the operator's automation sets when it
 * connects; fleetgen only writes their names. Unset at build time is therefore a warning, never an error, and the
 * value is never read into any output.
 */
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import type { FleetRule } from './context.js';

export const warnServiceTokenUnset: FleetRule = ({ manifest, source, secrets }) => {
  const token = manifest.client?.serviceToken;
  if (!token) return [];
  const out: Diagnostic[] = [];
  for (const part of ['id', 'secret'] as const) {
    const name = token[part].env;
    const lookup = secrets.read({ env: name });
    if (lookup.ok) continue;
    out.push(
      source.warning(
        'client.service-token-unset',
        ['client', 'serviceToken', part, 'env'],
        `${lookup.message} (the service token's ${part === 'id' ? 'client ID' : 'client secret'})`,
        `fleetgen writes only the name; set ${name} where ssh and Ansible run`,
      ),
    );
  }
  return out;
};
