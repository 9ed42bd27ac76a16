import { test } from 'node:test';
import assert from 'node:assert/strict';
import { locate, parseSpecText } from '../../src/load/load-spec.js';

test('parses YAML and keeps positions for any path', () => {
  const spec = parseSpecText(
    'version: 1\nupstreams:\n  orders:\n    tls:\n      serverName: a.internal\n',
    '/x/gw.yaml',
  );
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
  for (let i = 0; i < 8; i++)
    lines.push(
      `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}]`,
    );
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

test('nesting hidden in compact block indicators, explicit keys or after a quote is found too', () => {
  for (const text of [
    `a:\n  ${'- '.repeat(500)}x\n`,
    `a: ${'? '.repeat(500)}x\n`,
    `a: [b", ${'['.repeat(500)}${']'.repeat(500)}]\n`,
    `a: [b#, ${'['.repeat(500)}${']'.repeat(500)}]\n`,
  ]) {
    const spec = parseSpecText(text, '/x/gw.yaml');
    assert.equal(spec.data, undefined, text.slice(0, 30));
    assert.deepEqual(
      spec.diagnostics.map((d) => d.code),
      ['yaml.too-deep'],
      text.slice(0, 30),
    );
  }
  // Quoted and commented brackets are text, not nesting.
  const ok = parseSpecText(`a: "${'['.repeat(100)}"\nb: '${'{'.repeat(100)}'  # ${'['.repeat(100)}\n`, '/x/gw.yaml');
  assert.deepEqual(ok.diagnostics, []);
});

test('structure nested deeper than the limit within what the pre-scan lets through is refused after parsing', () => {
  const lines = ['a:'];
  for (let i = 1; i <= 100; i++) lines.push(`${' '.repeat(i)}-`);
  const spec = parseSpecText(`${lines.join('\n')}\n`, '/x/gw.yaml');
  assert.equal(spec.data, undefined);
  assert.deepEqual(
    spec.diagnostics.map((d) => d.code),
    ['yaml.too-deep'],
  );
});

test('a spec that is not UTF-8 is refused at its first bad byte', async () => {
  const { parseSpecBytes } = await import('../../src/load/load-spec.js');
  const spec = parseSpecBytes(
    Buffer.concat([
      Buffer.from('version: 1\nlisten:\n  - port: 80\n    address: "caf'),
      Buffer.from([0xe9]),
      Buffer.from('"\n'),
    ]),
    '/x/gw.yaml',
  );
  assert.equal(spec.data, undefined);
  assert.equal(spec.diagnostics[0].code, 'yaml.encoding');
  assert.equal(spec.diagnostics[0].line, 4);
  assert.equal(spec.diagnostics[0].column, 18);
  assert.match(spec.diagnostics[0].message, /byte 0xe9 at offset \d+ is not UTF-8/);
  // A UTF-8 BOM is fine.
  assert.deepEqual(parseSpecBytes(Buffer.from('\ufeffversion: 1\n'), '/x/gw.yaml').diagnostics, []);
});

test('a broken document reports a bounded number of YAML problems', () => {
  const spec = parseSpecText(
    Array.from({ length: 200 }, (_, i) => `k${i}: "unclosed\n  - :: ]`).join('\n'),
    '/x/gw.yaml',
  );
  assert.ok(spec.diagnostics.length <= 21, String(spec.diagnostics.length));
});

test('the alias diagnostic points at the first alias', () => {
  const lines = ['version: 1', 'a: &a [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 0; i < 8; i++)
    lines.push(
      `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9)
        .fill(`*${String.fromCharCode(97 + i)}`)
        .join(', ')}]`,
    );
  const spec = parseSpecText(lines.join('\n'), '/x/gw.yaml');
  assert.equal(spec.diagnostics[0].code, 'yaml.aliases');
  assert.deepEqual([spec.diagnostics[0].line, spec.diagnostics[0].column], [3, 8]);
});

/**
 * Duplicate keys among many: yaml's own check compared every key with every earlier one (8,000
 * keys took 33 s; 40,000 would take minutes). A count, not a timing: 40,000 keys, each of the
 * three duplicates found once, at its line, and the same keys as yaml's check reported them.
 */
test('duplicate keys among 40,000 keys: each duplicate exactly once, at its line, same as yaml reports them', () => {
  const n = 40_000;
  const lines = ['version: 1'];
  for (let i = 0; i < n; i++) lines.push(`k${i}: 1`);
  lines.push('k7: 2', 'nested:', '  a: 1', '  "a": 2', '  1: x', '  "1": y', 'k39999: 3');
  const spec = parseSpecText(`${lines.join('\n')}\n`, '/x/gw.yaml');
  assert.deepEqual(
    spec.diagnostics.map((d) => `${d.code} ${d.line}:${d.column} ${d.message}`),
    [
      `yaml.duplicate-key ${n + 2}:1 Map keys must be unique`,
      `yaml.duplicate-key ${n + 5}:3 Map keys must be unique`,
      `yaml.duplicate-key ${n + 8}:1 Map keys must be unique`,
    ],
  );
});
