/*
 * Synthetic but realistic messages for the IMAP benchmarks, the same for a
 * given seed: RFC 5322 headers (From, To, Subject, Date, Message-ID),
 * plain text, multipart/alternative (text and HTML) and, for the larger
 * sizes, multipart/mixed with a base64 attachment. Body text is drawn from
 * a fixed vocabulary; SEARCH_WORD appears in about one message in a
 * hundred, so `SEARCH TEXT` has a small, known-to-exist result set.
 *
 * Exports: Rng, mulberry32, makeMessage, messageSize, SEARCH_WORD.
 * Security: benchmark only.
 * Standards: RFC 5322, RFC 2045/2046 (MIME), RFC 5321 (no line starts with
 * a dot, so the bytes go through DATA without dot-stuffing).
 */

export type Rng = () => number;

/** A small seeded PRNG (mulberry32): deterministic corpora without a dependency. */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The word `SEARCH TEXT` looks for: in about 1 % of message bodies. */
export const SEARCH_WORD = 'kittiwake';

const WORDS = (
  'the of and to in is that for it as was with be by on not he this are or his from at which but have an they you were her ' +
  'she there been one all we their has would when if so no will more can out other into what some time could them about ' +
  'meeting report budget project schedule invoice review draft release server mailbox delivery storage network account ' +
  'quarter forecast customer contract support ticket update version feature change request approval deadline agenda ' +
  'lunch travel office remote team manager design test build deploy backup restore archive folder message thread reply ' +
  'monday tuesday wednesday thursday friday morning afternoon evening tomorrow yesterday week month year today soon ' +
  'please thanks regards hello attached below above note question answer issue problem solution plan idea summary'
).split(' ');
const FIRST = ['Alice', 'Bob', 'Carol', 'Dave', 'Erin', 'Frank', 'Grace', 'Heidi', 'Ivan', 'Judy', 'Mallory', 'Niaj', 'Olivia', 'Peggy', 'Rupert', 'Sybil', 'Trent', 'Victor', 'Walter', 'Yolanda'];
const LAST = ['Smith', 'Jones', 'Martin', 'Bernard', 'Dubois', 'Muller', 'Rossi', 'Garcia', 'Silva', 'Kowalski', 'Novak', 'Jensen', 'Olsen', 'Virtanen', 'Tanaka'];
const DOMAINS = ['example.org', 'example.net', 'mail.example.com', 'corp.example', 'lists.example.org'];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const pick = <T>(rng: Rng, list: readonly T[]): T => list[Math.floor(rng() * list.length)]!;

function sentence(rng: Rng, withSearchWord: boolean): string {
  const n = 6 + Math.floor(rng() * 12);
  const words: string[] = [];
  for (let i = 0; i < n; i++) words.push(pick(rng, WORDS));
  if (withSearchWord) words.splice(Math.floor(rng() * words.length), 0, SEARCH_WORD);
  const s = words.join(' ');
  return s[0]!.toUpperCase() + s.slice(1) + '.';
}

/** Paragraphs of text, lines wrapped under 78 characters, about `bytes` long. */
function text(rng: Rng, bytes: number, searchWord: boolean): string {
  const lines: string[] = [];
  let size = 0;
  let line = '';
  let placed = !searchWord;
  while (size < bytes) {
    const s = sentence(rng, !placed && rng() < 0.3);
    if (s.includes(SEARCH_WORD)) placed = true;
    for (const w of s.split(' ')) {
      if (line.length + w.length + 1 > 72) {
        lines.push(line);
        size += line.length + 2;
        line = '';
      }
      line = line ? `${line} ${w}` : w;
    }
    if (rng() < 0.15) {
      lines.push(line, '');
      size += line.length + 4;
      line = '';
    }
  }
  if (line) lines.push(line);
  if (!placed) lines.push(sentence(rng, true));
  return lines.join('\r\n');
}

function html(plain: string): string {
  const paras = plain.split('\r\n\r\n').map((p) => `<p>${p.replace(/\r\n/g, ' ')}</p>`);
  const body = paras.join('\r\n');
  return `<!DOCTYPE html>\r\n<html><head><meta charset="utf-8"></head>\r\n<body style="font-family: sans-serif">\r\n${body}\r\n</body></html>`;
}

function base64Lines(rng: Rng, bytes: number): string {
  const raw = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) raw[i] = Math.floor(rng() * 256);
  return raw.toString('base64').replace(/(.{76})/g, '$1\r\n').replace(/\r\n$/, '');
}

/** A size in bytes between min and max, log-uniform (many small messages, some large). */
export function messageSize(rng: Rng, min: number, max: number): number {
  return Math.round(Math.exp(Math.log(min) + rng() * (Math.log(max) - Math.log(min))));
}

export interface MessageOptions {
  to: string;
  /** Target total size in bytes (the result is within a few hundred bytes). */
  size: number;
  /** Seconds since the epoch for the Date header. */
  date: number;
  /** Whether SEARCH_WORD goes into the body. */
  searchWord: boolean;
  id: string;
}

/** One message, CRLF line ends, without a final CRLF (ready for DATA's "\r\n.\r\n"). */
export function makeMessage(rng: Rng, o: MessageOptions): Buffer {
  const first = pick(rng, FIRST);
  const last = pick(rng, LAST);
  const d = new Date(o.date * 1000);
  const date = `${DAYS[d.getUTCDay()]}, ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${d.toISOString().slice(11, 19)} +0000`;
  const subjectWords = Array.from({ length: 3 + Math.floor(rng() * 5) }, () => pick(rng, WORDS));
  const headers = [
    `From: ${first} ${last} <${first.toLowerCase()}.${last.toLowerCase()}@${pick(rng, DOMAINS)}>`,
    `To: <${o.to}>`,
    `Subject: ${rng() < 0.3 ? 'Re: ' : ''}${subjectWords.join(' ')}`,
    `Date: ${date}`,
    `Message-ID: <${o.id}@bench.example>`,
    'MIME-Version: 1.0',
  ];
  const headerBytes = headers.join('\r\n').length + 200;
  const room = Math.max(200, o.size - headerBytes);
  let body: string[];
  if (o.size < 6000 && rng() < 0.5) {
    headers.push('Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit');
    body = [text(rng, room, o.searchWord)];
  } else {
    const plainBytes = o.size < 8192 ? Math.floor(room * 0.4) : Math.min(3000, Math.floor(room * 0.3));
    const plain = text(rng, plainBytes, o.searchWord);
    const alt = `alt-${o.id}`;
    const alternative = [
      `--${alt}`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      plain,
      `--${alt}`,
      'Content-Type: text/html; charset=utf-8',
      '',
      html(plain),
      `--${alt}--`,
    ];
    if (o.size < 8192) {
      headers.push(`Content-Type: multipart/alternative; boundary="${alt}"`);
      body = alternative;
    } else {
      const mixed = `mix-${o.id}`;
      const used = alternative.join('\r\n').length + 400;
      const attachment = Math.max(256, Math.floor(((o.size - headerBytes - used) * 3) / 4));
      headers.push(`Content-Type: multipart/mixed; boundary="${mixed}"`);
      body = [
        `--${mixed}`,
        `Content-Type: multipart/alternative; boundary="${alt}"`,
        '',
        ...alternative,
        `--${mixed}`,
        `Content-Type: application/pdf; name="${pick(rng, WORDS)}-${o.id}.pdf"`,
        `Content-Disposition: attachment; filename="${pick(rng, WORDS)}-${o.id}.pdf"`,
        'Content-Transfer-Encoding: base64',
        '',
        base64Lines(rng, attachment),
        `--${mixed}--`,
      ];
    }
  }
  return Buffer.from(`${headers.join('\r\n')}\r\n\r\n${body.join('\r\n')}`, 'utf8');
}
