/*
 * What a ManageSieve command handler sees of its session, and the handler
 * table's entry type. Handlers get this interface, never the socket.
 *
 * Exports: SessionApi, Handler, HandlerSpec, CommandOf, LoginOutcome.
 * Security: the session enforces state, TLS and bad-command rules before a
 * handler runs (session.ts dispatch); handlers only add command logic.
 * Standards: RFC 5804 section 2 (states: non-authenticated, authenticated).
 */
import type { AuthResponse, ManageSieveCommand, ManageSieveCommandName, ManageSieveState, ResponseCode } from '../../proto/managesieve/index.js';
import type { SieveScripts } from '../../sieve-scripts/index.js';
import type { AccountRecord } from '../../store/types.js';
import type { Logger } from '../../telemetry/logger.js';

export type LoginOutcome = 'ok' | 'too-many-sessions';

export interface SessionApi {
  readonly id: string;
  readonly log: Logger;
  readonly state: ManageSieveState;
  /** TLS is active (after STARTTLS). */
  readonly secure: boolean;
  /** The listener offers STARTTLS and it has not happened yet. */
  readonly canStartTls: boolean;
  /** The logged-in account; throws before login. */
  readonly account: AccountRecord;
  readonly scripts: SieveScripts;
  send(data: Buffer): void;
  ok(text?: string, code?: ResponseCode): void;
  no(text?: string, code?: ResponseCode): void;
  /** The capability listing followed by OK (CAPABILITY, greeting, after STARTTLS). */
  sendCapabilities(): void;
  /** Replies OK, then switches to TLS and re-sends the capabilities; plaintext sent after the command is discarded. */
  startTls(): void;
  /** Checks credentials (Directory.authenticate), except from a client banned for failed logins, whose tries all fail. */
  authenticate(user: string, password: string): Promise<AccountRecord | undefined>;
  /** Credentials are good: take a per-user-and-address slot and enter the authenticated state. */
  login(account: AccountRecord): LoginOutcome;
  /** UNAUTHENTICATE: back to the non-authenticated state, TLS kept. */
  logout(): void;
  /**
   * A failed login: counted here and in the per-client counter shared with
   * SMTP, IMAP and POP3, answered NO after the tarpit delay, logged with
   * the user name tried (never the password); the session may end.
   */
  authFailed(reason: string, user: string): Promise<void>;
  /** Sends a SASL challenge and reads the client's one string; null when the connection ended, 'too-long' for a line or literal over the limits. */
  readAuthResponse(challenge: string): Promise<AuthResponse | 'too-long' | null>;
  /** Ends the session after the last response has been written. */
  end(): void;
}

export type CommandOf<K extends ManageSieveCommandName> = Extract<ManageSieveCommand, { name: K }>;

export type Handler<K extends ManageSieveCommandName = ManageSieveCommandName> = (s: SessionApi, cmd: CommandOf<K>) => Promise<void> | void;

export interface HandlerSpec<K extends ManageSieveCommandName = ManageSieveCommandName> {
  handler: Handler<K>;
  /** Runs only over TLS; before it the session answers NO (ENCRYPT-NEEDED) (AUTHENTICATE). */
  requiresTls: boolean;
}
