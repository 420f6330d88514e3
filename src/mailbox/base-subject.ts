/*
 * The base subject of RFC 5256 section 2.1, used by SORT SUBJECT and by
 * both THREAD algorithms, and whether the subject marked a reply or a
 * forward (THREAD=REFERENCES step 5).
 *
 * Exports: baseSubject, BaseSubject, casemap.
 * Security: the subject is sender-chosen and already capped at delivery
 * (MAX_SUMMARY_SUBJECT_CHARS); the patterns below are anchored and have no
 * nested quantifiers over overlapping input.
 * Standards: RFC 5256 sections 2.1 (steps 1-7) and 5 (subj-* ABNF), RFC
 * 4790 (i;ascii-casemap).
 */

export interface BaseSubject {
  /** The base subject, compared with casemap. */
  base: string;
  /** A subj-refwd, a "(fwd)" trailer or a "[fwd: ...]" wrapper was removed. */
  isReplyOrForward: boolean;
}

/** subj-trailer = "(fwd)" / WSP, at the end. */
const TRAILER = /(\(fwd\)| )$/i;
/** subj-leader = (*subj-blob subj-refwd) / WSP, where subj-refwd = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":". */
const REFWD = /^(\[[^[\]]*\] *)*(re|fwd?) *(\[[^[\]]*\] *)?:/i;
/** subj-blob = "[" *BLOBCHAR "]" *WSP */
const BLOB = /^\[[^[\]]*\] */;

/** i;ascii-casemap: ASCII letters upper-cased, nothing else changed (RFC 4790 9.2). */
export function casemap(s: string): string {
  return s.replace(/[a-z]+/g, (m) => m.toUpperCase());
}

/** RFC 5256 2.1; subject is already decoded from RFC 2047 encoded words (step 1's first part). */
export function baseSubject(subject: string): BaseSubject {
  // Step 1: tabs and continuations become spaces, runs of spaces one space.
  let s = subject.replace(/[\t\r\n ]+/g, ' ');
  let isReplyOrForward = false;
  for (;;) {
    // Step 2: trailers.
    for (let m = TRAILER.exec(s); m; m = TRAILER.exec(s)) {
      if (m[1] !== ' ') isReplyOrForward = true;
      s = s.slice(0, s.length - m[1]!.length);
    }
    // Steps 3-5: leaders and blobs, until neither matches.
    for (let changed = true; changed; ) {
      changed = false;
      if (s.startsWith(' ')) {
        s = s.slice(1);
        changed = true;
        continue;
      }
      const refwd = REFWD.exec(s);
      if (refwd) {
        s = s.slice(refwd[0].length);
        isReplyOrForward = true;
        changed = true;
        continue;
      }
      const blob = BLOB.exec(s);
      if (blob && blob[0].length < s.length) {
        s = s.slice(blob[0].length);
        changed = true;
      }
    }
    // Step 6: "[fwd:" ... "]".
    if (s.length >= 6 && s.slice(0, 5).toLowerCase() === '[fwd:' && s.endsWith(']')) {
      s = s.slice(5, -1);
      isReplyOrForward = true;
      continue;
    }
    return { base: s, isReplyOrForward };
  }
}
