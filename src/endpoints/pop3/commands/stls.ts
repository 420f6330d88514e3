/*
 * STLS: +OK, then TLS; the session drops every byte the client sent after
 * the command (command injection, CVE-2011-0411 class).
 *
 * Exports: stls.
 * Security: refused once TLS is active (no second STLS) and on 995.
 * Standards: RFC 2595 section 4.
 */
import type { Handler } from '../context.js';

export const stls: Handler<'STLS'> = (s) => {
  if (!s.canStartTls) {
    s.err('TLS already active');
    return;
  }
  s.startTls();
};
