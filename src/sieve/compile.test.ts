/*
 * Validator tests: what compiles, what is refused and why (the require
 * rules of every extension, argument signatures, position rules), the
 * compile limits, and the CompiledScript contract (plain JSON, version 1).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileSieve, needsMessageBody, SIEVE_EXTENSIONS } from './index.js';
import { MAX_COMMANDS, MAX_NESTING_DEPTH } from './limits.js';

/** Scripts that must compile. */
const VALID: string[] = [
  '',
  '# only a comment',
  'keep;',
  'require "fileinto"; fileinto "a";',
  'require ["comparator-i;octet", "comparator-i;ascii-casemap"]; keep;',
  'if header :is ["to", "cc"] ["a", "b"] { keep; } elsif true { stop; } else { discard; }',
  'if address :localpart :comparator "i;octet" :contains "from" "x" {}',
  'require ["relational", "comparator-i;ascii-numeric"]; if header :count "ge" :comparator "i;ascii-numeric" "received" "5" {}',
  'require "vacation"; vacation :days 3 :subject "s" :from "a@b.c" :addresses ["x@y.z"] :mime :handle "h" text:\nContent-Type: text/plain\n\nAway\n.\n;',
  'require ["vacation", "vacation-seconds"]; vacation :seconds 0 "x";',
  'require ["variables"]; set :lower :upperfirst "a" "b"; set "global.x" "1";',
  'require ["include", "variables"]; global ["a", "b"]; include :global :once :optional "common"; return;',
  'require ["foreverypart", "mime", "extracttext", "variables"]; foreverypart :name "a" { foreverypart { break :name "a"; extracttext :lower "v"; } break; }',
  'require ["editheader", "index"]; addheader :last "X-A" "b"; deleteheader :index 1 :last :contains "X-A" ["b"]; deleteheader "X-B";',
  'require ["date", "index"]; if date :zone "-0500" :index 2 :last :is "received" "year" "2024" {} if date :originalzone :is "date" "zone" "+0000" {}',
  'require ["duplicate"]; if duplicate :handle "h" :header "list-id" :seconds 10 :last {} if duplicate :uniqueid "x" {}',
  'require ["spamtestplus"]; if spamtest :percent "50" {} if spamtest "5" {}',
  'require ["special-use", "fileinto"]; fileinto :specialuse "\\\\Junk" "Junk"; if specialuse_exists "INBOX" ["\\\\Junk", "\\\\Trash"] {}',
  'require ["enotify"]; notify :from "a@b.c" :importance "2" :options ["x"] :message "m" "mailto:a@b.c"; if valid_notify_method ["mailto:x@y.z"] {} if notify_method_capability "mailto:a@b.c" "online" ["yes","maybe"] {}',
  'require ["ihave"]; if ihave ["nonexistent-ext"] { any :thing [ "goes" ] here; } else { keep; }',
  'require ["ihave"]; if ihave "fileinto" { fileinto "x"; }',
  'require ["environment", "regex"]; if environment :regex "remote-ip" "^10\\\\." {}',
  'require ["body"]; if body :content ["text/html", "image"] :matches "*" {} if body :raw :is "" {} if body :text :contains "x" {}',
  'require ["imap4flags", "fileinto", "variables"]; setflag "v" "a"; addflag ["b"]; removeflag "v" "a"; if hasflag "v" "a" {} keep :flags "x"; fileinto :flags ["a"] "b";',
  'require ["mailbox", "fileinto"]; if mailboxexists ["a", "b"] { fileinto :create "a"; }',
  'require ["envelope", "subaddress"]; if envelope :user :is ["to", "from"] "x" {} if envelope :detail "auth" "" {}',
  'require ["copy"]; redirect :copy "a@b.c";',
  'require ["reject", "ereject"]; if true { reject "x"; } else { ereject "y"; }',
  'require ["mime"]; if exists :mime :anychild "content-id" {} if address :mime "from" "x" {}',
  'if size :over 1G {} if size :under 0 {}',
  'require "variables"; if string :matches "${a" "x" {}',
];

test('valid scripts compile and store as JSON', () => {
  for (const src of VALID) {
    const r = compileSieve(src);
    assert.ok(r.ok, r.ok ? '' : `${JSON.stringify(src)}: ${r.error.line}:${r.error.column} ${r.error.message}`);
    assert.equal(r.script.version, 1);
    assert.deepEqual(JSON.parse(JSON.stringify(r.script)), r.script);
  }
});

/** Scripts that must be refused: [script, message fragment]. */
const INVALID: Array<[string, string]> = [
  ['if header :is "a" "b" { reject "x"; }', '"reject" extension'],
  ['ereject "x";', '"ereject" extension'],
  ['if envelope "to" "x" {}', '"envelope" extension'],
  ['addflag "x";', '"imap4flags" extension'],
  ['keep :flags "x";', "':flags' needs the \"imap4flags\" extension"],
  ['if body :contains "x" {}', '"body" extension'],
  ['set "a" "b";', '"variables" extension'],
  ['if string "a" "b" {}', '"variables" extension'],
  ['vacation "x";', '"vacation" extension'],
  ['require "vacation"; vacation :seconds 5 "x";', '"vacation-seconds" extension'],
  ['require ["vacation", "vacation-seconds"]; vacation :days 1 :seconds 5 "x";', "':seconds' cannot be used together with ':days'"],
  ['if header :count "eq" "a" "1" {}', '"relational" extension'],
  ['require "relational"; if header :count "lots" "a" "1" {}', 'unknown relation "lots"'],
  ['if address :user "to" "x" {}', '"subaddress" extension'],
  ['redirect :copy "a@b.c";', '"copy" extension'],
  ['if date "date" "year" "2000" {}', '"date" extension'],
  ['require "date"; if date :index 1 "date" "year" "2000" {}', '"index" extension'],
  ['require ["date", "index"]; if date :last "date" "year" "2000" {}', "':last' needs ':index'"],
  ['require "date"; if date "date" "century" "20" {}', 'unknown date part "century"'],
  ['require "date"; if date :zone "CET" "date" "year" "2000" {}', "invalid ':zone'"],
  ['addheader "X" "y";', '"editheader" extension'],
  ['require "editheader"; addheader "Bad Name" "y";', 'invalid header field name'],
  ['require "fileinto"; fileinto :create "x";', '"mailbox" extension'],
  ['if environment "domain" "x" {}', '"environment" extension'],
  ['include "x";', '"include" extension'],
  ['require "include"; include :personal :global "x";', "':global' cannot be used together with ':personal'"],
  ['require "include"; include "../x";', 'invalid script name'],
  ['require "include"; global "x";', '"variables" extension'],
  ['if duplicate {}', '"duplicate" extension'],
  ['require "duplicate"; if duplicate :header "a" :uniqueid "b" {}', "':uniqueid' cannot be used together with ':header'"],
  ['if spamtest "1" {}', '"spamtest" extension'],
  ['require "spamtest"; if spamtest :percent "1" {}', '"spamtestplus" extension'],
  ['if virustest "1" {}', '"virustest" extension'],
  ['require "fileinto"; fileinto :specialuse "\\\\Junk" "x";', '"special-use" extension'],
  ['require ["fileinto", "special-use"]; fileinto :specialuse "Junk" "x";', 'invalid special-use flag'],
  ['if header :mime "content-type" "x" {}', '"mime" extension'],
  ['require "mime"; if header :anychild "content-type" "x" {}', "':anychild' needs ':mime'"],
  ['foreverypart { }', '"foreverypart" extension'],
  ['require "foreverypart"; break;', "'break' is only allowed inside 'foreverypart'"],
  ['require "foreverypart"; foreverypart :name "a" { break :name "b"; }', 'names no enclosing foreverypart'],
  ['require ["extracttext", "variables"]; extracttext "x";', "only allowed inside 'foreverypart'"],
  ['require ["extracttext", "foreverypart"]; foreverypart { extracttext "x"; }', '"variables" extension'],
  ['notify "mailto:a@b.c";', '"enotify" extension'],
  ['require "enotify"; notify "xmpp:a@b.c";', 'only mailto: is supported'],
  ['require "enotify"; notify :importance "4" "mailto:a@b.c";', "':importance' must be"],
  ['if ihave "fileinto" {}', '"ihave" extension'],
  ['error "x";', '"ihave" extension'],
  ['if header :regex "a" "b" {}', '"regex" extension'],
  ['require ["regex"]; if header :regex "a" "(" {}', "unmatched '(' in regular expression"],
  ['require ["regex"]; if header :regex "a" "(a)\\\\1" {}', 'back-references'],
  ['require "comparator-i;ascii-numeric"; if header :contains :comparator "i;ascii-numeric" "a" "1" {}', 'cannot be used with the i;ascii-numeric comparator'],
  ['if header :comparator "i;unknown" "a" "b" {}', 'unknown comparator'],
  ['require "variables"; set "1" "x";', 'invalid variable name'],
  ['require "variables"; set "a.b" "x";', 'invalid variable name'],
  ['require "variables"; set :lower :upper "a" "b";', "cannot be used together"],
  ['require "variables"; set :encodeurl "a" "b";', '"enotify" extension'],
  ['require ["encoded-character", "fileinto"]; fileinto "${unicode:D800}";', 'invalid unicode character'],
  ['require "imap4flags"; setflag "v" "x";', 'a flag variable in \'setflag\' needs the "variables" extension'],
  ['require ["imap4flags", "variables"]; addflag "1" "x";', 'invalid variable name'],
  ['keep "x";', "'keep' takes 0 positional arguments, found 1"],
  ['redirect ["a@b.c", "d@e.f"];', 'expected a string for argument 1'],
  ['redirect "not an address";', 'invalid redirect address'],
  ['if header "a" :is "b" {}', "must come before the positional arguments"],
  ['if true { } else if true { }', "'else' takes no test (write 'elsif' for a second condition)"],
  ['if allof true {}', "expected a test list '(' after 'allof'"],
  ['if not (true, false) {}', "'not' takes exactly one test"],
  ['if (true) {}', "'if' takes one test, not a test list"],
  ['if header :is "a" "b" :is {}', 'must come before'],
  ['stop { }', "expected ';' after 'stop', found '{'"],
  ['if true;', "expected a block '{' after 'if'"],
  ['keep; if true { require "fileinto"; }', "'require' is only allowed at the top"],
  ['if true { keep; } elsif { }', "expected a test after 'elsif'"],
  ['fileinto;', "'fileinto' needs the \"fileinto\" extension"],
  ['require "fileinto"; fileinto;', "'fileinto' takes 1 positional argument, found 0"],
  ['if header :is :comparator "i;octet" :comparator "i;octet" "a" "b" {}', "only one ':comparator'"],
  ['if address :all :domain "a" "b" {}', 'only one address part'],
  ['if size :over 1 :over 2 {}', "':over' given twice"],
  ['if size :over 1 :under 2 {}', "cannot be used together"],
  ['if size :over "1" {}', "expected a number for ':over', found a string"],
  ['require "nope";', 'unknown extension "nope"'],
  ['require "fileinto"; if exists "x" { elsif true {} }', "'elsif' without a preceding 'if'"],
];

test('invalid scripts are refused with a message naming the cause', () => {
  const bad: string[] = [];
  for (const [src, frag] of INVALID) {
    const r = compileSieve(src);
    if (r.ok) bad.push(`${JSON.stringify(src)} compiled`);
    else if (!r.error.message.includes(frag)) bad.push(`${JSON.stringify(src)}: ${JSON.stringify(r.error.message)} lacks ${JSON.stringify(frag)}`);
  }
  assert.deepEqual(bad, []);
});

test('the enabled set limits what require accepts, and ihave blocks', () => {
  const r = compileSieve('require "vacation"; vacation "x";', { extensions: ['fileinto'] });
  assert.ok(!r.ok);
  assert.match(r.error.message, /extension "vacation" is not enabled on this server/);
  const ih = compileSieve('require ["ihave"]; if ihave "vacation" { vacation "x"; }', { extensions: ['ihave'] });
  assert.ok(ih.ok);
  // The block was dropped and its test is constant false.
  assert.deepEqual(ih.script.commands[0]!.branches![0]!.test.name, 'false');
  assert.deepEqual(ih.script.commands[0]!.branches![0]!.block, []);
});

test('SIEVE_EXTENSIONS lists the extensions of issue 7 in capability order', () => {
  assert.equal(SIEVE_EXTENSIONS.length, 31);
  assert.equal(SIEVE_EXTENSIONS[0], 'fileinto');
  assert.ok(SIEVE_EXTENSIONS.includes('comparator-i;ascii-numeric'));
  for (const e of SIEVE_EXTENSIONS) assert.ok(compileSieve(`require "${e}";`).ok, e);
});

test('warnings: commands after stop are never run', () => {
  const r = compileSieve('stop;\nkeep;');
  assert.ok(r.ok);
  assert.deepEqual(r.warnings, [{ line: 2, column: 1, message: "'keep' is never run: it follows 'stop'" }]);
});

// ---- limits ----

test('threat: an oversized script is refused before parsing', () => {
  const big = '#' + 'x'.repeat(70 * 1024);
  const r = compileSieve(big);
  assert.ok(!r.ok);
  assert.match(r.error.message, /script too large: 71681 octets, the limit is 65536/);
  assert.ok(compileSieve(big, { maxSize: 100 * 1024 }).ok);
  // Octets, not characters.
  assert.ok(!compileSieve('#' + 'é'.repeat(60), { maxSize: 100 }).ok);
});

test('threat: deep nesting is refused with the limit named', () => {
  const deep = 'if true {'.repeat(MAX_NESTING_DEPTH + 1) + '}'.repeat(MAX_NESTING_DEPTH + 1);
  const r = compileSieve(deep);
  assert.ok(!r.ok);
  assert.match(r.error.message, /nested too deeply \(the limit is 32\)/);
  const ok = 'if true {'.repeat(MAX_NESTING_DEPTH - 1) + '}'.repeat(MAX_NESTING_DEPTH - 1);
  assert.ok(compileSieve(ok).ok);
  const tests = 'if ' + 'not '.repeat(MAX_NESTING_DEPTH + 5) + 'true {}';
  const t = compileSieve(tests);
  assert.ok(!t.ok);
  assert.match(t.error.message, /tests nested too deeply/);
  const lists = 'if ' + 'anyof('.repeat(10_000) + 'true' + ')'.repeat(10_000) + ' {}';
  const l = compileSieve(lists, { maxSize: 1 << 20 });
  assert.ok(!l.ok);
});

test('threat: too many commands', () => {
  const r = compileSieve('keep;'.repeat(MAX_COMMANDS + 1), { maxSize: 1 << 20 });
  assert.ok(!r.ok);
  assert.match(r.error.message, /too many commands and tests \(the limit is 10000\)/);
});

test('needsMessageBody: only scripts that can read bodies or parts', () => {
  const need = (src: string) => {
    const r = compileSieve(src);
    assert.ok(r.ok);
    return needsMessageBody(r.script);
  };
  assert.equal(need('require "fileinto"; if header :contains "subject" "x" { fileinto "y"; }'), false);
  assert.equal(need('require "body"; if body :contains "x" { discard; }'), true);
  assert.equal(need('require ["foreverypart", "mime"]; foreverypart { }'), true);
  assert.equal(need('require "include"; include "x";'), true);
});
