import { test } from 'node:test';
import assert from 'node:assert/strict';
import { basePathProblem } from '../../src/text/base-path.js';

test('plain paths of characters nginx sends unescaped are accepted, with or without a trailing slash', () => {
  for (const p of ['/', '/v1', '/v1/', "/api;v=2/@me/~x.y_z-(1)!*+,&'=:"])
    assert.equal(basePathProblem(p), undefined, p);
});

test('each refused basePath says why', () => {
  const cases: [string, string][] = [
    ['v1', 'must start with /'],
    ['/v 1', 'must not contain spaces, control characters, line breaks or invisible characters'],
    ['/v1\n', 'must not contain spaces, control characters, line breaks or invisible characters'],
    ['/v1?x=1', 'must not contain "?" or "#": it is a path, not a query string or fragment'],
    ['/v1#top', 'must not contain "?" or "#": it is a path, not a query string or fragment'],
    [
      '/a%20b',
      "must not contain %-escapes: write the characters themselves (only letters, digits and - . _ ~ ! & ' ( ) * + , ; = : @ / are accepted, which need no escaping)",
    ],
    ['/$v1', 'must not contain "$", which nginx would read as a variable'],
    [
      '/café',
      `holds "é"; only letters, digits and - . _ ~ ! & ' ( ) * + , ; = : @ / are accepted (characters nginx sends unescaped)`,
    ],
    [
      '/a"b',
      `holds "\\""; only letters, digits and - . _ ~ ! & ' ( ) * + , ; = : @ / are accepted (characters nginx sends unescaped)`,
    ],
    ['/v1//x', 'holds an empty, "." or ".." segment; the upstream may resolve it to another path than the one written'],
    [
      '/v1/./x',
      'holds an empty, "." or ".." segment; the upstream may resolve it to another path than the one written',
    ],
    ['/v1/..', 'holds an empty, "." or ".." segment; the upstream may resolve it to another path than the one written'],
    [`/${'a'.repeat(1024)}`, 'is 1025 bytes long; at most 1024'],
  ];
  for (const [path, why] of cases) assert.equal(basePathProblem(path), why, path);
});
