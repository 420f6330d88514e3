/*
 * The external scorers, as the filter asks them: spamd (SYMBOLS) and
 * rspamd (/checkv2), side by side, for messages under their size bound.
 * Each one's score joins ours as a test of its own (SPAMD, RSPAMD) whose
 * score is
 *
 *     weight x their score x (our junk threshold / their required score)
 *
 * so that their "spam" line lands on ours (spamd's 5 and rspamd's 6 both
 * become our 5 at weight 1) and the operator sets how much they count.
 * Scores are added, not maxed: our rules and theirs overlap on a few
 * header tests, which the weight is there to temper. A scorer that fails
 * or is silent adds nothing (logged): an outage of an optional service
 * must not stop or refuse mail.
 *
 * Exports: ExternalScorers, externalScorers, scaledScore.
 * Security: see the clients; the message is sent only to the operator's
 * endpoints.
 */
import type { Logger } from '../../../telemetry/logger.js';
import type { SpamSettings } from '../settings.js';
import type { RspamdEnvelope } from './rspamd-codec.js';
import { RspamdClient, type FetchLike } from './rspamd-client.js';
import { SpamdClient, type SpamdConnect } from './spamd-client.js';

export type ExternalScorers = (message: Buffer, envelope: RspamdEnvelope, log: Logger) => Promise<{ name: string; score: number }[]>;

/** Their score on our scale, times the weight; their required score 0 or less leaves the score as it is. */
export function scaledScore(score: number, required: number, ourJunk: number, weight: number): number {
  return weight * (required > 0 ? (score * ourJunk) / required : score);
}

export function externalScorers(settings: SpamSettings, deps: { connect?: SpamdConnect; fetch?: FetchLike } = {}): ExternalScorers {
  const { spamd, rspamd } = settings;
  const spamdClient = spamd ? new SpamdClient(spamd.address, spamd.timeoutMs, deps.connect) : undefined;
  const rspamdClient = rspamd ? new RspamdClient(rspamd.url, rspamd.password, rspamd.timeoutMs, deps.fetch) : undefined;
  const junk = settings.thresholds.junk;
  return async (message, envelope, log) => {
    const asks: Promise<{ name: string; score: number } | undefined>[] = [];
    if (spamd && spamdClient && message.length <= spamd.maxBytes) {
      asks.push(spamdClient.request('SYMBOLS', message, spamd.user).then((r) => {
        if (!r.ok) throw new Error(`spamd ${r.code}: ${r.message}`);
        if (r.pong) throw new Error('spamd answered PONG to SYMBOLS');
        log.info('spamd scored', { score: r.score, required: r.threshold, symbols: r.symbols.join(',') });
        return { name: 'SPAMD', score: scaledScore(r.score, r.threshold, junk, spamd.weight) };
      }).catch((err: Error) => {
        log.warn('spamd unavailable, its score left out', { detail: err.message });
        return undefined;
      }));
    }
    if (rspamd && rspamdClient && message.length <= rspamd.maxBytes) {
      asks.push(rspamdClient.check(message, envelope).then((r) => {
        log.info('rspamd scored', { score: r.score, required: r.requiredScore, action: r.action, symbols: r.symbols.map((s) => s.name).join(',') });
        return { name: 'RSPAMD', score: scaledScore(r.score, r.requiredScore, junk, rspamd.weight) };
      }).catch((err: Error) => {
        log.warn('rspamd unavailable, its score left out', { detail: err.message });
        return undefined;
      }));
    }
    return (await Promise.all(asks)).filter((x): x is { name: string; score: number } => x !== undefined);
  };
}
