/*
 * What is removed from incoming mail before any filter looks at it:
 * Authentication-Results fields that claim our authserv-id (a forger's
 * "dkim=pass" under our name, RFC 8601 section 5), and our own spam,
 * virus and internal fields (X-Spam-*, X-Virus-*, X-Petrel-*), so a
 * sender cannot pre-mark a message as clean. Only the header block is
 * touched; the body is passed on as it came.
 *
 * Exports: sanitizeHeader, authservIdOf, OWN_FIELD_PREFIXES.
 * Security: reads the untrusted header block; folded fields are removed
 * whole (with their continuation lines); the authserv-id comparison is
 * case-insensitive, after comments, as RFC 8601 section 2.5 says.
 * Standards: RFC 8601 sections 2.2 (authserv-id), 5 (removing forged
 * fields); RFC 5322 section 2.2.3 (folding).
 */

/** Field-name prefixes that are ours alone. */
export const OWN_FIELD_PREFIXES = ['x-spam-', 'x-virus-', 'x-petrel-'] as const;

/** The authserv-id of an Authentication-Results value: its first token, comments and whitespace skipped. */
export function authservIdOf(value: string): string {
  let v = value.trimStart();
  // Leading CFWS: comments may nest.
  while (v.startsWith('(')) {
    let depth = 0;
    let i = 0;
    for (; i < v.length; i++) {
      if (v[i] === '\\') i++;
      else if (v[i] === '(') depth++;
      else if (v[i] === ')' && --depth === 0) break;
    }
    v = v.slice(i + 1).trimStart();
  }
  const m = /^[^\s;()]+/.exec(v);
  return m ? m[0].toLowerCase() : '';
}

/**
 * The message with the fields above removed; `removed` counts them. `headerEnd` is the length of the header block
 * (blank line included) in `bytes`.
 */
export function sanitizeHeader(bytes: Buffer, headerEnd: number, authservId: string): { bytes: Buffer; headerEnd: number; removed: number } {
  const header = bytes.subarray(0, headerEnd).toString('latin1');
  const ours = authservId.toLowerCase();
  const lines = header.split('\r\n');
  const kept: string[] = [];
  let removed = 0;
  let dropping = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line !== '' && (line[0] === ' ' || line[0] === '\t')) {
      if (!dropping) kept.push(line);
      continue;
    }
    dropping = false;
    const colon = line.indexOf(':');
    if (colon > 0) {
      const name = line.slice(0, colon).trim().toLowerCase();
      if (OWN_FIELD_PREFIXES.some((p) => name.startsWith(p))) dropping = true;
      else if (name === 'authentication-results') {
        // The value may continue on the next lines; the authserv-id is on the first one unless it is folded at once.
        let value = line.slice(colon + 1);
        for (let j = i + 1; j < lines.length && /^[ \t]/.test(lines[j]!); j++) value += ' ' + lines[j]!.trim();
        if (authservIdOf(value) === ours) dropping = true;
      }
    }
    if (dropping) removed++;
    else kept.push(line);
  }
  if (removed === 0) return { bytes, headerEnd, removed };
  const newHeader = Buffer.from(kept.join('\r\n'), 'latin1');
  return { bytes: Buffer.concat([newHeader, bytes.subarray(headerEnd)]), headerEnd: newHeader.length, removed };
}
