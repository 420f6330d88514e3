/*
 * The ENVELOPE of a message and its summary, from its header fields.
 *
 * Exports: buildEnvelope, buildSummary, emptyEnvelope.
 * Security: reads untrusted header values; the subject is cut to a bounded
 * length before encoded words are decoded; never throws.
 * Standards: RFC 3501 and RFC 9051 section 7.5.2 (ENVELOPE: raw values,
 * sender and reply-to default to from when absent or empty); RFC 2047
 * (encoded words, decoded for the summary only); RFC 5322 section 3.6
 * (the first of a repeated field is the one used).
 */
import libmime from 'libmime';
import { MISSING_DOMAIN, parseAddressList } from './address-list.js';
import { parseDateTime } from './date-time.js';
import type { HeaderField } from './header-fields.js';
import { MAX_SUMMARY_SUBJECT_CHARS } from './limits.js';
import type { Envelope, MessageSummary } from './types.js';

export function emptyEnvelope(): Envelope {
  return {
    date: null, subject: null, from: null, sender: null, replyTo: null,
    to: null, cc: null, bcc: null, inReplyTo: null, messageId: null,
  };
}

type EnvelopeKey = 'date' | 'subject' | 'from' | 'sender' | 'reply-to' | 'to' | 'cc' | 'bcc' | 'in-reply-to' | 'message-id';
const ENVELOPE_FIELDS: ReadonlySet<string> = new Set<EnvelopeKey>([
  'date', 'subject', 'from', 'sender', 'reply-to', 'to', 'cc', 'bcc', 'in-reply-to', 'message-id',
]);

/** The first value of each envelope field, keyed by lower-case name. */
function firstValues(fields: readonly HeaderField[]): Map<string, string> {
  const values = new Map<string, string>();
  for (const field of fields) {
    const name = field.name.toLowerCase();
    if (ENVELOPE_FIELDS.has(name) && !values.has(name)) values.set(name, field.value);
  }
  return values;
}

export function buildEnvelope(fields: readonly HeaderField[]): Envelope {
  const values = firstValues(fields);
  const addresses = (name: EnvelopeKey) => {
    const value = values.get(name);
    return value === undefined ? null : parseAddressList(value);
  };
  const from = addresses('from');
  return {
    date: values.get('date') ?? null,
    subject: values.get('subject') ?? null,
    from,
    sender: addresses('sender') ?? from,
    replyTo: addresses('reply-to') ?? from,
    to: addresses('to'),
    cc: addresses('cc'),
    bcc: addresses('bcc'),
    inReplyTo: values.get('in-reply-to') ?? null,
    messageId: values.get('message-id') ?? null,
  };
}

export function buildSummary(fields: readonly HeaderField[], envelope: Envelope): MessageSummary {
  let fromCount = 0;
  for (const field of fields) if (field.name.toLowerCase() === 'from') fromCount++;
  let from: string | null = null;
  for (const address of envelope.from ?? []) {
    if (address.mailbox !== null && address.host !== null) {
      from = address.host === MISSING_DOMAIN ? address.mailbox : `${address.mailbox}@${address.host}`;
      break;
    }
  }
  return {
    messageId: summaryMessageId(envelope.messageId),
    subject: envelope.subject === null ? null : decodeSubject(envelope.subject),
    from,
    date: envelope.date === null ? null : parseDateTime(envelope.date),
    fromCount,
  };
}

function summaryMessageId(value: string | null): string | null {
  if (value === null) return null;
  const open = value.indexOf('<');
  const close = open < 0 ? -1 : value.indexOf('>', open);
  if (close > open) return value.slice(open, close + 1);
  return value === '' ? null : value;
}

function decodeSubject(raw: string): string {
  const cut = raw.length > MAX_SUMMARY_SUBJECT_CHARS ? raw.slice(0, MAX_SUMMARY_SUBJECT_CHARS) : raw;
  try {
    return libmime.decodeWords(cut);
  } catch {
    return cut;
  }
}
