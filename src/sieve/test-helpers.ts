/*
 * Helpers shared by the Sieve tests: compile-or-fail, run against a literal
 * message, and a one-line summary of each action so expectations read like
 * the RFC examples.
 *
 * Exports: compileOk, runScript, summarize, MESSAGES.
 * Security: test code only.
 * Standards: none.
 */
import assert from 'node:assert/strict';
import { compileSieve, type CompileOptions } from './index.js';
import type { CompiledScript } from './compiled.js';
import type { SieveAction, SieveEnv, SieveRunResult } from './env.js';
import { runSieve } from './interpreter.js';
import { parseSieveMessage } from './message.js';
import { describeAction } from './describe.js';

export function compileOk(src: string, options?: CompileOptions): CompiledScript {
  const r = compileSieve(src, options);
  if (!r.ok) assert.fail(`compile failed at ${r.error.line}:${r.error.column}: ${r.error.message}\n${src}`);
  // The compiled form must survive storage as JSON text.
  const back = JSON.parse(JSON.stringify(r.script)) as CompiledScript;
  assert.deepEqual(back, JSON.parse(JSON.stringify(r.script)));
  return back;
}

/** Action lines exactly as the dry run prints them (control characters escaped). */
export const summarize = (a: SieveAction): string => describeAction(a).replace(/\\r\\n/g, '\r\n');

export function runScript(src: string, message: string, env: Partial<SieveEnv> = {}, options?: CompileOptions): SieveRunResult {
  const script = compileOk(src, options);
  return runSieve(script, {
    message: parseSieveMessage(message),
    envelope: { from: 'coyote@desert.example.org', to: 'roadrunner@acme.example.com' },
    now: new Date('2007-07-02T12:00:00Z'),
    ...env,
  });
}

/** What a run gives, as lines: the actions, or "error: ..." then the fallback keep. */
export function outcome(r: SieveRunResult): string[] {
  if (!r.ok) return [`error: ${r.error.message}`, ...r.actions.map(summarize)];
  return r.actions.map(summarize);
}

const CRLF = (s: string) => s.replace(/\r?\n/g, '\r\n');

export const MESSAGES = {
  /** RFC 5228 section 6 style message. */
  plain: CRLF(`Date: Tue, 1 Apr 1997 09:06:31 -0800 (PST)
From: coyote@desert.example.org
To: roadrunner@acme.example.com
Subject: I have a present for you
Message-ID: <123@desert.example.org>

Look, I'm sorry about the whole anvil thing, and I really
didn't mean to try and drop it on you from the top of the
cliff.  I want to try to make it up to you.  I've got some
great birdseed over here at my place--top of the line
stuff--and if you come by, I'll have it all wrapped up
for you.  I'm really sorry for all the problems I've caused
for you over the years, but I know we can work this out.
--
Wile E. Coyote   "Super Genius"   coyote@desert.example.org
`),
  list: CRLF(`Date: Sat, 7 Jul 2007 10:00:00 +0200
From: "Wile E. Coyote" <coyote@ACME.Example.COM>
To: coyote@ACME.Example.COM, "Road Runner" <roadrunner+sieve@acme.example.com>
Cc: qux@example.com
List-ID: ACME users <acme-users@lists.example.com>
Subject: [acme-users] [fwd] version 1.0 is out
X-Priority: 1
X-Spam: yes
X-Spam: maybe
Received: from a by b; Sat, 7 Jul 2007 10:00:02 +0200
Received: from c by d; Sat, 7 Jul 2007 09:59:59 +0200
Message-ID: <list-1@lists.example.com>

Version 1.0 of the birdseed dispenser is out. MAKE MONEY FAST
`),
  mime: CRLF(`From: boss@example.org
To: me@example.com
Subject: Quarterly report
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

preamble
--outer
Content-Type: text/plain; charset=iso-8859-1
Content-Transfer-Encoding: quoted-printable

The missile coordinates are in the attachment. Gr=FC=DFe
--outer
Content-Type: image/png; name="chart.png"
Content-Disposition: attachment; filename="chart.png"
Content-Transfer-Encoding: base64

iVBORw0KGgo=
--outer
Content-Type: application/zip
Content-Disposition: attachment; filename="tools.zip"

PK
--outer--
`),
  nested: CRLF(`From: a@example.org
To: me@example.com
Subject: nested
Content-Type: multipart/mixed; boundary=b1

--b1
Content-Type: multipart/alternative; boundary=b2

--b2
Content-Type: text/plain

plain
--b2
Content-Type: text/html

<p>html</p>
--b2--
--b1
Content-Type: message/rfc822

From: inner@example.org
Subject: inner

inner body
--b1--
`),
};
