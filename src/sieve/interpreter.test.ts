/*
 * Interpreter tests: the examples of RFC 5228 and of each extension's RFC
 * (written from the RFC text), run against literal messages, with the
 * actions each must produce. One table row per example.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CompiledScript } from './compiled.js';
import type { SieveEnv } from './env.js';
import { runSieve } from './interpreter.js';
import { describeAction, describeRun } from './describe.js';
import { runSieveSequence } from './interpreter.js';
import { parseSieveMessage } from './message.js';
import { MESSAGES, compileOk, outcome, runScript } from './test-helpers.js';

interface Case {
  name: string;
  script: string;
  message?: string;
  env?: Partial<SieveEnv>;
  want: string[];
}

const RFC5228_EXAMPLE_1 = `# Example Sieve Filter
# Declare any optional features or extension used by the script
require ["fileinto"];

# Handle messages from known mailing lists
# Move messages from IETF filter discussion list to filter mailbox
if header :is "Sender" "owner-ietf-mta-filters@imc.org"
        {
        fileinto "filter";  # move to "filter" mailbox
        }
#
# Keep all messages to or from people in my company
#
elsif address :DOMAIN :is ["From", "To"] "example.com"
        {
        keep;               # keep in "In" mailbox
        }

#
# Try and catch unsolicited email.  If a message is not to me,
# or it contains a subject known to be spam, file it away.
#
elsif anyof (NOT address :all :contains
               ["To", "Cc", "Bcc"] "me@example.com",
             header :matches "subject"
               ["*make*money*fast*", "*university*dipl*mas*"])
        {
        fileinto "spam";   # move to "spam" mailbox
        }
else
        {
        # Move all other (non-company) mail to "personal"
        # mailbox.
        fileinto "personal";
        }
`;

const RFC5228_EXAMPLE_2 = `require ["fileinto", "reject"];

# Messages bigger than 100K will be rejected with an error message
if size :over 100K {
   reject "I'm sorry, I do not accept mail over 100kb in size.";
}
# Mails from a mailing list will be put into the folder "mailinglist"
elsif address :is ["From", "To"] "mailinglist@blafasel.invalid" {
   fileinto "INBOX.mailinglist";
}
# Spam Rule: Message does not contain my address in To, CC or BCC
# header, or subject is something with "money" or "Viagra".
elsif anyof (not address :localpart :is ["To", "Cc", "Bcc"] "me",
header :matches "Subject" ["*money*", "*Viagra*"]) {
      fileinto "INBOX.spam";
}
# Keep the rest.
else {
     keep;
}
`;

const msg = (headers: string, body = 'body\r\n') => headers.replace(/\r?\n/g, '\r\n') + '\r\n\r\n' + body;

const CASES: Case[] = [
  // ---- RFC 5228 ----
  { name: '5228 ex1: sender is the list', script: RFC5228_EXAMPLE_1, message: msg('Sender: owner-ietf-mta-filters@imc.org\nTo: me@example.com'), want: ['fileinto filter'] },
  { name: '5228 ex1: company domain', script: RFC5228_EXAMPLE_1, message: msg('From: boss@example.com\nTo: x@elsewhere.org'), want: ['keep'] },
  { name: '5228 ex1: not to me is spam', script: RFC5228_EXAMPLE_1, message: msg('From: a@b.org\nTo: other@elsewhere.org'), want: ['fileinto spam'] },
  { name: '5228 ex1: subject spam', script: RFC5228_EXAMPLE_1, message: msg('From: a@b.org\nTo: x@elsewhere.org\nCc: me@example.com\nSubject: Make Money Fast'), want: ['fileinto spam'] },
  { name: '5228 ex1: personal', script: RFC5228_EXAMPLE_1, message: msg('From: a@b.org\nCc: "Me" <me@example.com>\nSubject: hello'), want: ['fileinto personal'] },
  { name: '5228 ex2: too big', script: RFC5228_EXAMPLE_2, message: msg('To: me@x.org', 'x'.repeat(110 * 1024)), want: ["reject I'm sorry, I do not accept mail over 100kb in size."] },
  { name: '5228 ex2: list', script: RFC5228_EXAMPLE_2, message: msg('From: mailinglist@blafasel.invalid\nTo: me@x.org'), want: ['fileinto INBOX.mailinglist'] },
  { name: '5228 ex2: money', script: RFC5228_EXAMPLE_2, message: msg('To: me@x.org\nSubject: easy money'), want: ['fileinto INBOX.spam'] },
  { name: '5228 ex2: rest kept', script: RFC5228_EXAMPLE_2, message: msg('To: me@x.org\nSubject: hi'), want: ['keep'] },
  { name: '5228: implicit keep with no action', script: 'if false { discard; }', message: MESSAGES.plain, want: ['keep (implicit)'] },
  { name: '5228: discard cancels implicit keep', script: 'discard;', message: MESSAGES.plain, want: ['discard'] },
  { name: '5228: discard then keep keeps', script: 'discard; keep;', message: MESSAGES.plain, want: ['discard', 'keep'] },
  { name: '5228: stop ends the script', script: 'stop; discard;', message: MESSAGES.plain, want: ['keep (implicit)'] },
  { name: '5228: redirect cancels implicit keep', script: 'redirect "bob@example.net";', message: MESSAGES.plain, want: ['redirect bob@example.net'] },
  { name: '5228: duplicate redirects are one', script: 'redirect "bob@example.net"; redirect "Bob@Example.net";', message: MESSAGES.plain, want: ['redirect bob@example.net'] },
  { name: '5228 2.10.3: keep and fileinto INBOX give one copy', script: 'require ["fileinto", "imap4flags", "copy"]; fileinto :copy :flags "a" "INBOX"; keep :flags "b";', message: MESSAGES.plain, want: ['keep [b a]'] },
  { name: '5228: exists', script: 'if exists ["From","Date"] { discard; }', message: MESSAGES.plain, want: ['discard'] },
  { name: '5228: not exists', script: 'if not exists "X-Nope" { discard; }', message: MESSAGES.plain, want: ['discard'] },
  { name: '5228: header :contains is case-insensitive', script: 'require "fileinto"; if header :contains "subject" "PRESENT" { fileinto "gifts"; }', message: MESSAGES.plain, want: ['fileinto gifts'] },
  { name: '5228: i;octet is case-sensitive', script: 'require "fileinto"; if header :contains :comparator "i;octet" "subject" "PRESENT" { fileinto "gifts"; }', message: MESSAGES.plain, want: ['keep (implicit)'] },
  { name: '5228: :matches ? and escapes', script: 'if header :matches "subject" "I have a ?resent for you" { discard; }', message: MESSAGES.plain, want: ['discard'] },
  { name: '5228: :matches escaped *', script: 'if header :matches "x" "a\\\\*b" { discard; }', message: msg('X: a*b'), want: ['discard'] },
  { name: '5228: :matches escaped * does not match other', script: 'if header :matches "x" "a\\\\*b" { discard; }', message: msg('X: axxb'), want: ['keep (implicit)'] },
  { name: '5228: size :under', script: 'if size :under 1K { discard; }', message: msg('To: a@b'), want: ['discard'] },
  { name: '5228: allof', script: 'if allof (true, header :is "to" "roadrunner@acme.example.com") { discard; }', message: MESSAGES.plain, want: ['discard'] },
  { name: '5228: envelope', script: 'require "envelope"; if envelope :domain :is "from" "desert.example.org" { discard; }', message: MESSAGES.plain, want: ['discard'] },
  { name: '5228: envelope null sender', script: 'require "envelope"; if envelope :is "from" "" { discard; }', message: MESSAGES.plain, env: { envelope: { from: '', to: 'me@example.com' } }, want: ['discard'] },
  { name: '5228: address :all on display name form', script: 'if address :is "from" "coyote@acme.example.com" { discard; }', message: MESSAGES.list, want: ['discard'] },
  // ---- RFC 5228 2.4.2.4 encoded-character ----
  { name: 'encoded-character: hex and unicode', script: 'require ["encoded-character", "fileinto"]; fileinto "${hex:49 4e}BOX.${unicode:e9 20AC}";', message: MESSAGES.plain, want: ['fileinto INBOX.é€'] },
  { name: 'encoded-character: not decoded without require', script: 'require "fileinto"; fileinto "${hex:41}";', message: MESSAGES.plain, want: ['fileinto ${hex:41}'] },
  { name: 'encoded-character: malformed left as is', script: 'require ["encoded-character","fileinto"]; fileinto "${hex:4g}${hex:}x";', message: MESSAGES.plain, want: ['fileinto ${hex:4g}x'] },
  // ---- RFC 5429 reject / ereject ----
  { name: '5429: reject', script: 'require "reject"; reject text:\nNo thanks.\n.\n;', message: MESSAGES.plain, want: ['reject No thanks.\r\n'] },
  { name: '5429: ereject', script: 'require "ereject"; if header :contains "subject" "present" { ereject "go away"; }', message: MESSAGES.plain, want: ['ereject go away'] },
  { name: '5429: reject with fileinto is a runtime error', script: 'require ["reject","fileinto"]; fileinto "x"; reject "no";', message: MESSAGES.plain, want: ['error: reject cannot be combined with keep, fileinto, redirect or vacation', 'keep (implicit)'] },
  // ---- RFC 5232 imap4flags ----
  { name: '5232: setflag then implicit keep', script: 'require "imap4flags"; if size :over 1 { setflag "\\\\Deleted"; }', message: MESSAGES.plain, want: ['keep (implicit) [\\Deleted]'] },
  { name: '5232: addflag/removeflag', script: 'require ["imap4flags"]; addflag ["\\\\Seen", "$Work"]; addflag "\\\\Flagged \\\\seen"; removeflag "$work"; keep;', message: MESSAGES.plain, want: ['keep [\\Seen \\Flagged]'] },
  { name: '5232: fileinto :flags with a variable', script: 'require ["imap4flags", "fileinto", "variables"]; if header :contains "from" "coyote" { setflag "flagvar" "\\\\Flagged"; fileinto :flags "${flagvar}" "INBOX.From Boss"; }', message: MESSAGES.plain, want: ['fileinto INBOX.From Boss [\\Flagged]'] },
  { name: '5232: hasflag', script: 'require "imap4flags"; addflag "$Junk"; if hasflag :contains "junk" { discard; }', message: MESSAGES.plain, want: ['discard'] },
  // ---- RFC 5173 body ----
  { name: '5173: body :raw', script: 'require "body"; if body :raw :contains "MAKE MONEY FAST" { discard; }', message: MESSAGES.list, want: ['discard'] },
  { name: '5173: body :content text, decoded', script: 'require ["body", "fileinto"]; if body :content "text" :contains ["missile", "Grüße"] { fileinto "secrets"; }', message: MESSAGES.mime, want: ['fileinto secrets'] },
  { name: '5173: body :text does not see attachments', script: 'require "body"; if body :text :contains "PK" { discard; }', message: MESSAGES.mime, want: ['keep (implicit)'] },
  { name: '5173: body :content sees a non-text part transfer-decoded', script: 'require ["body","fileinto"]; if body :content "image/png" :contains "PNG" { fileinto "images"; }', message: MESSAGES.mime, want: ['fileinto images'] },
  { name: '5173: body :content on a non-text part', script: 'require ["body","fileinto"]; if body :content "application/zip" :contains "" { fileinto "archives"; }', message: MESSAGES.mime, want: ['fileinto archives'] },
  // ---- RFC 5229 variables ----
  {
    name: '5229: set and case-insensitive names',
    script: 'require ["variables","reject"]; set "honorific" "Mr"; set "last_name" "Coyote"; set "vacation" text:\nDear ${HONORIFIC} ${last_name},\nI\'m out.\n.\n; reject "${vacation}";',
    message: MESSAGES.plain,
    want: ["reject Dear Mr Coyote,\r\nI'm out.\r\n"],
  },
  {
    name: '5229: modifiers',
    script: `require ["variables", "fileinto"];
set "a" "juMBlEd lETteRS";
set :length "b" "\${a}"; fileinto "\${b}";
set :lower "b" "\${a}"; fileinto "\${b}";
set :upperfirst "b" "\${a}"; fileinto "\${b}";
set :upperfirst :lower "b" "\${a}"; fileinto "\${b}";
set :quotewildcard "b" "Rock*"; fileinto "\${b}";`,
    message: MESSAGES.plain,
    want: ['fileinto 15', 'fileinto jumbled letters', 'fileinto JuMBlEd lETteRS', 'fileinto Jumbled letters', 'fileinto Rock\\*'],
  },
  { name: '5229: match variables from List-ID', script: 'require ["fileinto", "variables"]; if header :matches "List-ID" "*<*@*" { fileinto "INBOX.lists.${2}"; stop; }', message: MESSAGES.list, want: ['fileinto INBOX.lists.acme-users'] },
  { name: '5229: "[*] *" gives the shortest first wildcard', script: 'require ["fileinto", "variables"]; if header :matches "Subject" "[*] *" { fileinto "INBOX.lists.${1}/${2}"; stop; }', message: MESSAGES.list, want: ['fileinto INBOX.lists.acme-users/[fwd] version 1.0 is out'] },
  {
    name: '5229: address :matches "coyote@**.com"',
    script: 'require ["fileinto", "variables"]; if address :matches ["To", "Cc"] ["coyote@**.com", "wile@**.com"] { fileinto "INBOX.business.${2}|${1}|${0}"; stop; }',
    message: MESSAGES.list,
    want: ['fileinto INBOX.business.ACME.Example||coyote@ACME.Example.COM'],
  },
  { name: '5229: string test', script: 'require ["variables"]; set "x" "abc"; if string :is "${x}" "abc" { discard; }', message: MESSAGES.plain, want: ['discard'] },
  { name: '5229: unknown variable is empty', script: 'require ["variables"]; if string :is "${nope}" "" { discard; }', message: MESSAGES.plain, want: ['discard'] },
  { name: '5229: string :count counts non-empty', script: 'require ["variables","relational","comparator-i;ascii-numeric"]; if string :count "eq" :comparator "i;ascii-numeric" ["a", "", "b"] "2" { discard; }', message: MESSAGES.plain, want: ['discard'] },
  // ---- RFC 5230 vacation, RFC 6131 vacation-seconds ----
  { name: '5230: vacation default 7 days', script: 'require "vacation"; if header :contains "subject" "cyrus" { vacation "I\'m out -- send mail to cyrus-bugs"; } else { vacation "I\'m out -- call me at +1 304 555 0123"; }', message: MESSAGES.plain, want: ["vacation 604800s I'm out -- call me at +1 304 555 0123", 'keep (implicit)'] },
  {
    name: '5230: :days and :addresses',
    script: 'require "vacation"; vacation :days 23 :addresses ["tjs@example.edu", "ts4z@landru.example.edu"] "I\'m away until October 19.";',
    message: MESSAGES.plain,
    want: ["vacation 1987200s addresses=tjs@example.edu,ts4z@landru.example.edu I'm away until October 19.", 'keep (implicit)'],
  },
  { name: '5230: :subject with match variable', script: 'require ["vacation", "variables"]; if header :matches "subject" "*" { vacation :subject "Automatic response to: ${1}" "I\'m away"; }', message: MESSAGES.plain, want: ["vacation 604800s subject=Automatic response to: I have a present for you I'm away", 'keep (implicit)'] },
  { name: '6131: vacation :seconds', script: 'require ["vacation", "vacation-seconds"]; vacation :seconds 1800 :from "me@example.com" "back soon";', message: MESSAGES.plain, want: ['vacation 1800s from=me@example.com back soon', 'keep (implicit)'] },
  { name: '3834: no answer to the null sender', script: 'require "vacation"; vacation "away";', message: MESSAGES.plain, env: { envelope: { from: '', to: 'roadrunner@acme.example.com' } }, want: ['vacation 604800s away (not sent: the sender is the null reverse path)', 'keep (implicit)'] },
  { name: '3834: no answer to list mail', script: 'require "vacation"; vacation "away";', message: MESSAGES.list, env: { envelope: { from: 'acme-users-bounces@lists.example.com', to: 'coyote@acme.example.com' } }, want: ['vacation 604800s away (not sent: the message comes from a mailing list)', 'keep (implicit)'] },
  { name: '3834: no answer to Auto-Submitted', script: 'require "vacation"; vacation "away";', message: msg('From: a@b.example\nTo: roadrunner@acme.example.com\nAuto-Submitted: auto-replied'), want: ['vacation 604800s away (not sent: the message is Auto-Submitted)', 'keep (implicit)'] },
  { name: '3834: Auto-Submitted: no is answered', script: 'require "vacation"; vacation "away";', message: msg('From: a@b.example\nTo: roadrunner@acme.example.com\nAuto-Submitted: no'), want: ['vacation 604800s away', 'keep (implicit)'] },
  { name: '3834: no answer to Precedence: bulk', script: 'require "vacation"; vacation "away";', message: msg('To: roadrunner@acme.example.com\nPrecedence: bulk'), want: ['vacation 604800s away (not sent: the message is bulk or list mail)', 'keep (implicit)'] },
  { name: '3834: no answer to MAILER-DAEMON', script: 'require "vacation"; vacation "away";', message: msg('To: roadrunner@acme.example.com'), env: { envelope: { from: 'MAILER-DAEMON@mx.example', to: 'roadrunner@acme.example.com' } }, want: ['vacation 604800s away (not sent: the sender is a system address)', 'keep (implicit)'] },
  { name: '5230 4.5: :addresses names the user', script: 'require "vacation"; vacation :addresses ["rr@acme.example.com"] "away";', message: msg('To: RR@acme.example.com'), want: ['vacation 604800s addresses=rr@acme.example.com away', 'keep (implicit)'] },
  { name: '5230 4.5: Bcc (not in To/Cc) is not answered', script: 'require "vacation"; vacation "away";', message: msg('To: other@example.net'), want: ['vacation 604800s away (not sent: the user is not among the recipients)', 'keep (implicit)'] },
  { name: '5230 4.5: a subaddress of the user counts', script: 'require "vacation"; vacation "away";', message: msg('To: roadrunner+lists@acme.example.com'), want: ['vacation 604800s away', 'keep (implicit)'] },
  { name: '5230 4.6: no answer to mail from the user', script: 'require "vacation"; vacation "away";', message: msg('To: roadrunner@acme.example.com'), env: { envelope: { from: 'roadrunner@acme.example.com', to: 'roadrunner@acme.example.com' } }, want: ['vacation 604800s away (not sent: the message is from the user)', 'keep (implicit)'] },
  { name: '5230: vacation twice is an error', script: 'require "vacation"; vacation "a"; vacation "b";', message: MESSAGES.plain, want: ['error: vacation used twice in one run', 'keep (implicit)'] },
  // ---- RFC 5231 relational, RFC 4790 i;ascii-numeric ----
  { name: '5231: :value lt numeric', script: 'require ["relational", "comparator-i;ascii-numeric", "fileinto"]; if header :value "lt" :comparator "i;ascii-numeric" ["x-priority"] ["3"] { fileinto "Priority"; }', message: MESSAGES.list, want: ['fileinto Priority'] },
  { name: '5231: :count of addresses', script: 'require ["relational", "comparator-i;ascii-numeric", "fileinto"]; if address :count "ge" :comparator "i;ascii-numeric" ["to", "cc"] ["3"] { fileinto "crowd"; }', message: MESSAGES.list, want: ['fileinto crowd'] },
  { name: '5231: :value gt casemap', script: 'require ["relational", "fileinto"]; if address :value "gt" :all :comparator "i;ascii-casemap" ["from"] ["M"] { fileinto "From N-Z"; } else { fileinto "From A-M"; }', message: MESSAGES.plain, want: ['fileinto From A-M'] },
  { name: '5231: header :count of Received', script: 'require ["relational", "comparator-i;ascii-numeric"]; if header :count "eq" :comparator "i;ascii-numeric" "received" "2" { discard; }', message: MESSAGES.list, want: ['discard'] },
  { name: '4790: non-numeric is infinity', script: 'require ["relational", "comparator-i;ascii-numeric"]; if header :value "gt" :comparator "i;ascii-numeric" "subject" "99999999999999999999" { discard; }', message: MESSAGES.plain, want: ['discard'] },
  // ---- RFC 5233 subaddress ----
  { name: '5233: :user', script: 'require ["envelope", "subaddress", "fileinto"]; if envelope :user "to" "postmaster" { fileinto "inbox.postmaster"; stop; }', message: MESSAGES.plain, env: { envelope: { from: 'a@b', to: 'postmaster+x@example.com' } }, want: ['fileinto inbox.postmaster'] },
  { name: '5233: :detail', script: 'require ["envelope", "subaddress", "fileinto"]; if envelope :detail :is "to" "mta-filters" { fileinto "inbox.ietf-mta-filters"; stop; }', message: MESSAGES.plain, env: { envelope: { from: 'a@b', to: 'me+mta-filters@example.com' } }, want: ['fileinto inbox.ietf-mta-filters'] },
  { name: '5233: :detail without separator never matches', script: 'require ["subaddress"]; if address :detail :matches "to" "*" { discard; }', message: MESSAGES.plain, want: ['keep (implicit)'] },
  { name: '5233: empty :detail', script: 'require ["subaddress"]; if address :detail "to" "" { discard; }', message: msg('To: me+@example.com'), want: ['discard'] },
  // ---- RFC 3894 copy ----
  { name: '3894: redirect :copy keeps', script: 'require ["copy"]; redirect :copy "sales@example.com";', message: MESSAGES.plain, want: ['redirect sales@example.com :copy', 'keep (implicit)'] },
  { name: '3894: fileinto :copy keeps', script: 'require ["copy", "fileinto"]; fileinto :copy "Archive";', message: MESSAGES.plain, want: ['fileinto Archive :copy', 'keep (implicit)'] },
  // ---- RFC 5260 date, index ----
  { name: '5260: date :originalzone hour', script: 'require ["date", "relational", "fileinto"]; if allof(header :contains "from" "coyote", date :value "ge" :originalzone "date" "hour" "09", date :value "lt" :originalzone "date" "hour" "17") { fileinto "urgent"; }', message: MESSAGES.plain, want: ['fileinto urgent'] },
  { name: '5260: date in UTC by :zone', script: 'require ["date", "fileinto", "variables"]; if date :matches :zone "+0000" "date" "iso8601" "*" { fileinto "${1}"; }', message: MESSAGES.plain, want: ['fileinto 1997-04-01T17:06:31+00:00'] },
  { name: '5260: received weekday (Saturday)', script: 'require ["date", "fileinto"]; if anyof(date :is :originalzone "received" "weekday" "0", date :is :originalzone "received" "weekday" "6") { fileinto "weekend"; }', message: MESSAGES.list, want: ['fileinto weekend'] },
  { name: '5260: currentdate', script: 'require ["date", "relational", "vacation"]; if allof(currentdate :value "ge" "date" "2007-06-30", currentdate :value "le" "date" "2007-07-07") { vacation :days 7 "I\'m away during the first week in July."; }', message: MESSAGES.plain, want: ["vacation 604800s I'm away during the first week in July.", 'keep (implicit)'] },
  { name: '5260: julian and std11', script: 'require ["date", "fileinto", "variables"]; if currentdate :matches "julian" "*" { fileinto "${1}"; } if currentdate :matches :zone "-0800" "std11" "*" { fileinto "${1}"; }', message: MESSAGES.plain, want: ['fileinto 54283', 'fileinto Mon, 02 Jul 2007 04:00:00 -0800'] },
  { name: '5260: :index 2 of Received', script: 'require ["index", "date", "fileinto", "variables"]; if date :index 2 :originalzone :matches "received" "time" "*" { fileinto "${1}"; }', message: MESSAGES.list, want: ['fileinto 09:59:59'] },
  { name: '5260: header :index :last', script: 'require ["index", "fileinto"]; if header :index 1 :last :is "x-spam" "maybe" { fileinto "maybe"; }', message: MESSAGES.list, want: ['fileinto maybe'] },
  // ---- RFC 5293 editheader ----
  {
    name: '5293: addheader, deleteheader and what tests then see',
    script: 'require ["editheader", "fileinto"]; addheader :last "X-Sieve-Filtered" "<kim@job.example.com>"; addheader "X-Hobbit-Filtered" "<bilbo@shire.example.com>"; deleteheader "X-Spam"; if allof(exists "X-Hobbit-Filtered", not exists "X-Spam") { fileinto "edited"; }',
    message: MESSAGES.list,
    want: ['fileinto edited'],
  },
  { name: '5293: deleteheader :index with pattern', script: 'require ["editheader", "index"]; deleteheader :index 1 :contains "X-Spam" "yes"; if header :is "x-spam" "maybe" { discard; }', message: MESSAGES.list, want: ['discard'] },
  { name: '5293: protected Received is refused at run time', script: 'require ["editheader", "relational", "comparator-i;ascii-numeric"]; deleteheader "Received"; if header :count "eq" :comparator "i;ascii-numeric" "received" "2" { discard; }', message: MESSAGES.list, want: ['discard'] },
  // ---- RFC 5490 mailbox ----
  { name: '5490: fileinto :create', script: 'require ["fileinto", "mailbox"]; fileinto :create "INBOX.new";', message: MESSAGES.plain, want: ['fileinto INBOX.new :create'] },
  { name: '5490: mailboxexists', script: 'require ["fileinto", "mailbox"]; if mailboxexists "Partners" { fileinto "Partners"; } if mailboxexists ["Partners", "Nope"] { discard; }', message: MESSAGES.plain, env: { mailboxExists: (n) => n === 'Partners' }, want: ['fileinto Partners'] },
  // ---- RFC 5183 environment ----
  { name: '5183: environment', script: 'require ["environment", "fileinto"]; if environment :matches "domain" "*.example.com" { fileinto "local"; } if environment :is "x-unknown" "" { discard; }', message: MESSAGES.plain, env: { environment: { domain: 'mx.example.com' } }, want: ['fileinto local'] },
  // ---- regex ----
  { name: 'regex: captures into variables', script: 'require ["regex", "variables", "fileinto"]; if header :regex "subject" "^\\\\[([a-z-]+)\\\\] (.*)$" { fileinto "lists.${1}"; }', message: MESSAGES.list, want: ['fileinto lists.acme-users'] },
  { name: 'regex: POSIX class', script: 'require ["regex"]; if header :regex "x-priority" "^[[:digit:]]+$" { discard; }', message: MESSAGES.list, want: ['discard'] },
  { name: 'regex: i;octet is case-sensitive', script: 'require ["regex"]; if header :regex :comparator "i;octet" "subject" "money" { discard; }', message: MESSAGES.list, want: ['keep (implicit)'] },
  // ---- RFC 7352 duplicate ----
  { name: '7352: duplicate by Message-ID', script: 'require ["duplicate", "fileinto", "mailbox"]; if duplicate { fileinto :create "Trash/Duplicate"; }', message: MESSAGES.plain, env: { isDuplicate: (h, id) => h === '' && id === '<123@desert.example.org>' }, want: ['fileinto Trash/Duplicate :create'] },
  { name: '7352: first sighting is kept', script: 'require ["duplicate", "fileinto"]; if duplicate { fileinto "dup"; }', message: MESSAGES.plain, env: { isDuplicate: () => false }, want: ['keep (implicit)'] },
  { name: '7352: :uniqueid from a variable', script: 'require ["duplicate", "variables", "imap4flags", "fileinto"]; if header :matches "subject" "I have *" { if duplicate :seconds 60 :uniqueid "${1}" { setflag "\\\\seen"; } fileinto "Alerts"; }', message: MESSAGES.plain, env: { isDuplicate: (_h, id) => id === 'a present for you' }, want: ['fileinto Alerts [\\seen]'] },
  // ---- RFC 5235 spamtest, spamtestplus, virustest ----
  { name: '5235: spamtest unclassified', script: 'require ["spamtest", "fileinto", "relational", "comparator-i;ascii-numeric"]; if spamtest :value "eq" :comparator "i;ascii-numeric" "0" { fileinto "INBOX.unclassified"; } elsif spamtest :value "ge" :comparator "i;ascii-numeric" "3" { fileinto "INBOX.spam-trap"; }', message: MESSAGES.plain, want: ['fileinto INBOX.unclassified'] },
  { name: '5235: spamtest spam', script: 'require ["spamtest", "fileinto", "relational", "comparator-i;ascii-numeric"]; if spamtest :value "eq" :comparator "i;ascii-numeric" "0" { fileinto "INBOX.unclassified"; } elsif spamtest :value "ge" :comparator "i;ascii-numeric" "3" { fileinto "INBOX.spam-trap"; }', message: MESSAGES.plain, env: { spam: { value: 7, percent: 66 } }, want: ['fileinto INBOX.spam-trap'] },
  { name: '5235: spamtestplus :percent', script: 'require ["spamtestplus", "fileinto", "relational", "comparator-i;ascii-numeric"]; if spamtest :percent :value "gt" :comparator "i;ascii-numeric" "50" { fileinto "spam"; }', message: MESSAGES.plain, env: { spam: { value: 7, percent: 66 } }, want: ['fileinto spam'] },
  { name: '5235: virustest', script: 'require ["virustest", "fileinto", "relational", "comparator-i;ascii-numeric"]; if virustest :value "eq" :comparator "i;ascii-numeric" "0" { fileinto "INBOX.unscanned"; } elsif virustest :value "ge" :comparator "i;ascii-numeric" "4" { discard; }', message: MESSAGES.plain, env: { virus: 5 }, want: ['discard'] },
  // ---- RFC 8579 special-use ----
  { name: '8579: fileinto :specialuse', script: 'require ["fileinto", "special-use"]; fileinto :specialuse "\\\\Junk" "Spam";', message: MESSAGES.plain, want: ['fileinto Spam :specialuse \\Junk'] },
  { name: '8579: specialuse_exists', script: 'require ["fileinto", "special-use"]; if specialuse_exists "\\\\Junk" { fileinto :specialuse "\\\\Junk" "Spam"; } if specialuse_exists "Archive" "\\\\Archive" { discard; }', message: MESSAGES.plain, env: { specialUseExists: (m, f) => m === null && f[0] === '\\Junk' }, want: ['fileinto Spam :specialuse \\Junk'] },
  // ---- RFC 5703 mime, foreverypart, extracttext ----
  { name: '5703: header :mime :anychild :type', script: 'require ["mime", "fileinto"]; if header :mime :anychild :type "Content-Type" "image" { fileinto "INBOX.images"; }', message: MESSAGES.mime, want: ['fileinto INBOX.images'] },
  { name: '5703: without :anychild only the top part', script: 'require ["mime", "fileinto"]; if header :mime :type "Content-Type" "image" { fileinto "INBOX.images"; }', message: MESSAGES.mime, want: ['keep (implicit)'] },
  { name: '5703: :param filename in foreverypart', script: 'require ["mime", "foreverypart", "fileinto"]; foreverypart { if header :mime :param "filename" :matches "Content-Disposition" "*.zip" { fileinto "zips"; break; } }', message: MESSAGES.mime, want: ['fileinto zips'] },
  { name: '5703: :subtype and :contenttype', script: 'require ["mime", "fileinto"]; if header :mime :subtype "Content-Type" "mixed" { fileinto "a"; } if header :mime :anychild :contenttype "Content-Type" "image/png" { fileinto "b"; }', message: MESSAGES.mime, want: ['fileinto a', 'fileinto b'] },
  {
    name: '5703: extracttext :first in foreverypart, break :name',
    script: 'require ["mime", "variables", "extracttext", "foreverypart", "fileinto"]; foreverypart :name "outer" { if header :mime :type :is "Content-Type" "text" { extracttext :first 11 "msgcontent"; fileinto "${msgcontent}"; break :name "outer"; } }',
    message: MESSAGES.mime,
    want: ['fileinto The missile'],
  },
  { name: '5703: a single-part message is its own part', script: 'require ["foreverypart", "mime", "extracttext", "variables", "fileinto"]; foreverypart { extracttext :first 4 "t"; fileinto "${t}"; }', message: MESSAGES.plain, want: ['fileinto Look'] },
  { name: '5703: nested foreverypart walks the children of the current part', script: 'require ["foreverypart", "mime", "fileinto", "variables"]; foreverypart { if header :mime :subtype "content-type" "alternative" { foreverypart { if header :mime :matches :contenttype "content-type" "*" { fileinto "${1}"; } } } }', message: MESSAGES.nested, want: ['fileinto text/plain', 'fileinto text/html'] },
  // ---- RFC 5435 enotify ----
  { name: '5435: notify :importance :message', script: 'require ["enotify", "fileinto", "variables"]; if header :contains "from" "boss@example.org" { notify :importance "1" :message "This is probably very important" "mailto:alm@example.com"; stop; }', message: MESSAGES.mime, want: ['notify mailto:alm@example.com 1 This is probably very important', 'keep (implicit)'] },
  { name: '5435: notify with variables', script: 'require ["enotify", "variables"]; if header :matches "Subject" "*" { set "subject" "${1}"; } if header :matches "From" "*" { set "from" "${1}"; } notify :importance "3" :message "[SIEVE] ${from}: ${subject}" "mailto:alm@example.com";', message: MESSAGES.mime, want: ['notify mailto:alm@example.com 3 [SIEVE] boss@example.org: Quarterly report', 'keep (implicit)'] },
  { name: '5435: valid_notify_method and :encodeurl', script: 'require ["enotify", "variables", "fileinto"]; set :encodeurl "x" "a b&c"; if valid_notify_method "mailto:x@example.com" { fileinto "${x}"; } if valid_notify_method "xmpp:x@example.com" { discard; }', message: MESSAGES.plain, want: ['fileinto a%20b%26c'] },
  { name: '5435: notify_method_capability online', script: 'require ["enotify"]; if notify_method_capability "mailto:a@b.example" "Online" "maybe" { discard; }', message: MESSAGES.plain, want: ['discard'] },
  // ---- RFC 5463 ihave ----
  { name: '5463: ihave of an unknown extension skips its block', script: 'require ["ihave", "fileinto"]; if ihave "x-frobnicate" { x_frob "y" :zz; } elsif ihave "vacation" { vacation "away"; } else { fileinto "none"; }', message: MESSAGES.plain, want: ['vacation 604800s away', 'keep (implicit)'] },
  { name: '5463: ihave "variables" expands only inside its block', script: 'require ["ihave", "fileinto"]; fileinto "${x}"; if ihave ["variables", "encoded-character"] { set "x" "y${hex:7a}"; fileinto "${x}"; }', message: MESSAGES.plain, want: ['fileinto ${x}', 'fileinto yz'] },
  { name: '5463: ihave disabled at run time', script: 'require ["ihave"]; if ihave "vacation" { vacation "away"; }', message: MESSAGES.plain, env: { extensions: ['ihave'] }, want: ['keep (implicit)'] },
  { name: 'an extension disabled after upload makes the run fall back to keep', script: 'require "fileinto"; fileinto "x";', message: MESSAGES.plain, env: { extensions: ['vacation'] }, want: ['error: the script requires "fileinto", which is not enabled', 'keep (implicit)'] },
  { name: '5463: error', script: 'require ["ihave"]; if not ihave "fileinto" { discard; } error "cannot go on";', message: MESSAGES.plain, want: ['error: error: cannot go on', 'keep (implicit)'] },
];

test('RFC examples and extension behaviour', () => {
  const bad: string[] = [];
  for (const c of CASES) {
    let got: string[];
    try {
      got = outcome(runScript(c.script, c.message ?? MESSAGES.plain, c.env));
    } catch (e) {
      got = [`thrown: ${(e as Error).message}`];
    }
    try {
      assert.deepEqual(got, c.want);
    } catch {
      bad.push(`${c.name}:\n   got  ${JSON.stringify(got)}\n   want ${JSON.stringify(c.want)}`);
    }
  }
  assert.equal(bad.join('\n'), '');
});

test('editheader returns the edits in order, each action knowing how many apply', () => {
  const r = runScript(
    'require ["editheader", "index", "fileinto", "copy"]; fileinto :copy "before"; addheader "X-A" "1"; addheader :last "X-A" "2"; deleteheader :index 1 :comparator "i;octet" :is "X-A" "1"; deleteheader "Received";',
    MESSAGES.list,
    {},
    undefined,
  );
  assert.ok(r.ok);
  assert.deepEqual(r.edits, [
    { op: 'add', name: 'X-A', value: '1', last: false },
    { op: 'add', name: 'X-A', value: '2', last: true },
    { op: 'delete', name: 'X-A', index: 1 },
  ]);
  assert.deepEqual(r.actions.map((a) => ('edits' in a ? a.edits : -1)), [0, 3]);
  assert.deepEqual(r.warnings, ['deleteheader Received: refused, the header field is protected']);
});

test('threat: the wall-clock limit stops a slow run (injected clock)', () => {
  let now = 0;
  const r = runScript('if header :contains "subject" "x" { keep; }\n'.repeat(400), MESSAGES.plain, { clock: () => (now += 300), maxMillis: 1000 });
  assert.deepEqual(outcome(r), ['error: the script ran too long (time limit)', 'keep (implicit)']);
});

test('editheader: configured protected fields, and Subject always editable', () => {
  const r = runScript('require "editheader"; addheader "X-Petrel-Spam" "no"; deleteheader "Subject"; addheader "Subject" "new";', MESSAGES.plain, { protectedHeaders: ['X-Petrel-Spam', 'Subject'] });
  assert.ok(r.ok);
  assert.deepEqual(r.edits, [{ op: 'delete', name: 'Subject', index: 1 }, { op: 'add', name: 'Subject', value: 'new', last: false }]);
  assert.deepEqual(r.warnings, ['addheader X-Petrel-Spam: refused, the header field is protected']);
});

test('imap4flags: the final flag state is returned beside the actions', () => {
  const r = runScript('require ["imap4flags", "fileinto"]; setflag "\\\\Seen"; fileinto "a"; addflag "$Later"; removeflag "\\\\Seen";', MESSAGES.plain);
  assert.ok(r.ok);
  assert.deepEqual(r.flags, ['$Later']);
  assert.deepEqual(outcome(r), ['fileinto a [\\Seen]']);
});

test('duplicate ids are returned for recording after delivery', () => {
  const r = runScript('require "duplicate"; if duplicate :handle "h" :header "subject" :seconds 3600 :last { discard; }', MESSAGES.plain, { isDuplicate: () => false });
  assert.ok(r.ok);
  assert.deepEqual(r.duplicates, [{ handle: 'h', id: 'I have a present for you', seconds: 3600, last: true }]);
});

test('vacation handle: given, or derived from the parameters', () => {
  const a = runScript('require "vacation"; vacation :handle "summer" "away";', MESSAGES.plain);
  const b = runScript('require "vacation"; vacation "away";', MESSAGES.plain);
  const c = runScript('require "vacation"; vacation :subject "x" "away";', MESSAGES.plain);
  const h = (r: typeof a) => {
    const v = r.actions[0];
    return r.ok && v?.type === 'vacation' ? v.handle : '';
  };
  assert.equal(h(a), 'summer');
  assert.match(h(b), /^auto:[0-9a-f]{32}$/);
  assert.notEqual(h(b), h(c));
});

// ---- include (RFC 6609) ----

function library(scripts: Record<string, string>): (loc: 'personal' | 'global', name: string) => CompiledScript | null {
  const compiled = new Map<string, CompiledScript>();
  for (const [k, v] of Object.entries(scripts)) compiled.set(k, compileOk(v));
  return (loc, name) => compiled.get(`${loc}/${name}`) ?? null;
}

test('include: personal and global scripts, :once, :optional, globals, return', () => {
  const loadInclude = library({
    'global/spam': 'require ["fileinto", "spamtest", "relational", "comparator-i;ascii-numeric"]; if spamtest :value "ge" :comparator "i;ascii-numeric" "5" { fileinto "Junk"; }',
    'personal/setvar': 'require ["include", "variables"]; global "who"; set "who" "coyote"; return; set "who" "never";',
    'personal/twice': 'require ["fileinto"]; fileinto "twice";',
  });
  const r = runScript(
    `require ["include", "variables", "fileinto"];
include :global "spam";
include :personal "setvar";
global "who";
fileinto "from-\${who}";
include :once "twice"; include :once "twice";
include :optional "missing";`,
    MESSAGES.plain,
    { loadInclude, spam: { value: 8, percent: 80 } },
  );
  assert.deepEqual(outcome(r), ['fileinto Junk', 'fileinto from-coyote', 'fileinto twice']);
});

test('include: a missing script, a loop and stop inside an include', () => {
  const loadInclude = library({
    'personal/a': 'require "include"; include "b";',
    'personal/b': 'require "include"; include "a";',
    'personal/stopper': 'stop;',
  });
  assert.deepEqual(outcome(runScript('require "include"; include "nope";', MESSAGES.plain, { loadInclude })), [
    'error: included script "nope" (personal) does not exist',
    'keep (implicit)',
  ]);
  assert.deepEqual(outcome(runScript('require "include"; include "a";', MESSAGES.plain, { loadInclude })), [
    'error: include loop: "a" includes itself',
    'keep (implicit)',
  ]);
  assert.deepEqual(outcome(runScript('require "include"; include "stopper"; discard;', MESSAGES.plain, { loadInclude })), ['keep (implicit)']);
});

// ---- limits: runtime errors fall back to keep ----

test('threat: a runaway script exceeds the step limit and falls back to keep', () => {
  const r = runScript('if true { discard; }\n'.repeat(50), MESSAGES.plain, { maxSteps: 20 });
  assert.equal(r.ok, false);
  assert.deepEqual(outcome(r), ['error: the script ran too long (more than 20 steps)', 'keep (implicit)']);
});

test('threat: redirect fan-out stops at the redirect limit', () => {
  const r = runScript('redirect "a@x.example"; redirect "b@x.example"; redirect "c@x.example";', MESSAGES.plain, { maxRedirects: 2 });
  assert.deepEqual(outcome(r), ['error: too many redirects (the limit is 2)', 'keep (implicit)']);
  if (!r.ok) assert.deepEqual([r.error.line, r.error.column], [1, 49]);
});

test('threat: a wildcard pattern with many stars on a long header stays bounded', () => {
  const long = 'a'.repeat(20000);
  const t0 = Date.now();
  const r = runScript('if header :matches "subject" "*a*a*a*a*a*a*a*a*b" { discard; }', msg(`Subject: ${long}`));
  assert.ok(Date.now() - t0 < 2000);
  assert.ok(r.ok || r.error.message.includes('too long'));
});

test('a stored script of another version is refused and keeps', () => {
  const s = compileOk('discard;');
  const r = runScript('discard;', MESSAGES.plain);
  assert.ok(r.ok);
  const bad = runSieve({ ...s, version: 2 as 1 }, { message: { header: () => [], contentType: 'text/plain', contentTypeParams: {}, text: '', children: [], size: 0, rawBody: '' }, envelope: { from: '', to: '' }, now: new Date() });
  assert.equal(bad.ok, false);
  assert.deepEqual(outcome(bad), ['error: compiled script of an unknown version: recompile it', 'keep (implicit)']);
});

test('describeRun: the dry-run lines, control characters escaped', () => {
  const r = runScript('require ["fileinto", "editheader", "variables"]; if header :matches "subject" "*" { addheader "X-Subject" "${1}"; } fileinto "x";', msg('Subject: a\x1b[31mred'));
  assert.deepEqual(describeRun(r), ['fileinto x', 'addheader X-Subject: a [31mred']);
  const v = runScript('require ["vacation", "variables"]; if header :matches "subject" "*" { vacation :subject "${1}" "r"; }', msg('Subject: a\x1b[31mred'));
  assert.deepEqual(describeRun(v), ['vacation 604800s subject=a\\x1b[31mred r (not sent: the user is not among the recipients)', 'keep (implicit)']);
  const e = runScript('redirect "a@b.example"; redirect "c@d.example";', MESSAGES.plain, { maxRedirects: 1 });
  assert.deepEqual(describeRun(e), ['error: line 1, column 25: too many redirects (the limit is 1) (falling back to keep)', 'keep (implicit)']);
});

test('runSieveSequence: before, user and after scripts share one delivery', () => {
  const env = { message: parseSieveMessage(MESSAGES.list), envelope: { from: 'a@b.example', to: 'me@example.com' }, now: new Date(0) };
  const before = compileOk('require ["imap4flags", "spamtest", "relational", "comparator-i;ascii-numeric", "fileinto"]; addflag "$Checked"; if spamtest :value "ge" :comparator "i;ascii-numeric" "9" { fileinto "Junk"; }');
  const user = compileOk('require ["fileinto", "variables"]; if header :matches "List-ID" "*<*@*" { fileinto "lists/${2}"; stop; }');
  const userKeeps = compileOk('stop;');
  const after = compileOk('require "fileinto"; fileinto "Archive";');
  const lines = (r: ReturnType<typeof runSieveSequence>) => r.actions.map(describeAction);
  // The user's fileinto cancels the implicit keep, so the after script does not run.
  assert.deepEqual(lines(runSieveSequence([before, user, after], env)), ['fileinto lists/acme-users [$Checked]']);
  // The user's script keeps: the after script runs too.
  assert.deepEqual(lines(runSieveSequence([before, userKeeps, after], env)), ['fileinto Archive [$Checked]']);
  // Spam filed by the before script: the user's script is not run.
  assert.deepEqual(lines(runSieveSequence([before, user, after], { ...env, spam: { value: 10, percent: 100 } })), ['fileinto Junk [$Checked]']);
});
