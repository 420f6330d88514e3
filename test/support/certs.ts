/*
 * Test certificates: a throw-away CA and leaf certificates for given names,
 * generated in memory (ECDSA P-256 by default, because it is fast; RSA 2048
 * on request) and optionally written to disk in the layouts Petrel reads
 * (Let's Encrypt `live/` + `archive/` with symlinks, or plain PEM files).
 *
 * Exports: createTestCa (a root, or an intermediate with `issuer`),
 * issueCertificate, writeLetsEncrypt, writePemPair, makeTempDir, types
 * TestCa, TestCertificate, IssueOptions, CaOptions.
 *
 * Security: test only. Keys are generated per run and never leave the temp
 * directory the test names; nothing here is fit for production.
 * Standards: RFC 5280 (certificate profile: SAN dNSName, basicConstraints,
 * keyUsage, extendedKeyUsage serverAuth).
 */
import { webcrypto, KeyObject, randomBytes, X509Certificate } from 'node:crypto';
import { mkdtemp, mkdir, writeFile, symlink, rm, rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

type X509Crypto = NonNullable<Parameters<typeof x509.X509CertificateGenerator.create>[1]>;
type KeyPair = Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]['keys'];
const crypto = webcrypto as unknown as X509Crypto;
const DAY = 86_400_000;

export type KeyKind = 'ecdsa' | 'rsa';

export interface TestCa {
  name: string;
  certPem: string;
  keyPem: string;
  cert: x509.X509Certificate;
  keys: KeyPair;
  kind: KeyKind;
}

export interface TestCertificate {
  names: string[];
  certPem: string;
  keyPem: string;
  /** Leaf followed by the CA, as fullchain.pem holds it. */
  chainPem: string;
  fingerprint256: string;
}

export interface IssueOptions {
  notBefore?: Date;
  notAfter?: Date;
  key?: KeyKind;
  /** Put the first name in the subject CN as well (default true). */
  commonName?: boolean;
  /** List the names in a subjectAltName extension (default true); false leaves only the CN. */
  subjectAltName?: boolean;
  /** IP addresses for the subjectAltName too (a listener reached as https://127.0.0.1:port). */
  ipAddresses?: string[];
}

function algorithm(kind: KeyKind): webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams {
  return kind === 'rsa'
    ? { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }
    : { name: 'ECDSA', namedCurve: 'P-256' };
}

function signing(kind: KeyKind): { name: string; hash?: string } {
  return kind === 'rsa' ? { name: 'RSASSA-PKCS1-v1_5' } : { name: 'ECDSA', hash: 'SHA-256' };
}

async function generate(kind: KeyKind): Promise<KeyPair> {
  return (await webcrypto.subtle.generateKey(algorithm(kind), true, ['sign', 'verify'])) as unknown as KeyPair;
}

function keyPem(keys: KeyPair): string {
  return KeyObject.from(keys.privateKey as unknown as webcrypto.CryptoKey).export({ type: 'pkcs8', format: 'pem' }) as string;
}

const serial = (): string => '01' + randomBytes(15).toString('hex');

export interface CaOptions {
  /** Make an intermediate CA signed by this CA instead of a self-signed root. */
  issuer?: TestCa;
  notBefore?: Date;
  notAfter?: Date;
  /** basicConstraints cA (default true); false makes a "CA" no verifier should accept as an issuer. */
  ca?: boolean;
}

export async function createTestCa(name = 'Petrel Test CA', kind: KeyKind = 'ecdsa', options: CaOptions = {}): Promise<TestCa> {
  const keys = await generate(kind);
  const validity = {
    notBefore: options.notBefore ?? new Date(Date.now() - DAY),
    notAfter: options.notAfter ?? new Date(Date.now() + 365 * DAY),
  };
  const extensions = [
    new x509.BasicConstraintsExtension(options.ca ?? true, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
  ];
  const cert = options.issuer
    ? await x509.X509CertificateGenerator.create(
        {
          serialNumber: serial(),
          subject: `CN=${name}`,
          issuer: options.issuer.cert.subject,
          ...validity,
          publicKey: keys.publicKey,
          signingKey: options.issuer.keys.privateKey,
          signingAlgorithm: signing(options.issuer.kind),
          extensions,
        },
        crypto,
      )
    : await x509.X509CertificateGenerator.createSelfSigned(
        { serialNumber: serial(), name: `CN=${name}`, ...validity, keys, signingAlgorithm: signing(kind), extensions },
        crypto,
      );
  return { name, certPem: cert.toString('pem'), keyPem: keyPem(keys), cert, keys, kind };
}

/** A leaf for `names` (A-labels; `*.x` allowed) signed by `ca`. */
export async function issueCertificate(ca: TestCa, names: string[], options: IssueOptions = {}): Promise<TestCertificate> {
  const kind = options.key ?? 'ecdsa';
  const keys = await generate(kind);
  const first = names[0] ?? 'localhost';
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: serial(),
      subject: options.commonName === false ? 'O=Petrel Test' : `CN=${first}`,
      issuer: ca.cert.subject,
      notBefore: options.notBefore ?? new Date(Date.now() - DAY),
      notAfter: options.notAfter ?? new Date(Date.now() + 90 * DAY),
      publicKey: keys.publicKey,
      signingKey: ca.keys.privateKey,
      signingAlgorithm: signing(ca.kind),
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        ...((names.length || options.ipAddresses?.length) && options.subjectAltName !== false
          ? [
              new x509.SubjectAlternativeNameExtension([
                ...names.map((value) => ({ type: 'dns' as const, value })),
                ...(options.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
              ]),
            ]
          : []),
      ],
    },
    crypto,
  );
  const certPem = cert.toString('pem');
  const der = Buffer.from(cert.rawData);
  return {
    names,
    certPem,
    keyPem: keyPem(keys),
    chainPem: `${certPem}\n${ca.certPem}\n`,
    fingerprint256: new X509Certificate(der).fingerprint256,
  };
}

export async function makeTempDir(prefix = 'petrel-tls-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * Writes `cert` as certbot does: archive/<name>/{fullchainN,privkeyN}.pem and
 * live/<name>/{fullchain,privkey}.pem as relative symlinks to them. Calling it
 * again with a higher `version` is a renewal: the symlinks are swapped
 * atomically (new link, then rename over the old one).
 */
export async function writeLetsEncrypt(certsDir: string, name: string, cert: TestCertificate, version = 1): Promise<void> {
  const archive = join(certsDir, 'archive', name);
  const live = join(certsDir, 'live', name);
  await mkdir(archive, { recursive: true });
  await mkdir(live, { recursive: true });
  await writeFile(join(archive, `fullchain${version}.pem`), cert.chainPem);
  await writeFile(join(archive, `privkey${version}.pem`), cert.keyPem, { mode: 0o600 });
  for (const [link, file] of [
    ['fullchain.pem', `fullchain${version}.pem`],
    ['privkey.pem', `privkey${version}.pem`],
  ] as const) {
    const tmp = join(live, `.${link}.${version}.tmp`);
    await rm(tmp, { force: true });
    await symlink(join('..', '..', 'archive', name, file), tmp);
    await rename(tmp, join(live, link));
  }
}

/** Writes cert (full chain) and key as plain files; returns their paths. */
export async function writePemPair(dir: string, base: string, cert: TestCertificate): Promise<{ cert: string; key: string }> {
  await mkdir(dir, { recursive: true });
  const paths = { cert: join(dir, `${base}.crt`), key: join(dir, `${base}.key`) };
  await writeFile(paths.key, cert.keyPem, { mode: 0o600 });
  await writeFile(paths.cert, cert.chainPem);
  return paths;
}
