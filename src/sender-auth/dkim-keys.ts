/*
 * DKIM signing keys: generated for every domain at `petrel domain add`
 * (RSA-2048, and Ed25519 too when `[dkim] ed25519` is on, for dual
 * signing), and the TXT record each needs, as the operator publishes it.
 *
 * Selectors: `[dkim] selector`, default "s" + the year (s2026), so a later
 * rotation gets a new name; the Ed25519 key's selector adds "-ed" (one
 * selector names one TXT record, so the two keys cannot share one).
 *
 * The record (RFC 6376 section 3.6.1, RFC 8463 for Ed25519):
 * `v=DKIM1; k=rsa; p=<base64 SubjectPublicKeyInfo>` or
 * `v=DKIM1; k=ed25519; p=<base64 of the raw 32-byte key>`. A TXT string
 * holds at most 255 octets, so a 2048-bit key's record is several strings
 * in ONE record (resolvers concatenate them); never several records.
 *
 * Exports: generateDkimKey, defaultSelector, dkimRecordValue,
 * dkimRecordStrings, dkimZoneLine, MAX_TXT_STRING.
 * Security: private keys are PKCS#8 PEM in the metadata store (the data
 * directory is 0700); nothing here prints a private key.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { DkimKeyInput } from '../store/types.js';

/** Octets in one character-string of a TXT record (RFC 1035 section 3.3). */
export const MAX_TXT_STRING = 255;

/** The default selector for keys made in the given year: s2026. */
export function defaultSelector(now: Date = new Date()): string {
  return `s${now.getUTCFullYear()}`;
}

/** A new signing key under selector (RSA) or selector-ed (Ed25519). */
export function generateDkimKey(algorithm: DkimKeyInput['algorithm'], selector: string): DkimKeyInput {
  if (algorithm === 'rsa-sha256') {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    return { selector, algorithm, privateKey: pem(privateKey), publicKey: publicKey.export({ type: 'spki', format: 'der' }).toString('base64') };
  }
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  // The SPKI of an Ed25519 key is a fixed 12-byte prefix and the 32-byte key; the record carries the key alone.
  const raw = publicKey.export({ type: 'spki', format: 'der' }).subarray(-32);
  return { selector: `${selector}-ed`, algorithm, privateKey: pem(privateKey), publicKey: raw.toString('base64') };
}

function pem(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** The TXT record's value, as one string. */
export function dkimRecordValue(key: Pick<DkimKeyInput, 'algorithm' | 'publicKey'>): string {
  return `v=DKIM1; k=${key.algorithm === 'rsa-sha256' ? 'rsa' : 'ed25519'}; p=${key.publicKey}`;
}

/** The value cut into character-strings of at most MAX_TXT_STRING octets (ASCII, so octets are characters). */
export function dkimRecordStrings(key: Pick<DkimKeyInput, 'algorithm' | 'publicKey'>): string[] {
  const value = dkimRecordValue(key);
  const out: string[] = [];
  for (let i = 0; i < value.length; i += MAX_TXT_STRING) out.push(value.slice(i, i + MAX_TXT_STRING));
  return out;
}

/** The zone-file line: `s2026._domainkey.example.com. 3600 IN TXT ( "..." "..." )`, one record of several strings. */
export function dkimZoneLine(domain: string, key: Pick<DkimKeyInput, 'selector' | 'algorithm' | 'publicKey'>, ttl = 3600): string {
  const strings = dkimRecordStrings(key).map((s) => `"${s}"`);
  return `${key.selector}._domainkey.${domain}. ${ttl} IN TXT ( ${strings.join(' ')} )`;
}
