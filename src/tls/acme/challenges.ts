/*
 * Proving control of a name for one authorization: which challenge to
 * take, putting its answer where the CA looks, and taking it away after.
 *
 * - HTTP-01 (RFC 8555 8.3): the key authorization goes into the AcmeStore
 *   under the token, with an expiry; Petrel's [http] listener answers
 *   GET /.well-known/acme-challenge/<token> from it (any process on the
 *   store can, so the CLI can issue while the server listens).
 * - DNS-01 (RFC 8555 8.4): the TXT record `_acme-challenge.<name>` holding
 *   base64url(SHA-256(key authorization)), added through the publisher
 *   (RFC 2136 updates) and deleted after, that one record only: a
 *   wildcard and its base name share the TXT name with two values.
 *
 * Wildcards take DNS-01 whatever the configuration says (RFC 8555 7.1.3:
 * the CA offers nothing else for them).
 *
 * Exports: chooseChallenge, provisionChallenge, Provisioned,
 * ChallengeDeps, isAcmeToken.
 *
 * Security: the token and the identifier come from the CA. The token is
 * checked to be base64url (it becomes a store key and, when served, part
 * of a URL path); the identifier must be one of the names we asked for
 * (order.ts checks it) before any record is written for it.
 * Standards: RFC 8555 sections 8.1 (key authorization), 8.3, 8.4.
 */
import type { Clock } from '../../core/clock.js';
import type { AcmeStore } from '../../store/types.js';
import type { Logger } from '../../telemetry/index.js';
import { DNS01_TXT_TTL_SECONDS, HTTP01_CHALLENGE_TTL_MS, MAX_TOKEN_LENGTH } from './limits.js';
import type { ChallengeType, Dns01Publisher } from './types.js';

export interface ChallengeDeps {
  store: AcmeStore;
  dns?: Dns01Publisher;
  clock: Clock;
  logger: Logger;
}

/** A challenge answer in place; undo() takes it away (and never throws: failures are logged). */
export interface Provisioned {
  name: string;
  type: ChallengeType;
  undo(): Promise<void>;
}

const TOKEN = new RegExp(`^[A-Za-z0-9_-]{1,${MAX_TOKEN_LENGTH}}$`);

/** A token the CA may use: base64url characters only (RFC 8555 8.1), bounded. */
export function isAcmeToken(token: unknown): token is string {
  return typeof token === 'string' && TOKEN.test(token);
}

/** The challenge type for a name: DNS-01 for a wildcard, else the configured one. */
export function chooseChallenge(configured: ChallengeType, wildcard: boolean): ChallengeType {
  return wildcard ? 'dns-01' : configured;
}

/**
 * Puts the answer for one challenge in place. `identifier` is the
 * authorization's name (for a wildcard, the base name: RFC 8555 7.1.4),
 * `keyAuthorization` what acme-client computed for this challenge type
 * (for DNS-01 already the digest).
 */
export async function provisionChallenge(
  deps: ChallengeDeps,
  challenge: { type: ChallengeType; token: string },
  identifier: string,
  keyAuthorization: string,
): Promise<Provisioned> {
  const log = deps.logger;
  if (!isAcmeToken(challenge.token)) throw new Error(`the CA sent a token that is not base64url for ${identifier}`);
  if (challenge.type === 'http-01') {
    await deps.store.setChallenge(challenge.token, keyAuthorization, deps.clock.now() + HTTP01_CHALLENGE_TTL_MS);
    log.info('acme challenge set', { name: identifier, type: 'http-01' });
    return {
      name: identifier,
      type: 'http-01',
      undo: async () => {
        try {
          await deps.store.removeChallenge(challenge.token);
        } catch (err) {
          log.warn('acme challenge removal failed', { name: identifier, type: 'http-01', error: (err as Error).message });
        }
      },
    };
  }
  if (!deps.dns) throw new Error(`${identifier} needs DNS-01 (a wildcard, or [acme] challenge = "dns-01"), and no [acme.dns_update] server is configured`);
  const dns = deps.dns;
  const record = `_acme-challenge.${identifier}`;
  await dns.addTxt(record, keyAuthorization, DNS01_TXT_TTL_SECONDS);
  log.info('acme challenge set', { name: identifier, type: 'dns-01', record });
  return {
    name: identifier,
    type: 'dns-01',
    undo: async () => {
      try {
        await dns.removeTxt(record, keyAuthorization);
      } catch (err) {
        log.warn('acme challenge removal failed', { name: identifier, type: 'dns-01', record, error: (err as Error).message });
      }
    },
  };
}
