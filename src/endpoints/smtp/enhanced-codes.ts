/*
 * smtp-server picks an enhanced status code from the reply code alone when
 * a hook fails (550 always becomes 5.1.1...). Petrel's errors carry their
 * own (5.7.1 relay denied, 5.2.2 mailbox full): when a reply text already
 * starts with an enhanced code, the library must not add another. This
 * wraps SMTPConnection#send once, at start-up; it changes nothing else.
 *
 * Standards: RFC 3463, RFC 2034.
 */
import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';

const ENHANCED = /^[245]\.\d{1,3}\.\d{1,3} /;
let installed = false;

export function installEnhancedCodePassThrough(): void {
  if (installed) return;
  installed = true;
  const proto = SMTPConnection.prototype as unknown as { send(code: number, data: unknown, context?: unknown): void };
  const original = proto.send;
  proto.send = function send(this: unknown, code: number, data: unknown, context?: unknown) {
    if (typeof data === 'string' && ENHANCED.test(data)) return original.call(this, code, data, false);
    return original.call(this, code, data, context);
  };
}
