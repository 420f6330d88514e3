/*
 * Host names as the certificate registry compares them: lower case A-labels
 * without a trailing dot, and the one wildcard form RFC 6125 allows (`*.`
 * as the whole left-most label, matching exactly one label).
 *
 * Exports: normalizeServerName, normalizeCertificateName, wildcardKeyFor.
 *
 * Security: normalizeServerName reads the SNI name a client sent (untrusted):
 * length is bounded, only LDH characters (and `_`) survive, and `*` is
 * refused so that a client cannot ask for a wildcard entry by name. Nothing
 * here allocates per name beyond the returned string.
 * Standards: RFC 6066 section 3 (SNI carries A-labels, no trailing dot),
 * RFC 5890 (IDNA A-labels), RFC 6125 section 6.4.3 (wildcards).
 */
import { domainToASCII } from 'node:url';
import { MAX_SERVER_NAME_LENGTH } from './limits.js';

const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

function toAscii(name: string): string | undefined {
  let value = name.trim();
  if (value.endsWith('.')) value = value.slice(0, -1);
  if (value === '' || value.length > MAX_SERVER_NAME_LENGTH * 4) return undefined;
  // smtp-server hands SNICallback U-labels (it runs punycode.toUnicode first);
  // certificates and SNI on the wire use A-labels. Compare A-labels.
  if (/[^\x00-\x7f]/.test(value)) value = domainToASCII(value);
  value = value.toLowerCase();
  if (value === '' || value.length > MAX_SERVER_NAME_LENGTH) return undefined;
  return value;
}

function validLabels(labels: string[]): boolean {
  return labels.length > 0 && labels.every((label) => LABEL.test(label));
}

/** The SNI name a client sent, as a lookup key; undefined if it cannot name any certificate. */
export function normalizeServerName(name: string | undefined | null): string | undefined {
  if (typeof name !== 'string') return undefined;
  const ascii = toAscii(name);
  if (ascii === undefined || !validLabels(ascii.split('.'))) return undefined;
  return ascii;
}

/**
 * A DNS name from a certificate (SAN dNSName or CN) or from the configuration,
 * as an index key: `*.example.com` stays a wildcard; partial wildcards
 * (`f*.example.com`) and wildcards over a single label (`*.com`) are refused.
 */
export function normalizeCertificateName(name: string): string | undefined {
  const ascii = toAscii(name);
  if (ascii === undefined) return undefined;
  const labels = ascii.split('.');
  if (labels[0] === '*') {
    const rest = labels.slice(1);
    return rest.length >= 2 && validLabels(rest) ? ascii : undefined;
  }
  return validLabels(labels) ? ascii : undefined;
}

/** The wildcard entry that would cover a normalized name: `a.example.com` -> `*.example.com`. */
export function wildcardKeyFor(name: string): string | undefined {
  const dot = name.indexOf('.');
  if (dot <= 0) return undefined;
  const rest = name.slice(dot + 1);
  return rest.includes('.') ? `*.${rest}` : undefined;
}
