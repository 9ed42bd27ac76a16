import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { DerArena } from '../../src/tls/der-arena.js';

test('the arena decodes base64 exactly as Buffer.from() does, each result its own bytes', () => {
  const texts = [
    '',
    'AA==',
    'AAA=',
    'AAAA',
    ' QU\nJD\tRA== ',
    'not*base64!',
    ...Array.from({ length: 300 }, (_, i) =>
      randomBytes(i * 37)
        .toString('base64')
        .replace(/.{64}/g, '$&\n'),
    ),
  ];
  // A small hint: most texts need a new buffer, some share one.
  const arena = new DerArena(4096);
  const out = texts.map((t) => arena.base64(t));
  assert.deepEqual(
    out.map((b) => b.toString('hex')),
    texts.map((t) => Buffer.from(t, 'base64').toString('hex')),
  );
  // Later writes never reach into an earlier result.
  out[5].fill(0xff);
  assert.deepEqual(
    out.map((b, i) => (i === 5 ? '' : b.toString('hex'))),
    texts.map((t, i) => (i === 5 ? '' : Buffer.from(t, 'base64').toString('hex'))),
  );
});
