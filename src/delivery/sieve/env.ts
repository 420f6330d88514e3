/*
 * The adapter between delivery and the interpreter's SieveEnv: the filter
 * verdicts as RFC 5235 tests see them, the user's mailboxes for fileinto,
 * mailboxexists and specialuse_exists, IMAP flags a script may set, and
 * the RFC 5183 environment items.
 *
 * Exports: SieveFilterFacts, spamtestOf, virustestOf, MailboxView,
 * mailboxView, imapFlags, environmentItems.
 * Security: flags and mailbox names come from the user's script (and,
 * through variables, from the message): names pass the mailbox layer's
 * check, flags must be IMAP atoms; the rest is our own data.
 * Standards: RFC 5235 (spamtest, spamtestplus, virustest), RFC 5232
 * (flags), RFC 5490, RFC 8579, RFC 5183, RFC 9051 (flag syntax).
 */
import { checkMailboxName } from '../../mailbox/names.js';
import { INBOX } from '../../core/mailbox-names.js';

/** What the filters found that Sieve can test (the shape of filters/types.ts's Facts). */
export interface SieveFilterFacts {
  spam?: { score: number; threshold: number };
  virus?: { infected: boolean; scanned: boolean };
}

/**
 * RFC 5235 spamtest 1..10 and spamtestplus 0..100 from the spam score and
 * the threshold: a score of 0 or less is 1 (0 %), the threshold and above
 * 10 (100 %), linear in between. Absent when the spam filter did not run.
 */
export function spamtestOf(facts: SieveFilterFacts | undefined): { value: number; percent: number } | undefined {
  const s = facts?.spam;
  if (!s || !Number.isFinite(s.score) || !(s.threshold > 0)) return undefined;
  const ratio = Math.min(Math.max(s.score / s.threshold, 0), 1);
  return { value: 1 + Math.round(ratio * 9), percent: Math.round(ratio * 100) };
}

/** RFC 5235 virustest: 0 not scanned, 1 clean, 5 infected (clamd gives no "cured" or heuristic grades). */
export function virustestOf(facts: SieveFilterFacts | undefined): number | undefined {
  const v = facts?.virus;
  if (!v || !v.scanned) return undefined;
  return v.infected ? 5 : 1;
}

export interface MailboxView {
  /** The stored name for a name a script gave (INBOX in any case), when it exists. */
  existing(name: string): string | undefined;
  /** The first mailbox with this special-use flag (\Junk, \Archive ...). */
  withSpecialUse(flag: string): string | undefined;
  exists(name: string): boolean;
  specialUseExists(mailbox: string | null, flags: readonly string[]): boolean;
}

/** The user's mailboxes as fileinto and the mailbox/special-use tests see them. */
export function mailboxView(list: readonly { name: string; specialUse: string | null }[]): MailboxView {
  const byName = new Map(list.map((m) => [m.name, m]));
  const key = (name: string) => (name.toUpperCase() === INBOX ? INBOX : name);
  const uses = (m: { specialUse: string | null }) => (m.specialUse ?? '').toLowerCase().split(/\s+/).filter(Boolean);
  return {
    existing: (name) => (byName.has(key(name)) ? key(name) : undefined),
    withSpecialUse: (flag) => list.find((m) => uses(m).includes(flag.toLowerCase()))?.name,
    exists: (name) => byName.has(key(name)),
    specialUseExists(mailbox, flags) {
      const want = flags.map((f) => f.toLowerCase());
      if (mailbox === null) return want.every((f) => list.some((m) => uses(m).includes(f)));
      const m = byName.get(key(mailbox));
      return m !== undefined && want.every((f) => uses(m).includes(f));
    },
  };
}

/** A mailbox name from a script, checked as IMAP CREATE would check it; undefined when it is not a valid name. */
export function scriptMailbox(name: string): string | undefined {
  const c = checkMailboxName(name);
  return c.ok ? c.name : undefined;
}

const SYSTEM_FLAGS = ['\\seen', '\\answered', '\\flagged', '\\deleted', '\\draft'];
/** An IMAP keyword: atom characters only (no SP, ( ) { % * " \ ] or controls). */
const KEYWORD = /^[\x21\x23-\x27\x2b-\x5b\x5e-\x7a\x7c\x7e]{1,100}$/;

/** The flags of a keep or fileinto that IMAP can store, the others returned apart (\Recent is never settable). */
export function imapFlags(flags: readonly string[]): { flags: string[]; refused: string[] } {
  const out: string[] = [];
  const refused: string[] = [];
  for (const f of flags.slice(0, 64)) {
    if (f.startsWith('\\') ? SYSTEM_FLAGS.includes(f.toLowerCase()) : KEYWORD.test(f)) out.push(f);
    else refused.push(f);
  }
  return { flags: out, refused };
}

/** RFC 5183 items: this host as the MDA, at delivery. */
export function environmentItems(hostname: string, remote?: { ip?: string; host?: string }): { [name: string]: string } {
  const items: { [name: string]: string } = Object.create(null);
  items['domain'] = hostname.includes('.') ? hostname.slice(hostname.indexOf('.') + 1) : hostname;
  items['host'] = hostname;
  items['location'] = 'MDA';
  items['name'] = 'Petrel';
  items['phase'] = 'during';
  items['version'] = '1';
  if (remote?.ip) items['remote-ip'] = remote.ip;
  if (remote?.host) items['remote-host'] = remote.host;
  return items;
}
