/**
 * cloud-init target: `<host>.yaml` per host, the user-data that brings a fresh VM to the same end state as the
 * Chef and Ansible targets on first boot. Each file holds that host's secrets in clear text (0600, never committed:
 * it goes to the VM launch only).
 */
import { FileSet } from '../fileset.js';
import { wholeTarget, type HostTarget, type TargetWarning } from '../target.js';
import { gzipUserData, renderUserData } from './user-data.js';

export { gzipUserData };

/** FACTS.md: AWS EC2 takes at most 16 KB of user-data (raw, before base64); other clouds take more. */
export const EC2_USER_DATA_LIMIT = 16 * 1024;

export const cloudInitParts: HostTarget<null> = {
  host: (_fleet, host, options) => {
    const files = new FileSet();
    const warnings: TargetWarning[] = [];
    // A fresh instance set up only to be torn down serves nobody, and its user-data would hold live secrets.
    if (host.state === 'decommissioned') return { files, warnings, summary: null };
    const userData = renderUserData(host);
    warnings.push(...userData.warnings);
    files.add(`${host.name}.yaml`, userData.text, { isKeptOutOfGit: true });

    const size = Buffer.byteLength(userData.text);
    const gzipped = options.gzip ? gzipUserData(userData.text) : undefined;
    if (gzipped) files.add(`${host.name}.yaml.gz`, gzipped, { isKeptOutOfGit: true });
    if (size > EC2_USER_DATA_LIMIT) {
      const advice = !gzipped
        ? 'build with --gzip for a compressed copy (cloud-init accepts gzip user-data)'
        : gzipped.length > EC2_USER_DATA_LIMIT
          ? `${host.name}.yaml.gz is ${gzipped.length} bytes, still over it`
          : `use ${host.name}.yaml.gz (${gzipped.length} bytes) there`;
      warnings.push({
        target: 'cloud-init',
        host: host.name,
        message: `user-data is ${size} bytes, over the ${EC2_USER_DATA_LIMIT}-byte limit of AWS EC2; ${advice}`,
      });
    }
    return { files, warnings, summary: null };
  },
  fleet: (fleet) => {
    const warnings: TargetWarning[] = [];
    const decommissioned = fleet.hosts.filter((h) => h.state === 'decommissioned').map((h) => h.name);
    if (decommissioned.length > 0) {
      warnings.push({
        target: 'cloud-init',
        message: `no user-data for ${decommissioned.join(', ')} (state: decommissioned): cloud-init only sets up fresh instances. Terminate such an instance, or let Chef or Ansible remove cloudflared from it`,
      });
    }
    return { files: new FileSet(), warnings };
  },
};


export const cloudInit = wholeTarget(cloudInitParts);
