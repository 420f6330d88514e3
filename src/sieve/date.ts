/*
 * Dates for the date and currentdate tests: parse an RFC 5322 date-time and
 * give the RFC 5260 date parts in a chosen zone.
 *
 * Exports: parseMessageDate, dateParts, parseZone, SieveDate.
 * Security: header values are untrusted; one anchored regular expression
 * without nested quantifiers, and out-of-range fields make the date invalid.
 * Standards: RFC 5322 3.3 (with the obsolete zone names of 4.3), RFC 5260
 * section 4.2 (date parts; julian is the Modified Julian Day).
 */

export interface SieveDate {
  /** Milliseconds since the epoch, UTC. */
  utc: number;
  /** The zone written in the header, in minutes east of UTC. */
  zone: number;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const OBS_ZONES: Record<string, number> = { ut: 0, gmt: 0, z: 0, est: -300, edt: -240, cst: -360, cdt: -300, mst: -420, mdt: -360, pst: -480, pdt: -420 };

const DATE_RE = /^\s*(?:[A-Za-z]{3}\s*,\s*)?(\d{1,2})\s+([A-Za-z]{3})\s+(\d{2,4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([+-]\d{4}|[A-Za-z]{1,5})?/;

/** "+hhmm" / "-hhmm" to minutes east of UTC, or null. */
export function parseZone(z: string): number | null {
  const m = /^([+-])(\d{2})(\d{2})$/.exec(z);
  if (!m) return null;
  const v = Number(m[2]) * 60 + Number(m[3]);
  if (Number(m[3]) > 59) return null;
  return m[1] === '-' ? -v : v;
}

export function parseMessageDate(value: string): SieveDate | null {
  const m = DATE_RE.exec(value);
  if (!m) return null;
  const day = Number(m[1]);
  const month = MONTHS.indexOf(m[2]!.toLowerCase());
  let year = Number(m[3]);
  if (m[3]!.length === 2) year += year < 50 ? 2000 : 1900;
  else if (m[3]!.length === 3) year += 1900;
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = m[6] ? Number(m[6]) : 0;
  if (month < 0 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return null;
  let zone = 0;
  if (m[7]) {
    const z = parseZone(m[7]);
    if (z !== null) zone = z;
    else zone = OBS_ZONES[m[7].toLowerCase()] ?? 0; // military and unknown zones: -0000 (RFC 5322 4.3)
  }
  const utc = Date.UTC(year, month, day, hour, minute, Math.min(second, 59)) - zone * 60_000;
  if (!Number.isFinite(utc)) return null;
  return { utc, zone };
}

const p2 = (n: number) => String(n).padStart(2, '0');

function zoneString(min: number): string {
  const sign = min < 0 ? '-' : '+';
  const a = Math.abs(min);
  return `${sign}${p2(Math.floor(a / 60))}${p2(a % 60)}`;
}

/** The RFC 5260 date part of an instant seen in a zone (minutes east of UTC); null for an unknown part. */
export function dateParts(utc: number, zone: number, part: string): string | null {
  const d = new Date(utc + zone * 60_000);
  const Y = String(d.getUTCFullYear()).padStart(4, '0');
  const M = p2(d.getUTCMonth() + 1);
  const D = p2(d.getUTCDate());
  const h = p2(d.getUTCHours());
  const mi = p2(d.getUTCMinutes());
  const s = p2(d.getUTCSeconds());
  switch (part) {
    case 'year':
      return Y;
    case 'month':
      return M;
    case 'day':
      return D;
    case 'date':
      return `${Y}-${M}-${D}`;
    case 'julian': {
      // Modified Julian Day: days since 1858-11-17 00:00 in the chosen zone.
      const days = Math.floor(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) / 86_400_000);
      return String(days + 40587);
    }
    case 'hour':
      return h;
    case 'minute':
      return mi;
    case 'second':
      return s;
    case 'time':
      return `${h}:${mi}:${s}`;
    case 'iso8601': {
      const z = zoneString(zone);
      return `${Y}-${M}-${D}T${h}:${mi}:${s}${z.slice(0, 3)}:${z.slice(3)}`;
    }
    case 'std11':
      return `${DAYS[d.getUTCDay()]}, ${D} ${MONTHS[d.getUTCMonth()]!.replace(/^./, (c) => c.toUpperCase())} ${Y} ${h}:${mi}:${s} ${zoneString(zone)}`;
    case 'zone':
      return zoneString(zone);
    case 'weekday':
      return String(d.getUTCDay());
    default:
      return null;
  }
}
