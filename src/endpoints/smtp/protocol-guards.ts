/*
 * Lines that are not SMTP at all end the session at once, as Postfix's
 * smtpd_forbidden_commands does: HTTP request lines (a browser or proxy
 * tricked into talking to port 25, including `CONNECT host:port`, which
 * smtp-server's own check misses because it expects a `/` path) and
 * HTTP-style header lines. smtp-server's command dispatch is wrapped once,
 * at start-up; the check runs before any handler.
 *
 * Security: cross-protocol attacks (a web page posting to port 25) and
 * scanners. AUTH continuation lines (base64: no space, no colon) never
 * match.
 * Standards: RFC 5321 section 4.2.2 (421), Postfix smtpd_forbidden_commands.
 */
import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';

const HTTP_VERB = /^(?:CONNECT|GET|POST|HEAD|PUT|OPTIONS|DELETE|TRACE|PATCH) \S/i;
const HEADER_LINE = /^[A-Za-z][A-Za-z0-9-]*: /;

export function isForeignProtocolLine(line: string, inExchange: boolean): boolean {
  if (HTTP_VERB.test(line)) return true;
  return !inExchange && HEADER_LINE.test(line) && !/^(?:MAIL|RCPT) /i.test(line);
}

let installed = false;

interface ConnectionLike {
  _nextHandler: unknown;
  _ready: boolean;
  send(code: number, data: string, context?: unknown): void;
}

export function installProtocolGuards(): void {
  if (installed) return;
  installed = true;
  const proto = SMTPConnection.prototype as unknown as { _onCommand(this: ConnectionLike, command: Buffer, callback?: () => void): void };
  const original = proto._onCommand;
  proto._onCommand = function _onCommand(this: ConnectionLike, command: Buffer, callback?: () => void) {
    if (this._ready && isForeignProtocolLine((command ?? '').toString('latin1'), Boolean(this._nextHandler))) {
      this.send(421, '4.7.0 Protocol error: this is an SMTP server', false);
      return;
    }
    return original.call(this, command, callback);
  };
}
