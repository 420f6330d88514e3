#!/usr/bin/python3
"""
A scripted, misbehaving receiving MX for Petrel's outbound-delivery tests.

Started by test/support/smtp-peer.ts as
    /usr/bin/python3 -u smtp-peer.py --script FILE --record DIR
it listens on one loopback address (127.0.0.0/8 only), behaves as the JSON
script says (greeting, EHLO extensions, replies per stage with counters,
silence, dropped connections, broken STARTTLS) and records what it saw:

    DIR/transactions.jsonl  one line per transaction (from MAIL to its end)
    DIR/transcript.jsonl    every command line as it arrived and every reply
                            line as sent, per connection, in order
    stdout                  JSON events: ready, connect, transaction, closed
It stops on SIGTERM, or at EOF on its stdin when that is a pipe (the
harness holds it open, so a crashed test leaves no peer behind).

Built on Debian's aiosmtpd 1.4 (python3-aiosmtpd). Its SMTP class is
subclassed where it does not do what a test peer needs:
  greeting   _handle_client: delay, silence, 421 (close) or 554 (then 503
             to everything but QUIT, RFC 5321 3.1) before aiosmtpd's loop
  EHLO       our own: the extension lines come from the script only
  MAIL/RCPT  our own: aiosmtpd upper-cases parameters, refuses the null
             reverse-path <> and every RCPT parameter (555), so DSN
             (RFC 3461) and REQUIRETLS (RFC 8689) could not be accepted
  DATA       the DATA reply is ours; aiosmtpd reads the message
             (dot-unstuffed, decode_data=False so the bytes are exact, and
             its size and line limits), then handle_DATA decides the reply
             at end of data, silence, a dropped connection or a delay
  STARTTLS   aiosmtpd's, with tls_context; or 220 and close, 220 and hang,
             or a refusal; the SNI name comes from the context's sni_callback
  push       every reply line is recorded and sent with CRLF
  data_received  records command lines as they arrive, before aiosmtpd
             parses them, with the number of replies sent so far: lines
             pipelined together share that number (RFC 2920)

Security: test only. Reads its script from the test; refuses to bind
anything but a loopback address. Peer input goes through aiosmtpd's line
limits (1001 octets) and the DATA size limit.
Standards: RFC 5321 (replies, 554 greeting), RFC 3207 (STARTTLS), RFC 1870
(SIZE), RFC 6152 (8BITMIME), RFC 6531 (SMTPUTF8), RFC 2920 (PIPELINING),
RFC 3461 (DSN: RET, ENVID, NOTIFY, ORCPT recorded, not acted on), RFC 8689
(REQUIRETLS: recorded, not acted on), RFC 2034 (ENHANCEDSTATUSCODES).
"""
import argparse
import asyncio
import base64
import datetime
import ipaddress
import json
import os
import re
import signal
import ssl
import stat
import sys
import threading
import time

from aiosmtpd.smtp import SMTP, TLSSetupException

DATA_SIZE_DEFAULT = 32 * 1024 * 1024
STAGES = ('greeting', 'ehlo', 'starttls', 'mail', 'rcpt', 'data', 'dataEnd')
STEP_KEYS = {'reply', 'action', 'delayMs', 'then', 'times'}
SCRIPT_KEYS = {
    'host', 'port', 'hostname', 'extensions', 'starttls', 'requireTls',
    'replies', 'rcptReplies', 'maxRecipients', 'lenientParameters', 'idleTimeoutMs',
}
EXTENSION_KEYS = {
    'size', '8bitmime', 'smtputf8', 'pipelining', 'dsn', 'requiretls',
    'enhancedstatuscodes', 'extra',
}
DEFAULT_REPLY = {
    'starttls': '220 2.0.0 Ready to start TLS',
    'mail': '250 2.1.0 Ok',
    'rcpt': '250 2.1.5 Ok',
    'data': '354 End data with <CR><LF>.<CR><LF>',
    'dataEnd': '250 2.0.0 Ok: queued as P{seq}',
}
NOTIFY_VALUES = {'SUCCESS', 'FAILURE', 'DELAY'}
MAX_TRANSCRIPT_LINE = 2048
MAX_UNTERMINATED = 65536


def fail(message):
    print(f'smtp-peer: {message}', file=sys.stderr, flush=True)
    sys.exit(2)


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='milliseconds').replace('+00:00', 'Z')


def text(value):
    """A str decoded with surrogateescape, as aiosmtpd gives arguments, made JSON-safe."""
    return value.encode('utf-8', 'surrogateescape').decode('utf-8', 'replace')


def reply_code(reply):
    return reply[:3] if reply else ''


class Steps:
    """A stage's scripted steps, used in order; a step lasts `times` uses (forever without it)."""

    def __init__(self, where, spec):
        if spec is None:
            spec = []
        elif isinstance(spec, dict):
            spec = [spec]
        if not isinstance(spec, list):
            fail(f'{where}: a step or a list of steps expected')
        for step in spec:
            if not isinstance(step, dict):
                fail(f'{where}: each step is an object')
            unknown = set(step) - STEP_KEYS
            if unknown:
                fail(f'{where}: unknown step keys {sorted(unknown)}')
            if step.get('action', 'reply') not in ('reply', 'silent', 'drop'):
                fail(f'{where}: action is reply, silent or drop')
            if step.get('then') not in (None, 'close', 'hang'):
                fail(f'{where}: then is close or hang')
        self.steps = spec
        self.used = [0] * len(spec)

    def next(self):
        for i, step in enumerate(self.steps):
            times = step.get('times')
            if times is None or self.used[i] < times:
                self.used[i] += 1
                return step
        return {}


class Recorder:
    def __init__(self, directory):
        self.transactions = open(os.path.join(directory, 'transactions.jsonl'), 'a', encoding='utf-8')
        self.transcript = open(os.path.join(directory, 'transcript.jsonl'), 'a', encoding='utf-8')

    @staticmethod
    def event(obj):
        sys.stdout.write(json.dumps(obj) + '\n')
        sys.stdout.flush()

    def transaction(self, record):
        self.transactions.write(json.dumps(record) + '\n')
        self.transactions.flush()
        self.event({'event': 'transaction', 'seq': record['seq']})

    def line(self, record):
        self.transcript.write(json.dumps(record) + '\n')
        self.transcript.flush()


class Peer:
    """State shared by every connection to this server: the script, its counters, the recorder."""

    def __init__(self, script, recorder):
        self.script = script
        self.recorder = recorder
        self.connections = 0
        self.transactions = 0
        self.hostname = script.get('hostname', 'mx.peer.test')
        self.extensions = script.get('extensions', {})
        replies = script.get('replies', {})
        unknown = set(replies) - set(STAGES)
        if unknown:
            fail(f'replies: unknown stages {sorted(unknown)}')
        self.steps = {stage: Steps(f'replies.{stage}', replies.get(stage)) for stage in STAGES}
        self.rcpt_steps = {
            address.lower(): Steps(f'rcptReplies[{address}]', spec)
            for address, spec in script.get('rcptReplies', {}).items()
        }
        self.tls_context = None
        starttls = script.get('starttls')
        if starttls is not None:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            try:
                ctx.load_cert_chain(starttls['cert'], starttls['key'])
            except (OSError, ssl.SSLError, KeyError) as error:
                fail(f'starttls: cannot load cert/key: {error!r}')
            ctx.sni_callback = self.sni
            self.tls_context = ctx
        # SSLObject -> the server name it sent, read once the handshake is done.
        self.sni_names = {}

    def sni(self, ssl_object, server_name, _ctx):
        self.sni_names[id(ssl_object)] = server_name
        return None

    def rcpt_step(self, address):
        steps = self.rcpt_steps.get(address.lower())
        return steps.next() if steps is not None else self.steps['rcpt'].next()


class Hooks:
    """aiosmtpd handler: end of data and the texts of replies aiosmtpd writes itself."""

    async def handle_DATA(self, server, session, envelope):
        return await server.end_of_data(envelope)

    async def handle_RSET(self, server, session, envelope):
        server.finish('rset')
        return '250 2.0.0 Ok'

    async def handle_QUIT(self, server, session, envelope):
        server.finish('quit')
        return '221 2.0.0 Bye'

    async def handle_NOOP(self, server, session, envelope, arg):
        return '250 2.0.0 Ok'

    async def handle_exception(self, error):
        # A failed handshake is expected (and recorded as tls-failed); anything else is a bug here.
        if not isinstance(error, TLSSetupException):
            print(f'smtp-peer: exception: {error!r}', file=sys.stderr, flush=True)
        return '451 4.3.0 Test peer error'


def parse_path(arg, keyword):
    """'FROM:<a@b> K=V K2' -> ('a@b', ['K=V', 'K2']), or None when it does not parse."""
    if arg is None or arg[:len(keyword)].upper() != keyword:
        return None
    rest = arg[len(keyword):].lstrip(' ')
    match = re.match(r'<((?:"(?:[^"\\]|\\.)*"|[^>"])*)>(.*)$', rest)
    if match:
        address, params = match.group(1), match.group(2)
        if params and not params.startswith(' '):
            return None
    elif rest and not rest.startswith('<'):
        address, _, params = rest.partition(' ')
    else:
        return None
    return address, params.split()


class PeerSMTP(SMTP):
    def __init__(self, peer):
        script = peer.script
        super().__init__(
            Hooks(),
            data_size_limit=peer.extensions.get('size') or DATA_SIZE_DEFAULT,
            enable_SMTPUTF8=True,
            decode_data=False,
            hostname=peer.hostname,
            tls_context=peer.tls_context,
            require_starttls=bool(script.get('requireTls')),
            timeout=script.get('idleTimeoutMs', 300_000) / 1000,
        )
        self.peer = peer
        self.conn = 0
        self.txn = None
        self.tls_info = None
        self.helo = None
        self.replies_sent = 0
        self.last_reply = None
        self.replace_next = None
        self.after_data = None
        self.scan_buffer = b''
        self.scan_data = False
        self.scan_octets = 0
        self.lost = False

    # --- recording -------------------------------------------------------

    def note(self, record):
        record.update(conn=self.conn, t=time.time() * 1000, tls=self.tls_info is not None)
        self.peer.recorder.line(record)

    def data_received(self, data):
        self.scan(data)
        super().data_received(data)

    def scan(self, data):
        """Records each command line when it arrives (message content only as its size)."""
        self.scan_buffer += data
        while True:
            end = self.scan_buffer.find(b'\n')
            if end < 0:
                break
            raw, self.scan_buffer = self.scan_buffer[:end + 1], self.scan_buffer[end + 1:]
            if self.scan_data:
                if raw == b'.\r\n':
                    self.scan_data = False
                    self.note({'dir': 'C', 'line': '.', 'dataOctets': self.scan_octets, 'repliesBefore': self.replies_sent})
                else:
                    self.scan_octets += len(raw)
                continue
            record = {'dir': 'C', 'line': raw.rstrip(b'\r\n')[:MAX_TRANSCRIPT_LINE].decode('utf-8', 'backslashreplace'), 'repliesBefore': self.replies_sent}
            if not raw.endswith(b'\r\n'):
                record['bareLf'] = True
            self.note(record)
        if len(self.scan_buffer) > MAX_UNTERMINATED:
            if not self.scan_data:
                self.note({'dir': 'C', 'line': self.scan_buffer[:MAX_TRANSCRIPT_LINE].decode('utf-8', 'backslashreplace'), 'unterminated': True, 'repliesBefore': self.replies_sent})
            else:
                self.scan_octets += len(self.scan_buffer)
            self.scan_buffer = b''

    async def push(self, status):
        if isinstance(status, bytes):
            status = status.decode('utf-8', 'replace')
        if self.replace_next is not None and status.startswith(self.replace_next[0]):
            status = self.replace_next[1]
            self.replace_next = None
        lines = [line.rstrip('\r') for line in status.split('\n')]
        for line in lines:
            self.note({'dir': 'S', 'line': line})
            if line[3:4] in ('', ' '):
                self.replies_sent += 1
            if line.startswith('354'):
                self.scan_data = True
                self.scan_octets = 0
        self.last_reply = '\n'.join(lines)
        await super().push('\r\n'.join(lines))

    def new_txn(self, address, params):
        self.peer.transactions += 1
        self.txn = {
            'seq': self.peer.transactions,
            'connection': self.conn,
            'startedAt': now_iso(),
            'tls': self.tls_info,
            'helo': self.helo,
            'mail': {'address': text(address), 'params': [text(p) for p in params], 'reply': None},
            'rcpts': [],
            'dataReply': None,
            'message': None,
            'messageOctets': None,
            'reply': None,
            'ended': None,
        }
        return self.txn

    def finish(self, ended):
        """Writes the open transaction (if any) with how it ended."""
        txn, self.txn = self.txn, None
        if txn is None:
            return
        txn['ended'] = ended
        txn['endedAt'] = now_iso()
        self.peer.recorder.transaction(txn)

    # --- scripted behaviour ----------------------------------------------

    async def decide(self, step, default):
        """After the step's delay: ('reply', text) or ('silent' | 'drop', None)."""
        delay = step.get('delayMs')
        if delay:
            await asyncio.sleep(delay / 1000)
        action = step.get('action', 'reply')
        if action != 'reply':
            return action, None
        return 'reply', step.get('reply', default)

    async def misbehave(self, kind):
        """Silence or a dropped connection; never returns (cancelled when the connection goes)."""
        self.note({'dir': '*', 'event': 'silent' if kind == 'silent' else 'dropped'})
        if kind == 'drop':
            self.close_now()
        await asyncio.get_running_loop().create_future()

    def close_now(self):
        transport = self._original_transport or self.transport
        if transport is not None:
            transport.close()

    async def after_reply(self, step, reply):
        """A 421 closes the connection (RFC 5321 3.8); so does then=close; then=hang stops answering."""
        then = step.get('then')
        if then == 'close' or reply_code(reply) == '421':
            self.note({'dir': '*', 'event': 'close-after-reply'})
            self.close_now()
            await asyncio.get_running_loop().create_future()
        if then == 'hang':
            self.note({'dir': '*', 'event': 'hang'})
            await asyncio.get_running_loop().create_future()

    async def staged(self, stage, default, step=None):
        """Runs one stage's next step; returns (step, reply) for a reply, or does not return."""
        step = step if step is not None else self.peer.steps[stage].next()
        kind, reply = await self.decide(step, default)
        if kind != 'reply':
            self.stage_outcome(stage, 'silent' if kind == 'silent' else 'dropped')
            self.finish('silent' if kind == 'silent' else 'dropped')
            await self.misbehave(kind)
        return step, reply

    def stage_outcome(self, stage, outcome):
        if self.txn is None:
            return
        if stage == 'mail':
            self.txn['mail']['reply'] = outcome
        elif stage == 'rcpt' and self.txn['rcpts']:
            self.txn['rcpts'][-1]['reply'] = outcome
        elif stage == 'data':
            self.txn['dataReply'] = outcome

    # --- connection ------------------------------------------------------

    def connection_made(self, transport):
        first = self.transport is None
        if first:
            self.peer.connections += 1
            self.conn = self.peer.connections
            peer = transport.get_extra_info('peername')
            self.peer.recorder.event({'event': 'connect', 'conn': self.conn})
            self.note({'dir': '*', 'event': 'connect', 'peer': list(peer) if peer else None})
        super().connection_made(transport)
        if not first and self.session.ssl is not None:
            ssl_object = self.session.ssl.get('ssl_object')
            cipher = ssl_object.cipher() if ssl_object else None
            self.tls_info = {
                'version': ssl_object.version() if ssl_object else None,
                'cipher': cipher[0] if cipher else None,
                'sni': self.peer.sni_names.pop(id(ssl_object), None),
            }
            self.helo = None
            self.note({'dir': '*', 'event': 'tls', **self.tls_info})

    def connection_lost(self, error):
        if not self.lost:
            self.lost = True
            self.finish('closed')
            self.note({'dir': '*', 'event': 'closed'})
            self.peer.recorder.event({'event': 'closed', 'conn': self.conn})
        super().connection_lost(error)

    async def _handle_client(self):
        default = f'220 {self.hostname} ESMTP petrel test peer'
        step, reply = await self.staged('greeting', default)
        if reply_code(reply) == '220' and not step.get('then'):
            # aiosmtpd writes its own 220 line first; push() swaps in ours.
            self.replace_next = ('220', reply)
            await super()._handle_client()
            return
        await self.push(reply)
        await self.after_reply(step, reply)
        await self.refuse_session()

    async def refuse_session(self):
        """After a 554 greeting: 503 to every command but QUIT (RFC 5321 3.1)."""
        while self.transport is not None:
            try:
                line = await self._reader.readuntil()
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                self.close_now()
                return
            if line.strip().split(b' ')[0].upper() == b'QUIT':
                await self.push('221 2.0.0 Bye')
                self.close_now()
                return
            await self.push('503 5.5.1 Error: bad sequence of commands')

    # --- commands --------------------------------------------------------

    def extension_lines(self):
        ext = self.peer.extensions
        lines = []
        if ext.get('pipelining'):
            lines.append('PIPELINING')
        if ext.get('size'):
            lines.append(f"SIZE {ext['size']}")
        if self.tls_context is not None and self.tls_info is None:
            lines.append('STARTTLS')
        if ext.get('enhancedstatuscodes'):
            lines.append('ENHANCEDSTATUSCODES')
        if ext.get('8bitmime'):
            lines.append('8BITMIME')
        if ext.get('dsn'):
            lines.append('DSN')
        if ext.get('smtputf8'):
            lines.append('SMTPUTF8')
        if self.requiretls_offered():
            lines.append('REQUIRETLS')
        lines.extend(ext.get('extra', []))
        return lines

    def requiretls_offered(self):
        value = self.peer.extensions.get('requiretls')
        return value == 'always' or (bool(value) and self.tls_info is not None)

    async def smtp_EHLO(self, hostname):
        if not hostname:
            await self.push('501 5.5.4 Syntax: EHLO hostname')
            return
        step, reply = await self.staged('ehlo', None)
        self.finish('helo')
        self._set_rset_state()
        if reply is None:
            lines = [self.hostname] + self.extension_lines()
            reply = '\n'.join(
                f"250{'-' if i < len(lines) - 1 else ' '}{line}" for i, line in enumerate(lines)
            )
        if reply_code(reply).startswith('2'):
            self.session.extended_smtp = True
            self.session.host_name = hostname
            self.helo = {'verb': 'EHLO', 'name': text(hostname)}
        await self.push(reply)
        await self.after_reply(step, reply)

    async def smtp_HELO(self, hostname):
        self.finish('helo')
        await super().smtp_HELO(hostname)
        if self.session.host_name:
            self.helo = {'verb': 'HELO', 'name': text(hostname)}

    async def smtp_STARTTLS(self, arg):
        if arg:
            await self.push('501 5.5.4 Syntax: STARTTLS')
            return
        if self.tls_context is None:
            await self.push('502 5.5.1 Error: command not implemented')
            return
        if self.tls_info is not None:
            await self.push('554 5.5.1 Error: TLS already active')
            return
        step, reply = await self.staged('starttls', DEFAULT_REPLY['starttls'])
        self.finish('starttls')
        if reply_code(reply) != '220' or step.get('then'):
            await self.push(reply)
            await self.after_reply(step, reply)
            return
        self.replace_next = ('220', reply)
        try:
            await super().smtp_STARTTLS(None)
        except TLSSetupException as error:
            self.note({'dir': '*', 'event': 'tls-failed', 'error': repr(error.__cause__)})
            raise

    def param_error(self, params, allowed):
        if self.peer.script.get('lenientParameters'):
            return None
        for param in params:
            key = param.partition('=')[0].upper()
            if key not in allowed:
                return f'555 5.5.4 Unsupported option: {text(param)}'
        return None

    def mail_error(self, address, params):
        ext = self.peer.extensions
        allowed = set()
        if ext.get('size'):
            allowed.add('SIZE')
        if ext.get('8bitmime'):
            allowed.add('BODY')
        if ext.get('smtputf8'):
            allowed.add('SMTPUTF8')
        if ext.get('dsn'):
            allowed.update({'RET', 'ENVID'})
        if self.requiretls_offered():
            allowed.add('REQUIRETLS')
        error = self.param_error(params, allowed)
        if error or self.peer.script.get('lenientParameters'):
            return error
        keyed = {p.partition('=')[0].upper(): p.partition('=')[2] for p in params}
        if 'SIZE' in keyed:
            if not keyed['SIZE'].isdigit():
                return '501 5.5.4 Bad SIZE parameter'
            if int(keyed['SIZE']) > ext['size']:
                return '552 5.3.4 Message size exceeds fixed limit'
        if 'BODY' in keyed and keyed['BODY'].upper() not in ('7BIT', '8BITMIME'):
            return '501 5.5.4 Bad BODY parameter'
        if 'RET' in keyed and keyed['RET'].upper() not in ('FULL', 'HDRS'):
            return '501 5.5.4 Bad RET parameter'
        if not address.isascii() and 'SMTPUTF8' not in keyed:
            return '553 5.6.7 Must declare SMTPUTF8 to send non-ASCII addresses'
        return None

    def rcpt_error(self, address, params):
        if not self.peer.script.get('lenientParameters'):
            error = self.param_error(params, {'NOTIFY', 'ORCPT'} if self.peer.extensions.get('dsn') else set())
            if error:
                return error
            keyed = {p.partition('=')[0].upper(): p.partition('=')[2] for p in params}
            if 'NOTIFY' in keyed:
                values = set(keyed['NOTIFY'].upper().split(','))
                if values != {'NEVER'} and not (values and values <= NOTIFY_VALUES):
                    return '501 5.5.4 Bad NOTIFY parameter'
            if 'ORCPT' in keyed and ';' not in keyed['ORCPT']:
                return '501 5.5.4 Bad ORCPT parameter'
            smtputf8 = any(p.upper() == 'SMTPUTF8' for p in self.txn['mail']['params'])
            if not address.isascii() and not smtputf8:
                return '553 5.6.7 Must declare SMTPUTF8 to send non-ASCII addresses'
        max_rcpts = self.peer.script.get('maxRecipients')
        accepted = [r for r in self.txn['rcpts'] if reply_code(r['reply']).startswith('2')]
        if max_rcpts is not None and len(accepted) >= max_rcpts:
            return '452 4.5.3 Error: too many recipients'
        return None

    async def smtp_MAIL(self, arg):
        if await self.check_helo_needed():
            return
        if self.txn is not None:
            await self.push('503 5.5.1 Error: nested MAIL command')
            return
        parsed = parse_path(arg, 'FROM:')
        if parsed is None:
            await self.push('501 5.5.4 Syntax: MAIL FROM:<address>')
            return
        address, params = parsed
        txn = self.new_txn(address, params)
        step = {}
        reply = self.mail_error(address, params)
        if reply is None:
            step, reply = await self.staged('mail', DEFAULT_REPLY['mail'])
        txn['mail']['reply'] = reply
        if not reply_code(reply).startswith('2'):
            self.finish('mail-refused')
        await self.push(reply)
        await self.after_reply(step, reply)

    async def smtp_RCPT(self, arg):
        if await self.check_helo_needed():
            return
        if self.txn is None:
            await self.push('503 5.5.1 Error: need MAIL command')
            return
        parsed = parse_path(arg, 'TO:')
        if parsed is None or not parsed[0]:
            await self.push('501 5.5.4 Syntax: RCPT TO:<address>')
            return
        address, params = parsed
        rcpt = {'address': text(address), 'params': [text(p) for p in params], 'reply': None}
        self.txn['rcpts'].append(rcpt)
        step = {}
        reply = self.rcpt_error(address, params)
        if reply is None:
            step, reply = await self.staged('rcpt', DEFAULT_REPLY['rcpt'], self.peer.rcpt_step(address))
        rcpt['reply'] = reply
        if reply_code(reply).startswith('2'):
            self.envelope.rcpt_tos.append(address)
        await self.push(reply)
        await self.after_reply(step, reply)

    async def smtp_DATA(self, arg):
        if await self.check_helo_needed():
            return
        if self.txn is None:
            await self.push('503 5.5.1 Error: need MAIL command')
            return
        if arg:
            await self.push('501 5.5.4 Syntax: DATA')
            return
        txn = self.txn
        if not self.envelope.rcpt_tos:
            txn['dataReply'] = '554 5.5.1 Error: no valid recipients'
            self.finish('data-refused')
            self._set_post_data_state()
            await self.push(txn['dataReply'])
            return
        step, reply = await self.staged('data', DEFAULT_REPLY['data'])
        txn['dataReply'] = reply
        if reply_code(reply) != '354':
            self.finish('data-refused')
            self._set_post_data_state()
            await self.push(reply)
            await self.after_reply(step, reply)
            return
        self.replace_next = ('354', reply)
        self.after_data = {}
        # aiosmtpd writes 354, reads the message and calls Hooks.handle_DATA,
        # except over its size or line limits, where it answers 552 or 500 itself.
        await super().smtp_DATA(None)
        if self.txn is txn:
            txn['reply'] = self.last_reply
            self.finish('data')
        await self.after_reply(self.after_data, self.last_reply)

    async def end_of_data(self, envelope):
        txn = self.txn
        txn['message'] = base64.b64encode(envelope.original_content).decode('ascii')
        txn['messageOctets'] = len(envelope.original_content)
        step = self.peer.steps['dataEnd'].next()
        self.after_data = step
        kind, reply = await self.decide(step, DEFAULT_REPLY['dataEnd'].format(seq=txn['seq']))
        txn['reply'] = reply if kind == 'reply' else ('silent' if kind == 'silent' else 'dropped')
        self.finish('data')
        if kind != 'reply':
            await self.misbehave(kind)
        return reply


def check_script(script):
    if not isinstance(script, dict):
        fail('the script is a JSON object')
    unknown = set(script) - SCRIPT_KEYS
    if unknown:
        fail(f'unknown script keys {sorted(unknown)}')
    unknown = set(script.get('extensions', {})) - EXTENSION_KEYS
    if unknown:
        fail(f'unknown extensions {sorted(unknown)}')
    host = script.get('host', '127.0.0.1')
    try:
        if not ipaddress.ip_address(host).is_loopback:
            fail(f'host {host} is not a loopback address')
    except ValueError:
        fail(f'host {host!r} is not an IP address')


async def serve(script, recorder):
    peer = Peer(script, recorder)
    loop = asyncio.get_running_loop()
    host = script.get('host', '127.0.0.1')
    try:
        server = await loop.create_server(lambda: PeerSMTP(peer), host, script.get('port', 0))
    except OSError as error:
        fail(f'cannot listen on {host}:{script.get("port", 0)}: {error}')
    port = server.sockets[0].getsockname()[1]
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    # The harness holds a pipe to our stdin open: EOF means it is gone, so stop too.
    if stat.S_ISFIFO(os.fstat(0).st_mode):
        threading.Thread(target=lambda: (sys.stdin.buffer.read(), loop.call_soon_threadsafe(stop.set)), daemon=True).start()
    recorder.event({'event': 'ready', 'host': host, 'port': port})
    await stop.wait()
    server.close()


def main():
    parser = argparse.ArgumentParser(description='Scripted SMTP peer for Petrel tests')
    parser.add_argument('--script', required=True)
    parser.add_argument('--record', required=True)
    args = parser.parse_args()
    with open(args.script, encoding='utf-8') as f:
        script = json.load(f)
    check_script(script)
    recorder = Recorder(args.record)
    asyncio.run(serve(script, recorder))
    # Connections left hanging on purpose end with the process.
    sys.stdout.flush()
    os._exit(0)


if __name__ == '__main__':
    main()
