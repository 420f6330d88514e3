/*
 * The ManageSieve capabilities for a session's state, sent in the
 * greeting, after STARTTLS and for CAPABILITY.
 *
 * Exports: sessionCapabilities, IMPLEMENTATION, CapabilityOptions.
 * Security: no SASL mechanism is offered before TLS (an empty SASL list,
 * as Dovecot sends with plaintext authentication off); STARTTLS only
 * while it can happen.
 * Standards: RFC 5804 section 1.7 (IMPLEMENTATION, SASL, SIEVE, STARTTLS,
 * MAXREDIRECTS, NOTIFY, LANGUAGE, OWNER, VERSION), section 2.14.1
 * (UNAUTHENTICATE), RFC 5435 (the enotify methods in NOTIFY).
 */
import type { ManageSieveState } from '../../proto/managesieve/index.js';
import { SIEVE_EXTENSIONS } from '../../sieve/index.js';

export const IMPLEMENTATION = 'Petrel';

export interface CapabilityOptions {
  state: ManageSieveState;
  secure: boolean;
  canStartTls: boolean;
  /** The logged-in user (OWNER), after login. */
  owner?: string;
  /** Redirects one message may cause (MAXREDIRECTS). */
  maxRedirects: number;
}

export function sessionCapabilities(o: CapabilityOptions): Array<readonly [string, string?]> {
  const caps: Array<readonly [string, string?]> = [
    ['IMPLEMENTATION', IMPLEMENTATION],
    ['SIEVE', SIEVE_EXTENSIONS.join(' ')],
    ['NOTIFY', 'mailto'],
    ['SASL', o.secure ? 'PLAIN' : ''],
  ];
  if (o.canStartTls) caps.push(['STARTTLS']);
  caps.push(['MAXREDIRECTS', String(o.maxRedirects)]);
  if (o.state === 'authenticated' && o.owner) caps.push(['OWNER', o.owner]);
  caps.push(['UNAUTHENTICATE'], ['VERSION', '1.0']);
  return caps;
}
