/*
 * What a command handler sees of its session, and the handler table's
 * entry type. Handlers get this interface, never the socket.
 *
 * Exports: ImapState, SessionApi, Handler, HandlerSpec, CommandOf.
 * Security: the session enforces state, TLS and bad-command rules before a
 * handler runs (session.ts dispatch); handlers only add command logic.
 * Standards: RFC 9051 section 3 (states).
 */
import type { MessageCommitter } from '../../delivery/committer.js';
import type { Directory } from '../../directory/directory.js';
import type { MailboxService, MailboxView } from '../../mailbox/index.js';
import type { AuthResponse, CommandName, EncoderOptions, ImapCommand, ResponseCode, SessionState, StatusKind } from '../../proto/imap/index.js';
import type { AccountRecord, MailboxRecord } from '../../store/types.js';
import type { Logger } from '../../telemetry/logger.js';
import type { Notifier, NotifySpec } from './notify.js';

export type ImapState = SessionState | 'logout';

export interface SelectedMailbox {
  record: MailboxRecord;
  readOnly: boolean;
  /** This session's message sequence numbers (seq <-> UID). */
  view: MailboxView;
  /** The HIGHESTMODSEQ up to which this session has been told of changes (NOOP/CHECK report what is newer). */
  modseq: number;
  /** RFC 3501 \Recent for a rev1 session: UID ranges [from, to) this session claimed (or, after EXAMINE, saw unclaimed). */
  recent?: Array<readonly [number, number]>;
  /** UIDs of the saved search result `$` (RFC 5182 SEARCHRES); empty at selection. */
  saved?: number[];
  /** UIDs expunged elsewhere, kept back because the last announcement could not send EXPUNGE (still in the view). */
  withheld?: number[];
  /** Flag changes this session made and answered itself, past a MODSEQ gap: UID -> their MODSEQ, not to be announced again. */
  ownChanges?: Map<number, number>;
}

export interface SessionApi {
  readonly id: string;
  readonly log: Logger;
  readonly directory: Directory;
  readonly state: ImapState;
  /** TLS is active (implicit or after STARTTLS). */
  readonly secure: boolean;
  /** The listener offers STARTTLS and it has not happened yet. */
  readonly canStartTls: boolean;
  readonly account: AccountRecord | undefined;
  /** Bound to the logged-in account; throws before login. */
  readonly mailboxes: MailboxService;
  readonly selected: SelectedMailbox | undefined;
  /** The group committer APPEND stores through; undefined when the endpoint was given none (APPEND answers NO). */
  readonly committer: MessageCommitter | undefined;
  /** ENABLEd extensions (upper case). */
  readonly enabled: ReadonlySet<string>;
  /** utf8 once IMAP4rev2 or UTF8=ACCEPT is enabled. */
  readonly encoder: EncoderOptions;
  /** IMAP4rev2 enabled: rev1-only responses (RECENT, LSUB) change. */
  readonly rev2: boolean;
  capabilities(): string[];
  send(data: Buffer): void;
  /**
   * Waits while more than MAX_PENDING_OUTPUT_BYTES are unsent, so a long
   * response (FETCH of many bodies) never buffers more for a client that
   * does not read; false once the connection is gone (stop working).
   */
  flush(): Promise<boolean>;
  tagged(tag: string, kind: StatusKind, text: string, code?: ResponseCode): void;
  enable(capability: string): void;
  /** COMPRESS DEFLATE is active. */
  readonly compressed: boolean;
  /** Replies OK to tag, then compresses both directions (RFC 4978); bytes sent before the OK are discarded. */
  startCompression(tag: string): void;
  /** Replies OK to tag, then switches to TLS; plaintext after the command is discarded. */
  startTls(tag: string): void;
  /** Checks credentials (Directory.authenticate), except from a banned client, whose tries all fail. */
  authenticate(user: string, password: string): Promise<AccountRecord | undefined>;
  /**
   * Credentials are right: state authenticated, post-auth framer limits,
   * default mailboxes. False (and nothing changed) when this account
   * already has the most sessions allowed from this client address.
   */
  login(account: AccountRecord): Promise<boolean>;
  /**
   * A failed LOGIN/AUTHENTICATE: counted here and in the shared per-client
   * counter, answered after the tarpit delay, logged with the user name
   * tried (never the password); the session may end.
   */
  authFailed(tag: string, reason: string, user: string): Promise<void>;
  /** Sends a continuation and reads one AUTHENTICATE response line. */
  readAuthResponse(challenge: string): Promise<AuthResponse | null>;
  select(mailbox: SelectedMailbox | undefined): void;
  /**
   * IDLE: sends `+ idling`, pushes the selected mailbox's changes as they
   * happen, and returns the line that ended it (empty for a line too long),
   * or null when the session is over. No update follows the return.
   */
  idle(): Promise<Buffer | null>;
  /** NOTIFY SET (a checked request) or NONE (null); returns the session's new Notifier. */
  setNotify(spec: NotifySpec | null): Notifier | undefined;
  /** Bytes of responses not yet handed to the kernel, after compression if any (NOTIFY overflow). */
  pendingOutput(): number;
  logout(): void;
}

export type CommandOf<K extends CommandName> = Extract<ImapCommand, { name: K }>;

export type Handler<K extends CommandName = CommandName> = (s: SessionApi, cmd: CommandOf<K>) => Promise<void> | void;

export interface HandlerSpec<K extends CommandName = CommandName> {
  handler: Handler<K>;
  /** Runs only over TLS; before it the session answers `NO [PRIVACYREQUIRED]` (LOGIN, AUTHENTICATE). */
  requiresTls: boolean;
}
