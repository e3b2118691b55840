/**
 * The shared root module: account-wide Access objects, created once and read by every host module through
 * terraform_remote_state — the reusable policies (access.policies) and the service tokens (access.serviceTokens).
 */
import type { AccessPolicy, AccessRules } from '../../model/fleet.js';
import type { FleetSettings } from '../target.js';
import { RESOURCE } from './addresses.js';
import { Expression, type TfValue } from './hcl.js';
import { GENERATED_COMMENT } from './module-files.js';
import { ACCOUNT_ID, POLICY_IDS_OUTPUT, SERVICE_TOKENS_OUTPUT } from './module-inputs.js';

const IDP_GROUP: Record<'okta' | 'azure-ad' | 'google-workspace' | 'github', (idp: string, group: string, team?: string) => Record<string, TfValue>> = {
  okta: (idp, group) => ({ okta: { identity_provider_id: idp, name: group } }),
  'azure-ad': (idp, group) => ({ azure_ad: { identity_provider_id: idp, id: group } }),
  'google-workspace': (idp, group) => ({ gsuite: { identity_provider_id: idp, email: group } }),
  github: (idp, group, team) => ({ github_organization: { identity_provider_id: idp, name: group, ...(team !== undefined ? { team } : {}) } }),
};

/** A rule set (include/require/exclude) as the provider's list of one-key objects. */
export function accessRules(rules: AccessRules): Record<string, TfValue>[] {
  return [
    ...(rules.emails ?? []).map((email) => ({ email: { email } })),
    ...(rules.emailDomains ?? []).map((domain) => ({ email_domain: { domain } })),
    ...(rules.accessGroups ?? []).map((id) => ({ group: { id } })),
    ...(rules.identityProviderGroups ?? []).map((g) => IDP_GROUP[g.provider](g.identityProviderId, g.group, g.team)),
    ...(rules.serviceTokens ?? []).map((token) => ({ service_token: { token_id: Expression.ref(RESOURCE.serviceToken, token, 'id') } })),
    ...(rules.anyValidServiceToken ? [{ any_valid_service_token: {} }] : []),
  ];
}

function policyResource(fleet: FleetSettings, policy: AccessPolicy): Record<string, TfValue | undefined> {
  return {
    account_id: ACCOUNT_ID,
    name: `${fleet.name} ${policy.name}`,
    decision: policy.decision,
    include: accessRules(policy.include),
    require: policy.require ? accessRules(policy.require) : undefined,
    exclude: policy.exclude ? accessRules(policy.exclude) : undefined,
    session_duration: policy.sessionDuration,
  };
}

export function hasSharedModule(fleet: FleetSettings): boolean {
  return fleet.access.policies.length > 0 || fleet.access.serviceTokens.length > 0;
}

export function sharedAccessFile(fleet: FleetSettings): Record<string, TfValue> {
  const resource: Record<string, Record<string, TfValue>> = {};
  if (fleet.access.policies.length > 0) {
    resource[RESOURCE.accessPolicy] = Object.fromEntries(fleet.access.policies.map((p) => [p.name, policyResource(fleet, p)]));
  }
  if (fleet.access.serviceTokens.length > 0) {
    resource[RESOURCE.serviceToken] = Object.fromEntries(
      fleet.access.serviceTokens.map((t) => [t.name, { account_id: ACCOUNT_ID, name: `${fleet.name} ${t.name}`, duration: t.duration }]),
    );
  }
  return { '//': GENERATED_COMMENT, resource };
}

export function sharedOutputsFile(fleet: FleetSettings): Record<string, TfValue> {
  return {
    '//': GENERATED_COMMENT,
    output: {
      [POLICY_IDS_OUTPUT]: {
        description: 'ID of each Access policy by its name in fleet.yaml; the host modules read it to attach policies to applications.',
        value: Object.fromEntries(fleet.access.policies.map((p) => [p.name, Expression.ref(RESOURCE.accessPolicy, p.name, 'id')])),
      },
      [SERVICE_TOKENS_OUTPUT]: {
        description: 'Client ID and secret of each service token by its name in fleet.yaml, for automation (TUNNEL_SERVICE_TOKEN_ID / TUNNEL_SERVICE_TOKEN_SECRET).',
        sensitive: true,
        value: Object.fromEntries(
          fleet.access.serviceTokens.map((t) => [
            t.name,
            { client_id: Expression.ref(RESOURCE.serviceToken, t.name, 'client_id'), client_secret: Expression.ref(RESOURCE.serviceToken, t.name, 'client_secret') },
          ]),
        ),
      },
    },
  };
}
