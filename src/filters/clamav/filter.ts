/*
 * Virus scanning through clamd (issue 6, "Viruses"): at the body stage the
 * message, as it came (our own X-Virus-* fields already removed by
 * sanitize.ts), is streamed to clamd.
 *
 *   infected   554 5.7.1 "Message contains a virus"; the signature goes to
 *              the log and the error's detail, never to the client
 *   clean      X-Virus-Scanned: clamd and X-Virus-Status: Clean
 *   unscanned  clamd down, silent, answering an error, or the message
 *              over max_size or clamd's StreamMaxLength: 451 4.7.1, so
 *              the sender retries; with fail_open the message goes on,
 *              tagged X-Virus-Status: Unscanned (<reason>)
 *
 * "Limits exceeded" is never clean. facts.virus carries the result to the
 * spam scorer.
 *
 * Exports: clamavFilter, ClamavDeps.
 * Security: reads the untrusted message only to send it on; clamd's
 * answer is parsed strictly (protocol.ts); the exchange is bounded in
 * time (client.ts), below the pipeline's stage_timeout by default.
 * Standards: RFC 3463 (5.7.1 / 4.7.1: refused by security policy).
 */
import type { Logger } from '../../telemetry/logger.js';
import { CONTINUE, reject, type Filter, type StageResult } from '../types.js';
import { ClamdClient, type ClamdConnect } from './client.js';
import type { ScanOutcome } from './protocol.js';
import type { ClamavSettings } from './settings.js';

export interface ClamavDeps {
  /** Socket factory, injected in tests. */
  connect?: ClamdConnect;
}

/** The verdict, header fields and facts for what clamd said. */
function resultOf(outcome: ScanOutcome, settings: ClamavSettings, log: Logger): StageResult {
  switch (outcome.status) {
    case 'infected':
      log.warn('virus found', { signature: outcome.signature });
      return {
        ...reject(554, '5.7.1', 'Message contains a virus', 'clamav', `signature=${outcome.signature}`),
        facts: { virus: { infected: true, signature: outcome.signature, scanned: true } },
      };
    case 'clean':
      return { ...CONTINUE, headers: ['X-Virus-Scanned: clamd', 'X-Virus-Status: Clean'], facts: { virus: { infected: false, scanned: true } } };
    case 'unscanned':
      log.warn('virus scan failed', { reason: outcome.reason, detail: outcome.detail, fail_open: settings.failOpen });
      if (settings.failOpen) {
        return { ...CONTINUE, headers: [`X-Virus-Status: Unscanned (${outcome.reason})`], facts: { virus: { infected: false, scanned: false } } };
      }
      return {
        ...reject(451, '4.7.1', 'Virus scan unavailable, try again later', 'clamav', `${outcome.reason}: ${outcome.detail}`),
        facts: { virus: { infected: false, scanned: false } },
      };
  }
}

export function clamavFilter(settings: ClamavSettings, deps: ClamavDeps = {}): Filter {
  const client = new ClamdClient({
    address: settings.address,
    timeoutMs: settings.timeoutMs,
    connectTimeoutMs: Math.min(settings.connectTimeoutMs, settings.timeoutMs),
    idleTimeoutMs: Math.min(settings.idleTimeoutMs, settings.timeoutMs),
    connect: deps.connect,
  });
  return {
    name: 'clamav',
    roles: settings.roles,
    begin(ctx) {
      return {
        async body(message): Promise<StageResult> {
          const size = message.bytes.length;
          const outcome: ScanOutcome = size > settings.maxSize
            ? { status: 'unscanned', reason: 'limits exceeded', detail: `${size} octets, over max_size ${settings.maxSize}` }
            : await client.scan(message.bytes);
          if (outcome.status !== 'unscanned') ctx.log.debug('virus scan', { result: outcome.status, size });
          return resultOf(outcome, settings, ctx.log);
        },
      };
    },
  };
}
