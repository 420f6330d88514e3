/*
 * Greylisting, off by default ([greylist] enabled): the first attempt of
 * a triplet (client network, envelope sender, recipient) is deferred at
 * RCPT with 451 4.7.1; a retry after the delay passes and is remembered,
 * and a network whose mail retried often enough is no longer greylisted
 * (postgrey's auto-whitelist-clients). Real MTAs retry; most spam
 * engines do not.
 *
 * Networks: an IPv4 client by its /24 (a sender's outbound pool often
 * retries from a neighbouring address), an IPv6 one by its /64.
 * Not greylisted: trusted_networks, authenticated sessions, and mail to
 * postmaster@ (RFC 5321 section 4.5.1 wants it reachable).
 *
 * Exports: greylistFilter, GreylistSettings, greylistNetwork.
 * Security: the sender and recipient are client input; they are only
 * hashed (lower-cased) into the key. The store bounds nothing itself:
 * expiry ([greylist] max_age) keeps the tables to what was seen lately.
 * Standards: RFC 6647 (email greylisting: an applicability statement).
 */
import { createHash, type BinaryLike } from 'node:crypto';
import { isIPv4 } from 'node:net';
import { clientKey, normalizeIp } from '../../net/ip.js';
import type { GreylistPolicy, GreylistStore } from '../../store/types.js';
import { CONTINUE, reject, type Filter, type StageResult } from '../types.js';

export interface GreylistSettings extends GreylistPolicy {
  enabled: boolean;
}

/** The network a client is greylisted as: IPv4 /24, IPv6 /64. */
export function greylistNetwork(address: string): string {
  const ip = normalizeIp(address);
  return isIPv4(ip) ? `${ip.split('.').slice(0, 3).join('.')}.0/24` : clientKey(ip);
}

const hash = (data: BinaryLike) => createHash('sha256').update(data).digest('base64url').slice(0, 32);

export function greylistFilter(settings: GreylistSettings, store: GreylistStore, now: () => number = Date.now): Filter {
  return {
    name: 'greylist',
    roles: ['mx'],
    begin(ctx) {
      const skip = ctx.client.trusted || ctx.client.user !== null;
      const network = greylistNetwork(ctx.client.ip);
      return {
        async rcpt(recipient): Promise<StageResult> {
          if (skip || /^postmaster@/i.test(recipient.address)) return CONTINUE;
          const triplet = hash(`${network}\n${ctx.sender.toLowerCase()}\n${recipient.address.toLowerCase()}`);
          const seen = await store.check(triplet, network, now(), settings);
          if (seen === 'passed' || seen === 'allowlisted') return CONTINUE;
          ctx.log.info('greylisted', { network, to: `<${recipient.address}>`, seen });
          return reject(451, '4.7.1', `<${recipient.address}>: Recipient address rejected: Greylisted, please try again in ${Math.ceil(settings.delayMs / 1000)} seconds`, 'greylist', seen);
        },
      };
    },
  };
}
