/**
 * The sample fleet with hostile text wherever the model allows free strings (ingress path, httpHostHeader, the CA
 * key's comment, a group description): template syntax of every target, shell substitutions, quotes, newlines.
 * A target must carry these as data; if anything evaluated them, the marker would vanish or the output would break.
 */
import type { Fleet } from '../../src/model/fleet.js';
import { sampleFleet, sampleFleetWithRemoteIngress } from './sample-fleet.js';

/** Every syntax a target's template language or a shell could evaluate, plus characters that break quoting. */
export const HOSTILE = `{{ lookup('pipe','id') }} {% raw %}x{% endraw %} #{\`id\`} $(id) \`id\` \${file("/etc/passwd")} %{ if true }x%{ endif } '"\\ <%= 1 %>\nnext: line`;
/** Regular expressions may carry anything that compiles; this one holds the same syntax. */
export const HOSTILE_PATH = `^/x/\\{\\{ lookup\\('pipe','id'\\) \\}\\}/\\$\\(id\\)/\`id\`/#\\{x\\}/\${var.x}/%{x}/["']$`;

export function hostileFleet(fleet: Fleet = sampleFleet()): Fleet {
  const store = fleet.hosts.find((h) => h.name === 'store-0001');
  const legacy = fleet.hosts.find((h) => h.name === 'pos-legacy');
  if (!store || !legacy) throw new Error('sample fleet changed: store-0001 and pos-legacy are needed');

  const web = store.ingress.find((r) => r.hostname === 'store-0001-web.example.com');
  if (!web) throw new Error('sample fleet changed: store-0001-web.example.com is needed');
  web.path = HOSTILE_PATH;
  web.originRequest = { ...web.originRequest, httpHostHeader: HOSTILE };
  if (store.ssh.shortLivedCerts) {
    store.ssh.shortLivedCerts.caPublicKey = (store.ssh.shortLivedCerts.caPublicKey ?? '').replace(/ \S+$/, ` ${HOSTILE.replace(/\n/g, ' ')}`);
  }
  legacy.originRequest = { ...legacy.originRequest, httpHostHeader: HOSTILE };
  for (const group of fleet.groups) group.description = HOSTILE;

  // What reaches Terraform as text: Access policy rules and the outputs folder (and remote ingress: see below).
  const ops = fleet.access.policies.find((p) => p.name === 'ops');
  if (!ops) throw new Error('sample fleet changed: policy ops is needed');
  ops.include = {
    ...ops.include,
    emails: [...(ops.include.emails ?? []), `${HOSTILE.replace(/\s/g, '')}@example.com`],
    identityProviderGroups: [{ provider: 'github', identityProviderId: '0d7f1c2e-3b4a-4c5d-8e6f-7a8b9c0d1e2f', group: HOSTILE, team: HOSTILE }],
  };
  fleet.cloudflare.outputsDir = `secrets/${HOSTILE.replace(/\n/g, ' ')}`;
  return fleet;
}

/** The hostile fleet with kiosk-18, whose ingress (hostile too) Terraform writes as a tunnel's remote configuration. */
export function hostileFleetWithRemoteIngress(): Fleet {
  const fleet = hostileFleet(sampleFleetWithRemoteIngress());
  const screen = fleet.hosts.find((h) => h.name === 'kiosk-18')?.ingress.find((r) => r.hostname === 'kiosk-18.example.com');
  if (!screen) throw new Error('sample fleet changed: kiosk-18 with kiosk-18.example.com is needed');
  screen.path = HOSTILE_PATH;
  screen.originRequest = { ...screen.originRequest, httpHostHeader: HOSTILE, originServerName: HOSTILE };
  return fleet;
}
