import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDepth, parseServerName, parseTime } from '../src/cli-args.js';

test('--at takes a real ISO-8601 date or date-time with its zone, nothing else', () => {
  assert.equal(parseTime('2027-01-31').toISOString(), '2027-01-31T00:00:00.000Z');
  assert.equal(parseTime('2024-02-29T23:59:59Z').toISOString(), '2024-02-29T23:59:59.000Z');
  assert.equal(parseTime('2027-01-31T12:00+02:00').toISOString(), '2027-01-31T10:00:00.000Z');
  assert.equal(parseTime('2027-01-31T12:00:00.123456Z').toISOString(), '2027-01-31T12:00:00.123Z');
  for (const bad of [
    '2024-02-30',
    '2023-02-29',
    '2027-04-31',
    '2027-13-01',
    '0000-01-01',
    '2027-01-01 junk',
    '2027-01-01T00:00:00Zjunk',
    '2027-01-01T24:00:00Z',
    '2027-01-01T10:60Z',
    '2027-01-01T00:00:00',
    '2027-01-01T00:00:00+24:00',
    'yesterday',
    '27-01-01',
    '',
  ]) {
    assert.throws(() => parseTime(bad), /ISO-8601/, bad);
  }
});

test("--depth is 0 to 2147483647, as the spec's verifyDepth and as nginx passes it to OpenSSL", () => {
  assert.equal(parseDepth('0'), 0);
  assert.equal(parseDepth('100'), 100);
  assert.equal(parseDepth('2147483647'), 2147483647);
  for (const bad of ['2147483648', '99999999999', '-1', '1.5', 'two', '', '1e3'])
    assert.throws(() => parseDepth(bad), /0 to 2147483647/, bad);
});

test('--name may not be empty', () => {
  assert.equal(parseServerName('orders.internal'), 'orders.internal');
  for (const bad of ['', ' ']) assert.throws(() => parseServerName(bad), /DNS name/);
});
