/*
 * Forged and stale markings removed before filtering: an
 * Authentication-Results under our authserv-id (folded, with comments,
 * any case), our X-Spam-, X-Virus- and X-Petrel- fields, and nothing else.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { authservIdOf, sanitizeHeader } from './sanitize.js';

const run = (header: string, id = 'mx.example.net') => {
  const bytes = Buffer.from(`${header}\r\n\r\nbody\r\n`, 'latin1');
  const end = bytes.indexOf('\r\n\r\n') + 4;
  const r = sanitizeHeader(bytes, end, id);
  return { text: r.bytes.toString('latin1'), removed: r.removed, headerEnd: r.headerEnd };
};

describe('sanitizing incoming headers', () => {
  it('reads the authserv-id after comments', () => {
    assert.equal(authservIdOf(' mx.example.net; spf=pass'), 'mx.example.net');
    assert.equal(authservIdOf(' (a (nested) comment) MX.Example.NET 1; dkim=pass'), 'mx.example.net');
    assert.equal(authservIdOf('\tmx.example.net;'), 'mx.example.net');
    assert.equal(authservIdOf(' ;'), '');
  });

  const cases: { name: string; header: string; expect: string; removed: number }[] = [
    { name: 'a forged result under our id goes', header: 'Authentication-Results: mx.example.net; dkim=pass header.d=bank.example\r\nFrom: a@b.example', expect: 'From: a@b.example', removed: 1 },
    { name: 'folded, with its continuation lines', header: 'Authentication-Results: mx.example.net;\r\n\tspf=pass smtp.mailfrom=b.example;\r\n\tdmarc=pass\r\nSubject: hi', expect: 'Subject: hi', removed: 1 },
    { name: 'the id folded onto the next line', header: 'Authentication-Results:\r\n MX.EXAMPLE.NET; spf=pass\r\nSubject: hi', expect: 'Subject: hi', removed: 1 },
    { name: 'another server\'s results stay', header: 'Authentication-Results: mx.google.com; spf=pass\r\nSubject: hi', expect: 'Authentication-Results: mx.google.com; spf=pass\r\nSubject: hi', removed: 0 },
    { name: 'a longer name that starts with ours stays', header: 'Authentication-Results: mx.example.net.evil.example; spf=pass', expect: 'Authentication-Results: mx.example.net.evil.example; spf=pass', removed: 0 },
    { name: 'our spam, virus and internal fields go, any case', header: 'X-Spam-Status: No, score=-100\r\nx-virus-scanned: clean\r\nX-Petrel-Internal: 1\r\n  continued\r\nTo: c@d.example', expect: 'To: c@d.example', removed: 3 },
    { name: 'look-alikes stay', header: 'X-Spammer: yes\r\nX-Virusscan: x', expect: 'X-Spammer: yes\r\nX-Virusscan: x', removed: 0 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = run(c.header);
      assert.equal(r.text, `${c.expect}\r\n\r\nbody\r\n`);
      assert.equal(r.removed, c.removed);
      assert.equal(r.headerEnd, r.text.indexOf('\r\n\r\n') + 4);
    });
  }

  it('never touches the body', () => {
    const r = run('Subject: x\r\n\r\nX-Spam-Status: in the body');
    assert.match(r.text, /X-Spam-Status: in the body/);
  });
});
