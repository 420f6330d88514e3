/*
 * The generated self-signed certificate: what Petrel serves while no real
 * certificate exists at all (a fresh install, a development box, every file
 * broken on first start). It covers the host name, every
 * hosted domain and mail.<domain>, is kept on disk so restarts reuse it, and
 * is generated again when the set of names grows or it nears expiry.
 *
 * Key: RSA 2048 with SHA-256. Postfix's smtp client, swaks (IO::Socket::SSL),
 * openssl s_client and every TLS 1.2 client accept it, including old ones
 * with no ECDSA support; ECDSA P-256 would be faster but is not universal in
 * older Java and SChannel configurations that still send mail.
 *
 * Exports: SELF_SIGNED_CERT_FILE, SELF_SIGNED_KEY_FILE, selfSignedNames,
 * ensureSelfSigned.
 *
 * Security: the key file is written with mode 0600 (directory 0700) through
 * a temporary name and rename, so a crash never leaves a half-written key;
 * a key and certificate that do not match are regenerated, not served.
 * Standards: RFC 5280 (profile: SAN dNSName, CA:false, digitalSignature +
 * keyEncipherment, extendedKeyUsage serverAuth).
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { KeyObject, randomBytes, webcrypto } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../telemetry/index.js';
import { loadCertificate, type LoadedCertificate } from './certificate.js';
import { SELF_SIGNED_RENEW_DAYS, SELF_SIGNED_VALID_DAYS } from './limits.js';
import { normalizeCertificateName } from './names.js';

export const SELF_SIGNED_CERT_FILE = 'cert.pem';
export const SELF_SIGNED_KEY_FILE = 'key.pem';

const DAY = 86_400_000;
type X509Crypto = NonNullable<Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[1]>;
type X509Keys = Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]['keys'];
const subtleCrypto = webcrypto as unknown as X509Crypto;

/** Host name, hosted domains and mail.<domain>, normalized, host name first. */
export function selfSignedNames(hostname: string, domains: Iterable<string>): string[] {
  const out = new Set<string>();
  const add = (name: string): void => {
    const key = normalizeCertificateName(name);
    if (key !== undefined && !key.startsWith('*.')) out.add(key);
  };
  add(hostname);
  for (const domain of domains) {
    add(domain);
    // The names clients and senders reach the domain's services by (mail, MTA-STS, autoconfiguration).
    for (const label of ['mail', 'mta-sts', 'autoconfig', 'autodiscover']) add(`${label}.${domain}`);
  }
  if (out.size === 0) out.add('localhost');
  return [...out];
}

function covers(cert: LoadedCertificate, names: string[], now: Date): boolean {
  const have = new Set(cert.info.names);
  const fresh = cert.info.notAfter.getTime() - now.getTime() > SELF_SIGNED_RENEW_DAYS * DAY;
  return fresh && cert.info.notBefore.getTime() <= now.getTime() && names.every((n) => have.has(n));
}

async function writePrivate(path: string, data: string, mode: number): Promise<void> {
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await open(tmp, 'wx', mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await chmod(tmp, mode); // the umask may have narrowed or the mode widened nothing; be exact
  await rename(tmp, path);
}

async function generate(names: string[], now: Date): Promise<{ certPem: string; keyPem: string }> {
  const algorithm: webcrypto.RsaHashedKeyGenParams = {
    name: 'RSASSA-PKCS1-v1_5',
    modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: 'SHA-256',
  };
  const pair = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const keys = pair as unknown as X509Keys;
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: '01' + randomBytes(15).toString('hex'),
      name: [{ CN: [names[0] ?? 'localhost'] }, { O: ['Petrel self-signed'] }],
      notBefore: new Date(now.getTime() - 3600_000),
      notAfter: new Date(now.getTime() + SELF_SIGNED_VALID_DAYS * DAY),
      keys,
      signingAlgorithm: algorithm,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension(names.map((value) => ({ type: 'dns' as const, value }))),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, subtleCrypto),
      ],
    },
    subtleCrypto,
  );
  const keyPem = KeyObject.from(pair.privateKey).export({ type: 'pkcs8', format: 'pem' }) as string;
  return { certPem: cert.toString('pem') + '\n', keyPem };
}

/**
 * The self-signed certificate for `names`: the one kept in `dir` if it is
 * intact, covers every name and is not near expiry, else a new one, written
 * to `dir` before it is returned.
 */
export async function ensureSelfSigned(dir: string, names: string[], logger: Logger, now: Date): Promise<LoadedCertificate> {
  const certPath = join(dir, SELF_SIGNED_CERT_FILE);
  const keyPath = join(dir, SELF_SIGNED_KEY_FILE);
  const source = `self-signed:${dir}`;
  const sourceId = 'self-signed';
  let reason = 'none on disk';
  try {
    const [certPem, keyPem] = await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8')]);
    const kept = loadCertificate({ certPem, keyPem, source, sourceId, generated: true });
    if (covers(kept, names, now)) return kept;
    reason = 'names grew or expiry near';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') reason = (err as Error).message;
  }
  const fresh = await generate(names, now);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writePrivate(keyPath, fresh.keyPem, 0o600);
  await writePrivate(certPath, fresh.certPem, 0o644);
  logger.info('self-signed certificate generated', { dir, names: names.join(','), reason });
  return loadCertificate({ ...fresh, source, sourceId, generated: true });
}
