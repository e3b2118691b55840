/**
 * cloud-init target: `<host>.yaml` per host, the user-data that brings a fresh VM to the same end state as the
 * Chef and Ansible targets on first boot. Each file holds that host's secrets in clear text (0600, never committed:
 * it goes to the VM launch only).
 */
import { FileSet } from '../fileset.js';
import { hostWarning, wholeTarget, type HostTarget, type TargetWarning } from '../target.js';
import { gzipUserData, renderUserData } from './user-data.js';
import { CLOUD_INIT_HOST_WARNINGS, DECOMMISSIONED_NO_USER_DATA, EC2_USER_DATA_LIMIT, GZIPPED_USER_DATA_OVER_EC2_LIMIT, USE_GZIPPED_USER_DATA, USER_DATA_OVER_EC2_LIMIT } from './warnings.js';

export { EC2_USER_DATA_LIMIT, gzipUserData };

export const cloudInitParts: HostTarget<null> = {
  host: (_fleet, host, options) => {
    const files = new FileSet();
    const warnings: TargetWarning[] = [];
    // A fresh instance set up only to be torn down serves nobody, and its user-data would hold live secrets.
    // Said host by host, so that many such hosts make one line (cli/target-warnings.ts), as every host warning does.
    if (host.state === 'decommissioned') return { files, warnings: [hostWarning(DECOMMISSIONED_NO_USER_DATA, host.name, undefined)], summary: null };
    const userData = renderUserData(host);
    warnings.push(...userData.warnings);
    files.add(`${host.name}.yaml`, userData.text, { isKeptOutOfGit: true });

    const size = Buffer.byteLength(userData.text);
    const gzipped = options.gzip ? gzipUserData(userData.text) : undefined;
    if (gzipped) files.add(`${host.name}.yaml.gz`, gzipped, { isKeptOutOfGit: true });
    if (size > EC2_USER_DATA_LIMIT) {
      if (!gzipped) warnings.push(hostWarning(USER_DATA_OVER_EC2_LIMIT, host.name, { bytes: size }));
      else {
        const kind = gzipped.length > EC2_USER_DATA_LIMIT ? GZIPPED_USER_DATA_OVER_EC2_LIMIT : USE_GZIPPED_USER_DATA;
        warnings.push(hostWarning(kind, host.name, { bytes: size, gzippedBytes: gzipped.length }));
      }
    }
    return { files, warnings, summary: null };
  },
  view: () => null,
  // Every file here is a host's user-data (gzipped too, with --gzip), which holds its secrets.
  fleet: () => ({ files: new FileSet(), warnings: [], keptOutOfGitPatterns: ['/*.yaml', '/*.yaml.gz'] }),
  hostWarningKinds: CLOUD_INIT_HOST_WARNINGS,
};

export const cloudInit = wholeTarget(cloudInitParts);
