/**
 * The fleet with each host's model made when first asked for (issue 10: a rebuild that changed one host of 10,000
 * normalized all 10,000, and stringified each model to see whether it changed).
 *
 * normalize.ts decides everything that takes the whole fleet (the hosts' names and order, each group's host names, the
 * generated hostnames) at once; what is left is one function per host, and LazyHosts runs it for the hosts a build
 * needs: those it regenerates, or whose model it cannot tell unchanged from its inputs (`inputKey`; see
 * StreamedBuild.modelDigestOf in write/incremental.ts).
 * A host's model, once made, is kept: every caller gets the same object.
 */
import { InternalError } from '../diagnostics/diagnostic.js';
import type { SecretSource } from '../load/secrets.js';
import { answersOf, NotingReader, type CheckedHost } from '../validate/host-checks.js';
import type { Fleet, Host } from './fleet.js';

/** The fleet without its hosts, as a target's fleet-wide files see it (targets/target.ts, FleetSettings). */
export type FleetWithoutHosts = Omit<Fleet, 'hosts'>;

export interface LazyFleet {
  settings: FleetWithoutHosts;
  hosts: LazyHosts;
}

/** Makes host `index`'s model, reading every secret it needs through `secrets`. */
export type HostMaker = (index: number, secrets: SecretSource) => Host;

export class LazyHosts {
  private readonly models: (Host | undefined)[];
  private readonly reads: (CheckedHost | undefined)[];
  /** How many models are not made yet: once none is, `make` is let go, and with it the manifest it reads from. */
  private unmade: number;
  private make: HostMaker | undefined;

  /**
   * `names`: in fleet order (sorted by name). `inputKeys`: for each host, a digest of everything that decides its
   * model besides the secrets it reads (undefined for all hosts when that is not known: a manifest parsed whole).
   * `makingOrder`: the order all() makes the models in (default: fleet order).
   */
  constructor(
    readonly names: readonly string[],
    make: HostMaker,
    private readonly secrets: SecretSource,
    private readonly inputKeys: readonly string[] | undefined,
    private readonly makingOrder?: readonly number[],
  ) {
    this.models = new Array<Host | undefined>(names.length).fill(undefined);
    this.reads = new Array<CheckedHost | undefined>(names.length).fill(undefined);
    this.make = make;
    this.unmade = names.length;
  }

  /** Hosts that are already models (a Fleet): nothing is made, and no input is known. */
  static of(hosts: readonly Host[]): LazyHosts {
    const lazy = new LazyHosts(
      hosts.map((host) => host.name),
      (index) => hosts[index] as Host,
      NO_SECRETS,
      undefined,
    );
    hosts.forEach((host, index) => (lazy.models[index] = host));
    lazy.unmade = 0;
    lazy.make = undefined;
    return lazy;
  }

  get length(): number {
    return this.names.length;
  }

  /** What decides host `index`'s model besides the secrets it reads; undefined when not known. */
  inputKey(index: number): string | undefined {
    return this.inputKeys?.[index];
  }

  /** Host `index`'s model, made on the first call. */
  model(index: number): Host {
    let host = this.models[index];
    if (host === undefined) {
      if (index < 0 || index >= this.names.length || this.make === undefined) throw new InternalError(`no host at index ${index} of ${this.names.length}`);
      const reader = new NotingReader(this.secrets);
      host = this.make(index, reader);
      this.models[index] = host;
      this.reads[index] = reader.checked();
      // Every model made (a first build makes them all): what they were made from (the manifest, every host's merged
      // settings) need not stay in memory for the rest of the build.
      if (--this.unmade === 0) this.make = undefined;
    }
    return host;
  }

  /**
   * The secrets host `index`'s model read, in order, with a digest of their answers: known once model(index) made it
   * (undefined for a model given, not made).
   */
  readsOf(index: number): CheckedHost | undefined {
    return this.reads[index];
  }

  /** What the secrets `refs` answer now, as CheckedHost.answers digests it: the same digest, the same answers. */
  answersOf(refs: readonly string[]): string {
    return answersOf(refs, this.secrets);
  }

  /** Every host's model, in fleet order (made in `makingOrder`). */
  all(): Host[] {
    if (this.makingOrder !== undefined) for (const index of this.makingOrder) this.model(index);
    return this.names.map((_, index) => this.model(index));
  }
}

/** A Fleet from its settings and hosts, with the properties in Fleet's own order (hosts after groups). */
export function fleetOf(settings: FleetWithoutHosts, hosts: Host[]): Fleet {
  const { name, zone, cookbookName, roleName, groups, client, cloudflare, access } = settings;
  return { name, zone, cookbookName, roleName, groups, hosts, client, cloudflare, access };
}

/** A Fleet as a LazyFleet whose hosts are all made already. */
export function lazyFleetOf(fleet: Fleet): LazyFleet {
  const { hosts, ...settings } = fleet;
  return { settings, hosts: LazyHosts.of(hosts) };
}

/** The reader of a LazyHosts whose models were given: it has nothing to read them for. */
const NO_SECRETS: SecretSource = {
  read: () => {
    throw new InternalError('a fleet given whole has no secrets to read');
  },
};
