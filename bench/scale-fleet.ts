/**
 * A synthetic fleet of any size, for the scale bench and the tests that need many hosts: `n` named hosts in 10
 * groups, each with its own tunnel credentials file, a generated SSH hostname and one HTTP rule.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function scaleFleetTunnelId(i: number): string {
  return `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
}

export interface ScaleFleetOptions {
  /** The host whose HTTP rule points at port 8081 instead of 8080 (a one-host change). */
  changedHost?: number;
  /** Every host's HTTP port (default 8080): a change of every host. */
  port?: number;
  /** Write the credentials files too (the first time); a change of the manifest alone does not need them. */
  withSecrets?: boolean;
}

/** Writes dir/fleet.yaml (and dir/secrets/*.json) and returns the manifest's path. */
export function writeScaleFleet(dir: string, n: number, options: ScaleFleetOptions = {}): string {
  const secrets = join(dir, 'secrets');
  mkdirSync(secrets, { recursive: true });
  const hosts: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = scaleFleetTunnelId(i);
    if (options.withSecrets ?? true) {
      const credentials = { AccountTag: '0123456789abcdef0123456789abcdef', TunnelSecret: Buffer.alloc(32, i % 251).toString('base64'), TunnelID: id };
      writeFileSync(join(secrets, `${id}.json`), JSON.stringify(credentials));
    }
    const port = i === options.changedHost ? 8081 : (options.port ?? 8080);
    hosts.push(
      [
        `  - name: host-${i}`,
        `    group: g${i % 10}`,
        `    tunnel: { id: ${id}, credentials: { file: secrets/${id}.json } }`,
        `    ingress:`,
        `      - service: ssh://localhost:22`,
        `      - { hostname: web-${i}.example.com, service: "http://localhost:${port}" }`,
      ].join('\n'),
    );
  }
  const groups = Array.from({ length: 10 }, (_, g) => `  g${g}: { description: group ${g} }`).join('\n');
  const path = join(dir, 'fleet.yaml');
  writeFileSync(
    path,
    `version: 1\nfleet: bench\nzone: example.com\ndefaults:\n  cloudflared: { version: "2025.8.1", install: package }\n  ssh: { shortLivedCerts: { caPublicKey: "ecdsa-sha2-nistp256 AAAAE2VjZHNh open-ssh-ca@cloudflareaccess.org" } }\ngroups:\n${groups}\nhosts:\n${hosts.join('\n')}\n`,
  );
  return path;
}
