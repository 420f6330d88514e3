/*
 * The SubjectPublicKeyInfo of a certificate, as the exact DER octets the
 * certificate holds, for TLSA selector SPKI(1). Pure.
 *
 * Re-exporting the parsed key (KeyObject.export) would give OpenSSL's
 * re-encoding, which can differ from the certificate's own octets (an EC
 * point in compressed form, explicit curve parameters, a NULL parameter
 * left out), and a TLSA digest is over the certificate's octets; so the
 * field is cut out of the DER instead: Certificate -> tbsCertificate ->
 * the seventh field (after the optional [0] version: serialNumber,
 * signature, issuer, validity, subject, subjectPublicKeyInfo).
 *
 * Exports: subjectPublicKeyInfo.
 * Security: the input is a certificate the TLS library already parsed
 * (or DER from a TLSA record, which is parsed by X509Certificate first);
 * every length is still checked against the buffer, and long-form
 * lengths over four octets are refused.
 * Standards: RFC 5280 section 4.1 (certificate structure), ITU-T X.690
 * section 8.1 (DER tag and length octets), RFC 6698 section 2.1.2.
 */

const SEQUENCE = 0x30;
const VERSION_TAG = 0xa0;

interface Tlv {
  tag: number;
  /** Offset of the tag octet. */
  start: number;
  /** Offset of the contents. */
  contents: number;
  /** Offset just past the contents. */
  end: number;
}

/** The tag-length-value at offset, or throws when it does not fit within limit. */
function readTlv(der: Buffer, offset: number, limit: number): Tlv {
  if (offset + 2 > limit) throw new Error('truncated DER');
  const tag = der[offset]!;
  let length = der[offset + 1]!;
  let contents = offset + 2;
  if (length & 0x80) {
    const octets = length & 0x7f;
    if (octets === 0 || octets > 4 || contents + octets > limit) throw new Error('unsupported DER length');
    length = 0;
    for (let i = 0; i < octets; i++) length = length * 256 + der[contents + i]!;
    contents += octets;
  }
  const end = contents + length;
  if (end > limit) throw new Error('DER length past the end');
  return { tag, start: offset, contents, end };
}

/** The DER octets of the certificate's subjectPublicKeyInfo (tag and length included). */
export function subjectPublicKeyInfo(certificate: Buffer): Buffer {
  const cert = readTlv(certificate, 0, certificate.length);
  if (cert.tag !== SEQUENCE) throw new Error('not a certificate');
  const tbs = readTlv(certificate, cert.contents, cert.end);
  if (tbs.tag !== SEQUENCE) throw new Error('not a certificate');
  let field = readTlv(certificate, tbs.contents, tbs.end);
  if (field.tag === VERSION_TAG) field = readTlv(certificate, field.end, tbs.end);
  // serialNumber, signature, issuer, validity, subject: five fields to skip.
  for (let i = 0; i < 5; i++) field = readTlv(certificate, field.end, tbs.end);
  if (field.tag !== SEQUENCE) throw new Error('no subjectPublicKeyInfo');
  return certificate.subarray(field.start, field.end);
}
