/*
 * The vacation checks that need only the message at hand: whether an
 * automatic answer must not be sent at all.
 *
 * Exports: vacationSuppressed.
 * Security: reads untrusted header values; linear work. This is what keeps
 * vacation from answering bounces, lists, robots and mail the user was not
 * sent, i.e. from becoming a backscatter or mail-loop source.
 * Standards: RFC 3834 section 2 (no answer to the null sender, to
 * Auto-Submitted mail other than "no", to list and bulk mail), RFC 5230
 * sections 4.5 (only when the user, or one of :addresses, is a recipient in
 * To, Cc, Bcc or Resent-*) and 4.6 (not to the user's own mail; not to
 * system senders such as MAILER-DAEMON, owner-*, *-request). The
 * once-per-sender-per-period rule needs storage and is delivery's.
 */
import type { SieveEnvelope } from './env.js';
import { extractAddresses } from './address.js';

const LIST_HEADERS = ['list-id', 'list-post', 'list-unsubscribe', 'list-help', 'list-owner'];
const RECIPIENT_HEADERS = ['to', 'cc', 'bcc', 'resent-to', 'resent-cc', 'resent-bcc'];
const SYSTEM_LOCAL_PART = /^(mailer-daemon|postmaster|listserv|majordomo|owner-.*|.*-request|.*-owner|no-?reply)$/;

/** Why no answer may be sent, or null. header(name) gives the message's (edited) header values. */
export function vacationSuppressed(header: (name: string) => readonly string[], envelope: SieveEnvelope, addresses: readonly string[]): string | null {
  const sender = envelope.from.toLowerCase();
  if (sender === '') return 'the sender is the null reverse path';
  const auto = header('auto-submitted')[0]?.trim().toLowerCase();
  if (auto !== undefined && !auto.startsWith('no')) return 'the message is Auto-Submitted';
  if (LIST_HEADERS.some((n) => header(n).length > 0)) return 'the message comes from a mailing list';
  if (header('precedence').some((p) => /^\s*(bulk|list|junk)\b/i.test(p))) return 'the message is bulk or list mail';
  const at = sender.lastIndexOf('@');
  if (SYSTEM_LOCAL_PART.test(at < 0 ? sender : sender.slice(0, at))) return 'the sender is a system address';
  const plain = (a: string) => a.replace(/\+[^@]*@/, '@');
  const mine = new Set(
    [envelope.to, ...addresses]
      .map((a) => a.trim().replace(/^<(.*)>$/, '$1').toLowerCase())
      .filter((a) => a !== '')
      .map(plain),
  );
  if (mine.has(plain(sender))) return 'the message is from the user';
  const recipients = RECIPIENT_HEADERS.flatMap((n) => header(n).flatMap(extractAddresses)).map((a) => plain(a.toLowerCase()));
  if (!recipients.some((r) => mine.has(r))) return 'the user is not among the recipients';
  return null;
}
