/**
 * Hosts whose host rules found nothing, remembered by what those rules read, so that a rebuild checks only the hosts
 * whose inputs changed (issue 10: a one-host rebuild of 10,000 hosts ran every rule over every host).
 *
 * A host rule (rules/context.ts, HostRule) sees one host's entry and merged settings, the frame (the manifest without
 * its host list), and the secrets it reads. So its findings are decided by
 * - the text of the host's entry and the frame's text (their digests, from the parse: ManifestTexts), which decide the
 *   host's value, its merged settings, the zone and the fleet name;
 * - what each secret it read gave (the bytes, or the refusal and its message), in the order read: the same answers
 *   make the same rules take the same steps and read the same references next;
 * - the rules themselves: fleetgen's own code (generatorDigest).
 * A host is remembered only when the schema accepted the whole manifest and its host rules found nothing at all: a
 * finding needs its position, and its message may name other places; such a host is checked on every run. The fleet
 * rules (uniqueness across hosts, anything that lists hosts) run over every host on every run. The schema checks the
 * frame and the entries not remembered, and the whole manifest only when that finds anything (schema.ts).
 *
 * The build keeps this in out/.fleetgen-cache/checked.json (write/checked-hosts.ts); like the rest of the cache, a
 * file that is missing, damaged or of another version only costs the checks.
 */
import { createHash } from 'node:crypto';
import type { ManifestTexts } from '../load/manifest-entries.js';
import { referenceKey, referenceOfKey, type SecretLookup, type SecretReference, type SecretSource } from '../load/secrets.js';

/** What a host's host rules read, as remembered: the references in the order read, and a digest of the answers. */
export interface CheckedHost {
  refs: readonly string[];
  answers: string;
}

/** What checked.json holds: for one generator and one frame, each clean host by the digest of its entry's text. */
export interface CheckedHosts {
  generator: string;
  frame: string;
  hosts: ReadonlyMap<string, CheckedHost>;
}

/** One run's view of the remembered hosts: which need no checking, and what to remember for the next run. */
export class HostChecks {
  private readonly earlier: ReadonlyMap<string, CheckedHost>;
  private readonly now = new Map<string, CheckedHost>();
  private isAnyAdded = false;
  private notChecked = 0;
  /** Whether what the last build remembered is for this frame and this fleetgen (else none of it is used). */
  private readonly isEarlierUsable: boolean;

  /**
   * `texts`: the digests of this manifest's frame and entries (undefined when it was parsed whole: then every host
   * is checked, and nothing is remembered). `earlier`: what the last build remembered, if anything.
   */
  constructor(
    private readonly texts: ManifestTexts | undefined,
    private readonly generator: string,
    earlier: CheckedHosts | undefined,
  ) {
    this.isEarlierUsable = texts !== undefined && earlier !== undefined && earlier.generator === generator && earlier.frame === texts.frame;
    this.earlier = this.isEarlierUsable && earlier !== undefined ? earlier.hosts : new Map();
  }

  /**
   * Whether host `index`'s host rules found nothing the last time they ran on this very entry and frame, and every
   * secret they read answers as it did then (each is read again, through `secrets`). A host found so is remembered again.
   */
  isKnownClean(index: number, secrets: SecretSource): boolean {
    const key = this.texts?.entries[index];
    const known = key === undefined ? undefined : this.earlier.get(key);
    if (key === undefined || known === undefined) return false;
    if (answersOf(known.refs, secrets) !== known.answers) return false;
    this.now.set(key, known);
    this.notChecked++;
    return true;
  }

  /**
   * Whether host `index`'s entry is remembered: then the schema accepted it, as part of a manifest it accepted, with
   * this frame and this fleetgen (the schema is part of generatorDigest), whatever the secrets it reads hold now.
   */
  isKnownSchemaValid(index: number): boolean {
    const key = this.texts?.entries[index];
    return key !== undefined && this.earlier.has(key);
  }

  /** How many hosts this run did not check again (isKnownClean). */
  get hostsNotChecked(): number {
    return this.notChecked;
  }

  /** Host `index`'s host rules ran, reading through `reader`, and found nothing. */
  remember(index: number, reader: NotingReader): void {
    const key = this.texts?.entries[index];
    if (key === undefined) return;
    this.now.set(key, reader.checked());
    this.isAnyAdded = true;
  }

  /**
   * What the next run may use: the hosts of this manifest found clean (none for a manifest parsed whole), and whether
   * that differs from what this run started with (then it is written again).
   */
  toRemember(): { checked: CheckedHosts; isChanged: boolean } {
    const checked = { generator: this.generator, frame: this.texts?.frame ?? '', hosts: this.now };
    return { checked, isChanged: !this.isEarlierUsable || this.isAnyAdded || this.now.size !== this.earlier.size };
  }
}

/** Reads through another reader and notes each reference and its answer, in order. */
export class NotingReader implements SecretSource {
  private readonly refs: string[] = [];
  private readonly answers = new AnswerDigest();

  constructor(private readonly reader: SecretSource) {}

  read(ref: SecretReference): SecretLookup {
    const found = this.reader.read(ref);
    const key = referenceKey(ref);
    this.refs.push(key);
    this.answers.add(key, found);
    return found;
  }

  checked(): CheckedHost {
    return { refs: this.refs, answers: this.answers.digest() };
  }
}

/** The digest of what `refs` answer when read again through `secrets`: CheckedHost.answers when they answer the same. */
export function answersOf(refs: readonly string[], secrets: SecretSource): string {
  const answers = new AnswerDigest();
  for (const ref of refs) answers.add(ref, secrets.read(referenceOfKey(ref)));
  return answers.digest();
}

/**
 * Each answer's digest, by the answer: a reader gives the same object for every read of a reference in a run
 * (SecretReader keeps what it read), so the hosts that read one file, the host checks and the host models
 * (model/lazy-fleet.ts) hash its bytes once.
 */
const answerDigests = new WeakMap<SecretLookup, string>();

function answerDigestOf(found: SecretLookup): string {
  let digest = answerDigests.get(found);
  if (digest === undefined) {
    const hash = createHash('sha256');
    // Lengths first: no message or content can run into the next field.
    if (found.ok) hash.update(`ok\0${found.bytes.length}:`).update(found.bytes);
    else hash.update(`${found.problem}\0${found.message.length}:${found.message}\0${found.hint.length}:${found.hint}`);
    digest = hash.digest('base64');
    answerDigests.set(found, digest);
  }
  return digest;
}

/**
 * A digest of references and their answers (each answer by its own digest, answerDigestOf): the bytes read, or the
 * refusal with its message. Never a secret in clear.
 */
class AnswerDigest {
  private readonly hash = createHash('sha256');

  add(ref: string, found: SecretLookup): void {
    // Lengths first: no reference can run into its answer's digest.
    this.hash.update(`${ref.length}:${ref}\0${answerDigestOf(found)}\0`);
  }

  digest(): string {
    return this.hash.digest('base64');
  }
}
