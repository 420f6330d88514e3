/*
 * Sieve at local delivery: for one account a message reaches, run the
 * admin's before scripts, the user's active script and the after scripts
 * (compiled when stored; never compiled here) and turn the actions into
 * what the delivery transaction writes: the mailboxes and flags of the
 * kept copies, copies with edited header fields, redirects, vacation
 * replies and notifications queued as messages of their own, and the
 * duplicate marks. Nothing is written here: the plan rides in the same
 * DeliveryRequest whose commit gives the 250, so an acknowledged message
 * is either delivered as the script said or not acknowledged at all.
 *
 * The interpreter is synchronous and pure, while includes and duplicate
 * marks live in the store: the run is repeated (at most MAX_PASSES times)
 * with what the previous pass asked for and did not find loaded, which
 * costs one more run only for scripts that use them.
 *
 * Exports: SieveDelivery, SieveDeliveryDeps, SieveDeliveryInput, SievePlan,
 * SievePlannedCopy, SIEVE_REDIRECT_MARKER.
 * Security: the script is the user's, the message anyone's. Runs are bounded
 * (steps, time, redirects); a runtime error or a broken stored script
 * falls back to keep and is logged; redirects of a message that already
 * passed through this user's redirect stop (SIEVE_REDIRECT_MARKER), and the
 * hop limit (cleanup) stops the rest; automatic answers follow RFC 3834.
 * Standards: RFC 5228 2.10, RFC 5230/6131, RFC 5232, RFC 5293, RFC 3894,
 * RFC 5429, RFC 5435/5436, RFC 5490, RFC 7352, RFC 8579, RFC 6609.
 */
import { createHash } from 'node:crypto';
import { newQueueId } from '../../core/ids.js';
import { INBOX } from '../../core/mailbox-names.js';
import { parseAddress } from '../../core/address.js';
import type { Resolution } from '../../directory/resolve.js';
import { indexMessage } from '../../mime/index.js';
import {
  parseSieveMessage,
  runSieveSequence,
  type CompiledScript,
  type SieveAction,
  type SieveMessage,
  type SieveRunResult,
  type VacationAction,
} from '../../sieve/index.js';
import type { AccountRecord, OutboundEnvelope, SieveGlobalScriptRecord, SieveMark, SieveMarkReader } from '../../store/types.js';
import type { Logger } from '../../telemetry/logger.js';
import type { CommitItem } from '../committer.js';
import { applyHeaderEdits } from './edit.js';
import { environmentItems, imapFlags, mailboxView, scriptMailbox, spamtestOf, virustestOf, type MailboxView, type SieveFilterFacts } from './env.js';
import { addressesIn, autoReplyRefusal, buildNotification, buildVacationReply, notifyRefusal, parseMailto, RECIPIENT_FIELDS, vacationSeconds } from './reply.js';

/** The header a redirected copy carries (Pigeonhole's name): the user it was redirected for, so it is not redirected again. */
export const SIEVE_REDIRECT_MARKER = 'X-Sieve-Redirected-From';
/** Runs of one delivery while includes or duplicate marks are still being loaded. */
const MAX_PASSES = 4;
/** Wall-clock budget of one run (the step budget is the interpreter's). */
const DEFAULT_MAX_MILLIS = 1000;
/** How long the global scripts read for one delivery serve the next ones (every delivery would otherwise read them). */
const GLOBALS_TTL_MS = 1000;
/** Longest reject reason sent in the SMTP/LMTP reply. */
const MAX_REASON = 200;

export interface SieveDeliveryDeps {
  scripts: {
    active(accountId: number): Promise<{ name: string; compiled: string } | undefined>;
    get(accountId: number, name: string): Promise<{ compiled: string } | undefined>;
    listGlobal(): Promise<SieveGlobalScriptRecord[]>;
  };
  mailboxes: { listMailboxes(accountId: number): Promise<{ name: string; specialUse: string | null }[]> };
  marks: SieveMarkReader;
  directory: { resolve(address: { local: string; domain: string }): Promise<Resolution>; maySendAs(account: AccountRecord, text: string): Promise<boolean> };
  hostname: string;
  maxMillis?: number;
  maxSteps?: number;
  maxRedirects?: number;
  /** Monotonic clock for the run's time budget (performance.now). */
  clock?: () => number;
}

export interface SieveDeliveryInput {
  account: AccountRecord;
  /** The RCPT address that reached this account (envelope "to"). */
  recipient: string;
  sender: string;
  /** The message as it will be stored (our Received and the filters' fields on top). */
  bytes: Buffer;
  messageId: string | null;
  threadRefs?: string[];
  queueId: string;
  source: 'mx' | 'submission' | 'lmtp' | 'local';
  /** Where keep files it: INBOX, or Junk when the filters judged it spam for this recipient. */
  keepMailbox: string;
  facts?: SieveFilterFacts;
  clientIp?: string;
  /** The authenticated submitter (envelope "auth"). */
  auth?: string;
  envelope: OutboundEnvelope;
  enforceQuota: boolean;
  now: Date;
  log: Logger;
}

export interface SievePlannedCopy {
  mailbox: string;
  flags: string[];
}

export type SievePlan =
  | {
      kind: 'deliver';
      /** Copies of the message as received. */
      copies: SievePlannedCopy[];
      /** Messages of their own: edited copies (local targets of this account), redirects, replies. */
      also: CommitItem[];
      /** How many of `also` (from the start) are copies into this account's mailboxes, whose outcome is the recipient's. */
      localAlso: number;
      marks: SieveMark[];
    }
  | { kind: 'refuse'; reason: string };

const sha = (...parts: string[]) => createHash('sha256').update(parts.join('\0')).digest('hex');

function parseCompiled(json: string): CompiledScript | null {
  try {
    const s = JSON.parse(json) as CompiledScript;
    return s && typeof s === 'object' && Array.isArray(s.commands) ? s : null;
  } catch {
    return null;
  }
}

export class SieveDelivery {
  private globals: { at: number; list: Promise<SieveGlobalScriptRecord[]> } | undefined;

  constructor(private readonly deps: SieveDeliveryDeps) {}

  /** The administrator's scripts, read again at most every GLOBALS_TTL_MS (a change applies within a second). */
  private globalScripts(): Promise<SieveGlobalScriptRecord[]> {
    const now = Date.now();
    if (!this.globals || now - this.globals.at > GLOBALS_TTL_MS) {
      const list = this.deps.scripts.listGlobal();
      this.globals = { at: now, list };
      list.catch(() => (this.globals = undefined));
    }
    return this.globals.list;
  }

  /** The plan for this account, or null when it has no active script and the admin none either (deliver as before). */
  async plan(input: SieveDeliveryInput): Promise<SievePlan | null> {
    const { account, log } = input;
    const [active, globals] = await Promise.all([this.deps.scripts.active(account.id), this.globalScripts()]);
    const before = globals.filter((g) => g.phase === 'before');
    const after = globals.filter((g) => g.phase === 'after');
    if (!active && before.length === 0 && after.length === 0) return null;
    const names = [...before.map((g) => `global/${g.name}`), ...(active ? [`personal/${active.name}`] : []), ...after.map((g) => `global/${g.name}`)];
    const sources = [...before, ...(active ? [active] : []), ...after];
    const scripts = sources.map((s) => parseCompiled(s.compiled));
    const message = parseSieveMessage(input.bytes);
    const view = mailboxView(await this.deps.mailboxes.listMailboxes(account.id));
    const address = `${account.local}@${account.domain}`;

    let result: SieveRunResult;
    const broken = scripts.findIndex((s) => s === null);
    if (broken >= 0) {
      log.warn('sieve script unreadable, keeping the message', { user: address, script: names[broken], status: 'keep' });
      result = fallback();
    } else {
      result = await this.run(scripts as CompiledScript[], message, view, input);
      if (!result.ok) {
        log.warn('sieve runtime error, keeping the message', { user: address, scripts: names.join(','), line: result.error.line, column: result.error.column, reason: result.error.message, status: 'keep' });
      }
    }
    for (const w of result.warnings) log.info('sieve warning', { user: address, reason: w });
    return this.toPlan(result, message, view, input);
  }

  private async run(scripts: CompiledScript[], message: SieveMessage, view: MailboxView, input: SieveDeliveryInput): Promise<SieveRunResult> {
    const accountId = input.account.id;
    const seen = new Map<string, boolean>();
    const includes = new Map<string, CompiledScript | null>();
    let result!: SieveRunResult;
    for (let pass = 0; pass < MAX_PASSES; pass++) {
      const missingMarks = new Set<string>();
      const missingIncludes = new Set<string>();
      result = runSieveSequence(scripts, {
        message,
        envelope: { from: input.sender, to: input.recipient, ...(input.auth ? { auth: input.auth } : {}) },
        now: input.now,
        environment: environmentItems(this.deps.hostname, { ip: input.clientIp }),
        spam: spamtestOf(input.facts),
        virus: virustestOf(input.facts),
        isDuplicate(handle, id) {
          const mark = sha(handle, id);
          const known = seen.get(mark);
          if (known === undefined) missingMarks.add(mark);
          return known ?? false;
        },
        mailboxExists: (name) => view.exists(name),
        specialUseExists: (mailbox, flags) => view.specialUseExists(mailbox, flags),
        loadInclude(location, name) {
          const key = `${location}/${name}`;
          if (!includes.has(key)) missingIncludes.add(key);
          return includes.get(key) ?? null;
        },
        maxSteps: this.deps.maxSteps,
        maxRedirects: this.deps.maxRedirects,
        maxMillis: this.deps.maxMillis ?? DEFAULT_MAX_MILLIS,
        clock: this.deps.clock ?? (() => performance.now()),
      });
      if (missingMarks.size === 0 && missingIncludes.size === 0) break;
      if (missingMarks.size > 0) {
        const found = await this.deps.marks.unexpired(accountId, 'duplicate', [...missingMarks], input.now.getTime());
        for (const m of missingMarks) seen.set(m, found.has(m));
      }
      for (const key of missingIncludes) {
        const [location, ...rest] = key.split('/');
        const name = rest.join('/');
        let compiled: string | undefined;
        if (location === 'global') compiled = (await this.globalScripts()).find((g) => g.name === name)?.compiled;
        else compiled = (await this.deps.scripts.get(accountId, name))?.compiled;
        includes.set(key, compiled !== undefined ? parseCompiled(compiled) : null);
      }
    }
    return result;
  }

  private async toPlan(result: SieveRunResult, message: SieveMessage, view: MailboxView, input: SieveDeliveryInput): Promise<SievePlan> {
    const { account, log } = input;
    const address = `${account.local}@${account.domain}`;
    const reject = result.actions.find((a) => a.type === 'reject');
    if (reject && reject.type === 'reject') {
      const reason = reject.reason.replace(/[^\x20-\x7e]+/g, ' ').trim().slice(0, MAX_REASON) || 'Rejected by the recipient';
      log.info('sieve reject', { user: address, reason, status: 'refused' });
      return { kind: 'refuse', reason };
    }
    // The loop stop: this user already redirected this message once (it came back).
    const looped = message.header(SIEVE_REDIRECT_MARKER).some((v) => v.toLowerCase().includes(address.toLowerCase()));
    const copies = new Map<number, SievePlannedCopy[]>(); // by the number of header edits applying to them
    const redirects = new Map<number, string[]>();
    const replies: CommitItem[] = [];
    const addCopy = (edits: number, mailbox: string, flags: string[]) => {
      const list = copies.get(edits) ?? [];
      const same = list.find((c) => c.mailbox === mailbox);
      if (same) same.flags = [...new Set([...same.flags, ...flags])];
      else list.push({ mailbox, flags });
      copies.set(edits, list);
    };
    const flagsOf = (flags: string[]) => {
      const f = imapFlags(flags);
      if (f.refused.length > 0) log.info('sieve flags not stored', { user: address, flags: f.refused.join(' ').slice(0, 200) });
      return f.flags;
    };
    for (const a of result.actions) {
      switch (a.type) {
        case 'keep':
          addCopy(a.edits, input.keepMailbox, flagsOf(a.flags));
          break;
        case 'fileinto':
          addCopy(a.edits, this.fileintoMailbox(a, view, input), flagsOf(a.flags));
          break;
        case 'redirect':
          if (looped) {
            log.info('sieve redirect loop, not redirected again', { user: address, to: `<${a.address}>`, status: 'keep' });
            if (!a.copy) addCopy(a.edits, input.keepMailbox, []);
            break;
          }
          redirects.set(a.edits, [...(redirects.get(a.edits) ?? []), a.address]);
          break;
        case 'vacation': {
          const item = await this.vacation(a, message, input);
          if (item) replies.push(item);
          break;
        }
        case 'notify': {
          const item = await this.notify(a, message, input);
          if (item) replies.push(item);
          break;
        }
        case 'discard':
          log.info('sieve discard', { user: address, status: 'discarded' });
          break;
        case 'reject':
          break;
      }
    }
    const also: CommitItem[] = [];
    for (const [edits, list] of copies) {
      if (edits === 0) continue;
      const bytes = applyHeaderEdits(input.bytes, result.edits.slice(0, edits));
      also.push(this.item(bytes, input, { local: list.map((c) => ({ accountId: account.id, mailbox: c.mailbox, flags: c.flags, enforceQuota: input.enforceQuota })) }));
    }
    const localAlso = also.length;
    for (const [edits, list] of redirects) {
      const item = await this.redirect(list, applyHeaderEdits(input.bytes, result.edits.slice(0, edits)), input);
      if (item) also.push(item);
    }
    also.push(...replies);
    const marks: SieveMark[] = result.duplicates.map((d) => ({ accountId: account.id, kind: 'duplicate', mark: sha(d.handle, d.id), seconds: d.seconds, last: d.last }));
    return { kind: 'deliver', copies: copies.get(0) ?? [], also, localAlso, marks };
  }

  /** Where a fileinto lands: the special-use mailbox, the named one, or (RFC 5490) created; else keep's mailbox. */
  private fileintoMailbox(a: Extract<SieveAction, { type: 'fileinto' }>, view: MailboxView, input: SieveDeliveryInput): string {
    if (a.specialUse !== null) {
      const m = view.withSpecialUse(a.specialUse);
      if (m) return m;
    }
    const name = scriptMailbox(a.mailbox);
    if (name === undefined) {
      input.log.warn('sieve fileinto: invalid mailbox name, keeping', { user: `${input.account.local}@${input.account.domain}`, mailbox: a.mailbox.slice(0, 100) });
      return input.keepMailbox;
    }
    const existing = view.existing(name);
    if (existing) return existing;
    if (a.create) return name;
    // Without :create a missing mailbox is an error (RFC 5490 3.2), and an error keeps (Pigeonhole does the same).
    input.log.warn('sieve fileinto: no such mailbox, keeping', { user: `${input.account.local}@${input.account.domain}`, mailbox: name });
    return input.keepMailbox;
  }

  private item(bytes: Buffer, input: SieveDeliveryInput, request: Partial<CommitItem['request']> & Pick<CommitItem['request'], 'local'>, own?: { messageId: string; queueId: string }): CommitItem {
    const parsed = indexMessage(bytes);
    return {
      bytes,
      index: JSON.stringify(parsed),
      request: {
        internalDate: input.now.getTime(),
        messageId: own ? own.messageId : input.messageId,
        queueId: own ? own.queueId : input.queueId,
        ...(own ? {} : input.threadRefs ? { threadRefs: input.threadRefs } : {}),
        ...request,
      },
    };
  }

  /**
   * A redirect: the copy (with the loop marker) queued for the remote
   * addresses, or into the INBOX of a local one. The envelope sender stays
   * the original one (Petrel has no SRS); the outbound worker ARC-seals the
   * copy with the user's domain key, since it came from the MX or LMTP with
   * our Authentication-Results and ORCPT names the user.
   */
  private async redirect(addresses: string[], edited: Buffer, input: SieveDeliveryInput): Promise<CommitItem | undefined> {
    const address = `${input.account.local}@${input.account.domain}`;
    const bytes = Buffer.concat([Buffer.from(`${SIEVE_REDIRECT_MARKER}: <${address}>\r\n`, 'latin1'), edited]);
    const local: CommitItem['request']['local'] = [];
    const remote: string[] = [];
    for (const to of addresses) {
      const r = await this.resolve(to);
      if (r === undefined) {
        input.log.warn('sieve redirect: no such local address, not redirected', { user: address, to: `<${to}>` });
        continue;
      }
      for (const t of r) {
        if (t.kind === 'remote') remote.push(t.address);
        else if (t.accountId !== input.account.id) local.push({ accountId: t.accountId, mailbox: INBOX, enforceQuota: false });
      }
    }
    if (local.length === 0 && remote.length === 0) return undefined;
    const queueId = newQueueId(input.now.getTime());
    for (const to of remote) input.log.info('sieve redirect', { user: address, to: `<${to}>`, redirect_queue: queueId, status: 'queued' });
    const orcpt = `rfc822;${address}`;
    return this.item(bytes, input, {
      queueId,
      local,
      ...(remote.length > 0
        ? { outbound: { sender: input.sender, recipients: [...new Set(remote)].map((a) => ({ address: a, notify: null, orcpt })), source: input.source, accountId: null, envelope: input.envelope } }
        : {}),
    });
  }

  /** Local account ids or remote addresses an address delivers to; undefined when it is hosted here but unknown. */
  private async resolve(text: string): Promise<({ kind: 'local'; accountId: number } | { kind: 'remote'; address: string })[] | undefined> {
    const parsed = parseAddress(text);
    if (!parsed.ok) return undefined;
    const r = await this.deps.directory.resolve(parsed.address);
    if (r.kind === 'not-hosted') return [{ kind: 'remote', address: text }];
    if (r.kind !== 'deliver') return undefined;
    return r.targets.map((t) => (t.kind === 'mailbox' ? { kind: 'local' as const, accountId: t.account.id } : { kind: 'remote' as const, address: t.address }));
  }

  /** A message from <> to one address, local or queued; undefined when the address is nowhere. */
  private async notice(to: string[], bytes: Buffer, input: SieveDeliveryInput, onlyOnce?: SieveMark): Promise<CommitItem | undefined> {
    const local: CommitItem['request']['local'] = [];
    const remote: string[] = [];
    for (const a of to) {
      const r = await this.resolve(a);
      for (const t of r ?? []) {
        if (t.kind === 'remote') remote.push(t.address);
        else local.push({ accountId: t.accountId, mailbox: INBOX, enforceQuota: false });
      }
    }
    if (local.length === 0 && remote.length === 0) return undefined;
    const queueId = newQueueId(input.now.getTime());
    const messageId = /^Message-ID: (.*)$/im.exec(bytes.toString('latin1'))?.[1] ?? null;
    const body = /^[\x00-\x7f]*$/.test(bytes.toString('latin1')) ? '7bit' : '8bitmime';
    return this.item(
      bytes,
      input,
      {
        local,
        ...(remote.length > 0
          ? { outbound: { sender: '', recipients: [...new Set(remote)].map((a) => ({ address: a, notify: ['NEVER'], orcpt: null })), source: 'local', accountId: null, envelope: { ret: null, envid: null, smtpUtf8: false, requireTls: false, body } } }
          : {}),
        ...(onlyOnce ? { onlyOnce } : {}),
      },
      { messageId: messageId ?? `<${queueId}@${this.deps.hostname}>`, queueId },
    );
  }

  /** RFC 5230 and RFC 3834: whether to answer, then the answer, sent once per sender per period (the mark, taken at commit). */
  private async vacation(a: VacationAction, message: SieveMessage, input: SieveDeliveryInput): Promise<CommitItem | undefined> {
    const { account, log } = input;
    const address = `${account.local}@${account.domain}`;
    // The interpreter's RFC 3834 checks (its recipient check knows only the RCPT address and :addresses; ours below adds the
    // account's own address and aliases), then ours (bounce and robot senders, X-Auto-Response-Suppress).
    const refusal = (a.suppressed !== null && !/not among the recipients/.test(a.suppressed) ? a.suppressed : null) ?? autoReplyRefusal(message, input.sender);
    if (refusal) {
      log.info('sieve vacation: no reply', { user: address, to: `<${input.sender}>`, reason: refusal });
      return undefined;
    }
    const mine = new Set([address.toLowerCase(), input.recipient.toLowerCase(), ...a.addresses.map((x) => x.trim().replace(/^<(.*)>$/, '$1').toLowerCase())]);
    const isMine = async (x: string) => mine.has(x) || (await this.deps.directory.maySendAs(account, x));
    // RFC 5230 4.5: never to oneself; only when one of the user's addresses is a recipient in the header.
    if (await isMine(input.sender.toLowerCase())) {
      log.info('sieve vacation: no reply', { user: address, to: `<${input.sender}>`, reason: 'the sender is the user' });
      return undefined;
    }
    let reached: string | undefined;
    for (const x of addressesIn(message, RECIPIENT_FIELDS)) {
      if (await isMine(x)) {
        reached = x;
        break;
      }
    }
    if (!reached) {
      log.info('sieve vacation: no reply', { user: address, to: `<${input.sender}>`, reason: 'none of the user\'s addresses is in To, Cc or Bcc' });
      return undefined;
    }
    const queueId = newQueueId(input.now.getTime());
    const bytes = buildVacationReply(a, { from: reached, to: input.sender, message, messageId: `<${queueId}.vacation@${this.deps.hostname}>`, now: input.now });
    const once: SieveMark = { accountId: account.id, kind: 'vacation', mark: sha(a.handle, input.sender.toLowerCase()), seconds: vacationSeconds(a), last: false };
    const item = await this.notice([input.sender], bytes, input, once);
    if (item) log.info('sieve vacation', { user: address, to: `<${input.sender}>`, reply_queue: item.request.queueId, status: 'reply unless already sent in the period' });
    return item;
  }

  /** RFC 5435/5436 mailto: a notification from <> with Auto-Submitted: auto-notified. */
  private async notify(a: Extract<SieveAction, { type: 'notify' }>, message: SieveMessage, input: SieveDeliveryInput): Promise<CommitItem | undefined> {
    const address = `${input.account.local}@${input.account.domain}`;
    const target = a.method.toLowerCase().startsWith('mailto:') ? parseMailto(a.method) : null;
    const refusal = target === null ? 'not a mailto: URI with an address' : notifyRefusal(message);
    if (refusal || target === null) {
      input.log.info('sieve notify: not sent', { user: address, method: a.method.slice(0, 100), reason: refusal });
      return undefined;
    }
    const queueId = newQueueId(input.now.getTime());
    const bytes = buildNotification(a, target, { from: address, sender: input.sender, message, messageId: `<${queueId}.notify@${this.deps.hostname}>`, now: input.now });
    const item = await this.notice(target.to, bytes, input);
    if (item) input.log.info('sieve notify', { user: address, to: target.to.map((x) => `<${x}>`).join(','), notify_queue: queueId, status: 'queued' });
    return item;
  }
}

function fallback(): SieveRunResult {
  return { ok: false, error: { line: 0, column: 0, message: 'unreadable script' }, actions: [{ type: 'keep', flags: [], implicit: true, edits: 0 }], implicitKeep: true, flags: [], edits: [], duplicates: [], warnings: [], steps: 0 };
}
