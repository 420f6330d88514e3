/*
 * Date: header values to milliseconds since the epoch, for the message
 * summary (sorting, SEARCH SENTBEFORE and friends).
 *
 * Exports: parseDateTime.
 * Security: reads untrusted header values; input length is capped before
 * any regular expression or Date.parse sees it; never throws.
 * Standards: RFC 5322 section 3.3 (date-time) and 4.3 (obsolete: two- and
 * three-digit years, named zones, military zones read as -0000, comments).
 * Deviations: a missing zone is read as UTC; a value the RFC grammar does
 * not match is handed to Date.parse as a last resort (ISO 8601 and the like).
 */
import { MAX_DATE_CHARS } from './limits.js';

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

const ZONES = new Map<string, number>([
  ['ut', 0], ['utc', 0], ['gmt', 0], ['z', 0],
  ['est', -300], ['edt', -240], ['cst', -360], ['cdt', -300],
  ['mst', -420], ['mdt', -360], ['pst', -480], ['pdt', -420],
]);

const DATE_TIME =
  /^(?:[a-z]+\s*,?\s*)?(\d{1,2})[\s-]*([a-z]{3})[a-z]*\.?[\s-]*(\d{2,4})\s+(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?\s*([+-]\d{4}|[a-z]+)?/;

/** Milliseconds since the epoch, or null when the value is not a date. */
export function parseDateTime(value: string): number | null {
  if (value.length > MAX_DATE_CHARS) return null;
  const text = stripComments(value).trim().toLowerCase();
  const m = DATE_TIME.exec(text);
  if (m !== null) {
    const day = Number(m[1]);
    const month = MONTHS.indexOf(m[2] as string);
    let year = Number(m[3]);
    if ((m[3] as string).length === 2) year += year < 50 ? 2000 : 1900;
    else if ((m[3] as string).length === 3) year += 1900;
    const hour = Number(m[4]);
    const minute = Number(m[5]);
    const second = m[6] === undefined ? 0 : Number(m[6]);
    const zone = zoneMinutes(m[7]);
    if (month >= 0 && day >= 1 && day <= 31 && hour <= 23 && minute <= 59 && second <= 60) {
      const ms = Date.UTC(year, month, day, hour, minute, second) - zone * 60_000;
      if (Number.isFinite(ms)) return ms;
    }
  }
  const fallback = Date.parse(value);
  return Number.isFinite(fallback) ? fallback : null;
}

function zoneMinutes(zone: string | undefined): number {
  if (zone === undefined) return 0;
  if (zone[0] === '+' || zone[0] === '-') {
    const hours = Number(zone.slice(1, 3));
    const minutes = Number(zone.slice(3, 5));
    const sign = zone[0] === '-' ? -1 : 1;
    return sign * (hours * 60 + minutes);
  }
  return ZONES.get(zone) ?? 0; // military and unknown zones: -0000, "no information"
}

function stripComments(value: string): string {
  if (!value.includes('(')) return value;
  let out = '';
  let depth = 0;
  for (const ch of value) {
    if (ch === '(') depth++;
    else if (ch === ')' && depth > 0) depth--;
    else if (depth === 0) out += ch;
  }
  return out;
}
