/*
 * DKIM signing (RFC 6376) with RSA-SHA256 and Ed25519-SHA256 (RFC 8463),
 * relaxed/relaxed canonicalization, over the header fields receivers
 * check, with From (and the fields that change what a reader sees)
 * over-signed: h= names each one once more than the message has, so a
 * From, Subject, To or Cc added after signing breaks the signature
 * instead of being shown above the signed one.
 *
 * Why not mailauth's signer: it signs exactly the instances present and
 * has no over-signing, which the outbound issue asks for; verification in
 * the tests uses mailauth's verifier (an independent implementation).
 *
 * Exports: dkimSignatures, dkimSignaturesAsync, SIGNED_HEADERS,
 * OVERSIGNED_HEADERS, DkimSigningKey.
 * Security: the message is ours to send (a user's submission); the header
 * parsing is linear and bounded by the message size limits upstream.
 * Standards: RFC 6376 sections 3.4.2 and 3.4.4 (relaxed canonicalization),
 * 3.5 (tags), 3.7 (hash computation), 5.4 (which fields), RFC 8463.
 */
import { createHash, createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { relaxedBody, relaxedField } from './dkim-canon.js';

export interface DkimSigningKey {
  /** A-label of the signing domain (d=). */
  domain: string;
  selector: string;
  algorithm: 'rsa-sha256' | 'ed25519-sha256';
  /** PKCS#8 PEM, or the key already parsed (parsing costs as much as a signature: a signer keeps it). */
  privateKey: string | KeyObject;
}

/** Fields signed when present (RFC 6376 section 5.4.1, plus MIME and list fields). */
export const SIGNED_HEADERS: readonly string[] = [
  'from', 'sender', 'reply-to', 'subject', 'date', 'message-id', 'to', 'cc', 'in-reply-to', 'references',
  'mime-version', 'content-type', 'content-transfer-encoding', 'content-id', 'content-description',
  'list-id', 'list-help', 'list-unsubscribe', 'list-unsubscribe-post', 'list-subscribe', 'list-post', 'list-owner', 'list-archive',
];

/** Fields named once more than present: none may be added after signing. */
export const OVERSIGNED_HEADERS: readonly string[] = ['from', 'subject', 'to', 'cc', 'reply-to', 'date', 'message-id', 'content-type', 'mime-version'];

interface Field {
  /** Lower-case name. */
  name: string;
  /** The whole field as it appears, without its final CRLF. */
  raw: string;
}

/** Splits the header block into fields (a line starting with WSP continues the previous one). */
function parseFields(header: string): Field[] {
  const fields: Field[] = [];
  for (const line of header.split('\r\n')) {
    if (line === '') continue;
    if ((line[0] === ' ' || line[0] === '\t') && fields.length > 0) {
      fields[fields.length - 1]!.raw += `\r\n${line}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    fields.push({ name: line.slice(0, colon).trim().toLowerCase(), raw: line });
  }
  return fields;
}

/** What one key signs: the field up to "b=", and the data the signature covers. */
interface Unsigned {
  field: string;
  data: Buffer;
  key: DkimSigningKey;
}

/** Canonicalizes once and builds, per key, the DKIM-Signature field without its b= value and the data to sign. */
function prepare(message: Buffer, keys: readonly DkimSigningKey[], now: number): Unsigned[] {
  // Header and body are handled as Latin-1 so every byte maps to one character and back.
  const text = message.toString('latin1');
  const split = text.indexOf('\r\n\r\n');
  const header = split < 0 ? text : text.slice(0, split + 2);
  const body = split < 0 ? '' : text.slice(split + 4);
  const bodyHash = createHash('sha256').update(relaxedBody(body), 'latin1').digest('base64');
  const fields = parseFields(header);

  // h=: every signed field present, bottom-up instances implied by repetition; over-signed ones once more.
  const names: string[] = [];
  for (const name of SIGNED_HEADERS) {
    const count = fields.filter((f) => f.name === name).length;
    const times = count + (OVERSIGNED_HEADERS.includes(name) ? 1 : 0);
    for (let i = 0; i < times; i++) names.push(name);
  }
  // The signed data: for each name in h=, the next instance from the bottom; a name with none left adds nothing.
  const used = new Map<string, number>();
  let signedHeaders = '';
  for (const name of names) {
    const instances = fields.filter((f) => f.name === name);
    const taken = used.get(name) ?? 0;
    const field = instances[instances.length - 1 - taken];
    used.set(name, taken + 1);
    if (field) signedHeaders += relaxedField(field.raw);
  }

  return keys.map((key) => {
    const tags = [
      'v=1',
      `a=${key.algorithm}`,
      'c=relaxed/relaxed',
      `d=${key.domain}`,
      `s=${key.selector}`,
      `t=${Math.floor(now / 1000)}`,
      `h=${names.join(':')}`,
      `bh=${bodyHash}`,
    ];
    const field = `DKIM-Signature: ${tags.join(';\r\n\t')};\r\n\tb=`;
    // The signature field itself, b= empty and without its CRLF, ends the signed data.
    return { field, data: Buffer.from(signedHeaders + relaxedField(field).slice(0, -2), 'latin1'), key };
  });
}

const keyObject = (key: DkimSigningKey) => (typeof key.privateKey === 'string' ? createPrivateKey(key.privateKey) : key.privateKey);

/** The sign() arguments: RSA-SHA256 signs the data; Ed25519-SHA256 signs its SHA-256 (RFC 8463 section 3). */
function signArguments(u: Unsigned): [string | null, Buffer] {
  return u.key.algorithm === 'rsa-sha256' ? ['sha256', u.data] : [null, createHash('sha256').update(u.data).digest()];
}

/**
 * The DKIM-Signature fields for message (CRLF line ends), one per key, each
 * ending in CRLF, to put on top of the message unchanged.
 */
export function dkimSignatures(message: Buffer, keys: readonly DkimSigningKey[], now: number = Date.now()): string {
  let out = '';
  for (const u of prepare(message, keys, now)) {
    const [algorithm, data] = signArguments(u);
    out += `${u.field}${sign(algorithm, data, keyObject(u.key)).toString('base64')}\r\n`;
  }
  return out;
}

/**
 * The same, with the private-key operations on libuv's threadpool (Node's
 * crypto.sign with a callback): an RSA-2048 signature costs about a
 * millisecond, which would otherwise stall the thread delivering mail.
 */
export async function dkimSignaturesAsync(message: Buffer, keys: readonly DkimSigningKey[], now: number = Date.now()): Promise<string> {
  const signed = await Promise.all(
    prepare(message, keys, now).map(
      (u) =>
        new Promise<string>((resolve, reject) => {
          const [algorithm, data] = signArguments(u);
          sign(algorithm, data, keyObject(u.key), (err, signature) => (err ? reject(err) : resolve(`${u.field}${signature.toString('base64')}\r\n`)));
        }),
    ),
  );
  return signed.join('');
}
