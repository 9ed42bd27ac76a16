import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COMMENT_MAX_BYTES, QuoteError, bare, comment, integer, quote, quoteLiteral } from '../../src/text/quote.js';

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

/**
 * The limit is on the token nginx reads: bytes as written in nginx.conf, quotes and escaping
 * backslashes included, UTF-8. A route path of 1,594 characters and 3,594 bytes passes the
 * schema's 2,048 characters and the 4,000 raw bytes route paths had, and is 4,096 bytes quoted
 * (each '"' is written \"): real nginx refuses it ("too long parameter"), so gwctl must too.
 */
test('length after quoting: a route path is refused exactly where real nginx stops reading it', async () => {
  const { mkdtempSync, readFileSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { copyExample } = await import('../support/example.js');
  const { runBin } = await import('../security/support.js');
  const { nginxTest } = await import('../support/nginx.js');
  const { NGINX_TOKEN_MAX_BYTES, quotedBytes } = await import('../../src/text/quote.js');
  const dir = mkdtempSync(join(tmpdir(), 'gwctl-quote-len-'));
  copyExample(dir);
  const spec = readFileSync(join(dir, 'gateway.yaml'), 'utf8');
  // "€" is 3 bytes; a '"' is written \" (2 bytes): both count in the token, not in the raw length.
  const path = (bytes: number) => {
    const base = `/${'€'.repeat(1000)}${'"'.repeat(500)}`;
    return base + 'a'.repeat(bytes - quotedBytes(base));
  };
  for (const [bytes, ok] of [
    [NGINX_TOKEN_MAX_BYTES, true],
    [NGINX_TOKEN_MAX_BYTES + 1, false],
  ] as const) {
    const p = path(bytes);
    assert.equal(quotedBytes(p), bytes);
    assert.ok(p.length < 2048, 'within the schema limit on characters');
    writeFileSync(join(dir, 'gateway.yaml'), spec.replace('- path: /orders/', `- path: ${JSON.stringify(p)}`));
    const out = `out-${bytes}`;
    const r = await runBin(['--format', 'json', 'render', 'gateway.yaml', '--out', out], { cwd: dir });
    if (ok) {
      assert.equal(r.exitCode, 0, r.stdout + r.stderr);
      const t = nginxTest(join(dir, out));
      assert.ok(t.ok, t.output);
    } else {
      assert.equal(r.exitCode, 1, r.stdout);
      assert.deepEqual(
        (JSON.parse(r.stdout).diagnostics as { code: string; path: string }[]).map((d) => `${d.code} ${d.path}`),
        ['route.bad-path $.routes[0].path'],
      );
      // What gwctl refuses, real nginx refuses: the same location written by hand.
      writeFileSync(
        join(dir, `out-${NGINX_TOKEN_MAX_BYTES}`, 'nginx.conf'),
        readFileSync(join(dir, `out-${NGINX_TOKEN_MAX_BYTES}`, 'nginx.conf'), 'utf8').replace(
          quoteLiteral(path(NGINX_TOKEN_MAX_BYTES)),
          `"${p.replace(/[\\"]/g, '\\$&')}"`,
        ),
      );
      const t = nginxTest(join(dir, `out-${NGINX_TOKEN_MAX_BYTES}`));
      assert.ok(!t.ok && t.output.includes('too long parameter'), t.output);
    }
  }
  // A quoted value over the limit never reaches nginx.conf, whatever field it came from.
  assert.throws(() => quote('x'.repeat(NGINX_TOKEN_MAX_BYTES - 1)), QuoteError);
  assert.equal(quote('x'.repeat(NGINX_TOKEN_MAX_BYTES - 2)).length, NGINX_TOKEN_MAX_BYTES);
});
