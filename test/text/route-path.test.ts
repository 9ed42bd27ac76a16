import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizePath, routePathProblem } from '../../src/text/route-path.js';

test('paths nginx can match as written are accepted: spaces, non-ASCII, a lone %, dot files', () => {
  for (const p of ['/', '/a/', '/my docs/', '/café/', '/100%/', '/%ZZ/', '/.well-known/', '/a..b/', '/a/...'])
    assert.equal(routePathProblem(p), undefined, p);
});

test('percent-encoded paths are refused with the decoded form to write instead', () => {
  assert.match(routePathProblem('/my%20docs/')!, /decoded URI.*write "\/my docs\/"/);
  assert.match(routePathProblem('/a%2Fb/')!, /write "\/a\/b\/"/);
  assert.doesNotMatch(routePathProblem('/%0A/')!, /write/, 'no hint that would itself be refused');
  assert.doesNotMatch(routePathProblem('/%E9/')!, /write/, 'not UTF-8 once decoded');
});

test('the form to write is decoded and normalised at once, and is itself accepted', () => {
  const cases: [string, string][] = [
    ['/a%2F%2Fb/', '/a/b/'],
    ['/x/%2e/', '/x/'],
    ['/%2E', '/'],
    ['/%2e%2e/x', '/x'],
    ['/caf%C3%A9/', '/café/'],
  ];
  for (const [input, want] of cases) {
    assert.match(
      routePathProblem(input)!,
      new RegExp(`write ${JSON.stringify(want).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`),
      input,
    );
    assert.equal(routePathProblem(want), undefined, want);
  }
  for (const input of ['/a%3Fb', '/a%23b'])
    assert.match(routePathProblem(input)!, /holds "\?" or "#", and gwctl cannot route such a path/, input);
});

test('query strings, fragments and unnormalised paths are refused with the form nginx matches', () => {
  assert.match(routePathProblem('/a?b=1')!, /query string/);
  assert.match(routePathProblem('/a#b')!, /query string or a fragment/);
  assert.match(routePathProblem('/a//b/')!, /write "\/a\/b\/"/);
  assert.match(routePathProblem('/a/./b/')!, /write "\/a\/b\/"/);
  assert.match(routePathProblem('/a/../b/')!, /write "\/b\/"/);
  assert.match(routePathProblem('a/')!, /must start with \//);
  assert.match(routePathProblem('/a\tb/')!, /control characters, tabs/);
  assert.match(routePathProblem(`/${'é'.repeat(2100)}`)!, /4201 bytes long; nginx reads at most 4000/);
});

test('normalizePath follows nginx: merged slashes, "." and ".." resolved, a trailing one kept as a directory', () => {
  const cases: [string, string][] = [
    ['/a//b', '/a/b'],
    ['/a/./b', '/a/b'],
    ['/a/b/..', '/a/'],
    ['/a/.', '/a/'],
    ['/a/../../b', '/b'],
    ['///', '/'],
    ['/a/b/', '/a/b/'],
  ];
  for (const [input, want] of cases) assert.equal(normalizePath(input), want, input);
});
