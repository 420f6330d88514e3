/*
 * `petrel doctor` end to end: a running Petrel with three domains, two of
 * them with their own certificates (from a test CA the doctor trusts
 * through NODE_EXTRA_CA_CERTS) and one without, and a real BIND serving
 * the zones `petrel dns plan` prints, a reverse zone for 127.0.0.1, on
 * loopback. The doctor probes every listener by SNI for every client name:
 * the two configured domains come out without an error (the internal name
 * "dovecot", given with --name, is a warning on every client port with
 * both fixes; test logins pass on every client port; autoconfiguration
 * reads back; the DKIM probe verifies against BIND); the third domain's
 * client names get the host's certificate, an error on every port, and the
 * exit status says so; a wrong test password is named per port.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startBind, type BindServer } from '../support/bind.js';
import { createTestCa, issueCertificate, writeLetsEncrypt } from '../support/certs.js';
import { useResolver } from '../support/outbound.js';
import { PetrelProcess } from '../support/petrel.js';
import { hasTool, requireTools } from '../support/tools.js';

interface JsonFinding {
  scope: string;
  id: string;
  severity: 'error' | 'warning' | 'info';
  subject: string;
  title: string;
  seen: string;
  fix: string;
}
interface JsonReport {
  ok: boolean;
  errors: number;
  findings: JsonFinding[];
}

const CLIENT_ROLES = ['submission', 'submissions', 'imap', 'imaps', 'pop3', 'pop3s'];
const webNames = (d: string) => [`mail.${d}`, `mta-sts.${d}`, `autoconfig.${d}`, `autodiscover.${d}`];

describe('petrel doctor against a running server and BIND', () => {
  let p: PetrelProcess | undefined;
  let bind: BindServer | undefined;

  before(async () => {
    if (!hasTool('named')) return;
    const ca = await createTestCa('Petrel Doctor Test CA');
    p = await PetrelProcess.create({ hostname: 'mx.petrel.test', extraToml: '[network]\npublic_ipv4 = ["127.0.0.1"]\n' });
    const caFile = join(p.dataDir, 'test-ca.pem');
    writeFileSync(caFile, ca.certPem);
    (p.env as Record<string, string>).NODE_EXTRA_CA_CERTS = caFile;
    for (const d of ['alpha.test', 'beta.test', 'gamma.test']) await p.addDomain(d);
    await p.addUser('ann@alpha.test', 'ann-password');
    await p.addUser('bob@beta.test', 'bob-password');
    for (const d of ['alpha.test', 'beta.test']) assert.equal((await p.cli(['alias', 'add', `abuse@${d}`, `postmaster@${d}`])).code, 0);
    const certs = join(p.dataDir, 'certs');
    await writeLetsEncrypt(certs, 'mx.petrel.test', await issueCertificate(ca, ['mx.petrel.test']));
    for (const d of ['alpha.test', 'beta.test']) await writeLetsEncrypt(certs, `mail.${d}`, await issueCertificate(ca, webNames(d)));

    // The plan's lines as they are, the PTR line included, each in its zone.
    const zones: Record<string, string[]> = { 'petrel.test': [], 'alpha.test': [], 'beta.test': [], 'gamma.test': [], '0.0.127.in-addr.arpa': [] };
    for (const d of ['alpha.test', 'beta.test', 'gamma.test']) {
      const r = await p.cli(['dns', 'plan', d]);
      assert.equal(r.code, 0, r.stderr);
      for (const line of r.stdout.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith(';'))) {
        const zone = Object.keys(zones).find((z) => line.split(' ')[0]!.endsWith(`${z}.`))!;
        if (!zones[zone]!.includes(line)) zones[zone]!.push(line);
      }
    }
    bind = await startBind(Object.fromEntries(Object.entries(zones).map(([z, lines]) => [z, lines.join('\n')])));
    useResolver(p, bind.address);
    await p.start();
  });
  after(async () => {
    await p?.destroy();
    await bind?.stop();
  });

  async function doctor(args: string[], input?: string): Promise<{ code: number | null; report: JsonReport }> {
    const r = await p!.cli(['doctor', ...args, '--json', '--outbound-probe', 'off'], input);
    assert.ok(r.stdout.trim().startsWith('{'), `doctor printed JSON: ${r.stdout}\n${r.stderr}`);
    return { code: r.code, report: JSON.parse(r.stdout) as JsonReport };
  }
  const errorsOf = (report: JsonReport) => report.findings.filter((f) => f.severity === 'error');
  const show = (fs: JsonFinding[]) => fs.map((f) => `${f.id} ${f.severity} ${f.subject}: ${f.title} (${f.seen})`).join('\n');

  it('two domains with their certificates: no error on any port; an internal name is a warning with both fixes; logins pass', async (t) => {
    if (!requireTools(t, 'named')) return;
    const { code, report } = await doctor(['alpha.test', 'beta.test', '--name', 'dovecot', '--user', 'ann@alpha.test', '--password-stdin'], 'ann-password\n');
    assert.deepEqual(errorsOf(report), [], show(errorsOf(report)));
    assert.equal(code, 0);
    assert.equal(report.ok, true);
    const dovecot = report.findings.filter((f) => f.id === 'I04' && f.subject.startsWith('dovecot '));
    assert.deepEqual(dovecot.map((f) => `${f.severity} ${f.subject.replace(/port \d+/, 'port N')}`).sort(), CLIENT_ROLES.map((r) => `warning dovecot on port N (${r})`).sort());
    assert.match(dovecot[0]!.fix, /connect by a name the server has a certificate for \(mail\.alpha\.test, mail\.beta\.test\)/);
    assert.match(dovecot[0]!.fix, /add dovecot to a certificate/);
    assert.match(dovecot[0]!.seen, /mx\.petrel\.test/, 'what the name gets instead');
    // Each of these was probed and found right (no finding): every domain's names on every port, K02, J03, E07.
    for (const id of ['K02', 'J03', 'E07', 'F10', 'I07', 'A01', 'B05', 'J01', 'J02', 'J04']) assert.deepEqual(report.findings.filter((f) => f.id === id), [], id);
    assert.ok(report.findings.every((f) => f.scope !== 'gamma.test'), 'only the domains asked for');
  });

  it('a domain without its own certificate: I04 on every client port and the web names, exit status 1', async (t) => {
    if (!requireTools(t, 'named')) return;
    const { code, report } = await doctor(['gamma.test']);
    assert.equal(code, 1);
    assert.equal(report.ok, false);
    const i04 = errorsOf(report).filter((f) => f.id === 'I04');
    const subjects = i04.map((f) => f.subject.replace(/port \d+/, 'port N'));
    for (const role of CLIENT_ROLES) assert.ok(subjects.includes(`mail.gamma.test on port N (${role})`), `${role}: ${subjects.join(', ')}`);
    for (const name of ['mta-sts.gamma.test', 'autoconfig.gamma.test', 'autodiscover.gamma.test']) assert.ok(subjects.includes(`${name} on port N (https)`), name);
    assert.ok(i04.every((f) => f.scope === 'gamma.test' && /mx\.petrel\.test/.test(f.seen)), 'filed under the domain, saying which certificate came');
  });

  it('a wrong test password fails the login on every client port, and the text report names each', async (t) => {
    if (!requireTools(t, 'named')) return;
    const r = await p!.cli(['doctor', 'alpha.test', '--user', 'ann@alpha.test', '--password-stdin', '--outbound-probe', 'off'], 'wrong\n');
    assert.equal(r.code, 1, r.stdout);
    const lines = r.stdout.split('\n').filter((l) => /^ {2}error {3}J03 /.test(l));
    assert.equal(lines.length, CLIENT_ROLES.length, r.stdout);
    assert.match(r.stdout, /^alpha\.test: \d+ problems?$/m);
    assert.match(r.stdout, /^\d+ errors?, \d+ warnings?, \d+ notes?\.$/m);
  });
});
