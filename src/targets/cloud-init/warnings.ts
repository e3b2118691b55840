/** The cloud-init target's warnings per host: each kind says the same for one host or, grouped, for many. */
import type { HostWarningKind } from '../target.js';

/** FACTS.md: AWS EC2 takes at most 16 KB of user-data (raw, before base64); other clouds take more. */
export const EC2_USER_DATA_LIMIT = 16 * 1024;

const OVER_EC2_LIMIT = `over the ${EC2_USER_DATA_LIMIT}-byte limit of AWS EC2`;
const ONLY_FRESH_INSTANCES = 'cloud-init only sets up fresh instances';
const ARMOR_ADVICE = 'rpm imports ASCII-armored keys only — give the key armored (gpg --armor --export)';

export const BINARY_REPOSITORY_KEY: HostWarningKind<undefined> = {
  target: 'cloud-init',
  code: 'cloud-init.binary-repository-key',
  one: () => `the repository key is binary; ${ARMOR_ADVICE}`,
  many: (hosts) => `the repository key of ${hosts} is binary; ${ARMOR_ADVICE}`,
};

/** Built without --gzip: there is no compressed copy to offer yet. */
export const USER_DATA_OVER_EC2_LIMIT: HostWarningKind<{ bytes: number }> = {
  target: 'cloud-init',
  code: 'cloud-init.user-data-over-ec2-limit',
  one: (_host, { bytes }) => `user-data is ${bytes} bytes, ${OVER_EC2_LIMIT}; build with --gzip for a compressed copy (cloud-init accepts gzip user-data)`,
  many: (hosts) => `the user-data of ${hosts} is ${OVER_EC2_LIMIT}; build with --gzip for compressed copies (cloud-init accepts gzip user-data)`,
};

/** Built with --gzip, and the compressed copy fits. */
export const USE_GZIPPED_USER_DATA: HostWarningKind<{ bytes: number; gzippedBytes: number }> = {
  target: 'cloud-init',
  code: 'cloud-init.user-data-over-ec2-limit-gzip-fits',
  one: (host, { bytes, gzippedBytes }) => `user-data is ${bytes} bytes, ${OVER_EC2_LIMIT}; use ${host}.yaml.gz (${gzippedBytes} bytes) there`,
  many: (hosts) => `the user-data of ${hosts} is ${OVER_EC2_LIMIT}; use each one's <host>.yaml.gz there, which is within it`,
};

/** Built with --gzip, and even the compressed copy is too big. */
export const GZIPPED_USER_DATA_OVER_EC2_LIMIT: HostWarningKind<{ bytes: number; gzippedBytes: number }> = {
  target: 'cloud-init',
  code: 'cloud-init.gzipped-user-data-over-ec2-limit',
  one: (host, { bytes, gzippedBytes }) => `user-data is ${bytes} bytes, ${OVER_EC2_LIMIT}; ${host}.yaml.gz is ${gzippedBytes} bytes, still over it`,
  many: (hosts) => `the user-data of ${hosts} is ${OVER_EC2_LIMIT}, and so is each one's <host>.yaml.gz`,
};

/** A decommissioned host gets no user-data. */
export const DECOMMISSIONED_NO_USER_DATA: HostWarningKind<undefined> = {
  target: 'cloud-init',
  code: 'cloud-init.decommissioned-no-user-data',
  one: () => `no user-data (state: decommissioned): ${ONLY_FRESH_INSTANCES}; terminate its instance, or let Chef or Ansible remove cloudflared from it`,
  many: (hosts) => `no user-data for ${hosts} (state: decommissioned): ${ONLY_FRESH_INSTANCES}; terminate their instances, or let Chef or Ansible remove cloudflared from them`,
};

export const CLOUD_INIT_HOST_WARNINGS: readonly HostWarningKind[] = [DECOMMISSIONED_NO_USER_DATA, BINARY_REPOSITORY_KEY, USER_DATA_OVER_EC2_LIMIT, USE_GZIPPED_USER_DATA, GZIPPED_USER_DATA_OVER_EC2_LIMIT];
