/*
 * Keys for ACME: the account key, certificate keys, and the SHA-256 of a
 * key's SubjectPublicKeyInfo that TLSA 3 1 1 records publish.
 *
 * Certificate keys are RSA 2048 by default, ECDSA P-256 on request. The
 * reason is the one self-signed.ts gives: mail is sent by old Java and
 * SChannel stacks that do not all offer ECDSA, and a sender that cannot
 * complete the handshake on port 25 falls back to plaintext or gives up;
 * an RSA 2048 signature per handshake costs nothing at mail volumes. The
 * account key is ECDSA P-256 (ES256): only the CA sees it, and every ACME
 * CA accepts it.
 *
 * Exports: generateCertificateKey, generateAccountKey, spkiSha256,
 * keyTypeOf.
 *
 * Security: private keys are returned as PKCS#8 PEM strings for the
 * caller to write with mode 0600; nothing here logs or stores them.
 * Generation runs on libuv's threadpool (generateKeyPair with a callback).
 * Standards: RFC 5208/5958 (PKCS#8), RFC 5280 4.1.2.7 (SPKI), RFC 6698
 * 2.1.2/2.1.3 and RFC 7218 (selector 1 SPKI, matching type 1 SHA-256).
 */
import { createHash, createPublicKey, generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import type { CertificateKeyType } from './types.js';

const generate = promisify(generateKeyPair);

export async function generateCertificateKey(type: CertificateKeyType): Promise<string> {
  const pair =
    type === 'rsa-2048'
      ? await generate('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } })
      : await generate('ec', { namedCurve: 'P-256', publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
  return pair.privateKey;
}

export function generateAccountKey(): Promise<string> {
  return generateCertificateKey('ecdsa-p256');
}

/** SHA-256 of the DER SubjectPublicKeyInfo of a private key, public key or certificate PEM, as lower-case hex (TLSA 3 1 1 / 2 1 1 data). */
export function spkiSha256(pem: string): string {
  const der = createPublicKey(pem).export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('hex');
}

/** The kind of a PEM key, when it is one of ours. */
export function keyTypeOf(pem: string): CertificateKeyType | undefined {
  const key = createPublicKey(pem);
  if (key.asymmetricKeyType === 'rsa' && key.asymmetricKeyDetails?.modulusLength === 2048) return 'rsa-2048';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ecdsa-p256';
  return undefined;
}
