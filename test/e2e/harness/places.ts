/**
 * Where the end-to-end harness keeps things on the machine, and the constants the guests and the test fleet
 * share. Nothing here is fleetgen: it is the test bench.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../..', import.meta.url));
export const E2E_DIR = join(REPO, 'test', 'e2e');
export const FLEETGEN_BIN = join(REPO, 'dist', 'src', 'cli', 'main.js');

/**
 * The cache survives between runs on the same machine (the Debian base root, about 400 MB). Override with
 * FLEETGEN_E2E_CACHE (e.g. a CI cache folder).
 */
export const CACHE_DIR = process.env.FLEETGEN_E2E_CACHE ?? '/var/cache/fleetgen-e2e';
/** One folder per run (hosts' overlays, the artifact mirror, logs); a run removes its own at the end, and the next
 * run removes what a crashed one left. */
export const RUNS_DIR = join(CACHE_DIR, 'runs');

/** cgroup folders of the hosts, in both hierarchies of the machine's hybrid cgroup layout (SANDBOX.md). */
export const CGROUP_ROOTS = ['/sys/fs/cgroup/systemd', '/sys/fs/cgroup/unified'];
export const CGROUP_PARENT = 'fleetgen-e2e';

/** The artifact mirror as the guests see it: the run's mirror folder, bind-mounted read-only, served over HTTP on
 * loopback by a unit of the base image. The test manifest's `cloudflared.mirror` points here. */
export const GUEST_MIRROR_DIR = '/srv/fleetgen-e2e-mirror';
export const GUEST_MIRROR_PORT = 8088;
/** What the test manifest writes as `cloudflared.mirror`: `<this>/deb` is the apt repository,
 * `<this>/<version>/cloudflared-linux-<arch>` the release binaries. */
export const GUEST_MIRROR_URL = `http://127.0.0.1:${GUEST_MIRROR_PORT}/cloudflared`;

/** The sudo user Ansible and ssh log in as (the test manifest's client.sshUser). */
export const GUEST_ADMIN_USER = 'ops';
