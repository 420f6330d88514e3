/*
 * The SPAMC/SPAMD protocol of SpamAssassin's spamd, as bytes: requests
 * (PING, CHECK, SYMBOLS, REPORT with Content-length and an optional User)
 * and replies ("SPAMD/1.1 0 EX_OK", the Spam header "True ; 15.0 / 5.0",
 * and for SYMBOLS the comma-separated rule names, for REPORT the report).
 * No sockets here (spamd-client.ts has them), so the tests are literals.
 *
 * Exports: SpamdCommand, SpamdReply, spamdRequest, parseSpamdReply.
 * Security: the reply is spamd's, read within MAX_EXTERNAL_REPLY_BYTES by
 * the client; a reply that does not parse is an error, never a score; the
 * User value is the operator's, CR and LF removed.
 * Standards: SpamAssassin's spamd/PROTOCOL (SPAMC/1.5; reply codes are
 * sysexits.h's: 0 EX_OK, 64 EX_USAGE, 65 EX_DATAERR, 76 EX_PROTOCOL...).
 */

export type SpamdCommand = 'PING' | 'CHECK' | 'SYMBOLS' | 'REPORT';

export type SpamdReply =
  | { ok: true; pong: true }
  | { ok: true; pong?: false; spam: boolean; score: number; threshold: number; symbols: string[]; report: string }
  | { ok: false; code: number; message: string };

const VERSION = 'SPAMC/1.5';

/** The request bytes; PING has no body. */
export function spamdRequest(command: SpamdCommand, message?: Buffer, user = ''): Buffer {
  const lines = [`${command} ${VERSION}`];
  if (command !== 'PING') lines.push(`Content-length: ${message?.length ?? 0}`);
  const u = user.replace(/[\r\n]/g, '');
  if (u !== '') lines.push(`User: ${u}`);
  const head = Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1');
  return command === 'PING' || !message ? head : Buffer.concat([head, message]);
}

const STATUS = /^SPAMD\/(\d+\.\d+) +(\d+) +(.*)$/;
const SPAM = /^(true|false|yes|no)\s*;\s*(-?\d+(?:\.\d+)?)\s*\/\s*(-?\d+(?:\.\d+)?)\s*$/i;

/** Reads a whole reply (spamd closes the connection after it) to the command sent. */
export function parseSpamdReply(bytes: Buffer, command: SpamdCommand): SpamdReply {
  const text = bytes.toString('utf8');
  const end = text.indexOf('\r\n\r\n');
  const first = text.indexOf('\r\n');
  const status = STATUS.exec(text.slice(0, first < 0 ? text.length : first));
  if (!status) return { ok: false, code: -1, message: `not a spamd reply: ${JSON.stringify(text.slice(0, 80))}` };
  const code = Number(status[2]);
  if (code !== 0) return { ok: false, code, message: status[3]!.trim() };
  if (/^PONG\b/.test(status[3]!)) return { ok: true, pong: true };
  if (end < 0) return { ok: false, code: -1, message: 'spamd reply without a blank line after its headers' };
  const headers = new Map<string, string>();
  for (const line of text.slice(first + 2, end).split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const spam = SPAM.exec(headers.get('spam') ?? '');
  if (!spam) return { ok: false, code: -1, message: `spamd reply without a readable Spam header: ${JSON.stringify(headers.get('spam') ?? '')}` };
  const body = text.slice(end + 4);
  const length = headers.has('content-length') ? Number(headers.get('content-length')) : undefined;
  if (length !== undefined && Buffer.byteLength(body) < length) return { ok: false, code: -1, message: `spamd reply cut short: ${Buffer.byteLength(body)} of ${length} octets` };
  return {
    ok: true,
    spam: /^(true|yes)$/i.test(spam[1]!),
    score: Number(spam[2]),
    threshold: Number(spam[3]),
    symbols: command === 'SYMBOLS' ? body.split(',').map((s) => s.trim()).filter((s) => s !== '') : [],
    report: command === 'REPORT' ? body : '',
  };
}
