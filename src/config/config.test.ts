import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'smol-toml';
import { ConfigError, parseConfig, validateConfig } from './load.js';
import { describeSchema, renderConfigMarkdown, renderConfigTemplate } from './template.js';
import { parseDuration, parseSize } from './units.js';

describe('configuration', () => {
  it('runs on defaults with no file: every role on loopback, +1000 ports', () => {
    const c = validateConfig({}, 'defaults', {});
    assert.deepEqual([c.mx.listen, c.submission.listen, c.submissions.listen, c.lmtp.listen], [['127.0.0.1:1025'], ['127.0.0.1:1587'], ['127.0.0.1:1465'], ['127.0.0.1:1024']]);
    assert.equal(c.data_dir, './data');
    assert.equal(c.storage.fsync, true);
  });

  it('reports every problem with its key', () => {
    try {
      parseConfig('[smtp]\nmax_recipients = 0\nmax_message_size = "x"\n[nope]\n', 'f.toml', {});
      assert.fail('should throw');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      const keys = err.problems.map((p) => p.key).sort();
      assert.deepEqual(keys, ['nope', 'smtp.max_message_size', 'smtp.max_recipients']);
    }
  });

  it('parses sizes and durations', () => {
    const table: [string | number, number | undefined][] = [['50M', 52428800], ['64KiB', 65536], [1024, 1024], ['1.5K', 1536], ['12Q', undefined], ['-1', undefined]];
    for (const [input, expected] of table) assert.equal(parseSize(input), expected, String(input));
    assert.equal(parseDuration('250ms'), 250);
    assert.equal(parseDuration('5m'), 300_000);
    assert.equal(parseDuration(30), 30_000);
    assert.equal(parseDuration('soon'), undefined);
  });

  it('every key has a sentence', () => {
    for (const s of describeSchema()) for (const k of s.keys) assert.ok(k.doc.length > 10, k.path.join('.'));
  });

  it('the commented template is valid TOML that loads to the same values', () => {
    const text = renderConfigTemplate({ hostname: 'mail.example.com', 'mx.listen': ['0.0.0.0:25'] });
    const loaded = validateConfig(parse(text), 'template', {});
    assert.equal(loaded.hostname, 'mail.example.com');
    assert.deepEqual(loaded.mx.listen, ['0.0.0.0:25']);
  });

  it('docs/CONFIGURATION.md is generated from the schema (run npm run docs:config)', () => {
    assert.equal(readFileSync(new URL('../../docs/CONFIGURATION.md', import.meta.url), 'utf8'), renderConfigMarkdown());
  });
});
