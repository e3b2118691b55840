/**
 * A secret pasted where its reference belongs is never repeated, in any part: not by `validate` (text or JSON),
 * not by `build`. The values are real-looking (random bytes in cloudflared's formats), so a message that quoted
 * even a few characters of one would be caught.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../../src/cli/run.js';
import { fleetgen, tempDir } from './fleetgen.js';

const TUNNEL_ID = '84c7a8c5-e667-40fb-b6dc-4accc418da04';
const TUNNEL_SECRET = 'XbaX0aHd+lBkSYblZ1JMbbGqxCOIZH8GUAmMfTWnC9A=';
const ACCOUNT = '33dc44f992bbd0b3a7c4b30945003832';
const CREDENTIALS = JSON.stringify({ AccountTag: ACCOUNT, TunnelSecret: TUNNEL_SECRET, TunnelID: TUNNEL_ID });
const TOKEN =
  'eyJhIjoiMzNkYzQ0Zjk5MmJiZDBiM2E3YzRiMzA5NDUwMDM4MzIiLCJ0IjoiODRjN2E4YzUtZTY2Ny00MGZiLWI2ZGMtNGFjY2M0MThkYTA0IiwicyI6IjBDcHlFeHdJWjVKM1krcndhSmEyRnBoLzZHdytzcmtMZCtZYkorY0toQ2s9In0=';
/** A token without padding: a valid environment variable name, so it passes the schema and reaches the reader. */
const TOKEN_UNPADDED = TOKEN.replace(/=+$/, '');
const CLIENT_SECRET = 'f3Kq9ZtW2mXv8LpR4nYb7Hc1Jd6Gs0Ae';

function manifest(host: string, client = ''): string {
  return ['version: 1', 'fleet: acme-pos', 'zone: example.com', 'defaults: { cloudflared: { version: "2025.8.1" } }', 'hosts:', host, client].join('\n') + '\n';
}

const named = (credentials: string): string => `  - name: store-0001\n    tunnel:\n      id: ${TUNNEL_ID}\n      credentials: ${credentials}\n    ingress: [ { service: "ssh://localhost:22" } ]`;
const token = (reference: string): string => `  - name: kiosk-17\n    tunnel:\n      mode: token\n      token: ${reference}`;

const CASES: { name: string; text: string; secrets: string[] }[] = [
  { name: 'the TunnelSecret in place of credentials', text: manifest(named(TUNNEL_SECRET)), secrets: [TUNNEL_SECRET] },
  { name: 'the credentials JSON in place of credentials', text: manifest(named(CREDENTIALS)), secrets: [TUNNEL_SECRET] },
  { name: 'the credentials JSON as a quoted string', text: manifest(named(`'${CREDENTIALS}'`)), secrets: [TUNNEL_SECRET] },
  { name: 'the credentials as a YAML mapping', text: manifest(named(`\n        AccountTag: ${ACCOUNT}\n        TunnelSecret: ${TUNNEL_SECRET}\n        TunnelID: ${TUNNEL_ID}`)), secrets: [TUNNEL_SECRET] },
  { name: 'the TunnelSecret as the file of credentials', text: manifest(named(`{ file: ${TUNNEL_SECRET} }`)), secrets: [TUNNEL_SECRET] },
  { name: 'the TunnelSecret beside a file', text: manifest(named(`{ file: secrets/${TUNNEL_ID}.json, env: ${TUNNEL_SECRET} }`)), secrets: [TUNNEL_SECRET] },
  { name: 'the token in place of token', text: manifest(token(TOKEN)), secrets: [TOKEN] },
  { name: 'the token as env', text: manifest(token(`{ env: ${TOKEN} }`)), secrets: [TOKEN] },
  { name: 'the unpadded token as env', text: manifest(token(`{ env: ${TOKEN_UNPADDED} }`)), secrets: [TOKEN_UNPADDED] },
  { name: 'the token as file', text: manifest(token(`{ file: ${TOKEN} }`)), secrets: [TOKEN] },
  {
    name: "the service token's secret in place of its variable",
    text: manifest(token('{ env: KIOSK17_TOKEN }'), `client:\n  serviceToken: { id: { env: CF_ACCESS_CLIENT_ID }, secret: ${CLIENT_SECRET} }`),
    secrets: [CLIENT_SECRET],
  },
];

/** Every piece of four characters or more of `secret` that appears in `output`. */
function leakedPieces(output: string, secret: string): string[] {
  const found: string[] = [];
  for (let i = 0; i + 4 <= secret.length; i++) if (output.includes(secret.slice(i, i + 4))) found.push(secret.slice(i, i + 4));
  return found;
}

/** fleetgen in this process (the same run() the bin calls), with the temp folder's name taken out of its output. */
async function fleetgenHere(args: string[], dir: string): Promise<{ status: number; output: string }> {
  let output = '';
  const io = { stdout: (text: string) => void (output += text), stderr: (text: string) => void (output += text), env: { KIOSK17_TOKEN: TOKEN } };
  const status = await run(['node', 'fleetgen', ...args], io);
  return { status, output: output.replaceAll(dir, '<dir>') };
}

describe('a secret written where its reference belongs', () => {
  it.each(CASES)('$name: is reported, with no part of it repeated', async ({ text, secrets }) => {
    const dir = tempDir();
    const manifestPath = join(dir, 'fleet.yaml');
    writeFileSync(manifestPath, text);
    for (const args of [['validate', manifestPath], ['validate', manifestPath, '--format', 'json'], ['build', manifestPath, '--out', join(dir, 'out')]]) {
      const { status, output } = await fleetgenHere(args, dir);
      expect(status, output).toBe(2);
      expect(output).toMatch(/fleet\.yaml:\d+:\d+: error: |"line": \d+/);
      for (const secret of secrets) expect(leakedPieces(output, secret), output).toEqual([]);
    }
  });

  it('gets one error that says where the credentials JSON goes, from the bin as from run()', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'fleet.yaml'), manifest(named(CREDENTIALS)));
    const result = await fleetgen(['validate', 'fleet.yaml'], { cwd: dir });
    expect(result.stderr).toBe(
      [
        `fleet.yaml:9:20: error: hosts[0].tunnel.credentials: the tunnel credentials JSON is written into the manifest; the manifest holds only a reference to it (the value is not repeated here) — put it in secrets/${TUNNEL_ID}.json and write credentials: { file: secrets/${TUNNEL_ID}.json }`,
        'fleet.yaml: not valid (1 error)',
        '',
      ].join('\n'),
    );
  });
});
