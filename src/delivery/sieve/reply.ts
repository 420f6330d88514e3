/*
 * Automatic replies a Sieve run asks for: the RFC 3834 / RFC 5230 rules
 * that decide whether a vacation answer may go at all, the answer itself,
 * and RFC 5436 mailto notifications. Pure: the caller resolves addresses
 * and queues the bytes through the delivery transaction.
 *
 * Exports: autoReplyRefusal, addressesIn, RECIPIENT_FIELDS, vacationSeconds, buildVacationReply,
 * notifyRefusal, parseMailto, buildNotification, VACATION_MIN_SECONDS.
 * Security: the triggering message and its sender are anyone's; the reply
 * goes only to the envelope sender (never a header address), from <>, with
 * Auto-Submitted, so two auto-responders cannot talk to each other forever.
 * Header values we copy (Subject, Message-ID) are unfolded, stripped of
 * controls and encoded.
 * Standards: RFC 3834 (sections 2, 3.1.5, 3.1.7, 5), RFC 5230 (4.1-4.7,
 * 5), RFC 6131, RFC 5436 (2.7), RFC 2047, RFC 6068 (mailto).
 */
import libmime from 'libmime';
import type { SieveMessage, VacationAction, NotifyAction } from '../../sieve/index.js';

/** Shortest period between two answers to one sender; 0 (RFC 6131) would answer every message of a loop the other checks miss. */
export const VACATION_MIN_SECONDS = 60;
/** Longest period (Pigeonhole's sieve_vacation_max_period). */
export const VACATION_MAX_SECONDS = 90 * 86400;
/** Addresses of To/Cc/Bcc looked at for "was this sent to me"; a header listing thousands is a list. */
const MAX_HEADER_ADDRESSES = 50;
/** Recipients one mailto notification may have. */
const MAX_NOTIFY_RECIPIENTS = 5;

/** RFC 5230 4.6 and RFC 3834 2: senders that are programs, lists or bounces, by local part. */
const AUTOMATED_SENDER = /^(mailer-daemon|postmaster|listserv|majordomo|mailman|owner-.*|.*-request|.*-owner|.*-bounces?|bounces?|noreply|no-reply|do-not-reply)$/i;
const LIST_FIELDS = ['list-id', 'list-help', 'list-unsubscribe', 'list-subscribe', 'list-post', 'list-owner', 'list-archive'];

/** RFC 5322 date-time in UTC. */
const rfc5322Date = (d: Date): string => d.toUTCString().replace(/GMT$/, '+0000');

const clean = (s: string, max = 998): string => s.replace(/[\x00-\x1f\x7f]+/g, ' ').trim().slice(0, max);

/** Why no automatic answer may go to this message (RFC 3834, RFC 5230), or null when one may. */
export function autoReplyRefusal(message: SieveMessage, sender: string): string | null {
  if (sender === '') return 'the envelope sender is <>';
  const local = sender.slice(0, sender.lastIndexOf('@'));
  if (AUTOMATED_SENDER.test(local)) return 'the sender is a program or a list';
  const auto = message.header('auto-submitted')[0];
  if (auto !== undefined && !/^\s*no\s*(;|$)/i.test(auto)) return 'Auto-Submitted';
  if (LIST_FIELDS.some((f) => message.header(f).length > 0)) return 'a mailing list message (List-*)';
  if (message.header('precedence').some((p) => /^\s*(bulk|list|junk)\s*$/i.test(p))) return 'Precedence bulk, list or junk';
  if (message.header('x-auto-response-suppress').some((v) => /\b(all|oof|autoreply)\b/i.test(v))) return 'X-Auto-Response-Suppress';
  return null;
}

/** The addresses of these header fields (To, Cc, Bcc, Resent-*), lower case, at most MAX_HEADER_ADDRESSES. */
export function addressesIn(message: SieveMessage, fields: readonly string[]): string[] {
  const out: string[] = [];
  for (const f of fields) {
    for (const value of message.header(f)) {
      for (const m of value.matchAll(/[^\s<>(),;:"]+@[^\s<>(),;:"]+/g)) {
        out.push(m[0].toLowerCase());
        if (out.length >= MAX_HEADER_ADDRESSES) return out;
      }
    }
  }
  return out;
}

export const RECIPIENT_FIELDS = ['to', 'cc', 'bcc', 'resent-to', 'resent-cc', 'resent-bcc'];

/** The period of a vacation action, kept inside our bounds. */
export function vacationSeconds(a: VacationAction): number {
  return Math.min(Math.max(a.seconds, VACATION_MIN_SECONDS), VACATION_MAX_SECONDS);
}

const encodeHeader = (v: string): string => (/^[\x20-\x7e]*$/.test(v) ? v : libmime.encodeWords(v, 'Q', 52));

function textBody(text: string): { headers: string; body: string } {
  const ascii = /^[\x00-\x7f]*$/.test(text);
  const body = text.replace(/\r?\n/g, '\r\n');
  if (ascii) return { headers: 'Content-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n', body };
  const b64 = Buffer.from(body, 'utf8').toString('base64').replace(/.{76}/g, '$&\r\n');
  return { headers: 'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n', body: b64 };
}

export interface ReplyContext {
  /** The address the answer comes from (the script's :from, or the user's address the message reached). */
  from: string;
  /** The envelope sender of the triggering message. */
  to: string;
  message: SieveMessage;
  messageId: string;
  now: Date;
}

/** The vacation answer (RFC 5230 5, RFC 3834 3): Subject, In-Reply-To, References, Auto-Submitted: auto-replied. */
export function buildVacationReply(a: VacationAction, ctx: ReplyContext): Buffer {
  const original = clean(ctx.message.header('subject')[0] ?? '', 200);
  const subject = a.subject !== null ? clean(a.subject, 300) : original === '' ? 'Automated reply' : `Auto: ${original}`;
  const origId = clean(ctx.message.header('message-id')[0] ?? '', 300);
  const refs = clean(ctx.message.header('references')[0] ?? ctx.message.header('in-reply-to')[0] ?? '', 2000);
  const head = [
    `From: ${a.from !== null ? encodeHeader(clean(a.from, 300)) : `<${ctx.from}>`}`,
    `To: <${ctx.to}>`,
    `Subject: ${encodeHeader(subject)}`,
    `Date: ${rfc5322Date(ctx.now)}`,
    `Message-ID: ${ctx.messageId}`,
    ...(/^<[^<>\s]+>$/.test(origId) ? [`In-Reply-To: ${origId}`, `References: ${`${refs} ${origId}`.trim()}`] : []),
    'Auto-Submitted: auto-replied',
    'Precedence: bulk',
    'MIME-Version: 1.0',
  ].join('\r\n');
  if (a.mime) {
    // :mime: the reason is a MIME entity (its own Content-* fields, then its body).
    const entity = a.reason.replace(/\r?\n/g, '\r\n').replace(/^(\r\n)+/, '');
    return Buffer.from(`${head}\r\n${entity.includes('\r\n\r\n') ? entity : `${entity}\r\n\r\n`}`, 'utf8');
  }
  const t = textBody(a.reason);
  return Buffer.from(`${head}\r\n${t.headers}\r\n${t.body}\r\n`, 'utf8');
}

/** RFC 5436 2.7.1: no notification about automatically submitted mail. */
export function notifyRefusal(message: SieveMessage): string | null {
  const auto = message.header('auto-submitted')[0];
  if (auto !== undefined && !/^\s*no\s*(;|$)/i.test(auto)) return 'Auto-Submitted';
  return null;
}

/** The recipients, subject and body of a mailto: URI (RFC 6068); other header fields in it are ignored (RFC 5436 2.2). */
export function parseMailto(uri: string): { to: string[]; subject: string | null; body: string | null } | null {
  const m = /^mailto:([^?]*)(?:\?(.*))?$/i.exec(uri.trim());
  if (!m) return null;
  const dec = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  const to = dec(m[1]!).split(',').map((s) => s.trim()).filter((s) => /^[^\s@<>]+@[^\s@<>]+$/.test(s));
  let subject: string | null = null;
  let body: string | null = null;
  for (const pair of (m[2] ?? '').split('&')) {
    const i = pair.indexOf('=');
    if (i < 0) continue;
    const k = pair.slice(0, i).toLowerCase();
    const v = dec(pair.slice(i + 1).replace(/\+/g, '%20'));
    if (k === 'to') to.push(...v.split(',').map((s) => s.trim()).filter((s) => /^[^\s@<>]+@[^\s@<>]+$/.test(s)));
    else if (k === 'subject') subject = v;
    else if (k === 'body') body = v;
  }
  const unique = [...new Set(to.map((x) => x.toLowerCase()))].slice(0, MAX_NOTIFY_RECIPIENTS);
  return unique.length > 0 ? { to: unique, subject, body } : null;
}

/** A mailto notification (RFC 5436 2.7): from the user or :from, Auto-Submitted: auto-notified. */
export function buildNotification(a: NotifyAction, target: { to: string[]; subject: string | null; body: string | null }, ctx: Omit<ReplyContext, 'to'> & { sender: string }): Buffer {
  const original = clean(ctx.message.header('subject')[0] ?? '', 200);
  const subject = target.subject !== null ? clean(target.subject, 300) : a.message !== null ? clean(a.message, 300) : `Notification: ${original}`;
  const from = clean(ctx.message.header('from')[0] ?? ctx.sender, 300);
  const text = target.body ?? `${a.message ?? 'A message arrived'}\r\n\r\nFrom: ${from}\r\nSubject: ${original}\r\n`;
  const head = [
    `From: ${a.from !== null ? encodeHeader(clean(a.from, 300)) : `<${ctx.from}>`}`,
    `To: ${target.to.map((x) => `<${x}>`).join(', ')}`,
    `Subject: ${encodeHeader(subject)}`,
    `Date: ${rfc5322Date(ctx.now)}`,
    `Message-ID: ${ctx.messageId}`,
    'Auto-Submitted: auto-notified',
    ...(a.importance === 1 ? ['Importance: high', 'X-Priority: 1'] : a.importance === 3 ? ['Importance: low', 'X-Priority: 5'] : []),
    'MIME-Version: 1.0',
  ].join('\r\n');
  const t = textBody(text);
  return Buffer.from(`${head}\r\n${t.headers}\r\n${t.body}\r\n`, 'utf8');
}
