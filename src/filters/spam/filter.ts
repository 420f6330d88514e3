/*
 * The spam filter, last in the pipeline: at the body stage it reads the
 * message once, looks its links up in the URI blocklists, asks the Bayes
 * classifier and the external scorers (side by side), runs the rules over
 * all that and the facts earlier filters published (sender
 * authentication, DNSBL, attachments), and turns the score into a verdict
 * per recipient domain (actions.ts). Every scored message gets
 * X-Spam-Score and X-Spam-Status; facts.spam carries the score on.
 *
 * Bayes asks the recipient's own table when the message goes to one
 * account (every recipient that is an account is the same one) and that
 * table has learned enough, else the global table.
 *
 * Exports: spamFilter, SpamDeps.
 * Security: reads the untrusted message (bounded by message.ts and
 * limits.ts); a URI lookup, the Bayes store or an external scorer that
 * fails adds nothing and is logged, it never refuses nor fails the
 * message; the reply to a refusal is generic.
 * Standards: see actions.ts, uribl.ts and the external clients.
 */
import type { DnsClient } from '../../dns/client.js';
import type { BayesStore } from '../../store/types.js';
import { CONTINUE, type Filter, type FilterRecipient, type MessageContext, type StageResult } from '../types.js';
import { decide, spamHeaders } from './actions.js';
import { classify } from './bayes/classify.js';
import { tokenize } from './bayes/tokenize.js';
import { scoreMessage } from './engine.js';
import type { FetchLike } from './external/rspamd-client.js';
import { externalScorers } from './external/scorers.js';
import type { SpamdConnect } from './external/spamd-client.js';
import { readMessage, type MessageView } from './message.js';
import type { Evidence } from './rules/index.js';
import type { SpamSettings } from './settings.js';
import { lookupUris } from './uribl.js';
import { urlHosts } from './urls.js';

export interface SpamDeps {
  /** For the URI blocklists. */
  dns: DnsClient;
  /** The Bayes tables; absent: no Bayes classification. */
  bayes?: BayesStore;
  now?: () => number;
  /** Socket factory for spamd and fetch for rspamd, injected in tests. */
  connect?: SpamdConnect;
  fetch?: FetchLike;
}

/** The one account the message goes to, or null (several accounts, or none). */
function oneAccount(recipients: readonly FilterRecipient[]): number | null {
  const ids = new Set(recipients.map((r) => r.accountId).filter((id): id is number => id !== undefined));
  return ids.size === 1 ? [...ids][0]! : null;
}

export function spamFilter(settings: SpamSettings, deps: SpamDeps): Filter {
  const now = deps.now ?? Date.now;
  const external = externalScorers(settings, deps);

  async function bayesOf(ctx: MessageContext, view: MessageView, hosts: readonly string[]): Promise<number | undefined> {
    if (!deps.bayes || !settings.bayes.enabled) return undefined;
    try {
      const verdict = await classify(deps.bayes, tokenize(view, hosts), oneAccount(ctx.recipients), settings.bayes);
      if (verdict) ctx.log.debug('bayes', { probability: verdict.probability, table: verdict.table });
      return verdict?.probability;
    } catch (err) {
      ctx.log.warn('bayes classification failed, left out', { detail: err instanceof Error ? err.message : String(err) });
      return undefined;
    }
  }

  return {
    name: 'spam',
    roles: settings.roles,
    begin(ctx) {
      return {
        async body(message): Promise<StageResult> {
          const view = readMessage(message.bytes);
          const hosts = urlHosts(view.text, view.html);
          const [uribl, bayes, externalScores] = await Promise.all([
            settings.uriBlocklists.length > 0 ? lookupUris(hosts, settings.uriBlocklists, settings.maxUriLookups, deps.dns, ctx.log) : undefined,
            bayesOf(ctx, view, hosts),
            external(message.bytes, { ip: ctx.client.ip, helo: ctx.client.helo, sender: ctx.sender, recipients: ctx.recipients.map((r) => r.address), queueId: ctx.queueId, user: ctx.client.user }, ctx.log),
          ]);
          const evidence: Evidence = { hosts, uribl, bayes, external: externalScores };
          const result = scoreMessage({ view, facts: ctx.facts, sender: ctx.sender, evidence, settings, now: now() });
          if (result.failed.length > 0) ctx.log.error('spam rules failed', { rules: result.failed.join(',') });
          const decision = decide(result.score, result.hits, ctx.recipients, settings, ctx.client.role === 'lmtp');
          const tests = result.hits.map((h) => h.name);
          ctx.log.info('spam scored', { score: Math.round(result.score * 100) / 100, required: decision.required, action: decision.verdict.action, tests: tests.join(',') });
          return {
            ...CONTINUE,
            verdict: decision.verdict,
            perRecipient: decision.perRecipient,
            headers: spamHeaders(result.score, decision.required, decision.spam, result.hits),
            facts: { spam: { score: result.score, threshold: decision.required, tests } },
          };
        },
      };
    },
  };
}
