/**
 * What fleetgen needs to know about each operating system it supports, in one place: the targets ask here instead
 * of comparing OS names. Each fact is checked against the release itself (see the comments); adding an OS to the
 * schema's list does not compile until it has an entry.
 */
import type { OsFamily, OsId } from './fleet.js';

/**
 * The apt source file fleetgen writes. `one-line`: `/etc/apt/sources.list.d/cloudflared.list`, readable by every
 * apt. `deb822`: `/etc/apt/sources.list.d/cloudflared.sources`, for apt 3.0 and later, whose sources.list(5)
 * deprecates the one-line format ("may eventually be removed, but not before 2029").
 */
export type AptSourceFormat = 'one-line' | 'deb822';

export interface OsFacts {
  family: OsFamily;
  /** apt hosts only. */
  aptSourceFormat?: AptSourceFormat;
  /** The stock sshd_config reads /etc/ssh/sshd_config.d/*.conf (an `Include` at its top). */
  sshdReadsDropIns: boolean;
}

/*
 * Checked against the releases: a Debian 13 root from Debian's mirror has apt 3.0.4 (sqv verifies signatures, no
 * apt-key) and an sshd_config that includes sshd_config.d, as Debian 11 and 12 do; RHEL 9 and 10 include it too
 * (50-redhat.conf lives there), RHEL 8 does not. RHEL 10 keeps DNF 4 (dnf5.spec obsoletes dnf only after RHEL 10),
 * so the rpm side is the same from RHEL 8 to 10.
 */
export const OS_FACTS: Record<OsId, OsFacts> = {
  'debian-11': { family: 'debian', aptSourceFormat: 'one-line', sshdReadsDropIns: true },
  'debian-12': { family: 'debian', aptSourceFormat: 'one-line', sshdReadsDropIns: true },
  'debian-13': { family: 'debian', aptSourceFormat: 'deb822', sshdReadsDropIns: true },
  'ubuntu-20.04': { family: 'debian', aptSourceFormat: 'one-line', sshdReadsDropIns: true },
  'ubuntu-22.04': { family: 'debian', aptSourceFormat: 'one-line', sshdReadsDropIns: true },
  // noble's own sources are deb822 (ubuntu.sources), but its apt 2.7 does not deprecate the one-line format: hosts
  // that fleetgen set up before keep their file.
  'ubuntu-24.04': { family: 'debian', aptSourceFormat: 'one-line', sshdReadsDropIns: true },
  'rhel-8': { family: 'rhel', sshdReadsDropIns: false },
  'rhel-9': { family: 'rhel', sshdReadsDropIns: true },
  'rhel-10': { family: 'rhel', sshdReadsDropIns: true },
};

export function osFacts(os: OsId): OsFacts {
  return OS_FACTS[os];
}
