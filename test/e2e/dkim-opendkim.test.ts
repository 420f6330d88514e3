/*
 * DKIM signatures made by Petrel verify with OpenDKIM's opendkim-testmsg
 * (Debian opendkim-tools) against the record `petrel dkim show` publishes,
 * served by a real BIND. opendkim-testmsg asks the system resolver, which
 * only speaks to port 53, so the test runs BIND and opendkim-testmsg in a
 * network and mount namespace of its own (unshare): loopback only, its own
 * /etc/resolv.conf pointing at that BIND; nothing leaves the namespace.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { dkimZoneLine, generateDkimKey } from '../../src/sender-auth/dkim-keys.js';
import { dkimSignatures } from '../../src/sender-auth/dkim-sign.js';
import { requireTools, run } from '../support/tools.js';

const dir = mkdtempSync(join(tmpdir(), 'petrel-opendkim-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const MESSAGE = [
  'From: Ann Example <ann@example.com>',
  'To: bob@example.net',
  'Subject:  Quarterly   report',
  'Date: Sat, 28 Nov 2026 10:00:00 +0000',
  'Message-ID: <q1@example.com>',
  'MIME-Version: 1.0',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'Numbers  are up.  ',
  '',
  '',
].join('\r\n');

/** Runs opendkim-testmsg on each message inside a namespace whose DNS is a BIND serving zone; returns each exit code and output. */
async function verifyAll(zone: string, messages: string[]): Promise<{ code: number; output: string }[]> {
  writeFileSync(join(dir, 'example.com.zone'), `$TTL 60\n@ IN SOA ns.example.com. hostmaster.example.com. 1 3600 600 86400 60\n@ IN NS ns.example.com.\nns IN A 127.0.0.1\n${zone}\n`);
  writeFileSync(join(dir, 'named.conf'), `options { directory "${dir}"; pid-file "${dir}/named.pid"; listen-on port 53 { 127.0.0.1; }; listen-on-v6 { none; }; recursion no; dnssec-validation no; };\nzone "example.com" { type primary; file "${dir}/example.com.zone"; };\n`);
  writeFileSync(join(dir, 'resolv.conf'), 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n');
  messages.forEach((m, i) => writeFileSync(join(dir, `m${i}.eml`), m));
  const script = `
set -u
ip link set lo up
mount --bind ${dir}/resolv.conf /etc/resolv.conf
named -c ${dir}/named.conf -u root -f > ${dir}/named.log 2>&1 &
named_pid=$!
for i in $(seq 1 100); do getent hosts ns.example.com > /dev/null && break; sleep 0.1; done
for i in $(seq 0 ${messages.length - 1}); do
  out=$(opendkim-testmsg < ${dir}/m$i.eml 2>&1); echo "RESULT $i $? $out"
done
# By pid: sh -c has no job control, and a named left running keeps the namespace alive after the test.
kill $named_pid
wait $named_pid 2>/dev/null
`;
  const r = await run('unshare', ['--net', '--mount', 'sh', '-c', script], { timeoutMs: 60_000 });
  const results = [...r.stdout.matchAll(/^RESULT (\d+) (\d+) ?(.*)$/gm)].map((m) => ({ code: Number(m[2]), output: m[3]! }));
  assert.equal(results.length, messages.length, `${r.stdout}\n${r.stderr}`);
  return results;
}

describe('DKIM signatures checked by OpenDKIM', () => {
  it('RSA and Ed25519 signatures verify against the published records; a changed message does not', async (t) => {
    if (!requireTools(t, 'named', 'opendkim-testmsg', 'unshare')) return;
    const rsa = generateDkimKey('rsa-sha256', 's2026');
    const ed = generateDkimKey('ed25519-sha256', 's2026');
    const zone = [rsa, ed].map((k) => dkimZoneLine('example.com', k)).join('\n');
    const sign = (k: typeof rsa) => dkimSignatures(Buffer.from(MESSAGE), [{ domain: 'example.com', selector: k.selector, algorithm: k.algorithm, privateKey: k.privateKey }]) + MESSAGE;
    const [rsaOk, edOk, rsaBody, rsaFrom] = await verifyAll(zone, [
      sign(rsa),
      sign(ed),
      sign(rsa).replace('Numbers', 'Numbrs'),
      sign(rsa).replace('From: Ann', 'From: Mallory'),
    ]);
    assert.deepEqual(rsaOk, { code: 0, output: '' }, 'RSA-SHA256 verifies');
    assert.deepEqual(edOk, { code: 0, output: '' }, 'Ed25519-SHA256 verifies');
    assert.notEqual(rsaBody!.code, 0, `changed body: ${rsaBody!.output}`);
    assert.notEqual(rsaFrom!.code, 0, `changed From: ${rsaFrom!.output}`);
  });
});
