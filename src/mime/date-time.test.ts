/*
 * Tests of the Date: parser used for the message summary.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDateTime } from './date-time.js';

const cases: [string, number | null][] = [
  ['Tue, 1 Jul 2003 10:52:37 +0200', Date.UTC(2003, 6, 1, 8, 52, 37)],
  ['1 Jul 2003 10:52 -0000', Date.UTC(2003, 6, 1, 10, 52, 0)],
  ['Fri, 21 Nov 1997 09:55:06 -0600 (MDT)', Date.UTC(1997, 10, 21, 15, 55, 6)],
  ['Thu, 13 Feb 69 23:32:54 -0330', Date.UTC(1969, 1, 14, 3, 2, 54)],
  ['Mon, 5 Jan 04 01:02:03 EST', Date.UTC(2004, 0, 5, 6, 2, 3)],
  ['Mon, 5 Jan 104 01:02:03 GMT', Date.UTC(2004, 0, 5, 1, 2, 3)],
  ['Mon,5-Jan-2004 01:02:03 Z', Date.UTC(2004, 0, 5, 1, 2, 3)],
  ['5 January 2004 01:02:03 A', Date.UTC(2004, 0, 5, 1, 2, 3)],
  ['2004-01-05T01:02:03Z', Date.UTC(2004, 0, 5, 1, 2, 3)],
  ['32 Jan 2004 01:02:03 +0000', null],
  ['not a date', null],
  ['', null],
  ['1 Jan 2004 00:00:00 +0000'.padEnd(300, ' x'), null],
];

describe('parseDateTime', () => {
  for (const [input, expected] of cases) {
    it(JSON.stringify(input.slice(0, 40)), () => {
      assert.equal(parseDateTime(input), expected);
    });
  }
});
