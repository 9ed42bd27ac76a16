import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatHuman } from '../../src/format/human.js';
import type { Diagnostic } from '../../src/diagnostics/diagnostic.js';

const d = (over: Partial<Diagnostic>): Diagnostic => ({
  code: 'schema.unknown-key',
  severity: 'error',
  message: 'm',
  path: [],
  file: '/ws/gw/gateway.yaml',
  line: 3,
  column: 7,
  ...over,
});

test('grouped by file, sorted by position, file:line:column severity message [code], then a count', () => {
  const out = formatHuman(
    [
      d({ line: 9, column: 5, severity: 'warning', code: 'ref.unused', message: 'unused' }),
      d({ file: '/ws/gw/pki/ca.pem', line: 1, column: 1, code: 'pem.empty', message: 'empty' }),
      d({ line: 3, column: 7, message: 'typo' }),
    ],
    { color: false, cwd: '/ws' },
  );
  assert.equal(
    out,
    [
      'gw/gateway.yaml:3:7  error    typo  [schema.unknown-key]',
      'gw/gateway.yaml:9:5  warning  unused  [ref.unused]',
      'gw/pki/ca.pem:1:1  error    empty  [pem.empty]',
      '2 error(s), 1 warning(s)',
      '',
    ].join('\n'),
  );
});

test('files outside the working directory keep their absolute path', () => {
  assert.match(
    formatHuman([d({ file: '/elsewhere/nginx.conf', line: 73, column: 1 })], { color: false, cwd: '/ws' }),
    /^\/elsewhere\/nginx\.conf:73:1 /,
  );
});

test('colour codes appear only when asked for', () => {
  const plain = formatHuman([d({})], { color: false, cwd: '/ws' });
  const coloured = formatHuman([d({})], { color: true, cwd: '/ws' });
  assert.doesNotMatch(plain, /\u001b\[/);
  assert.match(coloured, /\u001b\[31merror/);
});

test('nothing to say, nothing printed', () => {
  assert.equal(formatHuman([], { color: true, cwd: '/ws' }), '');
});

test('text from certificates and arguments cannot forge lines or drive the terminal: every unsafe character is escaped', () => {
  const out = formatHuman(
    [d({ message: "valid for 'x\u001b]0;pwned\u0007\r\ngw.yaml:1:1  error  forged\u202e'", file: '/ws/a\nb.pem' })],
    { color: false, cwd: '/ws' },
  );
  assert.equal(out.split('\n').length, 3, out);
  assert.doesNotMatch(out, /[\u0000-\u0009\u000b-\u001f\u202e]/);
  assert.ok(
    out.startsWith(
      "a\\nb.pem:3:7  error    valid for 'x\\u001b]0;pwned\\u0007\\r\\ngw.yaml:1:1  error  forged\\u202e'",
    ),
    out,
  );
});
