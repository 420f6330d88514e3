/*
 * The doctor's report: readable text grouped by host and domain, worst
 * first within each, every finding with its id, what was seen, what was
 * expected and the fix; or JSON for machines (each finding with its
 * scope); and the exit status (1 when any error was found).
 *
 * Exports: reportText, reportJson, exitStatus.
 * Security: values from DNS and the network are printed; control
 * characters in them are shown escaped so a zone cannot rewrite the
 * operator's terminal.
 */
import { summarise, type DoctorSection } from './index.js';
import type { Finding, Severity } from './types.js';

const ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 };
const LABEL: Record<Severity, string> = { error: 'error  ', warning: 'warning', info: 'note   ' };

/** Control characters (C0, DEL, C1) shown as \xNN. */
const printable = (text: string) => text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function findingLines(f: Finding): string[] {
  const pad = ' '.repeat(14);
  return [
    `  ${LABEL[f.severity]} ${f.id}  ${printable(f.subject)}: ${printable(f.title)}`,
    `${pad}seen:     ${printable(f.seen)}`,
    `${pad}expected: ${printable(f.expected)}`,
    `${pad}fix:      ${printable(f.fix)}`,
  ];
}

export function reportText(sections: readonly DoctorSection[]): string {
  const lines: string[] = [];
  for (const s of sections) {
    const sorted = [...s.findings].sort((a, b) => ORDER[a.severity] - ORDER[b.severity] || a.id.localeCompare(b.id));
    const bad = sorted.filter((f) => f.severity !== 'info').length;
    lines.push(`${s.scope}: ${bad === 0 ? 'no problems found' : plural(bad, 'problem')}`);
    for (const f of sorted) lines.push(...findingLines(f));
    lines.push('');
  }
  const count = summarise(sections);
  lines.push(`${plural(count.error, 'error')}, ${plural(count.warning, 'warning')}, ${plural(count.info, 'note')}.`);
  return lines.join('\n');
}

export function reportJson(sections: readonly DoctorSection[]): string {
  const count = summarise(sections);
  return JSON.stringify({
    ok: count.error === 0,
    errors: count.error,
    warnings: count.warning,
    notes: count.info,
    findings: sections.flatMap((s) => s.findings.map((f) => ({ scope: s.scope, ...f }))),
  }, null, 2);
}

export function exitStatus(sections: readonly DoctorSection[]): number {
  return summarise(sections).error > 0 ? 1 : 0;
}
