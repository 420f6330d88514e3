/*
 * ARC sealing of mail Petrel forwards (RFC 8617): a message that arrived
 * from outside (MX or LMTP) and is queued again for a remote recipient
 * (an alias to a remote address; later Sieve redirect) leaves with an ARC
 * Set over our Authentication-Results, so the next hop can see that SPF
 * and DKIM passed here even though our forwarding breaks SPF (and a
 * footer or a list would break DKIM). It runs in the outbound worker on
 * the bytes as sent, after DKIM signing.
 *
 * The sealing domain is the domain of the address the mail was sent to
 * (the alias: ORCPT, or the queue recipient itself), when it is hosted
 * here with an active RSA key; otherwise the message leaves unsealed.
 * Mail our own users submitted carries no AR of ours and is not sealed.
 *
 * Exports: ArcForwarder.
 * Security: keys from the metadata store, never logged; the chain and
 * our field are read by arc-seal.ts (bounded MIME parsers).
 */
import type { QueueEntry } from '../store/types.js';
import { arcSeal, ourAuthenticationResults } from './arc-seal.js';
import { ParsedKeys, type SigningKeys } from './outbound-signer.js';

/** The domain the forwarded mail was addressed to: ORCPT's address (rfc822;x@y) or the recipient's. */
function forwardingDomain(entry: QueueEntry): string | undefined {
  for (const r of entry.recipients) {
    const original = r.orcpt?.replace(/^[^;]*;/, '') ?? r.recipient;
    const at = original.lastIndexOf('@');
    if (at > 0) return original.slice(at + 1).toLowerCase();
  }
  return undefined;
}

export class ArcForwarder {
  private readonly parsed = new ParsedKeys();

  constructor(
    private readonly keysOf: SigningKeys,
    private readonly authservId: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** The message sealed, or as it was with the reason it is not. */
  async seal(entry: QueueEntry, message: Buffer): Promise<{ bytes: Buffer; sealed?: { domain: string; instance: number; cv: string }; skipped?: string }> {
    if (entry.source !== 'mx' && entry.source !== 'lmtp') return { bytes: message, skipped: 'not forwarded mail' };
    const ours = ourAuthenticationResults(message, this.authservId);
    if (!ours) return { bytes: message, skipped: 'no Authentication-Results of ours' };
    const domain = forwardingDomain(entry);
    if (!domain) return { bytes: message, skipped: 'no forwarding domain' };
    const key = (await this.keysOf(domain)).find((k) => k.algorithm === 'rsa-sha256');
    if (!key) return { bytes: message, skipped: `no RSA key for ${domain}` };
    const outcome = await arcSeal({ message, authResults: ours.value, chain: ours.arc, key: { domain: key.domain, selector: key.selector, privateKey: this.parsed.get(key.privateKey) }, now: this.now() });
    if (!outcome.sealed) return { bytes: message, skipped: outcome.reason };
    return { bytes: outcome.message, sealed: { domain: key.domain, instance: outcome.instance, cv: outcome.cv } };
  }
}
