/**
 * The fleet rules and the merged settings are written for 10,000 hosts (a pass that first finds the few contested
 * values, settings merged once per group): they must find exactly what the plain way of writing them finds. The
 * plain way is here, as the statement of what each must do, and both run over many random small fleets full of
 * collisions: hostnames and tunnel ids shared within a host, across hosts, inherited from defaults and groups, and
 * token-mode hosts whose inherited ingress does not count.
 */
import { describe, expect, it } from 'vitest';
import { quote, type Diagnostic } from '../../src/diagnostics/diagnostic.js';
import { parseManifest } from '../../src/load/manifest.js';
import { SecretReader } from '../../src/load/secrets.js';
import type { ManifestPath } from '../../src/load/source-map.js';
import type { Host, Settings } from '../../src/manifest/types.generated.js';
import { effectiveHosts, mergeObjects, SETTING_KEYS, type EffectiveSettings } from '../../src/model/merge.js';
import { CATCH_ALL_HOSTNAME } from '../../src/validate/hostname.js';
import { addClaim, findConflicts, type Claim } from '../../src/validate/rules/conflicts.js';
import { describeHosts, effectiveIngress, lineOf, tunnelMode, type FleetContext, type FleetRule } from '../../src/validate/rules/context.js';
import { checkHostnamesClaimedOnce } from '../../src/validate/rules/hostname-claims.js';
import { HostsByPlace } from '../../src/validate/rules/hosts-by-place.js';
import { warnHostsWithoutSsh } from '../../src/validate/rules/ssh.js';
import { checkTunnelIdsUnique } from '../../src/validate/rules/tunnel-identity.js';
import { parseService } from '../../src/validate/service.js';
import { validateSchema, type Manifest } from '../../src/validate/schema.js';

/** A small deterministic generator (mulberry32), so a failure names a seed that reproduces it. */
function random(seed: number): { pick<T>(items: readonly T[]): T; chance(p: number): boolean; int(n: number): number } {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { pick: (items) => items[Math.floor(next() * items.length)] as (typeof items)[number], chance: (p) => next() < p, int: (n) => Math.floor(next() * n) };
}

const IDS = ['11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222', '33333333-3333-4333-8333-333333333333'];
const HOSTNAMES = ['a.example.com', 'b.example.com', 'c.example.com', CATCH_ALL_HOSTNAME];
const SERVICES = ['ssh://localhost:22', 'http://localhost:8080', 'ssh://10.0.0.1:2222', 'http_status:404'];

function randomFleet(seed: number): string {
  const r = random(seed);
  const ingress = (): unknown[] =>
    Array.from({ length: 1 + r.int(3) }, () => ({ ...(r.chance(0.7) ? { hostname: r.pick(HOSTNAMES) } : {}), service: r.pick(SERVICES) }));
  const tunnel = (): Record<string, unknown> => ({
    ...(r.chance(0.3) ? { mode: r.pick(['named', 'token', 'self-register']) } : {}),
    ...(r.chance(0.5) ? { id: r.pick(IDS) } : {}),
  });
  const settings = (): Record<string, unknown> => ({
    ...(r.chance(0.5) ? { ingress: ingress() } : {}),
    ...(r.chance(0.5) ? { tunnel: tunnel() } : {}),
    ...(r.chance(0.3) ? { ssh: { port: r.pick([22, 2222]) } } : {}),
  });
  const manifest = {
    version: 1,
    fleet: 'acme',
    zone: 'example.com',
    ...(r.chance(0.7) ? { defaults: { cloudflared: { version: '2025.8.1' }, ...settings() } } : {}),
    groups: { g1: settings(), g2: settings() },
    hosts: Array.from({ length: 1 + r.int(7) }, (_, i) => ({
      name: `h-${i}`,
      ...(r.chance(0.6) ? { group: r.pick(['g1', 'g2']) } : {}),
      ...settings(),
    })),
  };
  // JSON is YAML: the manifest as text, so that every finding has a position.
  return JSON.stringify(manifest, null, 1);
}

function fleetOf(text: string): FleetContext | undefined {
  const parsed = parseManifest(text, 'fleet.yaml');
  if (!parsed.ok) return undefined;
  const schema = validateSchema(parsed.manifest.value, parsed.manifest.source);
  if (!schema.ok) return undefined;
  const { manifest } = schema;
  return { manifest, source: parsed.manifest.source, secrets: new SecretReader('/nonexistent', {}), hosts: effectiveHosts(manifest), zone: 'example.com', fleetName: 'acme' };
}

// The plain way: a claim for every value of every host, then the conflicts among them.

const plainHostnamesClaimedOnce: FleetRule = (fleet) => {
  const claims = new Map<string, Claim[]>();
  for (const host of fleet.hosts) {
    const ingress = effectiveIngress(host);
    if (!ingress) continue;
    const mine = new Set<string>();
    ingress.rules.forEach((rule, j) => {
      if (rule.hostname === undefined || rule.hostname === CATCH_ALL_HOSTNAME || mine.has(rule.hostname)) return;
      mine.add(rule.hostname);
      addClaim(claims, { value: rule.hostname, owner: host.host.name, path: [...ingress.path, j, 'hostname'] });
    });
  }
  const hint = 'a public hostname routes to one tunnel: give each host its own hostname, or leave hostname out to get a generated one';
  return findConflicts(claims).map((conflict) =>
    conflict.kind === 'shared'
      ? fleet.source.error('ingress.hostname-taken', conflict.claim.path, `hostname ${quote(conflict.claim.value)} is inherited by ${describeHosts(conflict.owners)}; only one host can serve it`, hint)
      : fleet.source.error(
          'ingress.hostname-taken',
          conflict.claim.path,
          `hostname ${quote(conflict.claim.value)} is already used by host ${quote(conflict.first.owner)} (line ${lineOf(fleet.source, conflict.first.path)})`,
          hint,
        ),
  );
};

const plainTunnelIdsUnique: FleetRule = (fleet) => {
  const claims = new Map<string, Claim[]>();
  for (const host of fleet.hosts) {
    const id = host.settings.tunnel?.id;
    if (tunnelMode(host) !== 'named' || id === undefined) continue;
    addClaim(claims, { value: id, owner: host.host.name, path: host.originOf(['tunnel', 'id']) });
  }
  const hint = 'each host runs its own tunnel: create one per host with `cloudflared tunnel create` and set tunnel.id on the host';
  return findConflicts(claims).map((conflict) =>
    conflict.kind === 'shared'
      ? fleet.source.error('tunnel.duplicate-id', conflict.claim.path, `tunnel.id ${conflict.claim.value} is inherited by ${describeHosts(conflict.owners)}`, hint)
      : fleet.source.error(
          'tunnel.duplicate-id',
          conflict.claim.path,
          `tunnel ${conflict.claim.value} is already used by host ${quote(conflict.first.owner)} (line ${lineOf(fleet.source, conflict.first.path)})`,
          hint,
        ),
  );
};

const plainHostsWithoutSsh: FleetRule = (fleet) => {
  const unreachable = new HostsByPlace();
  for (const host of fleet.hosts) {
    const ingress = effectiveIngress(host);
    if (tunnelMode(host) === 'token' && !ingress) continue;
    const isSsh = (rule: { service: string }): boolean => {
      const service = parseService(rule.service);
      return service.ok && service.kind === 'ssh';
    };
    if (!ingress?.rules.some(isSsh)) unreachable.add(ingress?.path ?? host.hostPath, '', host.host.name);
  }
  return unreachable.entries().map(({ path, hosts: names }) =>
    fleet.source.warning(
      'ssh.no-ingress-rule',
      path,
      `no ssh:// ingress rule: ${describeHosts(names)} ${names.length === 1 ? 'is' : 'are'} not reachable over SSH through the tunnel`,
      'add a rule such as { service: "ssh://localhost:22" } (a hostname is generated when none is given)',
      path.at(-1) === 'ingress' ? 'key' : 'value',
    ),
  );
};

/** A finding as compared: everything about it. */
const shown = (d: Diagnostic): string => JSON.stringify(d);

/** The plain merge: each host's layers merged one by one, and originOf searching them innermost first. */
function plainEffective(manifest: Manifest, hostIndex: number): { settings: unknown; originOf: (subpath: readonly string[]) => ManifestPath } {
  const host = manifest.hosts[hostIndex] as Host;
  const pick = (source: Settings): Record<string, unknown> => Object.fromEntries(SETTING_KEYS.flatMap((k) => (source[k] !== undefined ? [[k, source[k]]] : [])));
  const layers: { path: ManifestPath; settings: Settings }[] = [];
  if (manifest.defaults) layers.push({ path: ['defaults'], settings: manifest.defaults });
  const group = host.group !== undefined ? manifest.groups?.[host.group] : undefined;
  if (group && host.group !== undefined) layers.push({ path: ['groups', host.group], settings: group });
  layers.push({ path: ['hosts', hostIndex], settings: pick(host) });
  let settings: Record<string, unknown> = {};
  for (const layer of layers) settings = mergeObjects(settings, pick(layer.settings));
  const has = (root: unknown, path: readonly string[]): boolean => {
    let node = root;
    for (const part of path) {
      if (typeof node !== 'object' || node === null) return false;
      node = (node as Record<string, unknown>)[part];
      if (node === undefined) return false;
    }
    return true;
  };
  const innermostFirst = [...layers].reverse();
  return {
    settings,
    originOf: (subpath) => {
      for (let depth = subpath.length; depth > 0; depth--) {
        const prefix = subpath.slice(0, depth);
        const layer = innermostFirst.find((l) => has(l.settings, prefix));
        if (layer) return [...layer.path, ...prefix];
      }
      return ['hosts', hostIndex];
    },
  };
}

const SEEDS = Array.from({ length: 600 }, (_, i) => i + 1);

describe('the fleet rules over many hosts', () => {
  it('find exactly what a claim for every host finds: hostnames, tunnel ids, hosts without ssh', () => {
    let fleets = 0;
    let findings = 0;
    for (const seed of SEEDS) {
      const fleet = fleetOf(randomFleet(seed));
      if (fleet === undefined) continue;
      fleets++;
      const pairs: [FleetRule, FleetRule][] = [
        [checkHostnamesClaimedOnce, plainHostnamesClaimedOnce],
        [checkTunnelIdsUnique, plainTunnelIdsUnique],
        [warnHostsWithoutSsh, plainHostsWithoutSsh],
      ];
      for (const [rule, plain] of pairs) {
        const expected = plain(fleet).map(shown);
        expect(rule(fleet).map(shown), `seed ${seed}`).toEqual(expected);
        findings += expected.length;
      }
    }
    // Not vacuous: most random fleets pass the schema, and many collide.
    expect(fleets).toBeGreaterThan(300);
    expect(findings).toBeGreaterThan(300);
  });

  it('merge each host as layering defaults, group and host one by one does, and place each setting where it is written', () => {
    let hosts = 0;
    for (const seed of SEEDS) {
      const fleet = fleetOf(randomFleet(seed));
      if (fleet === undefined) continue;
      fleet.hosts.forEach((host: EffectiveSettings, index) => {
        const plain = plainEffective(fleet.manifest, index);
        expect(host.settings, `seed ${seed}, host ${index}`).toEqual(plain.settings);
        expect(JSON.stringify(host.settings), `seed ${seed}, host ${index}: key order`).toBe(JSON.stringify(plain.settings));
        for (const subpath of [['ingress'], ['tunnel', 'id'], ['tunnel', 'mode'], ['ssh', 'port'], ['cloudflared', 'version'], ['tunnel', 'token', 'file'], ['state']]) {
          expect(host.originOf(subpath), `seed ${seed}, host ${index}, ${subpath.join('.')}`).toEqual(plain.originOf(subpath));
        }
        hosts++;
      });
    }
    expect(hosts).toBeGreaterThan(1000);
  });
});
