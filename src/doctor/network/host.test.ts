/*
 * Headroom and role addresses (A09, A11): the disk and memory thresholds
 * and a domain without postmaster@ or abuse@.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DomainFacts, Finding, HostFacts } from '../types.js';
import { facts, fakeNetwork } from './fake-network.js';
import { hostChecks } from './host.js';

const host = { hostname: 'mx.example.net' } as HostFacts;
const domains = [{ domain: 'example.com' }, { domain: 'example.org' }] as DomainFacts[];
const GiB = 1024 ** 3;
const brief = (fs: Finding[]) => fs.map((f) => `${f.id} ${f.severity} ${f.subject}`);
const run = (more: Parameters<typeof facts>[1]) => hostChecks(host, domains, facts([], more), fakeNetwork({})).then(brief);

describe('headroom and role addresses (A09, A11)', () => {
  it('room enough and both role addresses: nothing', async () => {
    assert.deepEqual(await run({ roleAddresses: { 'example.com': { postmaster: true, abuse: true } } }), []);
  });

  it('disk: under 15% a warning, under 5% or 1 GiB an error; memory under 256 MiB a warning', async () => {
    assert.deepEqual(await run({ disk: { freeBytes: 10 * GiB, totalBytes: 100 * GiB } }), ['A09 warning disk (data directory)']);
    assert.deepEqual(await run({ disk: { freeBytes: 4 * GiB, totalBytes: 100 * GiB } }), ['A09 error disk (data directory)']);
    assert.deepEqual(await run({ disk: { freeBytes: 0.5 * GiB, totalBytes: 2 * GiB } }), ['A09 error disk (data directory)']);
    assert.deepEqual(await run({ memory: { freeBytes: 100 * 1024 ** 2, totalBytes: 1 * GiB } }), ['A09 warning mx.example.net']);
  });

  it('postmaster@ delivering nowhere is an error, abuse@ missing a warning', async () => {
    assert.deepEqual(await run({ roleAddresses: { 'example.com': { postmaster: false, abuse: true }, 'example.org': { postmaster: true, abuse: false } } }), ['A11 error example.com', 'A11 warning example.org']);
  });
});
