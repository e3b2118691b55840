/**
 * What every module's resources refer to: the account and zone (variables, see module-files.ts) and the Access
 * policies of the shared module (read through terraform_remote_state).
 */
import { Expression } from './hcl.js';

export const ACCOUNT_ID = Expression.ref('var', 'account_id');
/** A local: var.zone_id, or the zone looked up by name, as the manifest decides (module-files.ts). */
export const ZONE_ID = Expression.ref('local', 'zone_id');

/** Name of the shared module's output mapping each policy name to its ID. */
export const POLICY_IDS_OUTPUT = 'access_policy_ids';
/** Name of the shared module's output holding each service token's client ID and secret. */
export const SERVICE_TOKENS_OUTPUT = 'service_tokens';
export const SHARED_STATE = 'shared';

export function policyId(policy: string): Expression {
  return Expression.ref('data', 'terraform_remote_state', SHARED_STATE, 'outputs', POLICY_IDS_OUTPUT).index(policy);
}
