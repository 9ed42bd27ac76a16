import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeUnsafe, hasUnsafeCharacters, show } from '../../src/text/show.js';

test('unsafe: controls, bidi, invisible characters (U+034F, Hangul fillers, tag characters) and lone surrogates', () => {
  for (const c of [
    '\u001b',
    '\u0007',
    '\r',
    '\n',
    '\u0085',
    '\u007f',
    '\u202e',
    '\u2066',
    '\u200b',
    '\u00ad',
    '\u034f',
    '\u3164',
    '\u{e0041}',
    '\u{e007f}',
    '\ud800',
    '\udfff',
  ]) {
    assert.ok(hasUnsafeCharacters(`a${c}b`), JSON.stringify(c));
  }
  for (const s of ['plain', 'café', '日本', '😀', '\u{e0080}', 'a b']) assert.ok(!hasUnsafeCharacters(s), s);
});

test('escapeUnsafe escapes exactly the unsafe characters, JSON-style; surrogate pairs stay whole', () => {
  assert.equal(
    escapeUnsafe('a\u001b[2Jb\r\n::error::x\u202e\u{e0041}\ud800😀'),
    'a\\u001b[2Jb\\r\\n::error::x\\u202e\\udb40\\udc41\\ud800😀',
  );
  assert.equal(escapeUnsafe('a\r\nb\u0007', { keepLineBreaks: true }), 'a\r\nb\\u0007');
});

test('show quotes and escapes the same characters', () => {
  assert.equal(show('/p\u034fa\u{e0041}\ud800'), '"/p\\u034fa\\udb40\\udc41\\ud800"');
});
