/*
 * What a POP3 command handler sees of its session, and the handler
 * table's entry type. Handlers get this interface, never the socket.
 *
 * Exports: SessionApi, Handler, HandlerSpec, CommandOf, LoginOutcome.
 * Security: the session enforces state, TLS and bad-command rules before a
 * handler runs (session.ts dispatch); handlers only add command logic.
 * Standards: RFC 1939 section 3 (states).
 */
import type { Directory } from '../../directory/directory.js';
import type { AuthResponse, Pop3Command, Pop3CommandName, Pop3State, ResponseCode } from '../../proto/pop3/index.js';
import type { AccountRecord } from '../../store/types.js';
import type { Logger } from '../../telemetry/logger.js';
import type { MailboxService } from '../../mailbox/index.js';
import type { Maildrop } from './maildrop.js';

export type LoginOutcome = 'ok' | 'in-use';

export interface SessionApi {
  readonly id: string;
  readonly log: Logger;
  readonly directory: Directory;
  readonly state: Pop3State;
  /** TLS is active (implicit or after STLS). */
  readonly secure: boolean;
  /** The listener offers STLS and it has not happened yet. */
  readonly canStartTls: boolean;
  readonly account: AccountRecord | undefined;
  /** The snapshot taken at login; throws before login. */
  readonly maildrop: Maildrop;
  /** Bound to the logged-in account; throws before login. */
  readonly mailboxes: MailboxService;
  /** The name given by USER, awaiting PASS. */
  pendingUser: string | undefined;
  capabilities(): string[];
  send(data: Buffer): void;
  /** Waits while more than MAX_PENDING_OUTPUT_BYTES are unsent; false once the connection is gone (stop writing). */
  flush(): Promise<boolean>;
  ok(text: string, code?: ResponseCode): void;
  err(text: string, code?: ResponseCode): void;
  /** Replies +OK, then switches to TLS; plaintext sent after the command is discarded. */
  startTls(): void;
  /** Credentials are good: lock the INBOX and take the snapshot ('in-use' when another session holds it). */
  login(account: AccountRecord): Promise<LoginOutcome>;
  /** Checks credentials (Directory.authenticate), except from a client banned for failed logins, whose tries all fail. */
  authenticate(user: string, password: string): Promise<AccountRecord | undefined>;
  /**
   * A failed login: counted here and in the per-client counter shared with
   * SMTP and IMAP, answered `-ERR [AUTH]` after the tarpit delay, logged
   * with the user name tried (never the password); the session may end.
   */
  authFailed(reason: string, user: string): Promise<void>;
  /** Sends a `+ ` challenge and reads one SASL response line; null when the connection ended. */
  readAuthResponse(challenge: string): Promise<AuthResponse | 'too-long' | null>;
  /** Ends the session after the last response has been written. */
  end(): void;
}

export type CommandOf<K extends Pop3CommandName> = Extract<Pop3Command, { name: K }>;

export type Handler<K extends Pop3CommandName = Pop3CommandName> = (s: SessionApi, cmd: CommandOf<K>) => Promise<void> | void;

export interface HandlerSpec<K extends Pop3CommandName = Pop3CommandName> {
  handler: Handler<K>;
  /** Runs only over TLS; before it the session answers `-ERR [AUTH]` (USER, PASS, AUTH). */
  requiresTls: boolean;
}
