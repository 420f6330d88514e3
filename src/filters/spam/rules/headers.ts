/*
 * Header rules: fields a real mail program always writes and bulk
 * software forgets (Date, Message-ID, From), fields that disagree with
 * each other or with the envelope, and the marks of bulk mailers. Scores
 * are ours, in SpamAssassin's scale (5 is spam): none is enough alone.
 *
 * Exports: HEADER_RULES, domainOf.
 * Security: reads the untrusted header through the message view; every
 * regular expression is linear, on values the indexer already bounded.
 * Standards: RFC 5322 sections 3.6 (required fields: Date and From; one
 * From), 3.6.4 (msg-id syntax), 3.6.2 (Reply-To), 3.3 (dates).
 */
import { parseDateTime } from '../../../mime/date-time.js';
import type { Rule, RuleInput } from './types.js';

const HOUR = 3_600_000;

/** The domain of an address, lower case, or undefined. */
export function domainOf(address: string): string | undefined {
  const at = address.lastIndexOf('@');
  return at > 0 && at < address.length - 1 ? address.slice(at + 1).replace(/>.*$/, '').trim().toLowerCase() : undefined;
}

const fromDomain = ({ view }: RuleInput) => view.from[0]?.host?.toLowerCase() ?? undefined;

const dateOf = ({ view }: RuleInput): number | null | undefined => {
  const v = view.first('date');
  return v === undefined ? undefined : parseDateTime(v);
};

const MSG_ID = /^<[^<>@\s]+@[^<>@\s]+>$/;

/** Mailers that only bulk senders use; the names they put in X-Mailer. */
const BULK_MAILERS = /\b(?:mass ?mail(?:er)?|bulk ?mail(?:er)?|group ?mail|atomic mail sender|sendblaster|e-?mail ?marketer|emarksman|advanced mass sender|worldmerge)\b/i;

export const HEADER_RULES: Rule[] = [
  { name: 'MISSING_DATE', score: 1.4, description: 'No Date field (RFC 5322 requires one)', test: ({ view }) => view.first('date') === undefined },
  { name: 'INVALID_DATE', score: 1.0, description: 'A Date field that is not a date', test: (i) => dateOf(i) === null },
  { name: 'DATE_IN_FUTURE_12', score: 1.5, description: 'Dated more than 12 hours ahead', test: (i) => { const d = dateOf(i); return typeof d === 'number' && d - i.now > 12 * HOUR; } },
  { name: 'DATE_IN_PAST_96', score: 1.0, description: 'Dated more than 96 hours before it arrived', test: (i) => { const d = dateOf(i); return typeof d === 'number' && i.now - d > 96 * HOUR; } },
  { name: 'MISSING_MID', score: 0.5, description: 'No Message-ID field', test: ({ view }) => view.first('message-id') === undefined },
  { name: 'INVALID_MSGID', score: 1.0, description: 'A Message-ID that is not <left@right>', test: ({ view }) => { const v = view.first('message-id'); return v !== undefined && !MSG_ID.test(v.trim()); } },
  { name: 'MISSING_FROM', score: 1.0, description: 'No From field, or no address in it', test: ({ view }) => view.from.length === 0 },
  { name: 'MULTIPLE_FROM', score: 2.0, description: 'Several From fields (RFC 5322 allows one)', test: ({ view }) => view.all('from').length > 1 },
  { name: 'MISSING_SUBJECT', score: 0.5, description: 'No Subject field', test: ({ view }) => view.first('subject') === undefined },
  { name: 'MISSING_TO', score: 0.5, description: 'No To field', test: ({ view }) => view.first('to') === undefined },
  {
    name: 'SUBJ_ALL_CAPS', score: 0.5, description: 'Subject in capitals only',
    test: ({ view }) => { const letters = view.subject.replace(/[^\p{L}]/gu, ''); return letters.length >= 10 && letters === letters.toUpperCase() && letters !== letters.toLowerCase(); },
  },
  {
    name: 'FAKE_REPLY', score: 1.0, description: 'Subject says Re: but the message replies to nothing (no In-Reply-To or References)',
    test: ({ view }) => /^\s*re\s*:/i.test(view.subject) && view.first('in-reply-to') === undefined && view.first('references') === undefined,
  },
  {
    name: 'FROM_REPLYTO_DIFF_DOMAIN', score: 0.5, description: 'Reply-To goes to another domain than From',
    test: (i) => { const r = i.view.first('reply-to'); const rd = r === undefined ? undefined : domainOf(r); const fd = fromDomain(i); return rd !== undefined && fd !== undefined && rd !== fd; },
  },
  {
    name: 'HEADER_FROM_DIFFERENT_DOMAINS', score: 0.3, description: 'The envelope sender is of another domain than From',
    test: (i) => { const sd = domainOf(i.sender); const fd = fromDomain(i); return sd !== undefined && fd !== undefined && sd !== fd && !sd.endsWith(`.${fd}`); },
  },
  {
    name: 'FROM_NAME_HAS_OTHER_ADDR', score: 1.5, description: 'From\'s display name shows an address of another domain (a phishing disguise)',
    test: (i) => { const f = i.view.from[0]; const shown = f?.name ? domainOf(f.name.replace(/[)"'\s]+$/, '')) : undefined; return shown !== undefined && /\./.test(shown) && shown !== f?.host?.toLowerCase(); },
  },
  { name: 'XM_BULK_MAILER', score: 1.5, description: 'X-Mailer names bulk-mailing software', test: ({ view }) => BULK_MAILERS.test(view.first('x-mailer') ?? '') },
];
