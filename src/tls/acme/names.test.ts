/*
 * Which certificates Petrel asks for, and requests checked before they
 * reach the CA: A-labels, duplicates, wildcards, the CA's name limit, and
 * directory names that would leave live/.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_NAMES_PER_CERTIFICATE } from './limits.js';
import { certificateRequestsFor, normalizeRequest } from './names.js';

describe('certificateRequestsFor', () => {
  it('the host, then per domain its client name and mta-sts, autoconfig, autodiscover, each domain its own certificate', () => {
    const requests = certificateRequestsFor({ hostname: 'MX.Example.NET', domains: ['example.com', 'bücher.example'], clientHost: (d) => `mail.${d}` });
    assert.deepEqual(requests, [
      { name: 'mx.example.net', names: ['mx.example.net'] },
      { name: 'mail.example.com', names: ['mail.example.com', 'mta-sts.example.com', 'autoconfig.example.com', 'autodiscover.example.com'] },
      {
        name: 'mail.xn--bcher-kva.example',
        names: ['mail.xn--bcher-kva.example', 'mta-sts.xn--bcher-kva.example', 'autoconfig.xn--bcher-kva.example', 'autodiscover.xn--bcher-kva.example'],
      },
    ]);
  });

  it('a client name that is the host name is not repeated (it is in the host certificate)', () => {
    const requests = certificateRequestsFor({ hostname: 'mx.example.net', domains: ['example.com'], clientHost: () => 'mx.example.net' });
    assert.deepEqual(requests[1], { name: 'mta-sts.example.com', names: ['mta-sts.example.com', 'autoconfig.example.com', 'autodiscover.example.com'] });
  });
});

describe('normalizeRequest', () => {
  it('lower-cases, converts U-labels to A-labels, drops duplicates and keeps wildcards', () => {
    assert.deepEqual(normalizeRequest({ name: 'example.com', names: ['Example.COM', '*.example.com', 'example.com.', 'bücher.example'] }), {
      name: 'example.com',
      names: ['example.com', '*.example.com', 'xn--bcher-kva.example'],
    });
  });

  it('refuses names no certificate can hold, too many names, and directory names outside live/', () => {
    const bad = [
      { name: 'x', names: [] as string[] },
      { name: 'x', names: ['f*.example.com'] },
      { name: 'x', names: ['*.com'] },
      { name: 'x', names: ['a b.example'] },
      { name: 'x', names: Array.from({ length: MAX_NAMES_PER_CERTIFICATE + 1 }, (_, i) => `n${i}.example.com`) },
      { name: '../x', names: ['example.com'] },
      { name: 'a/b', names: ['example.com'] },
    ];
    for (const request of bad) assert.throws(() => normalizeRequest(request), RangeError, JSON.stringify(request).slice(0, 80));
  });
});
