/*
 * Mail Petrel writes itself (delivery status notifications now; vacation
 * and Sieve notices later) enters here: from the null sender, to one
 * address, through the same durable commit as received mail. A hosted
 * recipient gets it in its INBOX at once; any other address gets it
 * through the outbound queue. It carries no Received field of ours (it
 * was not received) and its own Message-ID and Date already.
 *
 * A notice to an address that no longer exists here is dropped with a
 * log line: bouncing a bounce would only make a loop (Postfix sends such
 * double bounces to the postmaster; the log is where ours go).
 *
 * Exports: deliverNotice, NoticeDeps.
 * Security: the recipient is an envelope sender from the queue (once
 * peer input, already parsed when it was accepted); the bytes are ours.
 */
import { parseAddress } from '../core/address.js';
import type { MessageCommitter } from '../delivery/committer.js';
import type { Directory } from '../directory/directory.js';
import type { Target } from '../directory/resolve.js';
import type { Logger } from '../telemetry/logger.js';
import { acceptMessage } from './accept.js';

export interface NoticeDeps {
  directory: Directory;
  committer: MessageCommitter;
  log: Logger;
  maxReceived: number;
}

export interface Notice {
  bytes: Buffer;
  to: string;
  body: '7bit' | '8bitmime';
  smtpUtf8: boolean;
  queueId: string;
}

/** Delivers the notice; resolves once it is durable (or dropped, logged), rejects on a store failure. */
export async function deliverNotice(notice: Notice, deps: NoticeDeps): Promise<void> {
  const parsed = parseAddress(notice.to);
  const log = deps.log.child({ queue: notice.queueId });
  if (!parsed.ok) {
    log.warn('notice dropped: the sender address does not parse', { to: `<${notice.to}>` });
    return;
  }
  const resolution = await deps.directory.resolve(parsed.address);
  let targets: Target[];
  if (resolution.kind === 'deliver') targets = resolution.targets;
  else if (resolution.kind === 'not-hosted') targets = [{ kind: 'remote', address: notice.to }];
  else {
    log.warn('notice dropped: its recipient is not a user here', { to: `<${notice.to}>`, reason: resolution.kind });
    return;
  }
  const accepted = await acceptMessage(
    {
      queueId: notice.queueId,
      source: 'local',
      sender: '',
      recipients: [{ address: notice.to, targets, notify: ['NEVER'] }],
      bytes: notice.bytes,
      addMissingHeaders: false,
      accountId: null,
      envelope: { ret: null, envid: null, smtpUtf8: notice.smtpUtf8, requireTls: false, body: notice.body },
      lineEndings: 'normalize',
      enforceQuota: false,
      maxReceived: deps.maxReceived,
      log,
    },
    deps.committer,
  );
  const failed = accepted.outcomes.find((o) => !o.ok);
  if (failed && !failed.ok) log.warn('notice not delivered', { to: `<${notice.to}>`, reply: failed.error.reply });
}
