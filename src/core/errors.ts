/*
 * Errors that carry protocol meaning.
 *
 * A MailError holds what a client is told (reply code, enhanced status code,
 * generic text) apart from what the log is told (module, detail, cause), and
 * whether the failure is temporary. Anything thrown that is not a MailError
 * is, to the client, a temporary local error (451 4.3.0): never a silent
 * success and never a crash.
 *
 * Security: the text goes to untrusted peers; the detail never does.
 * Standards: RFC 5321 section 4.2 (reply codes), RFC 3463 (enhanced codes).
 */

export type ReplyCode = 250 | 421 | 450 | 451 | 452 | 454 | 500 | 501 | 503 | 504 | 530 | 535 | 550 | 551 | 552 | 553 | 554;

export interface MailErrorInit {
  code: ReplyCode;
  enhanced: string;
  text: string;
  module: string;
  detail?: string;
  cause?: unknown;
}

export class MailError extends Error {
  readonly code: ReplyCode;
  readonly enhanced: string;
  readonly text: string;
  readonly module: string;
  readonly detail: string | undefined;

  constructor(init: MailErrorInit) {
    super(`${init.code} ${init.enhanced} ${init.text}`, { cause: init.cause });
    this.name = 'MailError';
    this.code = init.code;
    this.enhanced = init.enhanced;
    this.text = init.text;
    this.module = init.module;
    this.detail = init.detail;
  }

  get temporary(): boolean {
    return this.code >= 400 && this.code < 500;
  }

  /** The reply line as a client sees it, without the trailing CRLF. */
  get reply(): string {
    return `${this.code} ${this.enhanced} ${this.text}`;
  }
}

/** Turns anything thrown into a MailError; unknown errors become 451 4.3.0. */
export function asMailError(err: unknown, module: string): MailError {
  if (err instanceof MailError) return err;
  return new MailError({
    code: 451,
    enhanced: '4.3.0',
    text: 'Local error in processing, try again later',
    module,
    detail: err instanceof Error ? err.message : String(err),
    cause: err,
  });
}

export const isMailError = (err: unknown): err is MailError => err instanceof MailError;
