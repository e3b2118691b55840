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
import { createHash, type Hash } from 'node:crypto';
import type { ManifestTexts } from '../load/manifest-entries.js';
import { referenceKey, referenceOfKey, type SecretLookup, type SecretReader, type SecretReference, type SecretSource } from '../load/secrets.js';
import { fileAnswersOf, PROCESS_START, SecretFileAnswers, setFileAnswers, type KnownFiles } from './secret-file-answers.js';

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
  /** Secret files whose answers a stat confirms (secret-file-answers.ts); none when absent. */
  files?: KnownFiles;
}

/** One run's view of the remembered hosts: which need no checking, and what to remember for the next run. */
export class HostChecks {
  private readonly earlier: ReadonlyMap<string, CheckedHost>;
  private readonly now = new Map<string, CheckedHost>();
  private isAnyAdded = false;
  private notChecked = 0;
  /** Whether what the last build remembered is for this frame and this fleetgen (else none of it is used). */
  private readonly isEarlierUsable: boolean;
  /** The secret files' answers known by stat: from the last build when it was this fleetgen's, else none. */
  private readonly earlierFiles: KnownFiles | undefined;
  private fileAnswers: SecretFileAnswers | undefined;
  private readonly startedAt: number;
  private readonly racyMarginMs: number | undefined;

  /**
   * `texts`: the digests of this manifest's frame and entries (undefined when it was parsed whole: then every host
   * is checked, and nothing is remembered). `earlier`: what the last build remembered, if anything. `startedAt`: when
   * this build began reading (ms since the epoch; the process's start, see secret-file-answers.ts); `racyMarginMs`:
   * RACY_MARGIN_MS, for tests.
   */
  constructor(
    private readonly texts: ManifestTexts | undefined,
    private readonly generator: string,
    earlier: CheckedHosts | undefined,
    options: { startedAt?: number; racyMarginMs?: number } = {},
  ) {
    this.isEarlierUsable = texts !== undefined && earlier !== undefined && earlier.generator === generator && earlier.frame === texts.frame;
    this.earlier = this.isEarlierUsable && earlier !== undefined ? earlier.hosts : new Map();
    // The files' answers do not depend on the frame: a frame edited does not make every file be read again.
    this.earlierFiles = earlier?.files;
    this.startedAt = options.startedAt ?? PROCESS_START;
    this.racyMarginMs = options.racyMarginMs;
  }

  /**
   * The build reads its secrets through `reader`: from now on, whatever confirms answers read through it (answersOf:
   * here, and for the host models) takes a secret file's answer from its stat when that shows it unchanged.
   */
  readsThrough(reader: SecretReader): void {
    if (this.fileAnswers !== undefined) return;
    this.fileAnswers = new SecretFileAnswers(reader, this.generator, this.earlierFiles, this.startedAt, this.racyMarginMs);
    setFileAnswers(reader, this.fileAnswers);
  }

  /**
   * Whether host `index`'s host rules found nothing the last time they ran on this very entry and frame, and every
   * secret they read answers as it did then (each is read again through `secrets`, or, for a secret file whose stat shows
   * it unchanged, taken as remembered: readsThrough). A host found so is remembered again.
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
    // Worked out when first asked for, after the build: the files the host models read are remembered too.
    let checked: CheckedHosts | undefined;
    const checkedNow = (): CheckedHosts => {
      if (checked === undefined) {
        const files = this.fileAnswers?.remembered();
        checked = { generator: this.generator, frame: this.texts?.frame ?? '', hosts: this.now, ...(files !== undefined ? { files } : {}) };
      }
      return checked;
    };
    const isHostsChanged = (): boolean => !this.isEarlierUsable || this.isAnyAdded || this.now.size !== this.earlier.size;
    const isFilesChanged = (): boolean => checkedNow().files?.isChanged === true;
    return {
      get checked() {
        return checkedNow();
      },
      get isChanged() {
        return isHostsChanged() || isFilesChanged();
      },
    };
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
    const answer = answerDigestOf(found);
    this.answers.add(key, answer);
    fileAnswersOf(this.reader)?.noteRead(found, answer);
    return found;
  }

  checked(): CheckedHost {
    return { refs: this.refs, answers: this.answers.digest() };
  }
}

/**
 * The digest of what `refs` answer when read again through `secrets` (a secret file whose stat shows it unchanged is
 * not read: secret-file-answers.ts): CheckedHost.answers when they answer the same.
 */
export function answersOf(refs: readonly string[], secrets: SecretSource): string {
  const files = fileAnswersOf(secrets);
  const answers = new AnswerDigest();
  // Indexed: for every host of every rebuild (write/tiering.ts: a for-of makes an iterator and a result per step).
  for (let index = 0; index < refs.length; index++) {
    const ref = refs[index] as string;
    let answer = files?.answerOf(ref);
    if (answer === undefined) {
      const found = secrets.read(referenceOfKey(ref));
      answer = answerDigestOf(found);
      files?.noteRead(found, answer);
    }
    answers.add(ref, answer);
  }
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
 * A digest of references' answers (each by its own digest, answerDigestOf): the bytes read, or the refusal with its
 * message. Never a secret in clear. It is only ever compared with one taken for the very same references (CheckedHost
 * keeps them together), so it need only tell answers apart: the one answer's own digest for one reference (most hosts
 * read one credential file: no hash to set up, twice a host, in a rebuild), else a hash over them all.
 */
class AnswerDigest {
  private first: string | undefined;
  private hash: Hash | undefined;
  private count = 0;

  /** `answer`: the reference's answer's digest (answerDigestOf). */
  add(ref: string, answer: string): void {
    if (this.count++ === 0) {
      this.first = answer;
      return;
    }
    this.hash ??= createHash('sha256').update(`${this.first}\0`);
    // Lengths first: no reference can run into its answer's digest.
    this.hash.update(`${ref.length}:${ref}\0${answer}\0`);
  }

  digest(): string {
    if (this.count === 1 && this.first !== undefined) return this.first;
    return (this.hash ?? createHash('sha256').update(`${this.count}\0`)).digest('base64');
  }
}
