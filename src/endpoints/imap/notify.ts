/*
 * NOTIFY (RFC 5465) for one session: checking a NOTIFY SET request
 * (checkNotify), and the Notifier that collects the account's events for
 * mailboxes other than the selected one and turns them into untagged
 * STATUS and LIST responses when the session may send them. The selected
 * mailbox's own updates (EXISTS, EXPUNGE, FETCH) are sent by the session
 * (announceChanges), plus the MessageNew fetch attributes (fetchNew).
 *
 * Pending work is kept per mailbox (a burst of deliveries to one folder
 * is one STATUS); more than MAX_NOTIFY_PENDING mailboxes waiting, or a
 * client that does not read its responses, is answered
 * `* OK [NOTIFICATIONOVERFLOW]` and notifications stop (as NOTIFY NONE).
 *
 * Exports: checkNotify, Notifier, NotifySpec, NotifyCheck, SUPPORTED_EVENTS.
 * Security: events come from the session's own account only (the feed is
 * watched by account id); mailbox names in filters are client input,
 * compared only, never used to reach a mailbox; fetch attributes are
 * parsed by the ordinary FETCH parser and may not change state (no
 * BODY[] without PEEK, RFC822, RFC822.TEXT).
 * Standards: RFC 5465. Choices where it leaves room: events caused by
 * the session itself are reported too, except for the selected mailbox
 * (its command responses already told it); a mailbox matched by several
 * filters takes the first; STATUS for another mailbox carries MESSAGES,
 * UIDNEXT, UIDVALIDITY and UNSEEN (and HIGHESTMODSEQ once CONDSTORE is
 * enabled); METADATA changes are reported as the entry names
 * (`* METADATA mailbox entry...`), the client fetches values it wants;
 * AnnotationChange is answered [BADEVENT] (no ANNOTATE).
 */
import type { MailboxChange, MailboxEvent } from '../../mailbox/events.js';
import { HIERARCHY_SEPARATOR, normalizeMailboxName, type ListEntry } from '../../mailbox/index.js';
import {
  ImapFramer,
  POST_AUTH_FRAMER_LIMITS,
  encodeList,
  encodeMetadataChanged,
  encodeStatus,
  encodeUntaggedStatus,
  parseCommand,
  type ImapValue,
} from '../../proto/imap/index.js';
import type { NotifyArgs, NotifyFilter } from '../../proto/imap/parse/notify.js';
import { fetch } from './commands/fetch.js';
import { listAttributes } from './commands/list.js';
import type { CommandOf, SessionApi } from './context.js';
import { MAX_NOTIFY_PENDING, MAX_PENDING_OUTPUT_BYTES } from './limits.js';

/** The events this server reports, as BADEVENT lists them. */
export const SUPPORTED_EVENTS = ['MessageNew', 'MessageExpunge', 'FlagChange', 'MailboxName', 'SubscriptionChange', 'MailboxMetadataChange', 'ServerMetadataChange'];
const SUPPORTED = new Set(SUPPORTED_EVENTS.map((e) => e.toUpperCase()));
const MESSAGE_EVENTS = new Set(['MESSAGENEW', 'MESSAGEEXPUNGE', 'FLAGCHANGE', 'ANNOTATIONCHANGE']);
const MAILBOX_EVENTS = new Set(['MAILBOXNAME', 'SUBSCRIPTIONCHANGE', 'MAILBOXMETADATACHANGE', 'SERVERMETADATACHANGE']);

const EVENT_OF: Record<MailboxChange, string> = { new: 'MESSAGENEW', expunge: 'MESSAGEEXPUNGE', flags: 'FLAGCHANGE' };

export interface SelectedNotify {
  delayed: boolean;
  events: ReadonlySet<string>;
  /** MessageNew's fetch attributes, as a FETCH item list, or null. */
  fetchAtts: string | null;
}

interface OtherGroup {
  filter: NotifyFilter;
  /** SUBTREE/MAILBOXES names, normalised (INBOX in upper case). */
  names: string[];
  events: ReadonlySet<string>;
}

export interface NotifySpec {
  status: boolean;
  /** null: no SELECTED or SELECTED-DELAYED group. */
  selected: SelectedNotify | null;
  others: OtherGroup[];
}

export type NotifyCheck = { ok: true; spec: NotifySpec } | { ok: false; kind: 'BAD'; text: string } | { ok: false; kind: 'BADEVENT' };

/** Wants a change of one of these kinds (an empty list stands for "something changed"). */
export function wantsChange(events: ReadonlySet<string>, changes: Iterable<MailboxChange>): boolean {
  let any = false;
  for (const c of changes) {
    any = true;
    if (events.has(EVENT_OF[c])) return true;
  }
  return !any && events.size > 0;
}

/** Parses fetch attributes as the ordinary FETCH command would; null when they do not parse. */
function parseFetchAtts(atts: string, from: number, to: number): CommandOf<'FETCH'> | null {
  const framer = new ImapFramer(POST_AUTH_FRAMER_LIMITS);
  framer.push(Buffer.from(`N FETCH ${from}:${to} (${atts})\r\n`));
  const event = framer.next();
  if (!event || event.kind !== 'command') return null;
  const parsed = parseCommand(event.unit);
  if (!parsed.ok || parsed.command.name !== 'FETCH') return null;
  return parsed.command;
}

/** Checks a NOTIFY SET: BAD for what RFC 5465 forbids, BADEVENT for events this server does not report. */
export function checkNotify(args: Extract<NotifyArgs, { kind: 'SET' }>): NotifyCheck {
  let selected: SelectedNotify | null = null;
  const others: OtherGroup[] = [];
  let unsupported = false;
  for (const g of args.groups) {
    const events = new Set((g.events ?? []).map((e) => e.name));
    const isSelected = g.filter.kind === 'SELECTED' || g.filter.kind === 'SELECTED-DELAYED';
    for (const name of events) {
      if (!MESSAGE_EVENTS.has(name) && !MAILBOX_EVENTS.has(name)) return { ok: false, kind: 'BAD', text: `Unknown event ${name}` };
      if (!SUPPORTED.has(name)) unsupported = true;
    }
    // RFC 5465 section 5: MessageNew and MessageExpunge go together; FlagChange and AnnotationChange need both.
    if (events.has('MESSAGENEW') !== events.has('MESSAGEEXPUNGE')) return { ok: false, kind: 'BAD', text: 'MessageNew and MessageExpunge must be given together' };
    if ((events.has('FLAGCHANGE') || events.has('ANNOTATIONCHANGE')) && !events.has('MESSAGENEW')) return { ok: false, kind: 'BAD', text: 'FlagChange needs MessageNew and MessageExpunge' };
    const withAtts = (g.events ?? []).find((e) => e.fetchAtts.length > 0);
    if (isSelected) {
      if (selected) return { ok: false, kind: 'BAD', text: 'Only one SELECTED or SELECTED-DELAYED group' };
      if ([...events].some((e) => MAILBOX_EVENTS.has(e))) return { ok: false, kind: 'BAD', text: 'Mailbox events do not apply to the selected mailbox' };
      let fetchAtts: string | null = null;
      if (withAtts) {
        // State-changing items would set \Seen behind the client's back; .PEEK forms are fine.
        fetchAtts = withAtts.fetchAtts.join(' ');
        const cmd = parseFetchAtts(fetchAtts, 1, 1);
        if (!cmd) return { ok: false, kind: 'BAD', text: 'Invalid fetch attributes' };
        if (cmd.args.items.some((i) => ((i.kind === 'BODY[]' || i.kind === 'BINARY[]') && !i.peek) || i.kind === 'RFC822' || i.kind === 'RFC822.TEXT')) {
          return { ok: false, kind: 'BAD', text: 'Fetch attributes must not set \\Seen (use BODY.PEEK)' };
        }
      }
      selected = { delayed: g.filter.kind === 'SELECTED-DELAYED', events, fetchAtts };
    } else {
      if (withAtts) return { ok: false, kind: 'BAD', text: 'Fetch attributes only with SELECTED or SELECTED-DELAYED' };
      const names = g.filter.kind === 'SUBTREE' || g.filter.kind === 'MAILBOXES' ? g.filter.mailboxes.map(normalizeMailboxName) : [];
      others.push({ filter: g.filter, names, events });
    }
  }
  if (unsupported) return { ok: false, kind: 'BADEVENT' };
  return { ok: true, spec: { status: args.status, selected, others } };
}

const ALL_MAILBOXES = { reference: '', patterns: ['*'], subscribedOnly: false, specialUseOnly: false, recursiveMatch: false };

export class Notifier {
  private readonly mailboxes = new Map<number, Set<MailboxChange>>();
  private readonly names: { name: string | null; oldName?: string }[] = [];
  private readonly subscriptions = new Set<string>();
  /** METADATA changes: mailbox name ('' for the server) to the entries changed. */
  private readonly metadata = new Map<string, Set<string>>();
  private overflowed = false;

  constructor(readonly spec: NotifySpec) {}

  /** Nothing is waiting to be sent. */
  get idle(): boolean {
    return !this.overflowed && this.mailboxes.size === 0 && this.names.length === 0 && this.subscriptions.size === 0 && this.metadata.size === 0;
  }

  /** Records an event of the account; true when something may be sent. selectedId: the session's selected mailbox. */
  note(event: MailboxEvent, selectedId: number | undefined): boolean {
    if (this.overflowed) return true;
    switch (event.type) {
      case 'messages': {
        if (event.mailboxId === selectedId) return false;
        if (!this.spec.others.some((g) => wantsChange(g.events, event.changes))) return false;
        let changes = this.mailboxes.get(event.mailboxId);
        if (!changes) this.mailboxes.set(event.mailboxId, (changes = new Set()));
        for (const c of event.changes) changes.add(c);
        break;
      }
      case 'mailbox-name':
        if (!this.spec.others.some((g) => g.events.has('MAILBOXNAME'))) return false;
        this.names.push({ name: event.name, oldName: event.oldName });
        break;
      case 'subscription':
        if (!this.spec.others.some((g) => g.events.has('SUBSCRIPTIONCHANGE'))) return false;
        this.subscriptions.add(event.name);
        break;
      case 'metadata': {
        const wanted = event.mailbox === null ? 'SERVERMETADATACHANGE' : 'MAILBOXMETADATACHANGE';
        if (!this.spec.others.some((g) => g.events.has(wanted))) return false;
        const key = event.mailbox ?? '';
        let entries = this.metadata.get(key);
        if (!entries) this.metadata.set(key, (entries = new Set()));
        for (const e of event.entries) entries.add(e);
        break;
      }
    }
    if (this.mailboxes.size + this.names.length + this.subscriptions.size + this.metadata.size > MAX_NOTIFY_PENDING) this.overflowed = true;
    return true;
  }

  /**
   * Sends what is pending. Returns false when notifications overflowed
   * (the client was told; the session turns NOTIFY off).
   */
  async flush(s: SessionApi): Promise<boolean> {
    if (this.overflowed || s.pendingOutput() > MAX_PENDING_OUTPUT_BYTES) {
      this.clear();
      s.send(encodeUntaggedStatus('OK', 'Too many notifications, NOTIFY is off', { code: 'NOTIFICATIONOVERFLOW' }));
      return false;
    }
    const mailboxes = [...this.mailboxes];
    const names = this.names.splice(0);
    const subscriptions = [...this.subscriptions];
    const metadata = [...this.metadata];
    this.mailboxes.clear();
    this.subscriptions.clear();
    this.metadata.clear();
    const entries = await s.mailboxes.list(ALL_MAILBOXES);
    const byId = new Map(entries.filter((e) => e.record).map((e) => [e.record!.id, e]));
    const byName = new Map(entries.map((e) => [e.name, e]));
    for (const [id, changes] of mailboxes) {
      const entry = byId.get(id);
      if (!entry || id === s.selected?.record.id) continue;
      const group = this.groupFor(entry.name, entry.subscribed);
      if (group && wantsChange(group.events, changes)) await this.sendStatus(s, entry.name);
    }
    for (const n of names) {
      const name = n.name ?? n.oldName!;
      const entry = n.name === null ? undefined : byName.get(n.name);
      const group = this.groupFor(name, entry?.subscribed ?? false) ?? (n.oldName ? this.groupFor(n.oldName, false) : undefined);
      if (!group?.events.has('MAILBOXNAME')) continue;
      if (n.name === null) s.send(encodeList(['\\NonExistent'], HIERARCHY_SEPARATOR, n.oldName!, s.encoder));
      else {
        const attrs = entry ? listAttributes(entry, { subscribed: true }) : [];
        const extended: ImapValue[] = n.oldName ? ['OLDNAME', [{ mailbox: n.oldName }]] : [];
        s.send(encodeList(attrs, HIERARCHY_SEPARATOR, n.name, s.encoder, extended));
      }
    }
    if (subscriptions.length) {
      const subscribed = new Set((await s.mailboxes.list({ ...ALL_MAILBOXES, subscribedOnly: true })).map((e) => e.name));
      for (const name of subscriptions) {
        const isSubscribed = subscribed.has(name);
        const group = this.groupFor(name, isSubscribed) ?? this.groupFor(name, true);
        if (!group?.events.has('SUBSCRIPTIONCHANGE')) continue;
        const entry: ListEntry = byName.get(name) ?? { name, exists: false, subscribed: false, hasChildren: false, specialUse: null, childSubscribed: false, record: null };
        s.send(encodeList(listAttributes({ ...entry, subscribed: isSubscribed }, { subscribed: true }), HIERARCHY_SEPARATOR, name, s.encoder));
      }
    }
    for (const [mailbox, entries] of metadata) {
      // Server entries go to any group that asked; a mailbox's to the group covering it.
      if (mailbox === '' ? !this.spec.others.some((g) => g.events.has('SERVERMETADATACHANGE')) : !this.groupFor(mailbox, byName.get(mailbox)?.subscribed ?? false)?.events.has('MAILBOXMETADATACHANGE')) continue;
      s.send(encodeMetadataChanged(mailbox, [...entries], s.encoder));
    }
    return true;
  }

  /** NOTIFY SET STATUS: a STATUS for every mailbox watched for message events by the non-selected groups (the selected one excepted). */
  async initialStatus(s: SessionApi): Promise<void> {
    for (const e of await s.mailboxes.list(ALL_MAILBOXES)) {
      if (!e.record || e.record.id === s.selected?.record.id) continue;
      const group = this.groupFor(e.name, e.subscribed);
      if (group && wantsChange(group.events, ['new', 'expunge', 'flags'])) await this.sendStatus(s, e.name);
    }
  }

  /**
   * MessageNew with fetch attributes: a FETCH of those attributes for the
   * messages from sequence number from to `to` (just announced with
   * EXISTS), through the ordinary FETCH handler.
   */
  async fetchNew(s: SessionApi, from: number, to: number): Promise<void> {
    const atts = this.spec.selected?.fetchAtts;
    if (!atts || from > to) return;
    const cmd = parseFetchAtts(atts, from, to);
    if (!cmd) return;
    // The handler's tagged reply belongs to no command of the client's: drop it.
    const quiet: SessionApi = Object.create(s, { tagged: { value: () => {} } }) as SessionApi;
    await fetch(quiet, cmd);
  }

  private clear(): void {
    this.mailboxes.clear();
    this.names.length = 0;
    this.subscriptions.clear();
    this.metadata.clear();
    this.overflowed = false;
  }

  private async sendStatus(s: SessionApi, name: string): Promise<void> {
    const r = await s.mailboxes.status(name, { unseen: true, deleted: false });
    if (!r.ok) return;
    const st = r.value.status;
    const items: Array<[string, number]> = [['MESSAGES', st.messages], ['UIDNEXT', st.uidNext], ['UIDVALIDITY', st.uidValidity], ['UNSEEN', st.unseen]];
    if (s.enabled.has('CONDSTORE') || s.enabled.has('QRESYNC')) items.push(['HIGHESTMODSEQ', st.highestModseq]);
    s.send(encodeStatus(name, items, s.encoder));
  }

  /** The first non-selected group whose filter covers this mailbox. */
  private groupFor(name: string, subscribed: boolean): OtherGroup | undefined {
    return this.spec.others.find((g) => {
      switch (g.filter.kind) {
        case 'INBOXES':
          return name === 'INBOX';
        case 'PERSONAL':
          return true;
        case 'SUBSCRIBED':
          return subscribed;
        case 'SUBTREE':
          return g.names.some((n) => name === n || name.startsWith(n + HIERARCHY_SEPARATOR));
        case 'MAILBOXES':
          return g.names.includes(name);
        default:
          return false;
      }
    });
  }
}
