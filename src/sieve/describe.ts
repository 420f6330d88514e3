/*
 * One line per action, for `petrel sieve test SCRIPT MESSAGE` (the dry run
 * Pigeonhole's sieve-test gives) and for logs and tests.
 *
 * Exports: describeAction, describeRun.
 * Security: the lines contain script and message text; control characters
 * are escaped so a hostile header cannot forge log lines or terminal codes.
 * Standards: none.
 */
import type { HeaderEdit, SieveAction, SieveRunResult } from './env.js';

const esc = (s: string): string =>
  s.replace(/[\x00-\x1f\x7f]/g, (c) => (c === '\r' ? '\\r' : c === '\n' ? '\\n' : c === '\t' ? '\\t' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));

export function describeAction(a: SieveAction): string {
  const fl = (f: string[]) => (f.length ? ` [${f.map(esc).join(' ')}]` : '');
  switch (a.type) {
    case 'keep':
      return `keep${a.implicit ? ' (implicit)' : ''}${fl(a.flags)}`;
    case 'fileinto':
      return `fileinto ${esc(a.mailbox)}${a.copy ? ' :copy' : ''}${a.create ? ' :create' : ''}${a.specialUse ? ` :specialuse ${esc(a.specialUse)}` : ''}${fl(a.flags)}`;
    case 'redirect':
      return `redirect ${esc(a.address)}${a.copy ? ' :copy' : ''}`;
    case 'reject':
      return `${a.ereject ? 'ereject' : 'reject'} ${esc(a.reason)}`;
    case 'discard':
      return 'discard';
    case 'vacation':
      return `vacation ${a.seconds}s${a.subject !== null ? ` subject=${esc(a.subject)}` : ''}${a.from !== null ? ` from=${esc(a.from)}` : ''}${a.addresses.length ? ` addresses=${a.addresses.map(esc).join(',')}` : ''}${a.mime ? ' :mime' : ''} ${esc(a.reason)}${a.suppressed ? ` (not sent: ${a.suppressed})` : ''}`;
    case 'notify':
      return `notify ${esc(a.method)} ${a.importance}${a.message !== null ? ` ${esc(a.message)}` : ''}`;
  }
}

function describeEdit(e: HeaderEdit): string {
  return e.op === 'add' ? `addheader${e.last ? ' :last' : ''} ${esc(e.name)}: ${esc(e.value)}` : `deleteheader ${esc(e.name)} #${e.index}`;
}

/** The whole outcome: an error line first when the run failed, then actions, edits and warnings. */
export function describeRun(r: SieveRunResult): string[] {
  const out: string[] = [];
  if (!r.ok) out.push(`error: line ${r.error.line}, column ${r.error.column}: ${esc(r.error.message)} (falling back to keep)`);
  for (const a of r.actions) out.push(describeAction(a));
  for (const e of r.edits) out.push(describeEdit(e));
  for (const w of r.warnings) out.push(`warning: ${esc(w)}`);
  return out;
}
