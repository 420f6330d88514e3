/*
 * The attachment policy (issue 6, "Viruses"): at the body stage, the
 * files a message carries are looked at by name and by content, zip
 * archives opened (inspect.ts). A blocked type, or with block_encrypted an
 * encrypted archive, refuses the message with 554 5.7.1 "Attachment type
 * not allowed" when the action is "reject"; the file's name and why are in
 * the log and the error's detail, not in the reply. Everything found,
 * refused or not (what could not be checked too), is published as
 * facts.attachments, which the spam scorer counts (ATTACH_SUSPICIOUS).
 *
 * Exports: attachmentFilter.
 * Security: reads the untrusted message (bounded, see inspect.ts and
 * limits.ts); runs in the session, synchronously, within milliseconds for
 * real mail; never throws on malformed input.
 * Standards: RFC 3463 (5.7.1: refused by security policy).
 */
import { CONTINUE, reject, type Filter, type StageResult } from '../types.js';
import { inspectMessage } from './inspect.js';
import type { AttachmentSettings } from './settings.js';

export function attachmentFilter(settings: AttachmentSettings): Filter {
  const policy = { blocked: new Set(settings.blocked.map((e) => e.toLowerCase().replace(/^\./, ''))), scanArchives: settings.scanArchives };
  return {
    name: 'attachments',
    roles: settings.roles,
    begin(ctx) {
      return {
        async body(message): Promise<StageResult> {
          const findings = inspectMessage(message.bytes, policy);
          for (const f of findings) ctx.log.info('attachment found', { file: f.name, reason: f.reason, kind: f.kind });
          const facts = { attachments: findings.map(({ name, reason }) => ({ name, reason })) };
          const refusing = settings.action !== 'reject' ? undefined : findings.find((f) => f.kind === 'type' || (f.kind === 'encrypted' && settings.blockEncrypted));
          if (refusing === undefined) return { ...CONTINUE, facts };
          ctx.log.warn('attachment refused', { file: refusing.name, reason: refusing.reason });
          return { ...reject(554, '5.7.1', 'Attachment type not allowed', 'attachments', `file="${refusing.name}" reason="${refusing.reason}"`), facts };
        },
      };
    },
  };
}
