/*
 * From a score to what happens, per recipient domain, and the X-Spam-*
 * header fields every scored message gets.
 *
 * Each recipient's domain has thresholds (settings.ts): at or above
 * `reject` the domain would refuse the message, at or above `junk` it is
 * spam and goes to Junk or the quarantine (`spamAction`). Over SMTP a
 * refusal is for the whole message, so recipients whose domains disagree
 * are resolved the permissive way: the message is refused (550 5.7.1)
 * only when every recipient's domain would refuse it; otherwise those
 * that would have refused it get their domain's spam action instead and
 * the others what their own thresholds say. Over LMTP each recipient gets
 * its own answer, refusals included.
 *
 * X-Spam-Status says Yes when the score reaches the lowest junk threshold
 * among the recipients' domains (required= shows it): the field is one
 * per message, and Yes means some recipient's policy calls it spam.
 *
 * Exports: Decision, decide, spamHeaders.
 * Security: pure; the reply text is generic, the score and tests go to
 * the log (MailError detail), not to the client.
 * Standards: RFC 5321 section 4.2 (550), RFC 3463 (5.7.1: delivery not
 * authorized); X-Spam-Status in SpamAssassin's form.
 */
import { MailError } from '../../core/errors.js';
import type { FilterRecipient, Verdict } from '../types.js';
import { formatScore } from './engine.js';
import { MAX_STATUS_TESTS } from './limits.js';
import type { Hit } from './rules/index.js';
import { thresholdsFor, type SpamSettings } from './settings.js';

export interface Decision {
  verdict: Verdict;
  /** Same order as the recipients. */
  perRecipient: Verdict[];
  /** The lowest junk threshold among the recipients' domains. */
  required: number;
  spam: boolean;
}

const RANK: Record<Verdict['action'], number> = { continue: 0, junk: 1, quarantine: 2, reject: 3 };

export function decide(score: number, hits: readonly Hit[], recipients: readonly FilterRecipient[], settings: SpamSettings, perRecipientReplies: boolean): Decision {
  const list = recipients.length > 0 ? recipients.map((r) => thresholdsFor(settings, r.domain)) : [settings.thresholds];
  const shown = `score=${formatScore(score)} tests=${hits.map((h) => h.name).join(',')}`;
  // Made only when some recipient refuses: an Error captures a stack trace, which most messages need not pay for.
  let refused: Verdict | undefined;
  const refuse = (): Verdict => (refused ??= { action: 'reject', error: new MailError({ code: 550, enhanced: '5.7.1', text: 'Message refused as spam', module: 'spam', detail: shown }) });
  const own = list.map((t): Verdict => {
    if (t.reject !== null && score >= t.reject) return refuse();
    if (score >= t.junk) return { action: t.spamAction, reason: `spam ${shown}` };
    return { action: 'continue' };
  });
  const everyoneRefuses = own.every((v) => v.action === 'reject');
  const perRecipient = everyoneRefuses || perRecipientReplies ? own : own.map((v, i): Verdict => (v.action === 'reject' ? { action: list[i]!.spamAction, reason: `spam over the reject threshold, ${shown}` } : v));
  const verdict = perRecipient.reduce((weakest, v) => (RANK[v.action] < RANK[weakest.action] ? v : weakest));
  const required = Math.min(...list.map((t) => t.junk));
  return { verdict, perRecipient: recipients.length > 0 ? perRecipient : [], required, spam: score >= required };
}

/** Folds "Name: value" at commas so no line passes 78 characters, continuing with a tab (RFC 5322 section 2.2.3). */
function fold(field: string): string {
  const parts = field.split(/(?<=,)/);
  const lines: string[] = [];
  let line = '';
  for (const p of parts) {
    if (line !== '' && line.length + p.length > 78) {
      lines.push(line);
      line = '\t' + p;
    } else line += p;
  }
  lines.push(line);
  return lines.join('\r\n');
}

/** X-Spam-Score and X-Spam-Status, without the final CRLF. */
export function spamHeaders(score: number, required: number, spam: boolean, hits: readonly Hit[]): string[] {
  const names = hits.slice(0, MAX_STATUS_TESTS).map((h) => h.name.replace(/[^A-Za-z0-9_]/g, '_'));
  const tests = names.length > 0 ? names.join(',') : 'none';
  return [
    `X-Spam-Score: ${formatScore(score)}`,
    fold(`X-Spam-Status: ${spam ? 'Yes' : 'No'}, score=${formatScore(score)} required=${formatScore(required)} tests=${tests}`),
  ];
}
