import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COMMENT_MAX_BYTES, QuoteError, bare, comment, integer, quote, quoteLiteral } from '../../src/render/quote.js';

test('quote escapes quotes and backslashes', () => {
  assert.equal(quote('a"b\\c'), '"a\\"b\\\\c"');
  assert.equal(quote('a;b{c}d#e'), '"a;b{c}d#e"');
});

test('quote refuses what nginx would misread', () => {
  for (const bad of ['a\nb', 'a\u0000b', 'a\rb', '$host', 'x${y}', '', undefined, null, {}]) {
    assert.throws(() => quote(bad), QuoteError, String(bad));
  }
});

test('quoteLiteral allows $ (location paths are never variable-expanded) but not control characters', () => {
  assert.equal(quoteLiteral('/a$b'), '"/a$b"');
  assert.throws(() => quoteLiteral('/a\nb'), QuoteError);
});

test('bare tokens are limited to safe characters', () => {
  assert.equal(bare('127.0.0.1:8443'), '127.0.0.1:8443');
  assert.equal(bare('[::1]:8443'), '[::1]:8443');
  for (const bad of ['a b', 'a;', 'a{', '"a"', 'a$b', 'a\n']) assert.throws(() => bare(bad), QuoteError);
});

test('integers and comments', () => {
  assert.equal(integer(2), '2');
  assert.throws(() => integer(-1), QuoteError);
  assert.throws(() => integer(1.5), QuoteError);
  assert.throws(() => integer('2'), QuoteError);
  assert.equal(comment('why: legacy; {x}'), 'why: legacy; {x}');
  assert.throws(() => comment('a\nproxy_pass http://evil;'), QuoteError);
});

test("a long comment is cut below nginx's token limit, on a character boundary", () => {
  const long = `${'é'.repeat(400)}${'😀'.repeat(400)}`;
  const c = comment(long);
  assert.ok(Buffer.byteLength(c) <= COMMENT_MAX_BYTES + 4, `${Buffer.byteLength(c)} bytes`);
  assert.ok(c.endsWith(' …'));
  assert.ok(long.startsWith(c.slice(0, -2)), 'a prefix of the text, no broken character');
  assert.equal(comment('x'.repeat(COMMENT_MAX_BYTES)), 'x'.repeat(COMMENT_MAX_BYTES), 'at the limit it is kept whole');
});
