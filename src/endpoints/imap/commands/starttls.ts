/*
 * STARTTLS: OK, then TLS; the session drops every byte the client sent
 * after the command (command injection, CVE-2011-0411 class).
 *
 * Exports: starttls.
 * Security: refused once TLS is active (no second STARTTLS) and on 993.
 * Standards: RFC 9051 section 6.2.1, RFC 2595.
 */
import type { Handler } from '../context.js';

export const starttls: Handler<'STARTTLS'> = (s, cmd) => {
  if (!s.canStartTls) {
    s.tagged(cmd.tag, 'BAD', 'TLS already active');
    return;
  }
  s.startTls(cmd.tag);
};
