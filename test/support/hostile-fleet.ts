/**
 * The sample fleet with hostile text wherever the model allows free strings (ingress path, httpHostHeader, the CA
 * key's comment, a group description): template syntax of every target, shell substitutions, quotes, newlines.
 * A target must carry these as data; if anything evaluated them, the marker would vanish or the output would break.
 */
import type { Fleet } from '../../src/model/fleet.js';
import { sampleFleet } from './sample-fleet.js';

/** Every syntax a target's template language or a shell could evaluate, plus characters that break quoting. */
export const HOSTILE = `{{ lookup('pipe','id') }} {% raw %}x{% endraw %} #{\`id\`} $(id) \`id\` '"\\ <%= 1 %>\nnext: line`;
/** Regular expressions may carry anything that compiles; this one holds the same syntax. */
export const HOSTILE_PATH = `^/x/\\{\\{ lookup\\('pipe','id'\\) \\}\\}/\\$\\(id\\)/\`id\`/#\\{x\\}/["']$`;

export function hostileFleet(): Fleet {
  const fleet = sampleFleet();
  const store = fleet.hosts.find((h) => h.name === 'store-0001');
  const legacy = fleet.hosts.find((h) => h.name === 'pos-legacy');
  if (!store || !legacy) throw new Error('sample fleet changed: store-0001 and pos-legacy are needed');

  const web = store.ingress.find((r) => r.hostname === 'store-0001-web.example.com');
  if (!web) throw new Error('sample fleet changed: store-0001-web.example.com is needed');
  web.path = HOSTILE_PATH;
  web.originRequest = { ...web.originRequest, httpHostHeader: HOSTILE };
  if (store.ssh.shortLivedCerts) {
    store.ssh.shortLivedCerts.caPublicKey = store.ssh.shortLivedCerts.caPublicKey.replace(/ \S+$/, ` ${HOSTILE.replace(/\n/g, ' ')}`);
  }
  legacy.originRequest = { ...legacy.originRequest, httpHostHeader: HOSTILE };
  for (const group of fleet.groups) group.description = HOSTILE;
  return fleet;
}
