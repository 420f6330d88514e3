/*
 * smtp-server answers some client errors on its own (bad syntax, bad
 * command sequence, unknown parameters, SIZE over the limit) without asking
 * a hook, so the session's error limit never saw them: a client could send
 * unlimited `MAIL FROM:<x` or `RCPT` before `MAIL`. This wraps
 * SMTPConnection#send once, at start-up, and reports each such error reply
 * to the hook the endpoint registered on its server; when the hook says the
 * limit is reached, that reply becomes a 421 that ends the session.
 *
 * Replies that already carry an enhanced code come from our hooks, which
 * count them themselves; 421 replies end the session anyway.
 *
 * Security: part of the defence against clients that probe or waste a
 * session with junk. Library errors are counted but not delayed: send is
 * synchronous and a delayed write could overtake the reply order.
 * Standards: RFC 5321 section 4.2 (reply codes), RFC 2034.
 */
import type { SMTPServer, SMTPServerSession } from 'smtp-server';
import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';

/** Called for each error reply smtp-server sent itself; returns the 421 text to end the session with, or undefined. */
export type LibraryErrorHook = (session: SMTPServerSession, reply: string) => string | undefined;

const HOOK = Symbol('petrel.libraryErrorHook');
const ENHANCED = /^[245]\.\d{1,3}\.\d{1,3} /;
let installed = false;

interface ConnectionLike {
  _server: SMTPServer & { [HOOK]?: LibraryErrorHook };
  session: SMTPServerSession;
  _closing?: boolean;
  _closed?: boolean;
}

export function countLibraryErrorReplies(server: SMTPServer, hook: LibraryErrorHook): void {
  (server as SMTPServer & { [HOOK]?: LibraryErrorHook })[HOOK] = hook;
  if (installed) return;
  installed = true;
  const proto = SMTPConnection.prototype as unknown as { send(code: number, data: unknown, context?: unknown): void };
  const original = proto.send;
  proto.send = function send(this: ConnectionLike, code: number, data: unknown, context?: unknown) {
    const hook = this._server[HOOK];
    const ours = typeof data === 'string' && ENHANCED.test(data);
    if (hook && code >= 400 && code !== 421 && !ours && !this._closing && !this._closed) {
      const end = hook(this.session, `${code} ${Array.isArray(data) ? data.join(' ') : String(data ?? '')}`);
      // At the limit the 421 replaces the error reply, as our hooks do.
      if (end !== undefined) return original.call(this, 421, end, false);
    }
    return original.call(this, code, data, context);
  };
}
