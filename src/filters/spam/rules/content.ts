/*
 * Rules over the content: the GTUBE test string, which always scores as
 * spam so an operator can test the whole path; attachments the attachment
 * policy found suspicious (facts.attachments) or named to pass for a
 * document; and the HTML habits of spam: HTML without a text part, hidden
 * text, an image with hardly any words, links whose text shows another
 * domain than they go to, letters written as character references.
 *
 * Exports: CONTENT_RULES, GTUBE.
 * Security: reads the untrusted text and HTML (bounded by message.ts);
 * regular expressions are linear, or bounded by a tag's length.
 * Standards: GTUBE as SpamAssassin defines it (the 68-character string).
 */
import { registeredDomain } from '../urls.js';
import type { Rule } from './types.js';

/** The Generic Test for Unsolicited Bulk Email. */
export const GTUBE = 'XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X';

const DOUBLE_EXTENSION = /\.(?:pdf|docx?|xlsx?|pptx?|rtf|txt|jpe?g|png|gif|zip)\s*\.(?:exe|scr|pif|com|bat|cmd|js|jse|vbs|vbe|wsf|jar|lnk|hta|msi|ps1)$/i;
const HIDDEN = /display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0(?:\.0+)?(?:px|pt|em|%)?\s*[;"']|<font[^>]{0,200}\bsize\s*=\s*["']?0\b/i;
const LINK = /<a\b[^>]{0,500}?\bhref\s*=\s*["']?(https?:\/\/[^"'\s>]{1,500})[^>]{0,500}>([^<]{1,200})<\/a\s*>/gi;
const SHOWN_DOMAIN = /^\s*(?:https?:\/\/)?((?:[a-z0-9-]+\.)+[a-z]{2,})(?:[/:?#]\S*)?\s*$/i;
const LETTER_REFERENCE = /&#(?:x0*(?:4[1-9a-f]|5[0-9a]|6[1-9a-f]|7[0-9a])|0*(?:6[5-9]|[7-8][0-9]|9[07-9]|1[01][0-9]|12[0-2]));/gi;

function hostDomain(url: string): string | undefined {
  try {
    return registeredDomain(new URL(url).hostname);
  } catch {
    return undefined;
  }
}

/** A link whose visible text is a domain or URL of another registered domain than its target. */
function linkTextMismatch(source: string): boolean {
  for (const m of source.matchAll(LINK)) {
    const shown = SHOWN_DOMAIN.exec(m[2]!.replace(/&amp;/g, '&'));
    if (!shown) continue;
    const target = hostDomain(m[1]!);
    const claimed = registeredDomain(shown[1]!.toLowerCase());
    if (target !== undefined && claimed !== undefined && target !== claimed) return true;
  }
  return false;
}

export const CONTENT_RULES: Rule[] = [
  { name: 'GTUBE', score: 1000, description: 'The GTUBE test string', test: ({ view }) => view.text.includes(GTUBE) || view.bytes.includes(GTUBE) },
  { name: 'ATTACH_SUSPICIOUS', score: 2.5, description: 'The attachment policy found an attachment suspicious', test: ({ facts }) => (facts.attachments ?? []).length > 0 },
  { name: 'ATTACH_DOUBLE_EXT', score: 2.0, description: 'An attachment named like a document but ending as a program (invoice.pdf.exe)', test: ({ view }) => view.attachmentNames.some((n) => DOUBLE_EXTENSION.test(n.trim())) },
  { name: 'MIME_HTML_ONLY', score: 0.7, description: 'HTML and no text part', test: ({ view }) => view.html.length > 0 && view.plainParts === 0 },
  { name: 'HTML_HIDDEN_TEXT', score: 0.7, description: 'HTML hides text (display:none, zero-size fonts)', test: ({ view }) => view.html.some((h) => HIDDEN.test(h.source)) },
  {
    name: 'HTML_IMAGE_ONLY', score: 1.5, description: 'HTML that is an image and fewer than 200 characters of text',
    test: ({ view }) => view.plainParts === 0 && view.html.some((h) => /<img\b/i.test(h.source) && h.text.length < 200),
  },
  { name: 'HTML_LINK_TEXT_MISMATCH', score: 2.0, description: 'A link shows one domain and goes to another', test: ({ view }) => view.html.some((h) => linkTextMismatch(h.source)) },
  { name: 'HTML_OBFUSCATE', score: 1.0, description: 'Letters written as numeric character references (more than 20)', test: ({ view }) => view.html.some((h) => (h.source.match(LETTER_REFERENCE)?.length ?? 0) > 20) },
];
