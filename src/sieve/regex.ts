/*
 * The :regex match type: POSIX extended regular expressions (what the regex
 * draft specifies) translated to JavaScript RegExp.
 *
 * Exports: translatePosixRegex, compileSieveRegex, RegexError.
 * Security: patterns come from users and, through variables, from message
 * headers. Patterns are capped at MAX_REGEX_LENGTH and back-references are
 * refused (they are not ERE and make matching exponential). A pattern can
 * still backtrack badly on a long subject (nested quantifiers): that cost is
 * bounded by the interpreter capping each subject at MAX_REGEX_SUBJECT and
 * counting every match attempt against the step limit, and by the delivery
 * code's run-time limit around the whole run; JavaScript offers no
 * interruptible RegExp, so no single exec can be stopped half way.
 * Standards: POSIX.1-2017 section 9.4 (ERE), draft-ietf-sieve-regex-01.
 * Deviation: `\` before an ordinary character means that character (POSIX
 * leaves it undefined), so `\d` is a literal "d", never JavaScript's digit
 * class.
 */
import { MAX_REGEX_LENGTH } from './limits.js';

export class RegexError extends Error {}

/** Longest subject a regex runs against; longer header or body text is cut. */
export const MAX_REGEX_SUBJECT = 64 * 1024;

const CLASSES: Record<string, string> = {
  alpha: 'A-Za-z',
  digit: '0-9',
  alnum: 'A-Za-z0-9',
  upper: 'A-Z',
  lower: 'a-z',
  space: ' \\t\\r\\n\\v\\f',
  blank: ' \\t',
  punct: '!-\\/:-@\\[-`{-~',
  print: ' -~',
  graph: '!-~',
  cntrl: '\\x00-\\x1f\\x7f',
  xdigit: '0-9A-Fa-f',
};

const SPECIAL_OUT = new Set(['.', '[', ']', '(', ')', '*', '+', '?', '{', '}', '|', '^', '$']);

/** Translate an ERE to a JavaScript pattern source. */
export function translatePosixRegex(p: string): string {
  if (p.length > MAX_REGEX_LENGTH) throw new RegexError(`regular expression longer than ${MAX_REGEX_LENGTH} characters`);
  let out = '';
  let i = 0;
  let groups = 0;
  while (i < p.length) {
    const c = p[i]!;
    if (c === '\\') {
      const d = p[i + 1];
      if (d === undefined) throw new RegexError('regular expression ends with a backslash');
      if (/[0-9]/.test(d)) throw new RegexError('back-references are not supported in regular expressions');
      out += /[A-Za-z0-9_]/.test(d) ? d : '\\' + d;
      i += 2;
      continue;
    }
    if (c === '[') {
      const r = bracket(p, i);
      out += r.source;
      i = r.end;
      continue;
    }
    if (c === '(') {
      groups++;
      // "(?" is not ERE; keep it a group of a literal "?" would be odd: refuse.
      if (p[i + 1] === '?') throw new RegexError("'(?' is not part of POSIX extended regular expressions");
      out += '(';
      i++;
      continue;
    }
    if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(p.slice(i));
      if (!m) {
        out += '\\{';
        i++;
        continue;
      }
      if (Number(m[1]) > 255 || (m[3] && Number(m[3]) > 255)) throw new RegexError('repetition count above 255 in regular expression');
      out += m[0];
      i += m[0].length;
      continue;
    }
    if (c === '.') {
      out += '[\\s\\S]';
      i++;
      continue;
    }
    if (SPECIAL_OUT.has(c)) {
      out += c === ']' || c === '}' ? '\\' + c : c;
      i++;
      continue;
    }
    out += /[\\/\-]/.test(c) ? '\\' + c : c;
    i++;
  }
  void groups;
  return out;
}

function bracket(p: string, start: number): { source: string; end: number } {
  let i = start + 1;
  let neg = false;
  if (p[i] === '^') {
    neg = true;
    i++;
  }
  let body = '';
  let first = true;
  for (;;) {
    if (i >= p.length) throw new RegexError("unterminated '[' in regular expression");
    const c = p[i]!;
    if (c === ']' && !first) {
      i++;
      break;
    }
    first = false;
    if (c === '[' && (p[i + 1] === ':' || p[i + 1] === '=' || p[i + 1] === '.')) {
      const kind = p[i + 1]!;
      const close = p.indexOf(kind + ']', i + 2);
      if (close < 0) throw new RegexError("unterminated '[" + kind + "' in regular expression");
      const name = p.slice(i + 2, close);
      if (kind === ':') {
        const cls = CLASSES[name];
        if (cls === undefined) throw new RegexError(`unknown character class [:${name}:]`);
        body += cls;
      } else {
        body += escapeInClass(name);
      }
      i = close + 2;
      continue;
    }
    // Inside brackets a backslash is an ordinary character in POSIX.
    body += c === '-' ? '-' : escapeInClass(c);
    i++;
  }
  return { source: '[' + (neg ? '^' : '') + body + ']', end: i };
}

function escapeInClass(s: string): string {
  return s.replace(/[\\\]\[^]/g, '\\$&');
}

/** Compile for matching; casemap makes it ASCII case-insensitive (close to i;ascii-casemap). */
export function compileSieveRegex(pattern: string, caseInsensitive: boolean): RegExp {
  const src = translatePosixRegex(pattern);
  try {
    return new RegExp(src, caseInsensitive ? 'is' : 's');
  } catch {
    throw new RegexError('invalid regular expression');
  }
}
