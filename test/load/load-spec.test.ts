import { test } from 'node:test';
import assert from 'node:assert/strict';
import { locate, parseSpecText } from '../../src/load/load-spec.js';

test('parses YAML and keeps positions for any path', () => {
  const spec = parseSpecText('version: 1\nupstreams:\n  orders:\n    tls:\n      serverName: a.internal\n', '/x/gw.yaml');
  assert.deepEqual(spec.diagnostics, []);
  assert.deepEqual(locate(spec, ['upstreams', 'orders', 'tls', 'serverName']), { line: 5, column: 19 });
  assert.deepEqual(locate(spec, ['upstreams', 'orders', 'tls', 'serverName'], true), { line: 5, column: 7 });
});

test('an unknown path falls back to the closest existing parent', () => {
  const spec = parseSpecText('version: 1\nroutes:\n  - path: /a\n', '/x/gw.yaml');
  assert.deepEqual(locate(spec, ['routes', 0, 'upstream']), { line: 3, column: 5 });
});

test('duplicate keys are errors with their line', () => {
  const spec = parseSpecText('version: 1\nlisten: []\nversion: 1\n', '/x/gw.yaml');
  const d = spec.diagnostics.find((x) => x.code === 'yaml.duplicate-key');
  assert.ok(d, JSON.stringify(spec.diagnostics));
  assert.equal(d.line, 3);
  assert.equal(spec.data, undefined);
});

test('syntax errors point at their line', () => {
  const spec = parseSpecText('version: 1\nlisten:\n  - port: [8080\n', '/x/gw.yaml');
  assert.equal(spec.data, undefined);
  assert.ok(spec.diagnostics.some((d) => d.code === 'yaml.syntax' && d.line !== undefined && d.line >= 3));
});

test('alias bombs are refused without expanding them', () => {
  const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 0; i < 8; i++) lines.push(`${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}]`);
  const spec = parseSpecText(lines.join('\n'), '/x/gw.yaml');
  assert.equal(spec.data, undefined);
  assert.equal(spec.diagnostics[0].code, 'yaml.aliases');
});

test('deep nesting is refused before the parser recurses', () => {
  const spec = parseSpecText(`version: ${'['.repeat(5000)}${']'.repeat(5000)}`, '/x/gw.yaml');
  assert.equal(spec.diagnostics[0].code, 'yaml.too-deep');
  assert.equal(spec.diagnostics[0].line, 1);
});

test('NUL bytes mean binary input', () => {
  const spec = parseSpecText('version: 1\n\u0000\u0001garbage', '/x/gw.yaml');
  assert.equal(spec.diagnostics[0].code, 'yaml.binary');
  assert.equal(spec.diagnostics[0].line, 2);
});
