/*
 * The DKIM step of outbound delivery: a message whose From domain is
 * hosted here, with keys, leaves signed by every key of that domain (RSA,
 * and Ed25519 too when the domain has one: dual signing, RFC 8463). It
 * runs on the bytes exactly as they will be sent, after every change
 * Petrel makes (Received, Message-ID, Date at submission), once per
 * message however many destinations it goes to.
 *
 * The signing domain is the From address's domain (what DMARC aligns
 * with); a message with several From addresses, or from a domain that is
 * not hosted here (mail an alias forwards), goes unsigned: a signature of
 * ours would not align with what the reader is shown.
 *
 * Exports: OutboundSigner, SigningKeys, ParsedKeys.
 * Security: private keys are read from the metadata store and never
 * logged; the header is parsed with the bounded MIME parsers.
 * Standards: RFC 6376, RFC 8463; the field choice is dkim-sign.ts's.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { domainToAscii } from '../core/address.js';
import { parseAddressList } from '../mime/address-list.js';
import { readHeaderFields } from '../mime/header-fields.js';
import { dkimSignaturesAsync, type DkimSigningKey } from './dkim-sign.js';

/** The keys of a hosted domain (A-label), or none. */
export type SigningKeys = (domain: string) => Promise<DkimSigningKey[]>;

/** Parsed private keys kept at once (by their PEM text): parsing costs about as much as a signature. */
const MAX_PARSED_KEYS = 2000;

export class OutboundSigner {
  private readonly parsed = new ParsedKeys();

  constructor(
    private readonly keysOf: SigningKeys,
    private readonly now: () => number = Date.now,
  ) {}

  /** The From domain a signature would carry, or undefined (no From, several, unparsable). */
  static fromDomain(message: Buffer): string | undefined {
    const end = message.indexOf('\r\n\r\n');
    const fields = readHeaderFields(end < 0 ? message : message.subarray(0, end + 2)).filter((f) => f.name.toLowerCase() === 'from');
    if (fields.length !== 1) return undefined;
    const list = parseAddressList(fields[0]!.value) ?? [];
    const mailboxes = list.filter((a) => a.mailbox !== null && a.host !== null);
    if (mailboxes.length !== 1) return undefined;
    return domainToAscii(mailboxes[0]!.host!);
  }

  /** The message with its DKIM-Signature fields on top, or as it was when it is not ours to sign. */
  async sign(message: Buffer): Promise<{ bytes: Buffer; domain: string | undefined; selectors: string[] }> {
    const domain = OutboundSigner.fromDomain(message);
    if (!domain) return { bytes: message, domain: undefined, selectors: [] };
    const keys = await this.keys(domain);
    if (keys.length === 0) return { bytes: message, domain, selectors: [] };
    // The private-key operations run on the threadpool: this thread keeps delivering meanwhile.
    const signatures = await dkimSignaturesAsync(message, keys, this.now());
    return { bytes: Buffer.concat([Buffer.from(signatures, 'latin1'), message]), domain, selectors: keys.map((k) => k.selector) };
  }

  /**
   * The domain's signing keys, asked of the store for every message: one indexed query, small beside a
   * signature, and a key that `petrel dkim check` (another process) switched to signs the very next message.
   */
  private async keys(domain: string): Promise<DkimSigningKey[]> {
    return (await this.keysOf(domain)).map((k) => ({ ...k, privateKey: this.parsed.get(k.privateKey) }));
  }

}

/** Private keys parsed once, by their PEM text (parsing costs about as much as a signature). */
export class ParsedKeys {
  private readonly parsed = new Map<string, KeyObject>();

  get(key: string | KeyObject): KeyObject {
    if (typeof key !== 'string') return key;
    let parsed = this.parsed.get(key);
    if (!parsed) {
      if (this.parsed.size >= MAX_PARSED_KEYS) this.parsed.clear();
      parsed = createPrivateKey(key);
      this.parsed.set(key, parsed);
    }
    return parsed;
  }
}
