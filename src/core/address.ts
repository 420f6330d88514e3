/*
 * Mail addresses and domain names.
 *
 * Domains are stored as Unicode (what an operator typed and reads) and
 * matched as lower-case A-labels (what arrives on the wire). Local parts are
 * compared case-insensitively, as every mainstream server does, though
 * RFC 5321 allows otherwise.
 *
 * Security: parses addresses from untrusted peers. Anything that is not a
 * plain `local@domain` (source routes, `%` and `!` relay hacks, IP literals,
 * quoted local parts containing `@`) is reported so that relay policy can
 * refuse it rather than guess.
 * Standards: RFC 5321 section 4.1.2 (Mailbox syntax), RFC 5890/5891 (IDNA),
 * RFC 6531 (UTF-8 local parts).
 */
import { domainToASCII, domainToUnicode } from 'node:url';

export interface Address {
  /** Local part as received (case preserved). */
  local: string;
  /** Domain as lower-case A-label (punycode), no trailing dot. */
  domain: string;
}

/** Lower-case ASCII (A-label) form of a domain, or undefined if it is not a valid name. */
export function domainToAscii(domain: string): string | undefined {
  const trimmed = domain.trim().replace(/\.$/, '');
  if (trimmed === '' || trimmed.length > 253) return undefined;
  const ascii = domainToASCII(trimmed).toLowerCase();
  if (ascii === '' || ascii.length > 253) return undefined;
  const labels = ascii.split('.');
  if (labels.length < 1) return undefined;
  for (const label of labels) {
    if (label.length < 1 || label.length > 63) return undefined;
    if (!/^[a-z0-9-]+$/.test(label)) return undefined;
    if (label.startsWith('-') || label.endsWith('-')) return undefined;
  }
  return ascii;
}

/** Unicode form of a domain, for display and storage. */
export function domainToDisplay(domain: string): string {
  const ascii = domainToAscii(domain);
  return ascii === undefined ? domain.toLowerCase() : domainToUnicode(ascii);
}

/** The key local parts are matched on: lower case, Unicode NFC. */
export function normalizeLocal(local: string): string {
  return local.normalize('NFC').toLowerCase();
}

export type AddressProblem =
  | 'empty'
  | 'no-at'
  | 'source-route'
  | 'percent-hack'
  | 'bang-path'
  | 'ip-literal'
  | 'quoted-local'
  | 'bad-domain'
  | 'bad-local'
  | 'too-long';

export type ParsedAddress = { ok: true; address: Address } | { ok: false; problem: AddressProblem };

const LOCAL_ATOM = /^[A-Za-z0-9!#$&'*+\-/=?^_`{|}~.\u0080-\uFFFF]+$/u;

/**
 * Parses an envelope address (the text between `<` and `>`, already without
 * them). Plain dot-atom local parts only: any form that older MTAs read as a
 * relay instruction is refused with the reason.
 */
export function parseAddress(text: string): ParsedAddress {
  if (text.length === 0) return { ok: false, problem: 'empty' };
  if (text.length > 320) return { ok: false, problem: 'too-long' };
  if (text.startsWith('@')) return { ok: false, problem: 'source-route' };
  if (text.startsWith('"')) return { ok: false, problem: 'quoted-local' };
  const at = text.lastIndexOf('@');
  if (at < 0) return { ok: false, problem: text.includes('!') ? 'bang-path' : 'no-at' };
  const local = text.slice(0, at);
  const domainText = text.slice(at + 1);
  if (local.includes('@') || local.includes(':')) return { ok: false, problem: 'source-route' };
  if (local.includes('%')) return { ok: false, problem: 'percent-hack' };
  if (local.includes('!')) return { ok: false, problem: 'bang-path' };
  if (local.includes('"') || local.includes('\\')) return { ok: false, problem: 'quoted-local' };
  if (domainText.startsWith('[')) return { ok: false, problem: 'ip-literal' };
  if (local.length === 0 || local.length > 64 || !LOCAL_ATOM.test(local)) return { ok: false, problem: 'bad-local' };
  if (local.startsWith('.') || local.endsWith('.') || local.includes('..')) return { ok: false, problem: 'bad-local' };
  const domain = domainToAscii(domainText);
  if (domain === undefined || !domain.includes('.') && domain !== 'localhost') return { ok: false, problem: 'bad-domain' };
  return { ok: true, address: { local, domain } };
}

export function formatAddress(address: Address): string {
  return `${address.local}@${address.domain}`;
}

/** The lookup key for an address: normalized local part and A-label domain. */
export function addressKey(address: Address): string {
  return `${normalizeLocal(address.local)}@${address.domain}`;
}
