/*
 * `petrel cert list` output: one line per certificate with its names,
 * issuer, expiry and days left, and flags (default, self-signed, expired).
 *
 * Exports: describeCertificates.
 *
 * Security: prints operator data only (names from certificates Petrel
 * serves); no key material.
 * Standards: none.
 */
import type { CertificateInfo } from './types.js';

const DAY = 86_400_000;

function issuerName(issuer: string): string {
  const parts = issuer.split(', ');
  const pick = (prefix: string): string | undefined => parts.find((p) => p.startsWith(prefix))?.slice(prefix.length);
  return pick('CN=') ?? pick('O=') ?? (issuer || '-');
}

function flags(info: CertificateInfo, now: Date): string {
  const out: string[] = [];
  if (info.isDefault) out.push('default');
  if (info.selfSigned) out.push('self-signed');
  if (info.notAfter.getTime() < now.getTime()) out.push('EXPIRED');
  else if (info.notBefore.getTime() > now.getTime()) out.push('NOT-YET-VALID');
  return out.join(',') || '-';
}

/** A fixed-width table, header first, one certificate per line. */
export function describeCertificates(list: readonly CertificateInfo[], now: Date = new Date()): string {
  if (list.length === 0) return 'no certificates\n';
  const rows = list.map((info) => {
    const days = Math.floor((info.notAfter.getTime() - now.getTime()) / DAY);
    return [
      info.names.join(','),
      issuerName(info.issuer),
      info.notAfter.toISOString().slice(0, 10),
      String(days),
      flags(info, now),
      info.source,
    ];
  });
  const header = ['NAMES', 'ISSUER', 'EXPIRES', 'DAYS', 'FLAGS', 'SOURCE'];
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string =>
    r
      .map((cell, i) => (i === r.length - 1 ? cell : i === 3 ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ');
  return all.map(line).join('\n') + '\n';
}
