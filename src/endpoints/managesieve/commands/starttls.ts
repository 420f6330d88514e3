/*
 * STARTTLS: OK, then TLS; the session drops every byte the client sent
 * after the command (command injection, CVE-2011-0411 class) and sends
 * the capabilities again once the handshake is done.
 *
 * Exports: starttls.
 * Security: refused once TLS is active (no second STARTTLS).
 * Standards: RFC 5804 section 2.2.
 */
import type { Handler } from '../context.js';

export const starttls: Handler<'STARTTLS'> = (s) => {
  if (!s.canStartTls) {
    s.no('TLS is already active');
    return;
  }
  s.startTls();
};
