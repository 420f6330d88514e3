/*
 * What the interpreter needs from its caller (the message, the envelope,
 * the filter verdicts, lookups) and what it gives back (actions).
 *
 * Exports: SieveEnv, SieveMessagePart, SieveEnvelope, SieveAction and its
 * members, HeaderEdit, DuplicateRecord, SieveRunResult, SieveRuntimeError.
 * Security: the message is untrusted; everything here is data or a
 * synchronous lookup, so the interpreter stays pure and its work bounded.
 * Standards: RFC 5228 section 2.10 (actions, implicit keep), RFC 5230,
 * RFC 5232, RFC 5293, RFC 5435, RFC 5490, RFC 7352, RFC 8579.
 */
import type { CompiledScript } from './compiled.js';

/** One MIME part (the message itself is the root part). */
export interface SieveMessagePart {
  /** Values of the header fields with this name (any case), unfolded and RFC 2047-decoded, top to bottom. */
  header(name: string): readonly string[];
  /** Lower-case "type/subtype" of the part ("text/plain" when absent, as RFC 2045 says). */
  contentType: string;
  /** Content-Type parameters with lower-case names, RFC 2231-decoded. */
  contentTypeParams: { readonly [name: string]: string };
  /** Transfer-decoded, charset-converted text of a text/* leaf; null for other parts. */
  text: string | null;
  /** Multipart children, or the one part of an encapsulated message/rfc822. */
  children: readonly SieveMessagePart[];
  /** The part's body as it is in the message (still transfer-encoded). */
  rawBody?: string;
  /** A leaf that is not text: its body with the transfer encoding removed, one character per octet (body :content, RFC 5173 5.2). */
  content?: string;
}

export interface SieveMessage extends SieveMessagePart {
  /** Size in octets as received (RFC 5228 5.9). */
  size: number;
  /** The whole body as it is in the message, still transfer-encoded (body :raw). */
  rawBody: string;
}

export interface SieveEnvelope {
  /** Reverse path without angle brackets; "" for the null sender <>. */
  from: string;
  /** The recipient this delivery is for, as received (before alias expansion). */
  to: string;
  /** The authenticated submitter, when known (envelope "auth"). */
  auth?: string;
}

export interface SieveEnv {
  message: SieveMessage;
  envelope: SieveEnvelope;
  /** The delivery time, for currentdate. */
  now: Date;
  /** Zone for date parts when a test gives no :zone, "+hhmm"; default "+0000". */
  localZone?: string;
  /** Extensions enabled for this user at run time (ihave); default all of SIEVE_EXTENSIONS. */
  extensions?: readonly string[];
  /** RFC 5183 items, lower-case names: "domain", "host", "location", "name", "phase", "remote-host", "remote-ip", "version". */
  environment?: { readonly [name: string]: string };
  /** RFC 5235: spamtest value 1..10 (0 = not tested) and the spamtestplus percentage 0..100; absent: not tested. */
  spam?: { value: number; percent: number };
  /** RFC 5235: virustest value 1..5 (0 = not tested); absent: not tested. */
  virus?: number;
  /** RFC 7352: whether this id was already recorded under this handle (and not expired). */
  isDuplicate?(handle: string, id: string): boolean;
  /** RFC 5490 mailboxexists and fileinto :create decisions. */
  mailboxExists?(name: string): boolean;
  /** RFC 8579: whether mailbox (or, with null, any mailbox) carries all these special-use flags. */
  specialUseExists?(mailbox: string | null, flags: readonly string[]): boolean;
  /** RFC 6609: the compiled script of that name, or null when there is none. */
  loadInclude?(location: 'personal' | 'global', name: string): CompiledScript | null;
  /** Header fields scripts may neither add nor delete; Received and Auto-Submitted can never be deleted, Subject always edited (RFC 5293 section 8). */
  protectedHeaders?: readonly string[];
  /** Run limits; defaults in limits.ts. */
  maxSteps?: number;
  maxRedirects?: number;
  /** Wall-clock budget in milliseconds, checked against clock() every few hundred steps. */
  maxMillis?: number;
  /** Injected monotonic clock in milliseconds (performance.now in production, a fake in tests). */
  clock?: () => number;
}

interface ActionBase {
  /** How many of the run's header edits apply to this action's copy (edits made before it). */
  edits: number;
}

export interface KeepAction extends ActionBase {
  type: 'keep';
  /** IMAP flags to set (imap4flags): :flags, or the internal flag variable at the time. */
  flags: string[];
  /** True for the implicit keep (RFC 5228 2.10.2). */
  implicit: boolean;
}
export interface FileintoAction extends ActionBase {
  type: 'fileinto';
  mailbox: string;
  flags: string[];
  copy: boolean;
  /** RFC 5490: create the mailbox when it does not exist. */
  create: boolean;
  /** RFC 8579: deliver into the mailbox with this special-use flag instead, when one exists. */
  specialUse: string | null;
}
export interface RedirectAction extends ActionBase {
  type: 'redirect';
  address: string;
  copy: boolean;
}
export interface RejectAction {
  type: 'reject';
  reason: string;
  /** ereject: refuse in the SMTP/LMTP session rather than with a bounce (RFC 5429). */
  ereject: boolean;
}
/** Only cancels the implicit keep: any keep, fileinto or redirect in the list still happens. */
export interface DiscardAction {
  type: 'discard';
}
export interface VacationAction {
  type: 'vacation';
  reason: string;
  /** The reason is a MIME entity (headers and body) rather than plain text. */
  mime: boolean;
  subject: string | null;
  from: string | null;
  addresses: string[];
  /** Tracking handle: :handle, or one derived from reason, subject, from and mime. */
  handle: string;
  /** Minimum period between two answers to one sender (:days converted, or :seconds). */
  seconds: number;
  /** Who the answer goes to: the envelope sender (RFC 5230 4.4). */
  to: string;
  /**
   * Why no answer may be sent at all, or null: the RFC 3834 and RFC 5230 4.5
   * checks that need only this message (null sender, Auto-Submitted, list or
   * bulk mail, a system sender, the user not among the recipients). Delivery
   * still applies the once-per-sender-per-period rule with handle and seconds.
   */
  suppressed: string | null;
}
export interface NotifyAction {
  type: 'notify';
  method: string;
  from: string | null;
  importance: 1 | 2 | 3;
  options: string[];
  message: string | null;
}

export type SieveAction = KeepAction | FileintoAction | RedirectAction | RejectAction | DiscardAction | VacationAction | NotifyAction;

/** Header changes in order; an index counts the fields of that name as they stand after the previous edits, from the top, 1-based. */
export type HeaderEdit = { op: 'add'; name: string; value: string; last: boolean } | { op: 'delete'; name: string; index: number };

/** Ids the duplicate test saw; the caller records them only once the actions were performed (RFC 7352 3). */
export interface DuplicateRecord {
  handle: string;
  id: string;
  seconds: number;
  /** :last: the period restarts at each sighting. */
  last: boolean;
}

export interface SieveRuntimeError {
  line: number;
  column: number;
  message: string;
}

export type SieveRunResult =
  | {
      ok: true;
      /** The actions to perform, the implicit keep included when it stands. */
      actions: SieveAction[];
      implicitKeep: boolean;
      /** The imap4flags internal variable at the end (setflag/addflag/removeflag); keep and fileinto already carry the flags they use. */
      flags: string[];
      edits: HeaderEdit[];
      duplicates: DuplicateRecord[];
      /** Things the run refused without failing (a protected header edit). */
      warnings: string[];
      steps: number;
    }
  | {
      ok: false;
      error: SieveRuntimeError;
      /** Always the single fallback keep: a runtime error never loses mail. */
      actions: [KeepAction];
      implicitKeep: true;
      flags: [];
      edits: [];
      duplicates: [];
      warnings: string[];
      steps: number;
    };
