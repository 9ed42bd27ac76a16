import { test } from 'node:test';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { escapeData, escapeProperty, formatGithub } from '../../src/format/github.js';
import type { Diagnostic } from '../../src/diagnostics/diagnostic.js';
import { SPEC, exampleCopy, misspellServerName, run } from '../cli/fixtures.js';

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

test('message data escapes %, CR and LF, and nothing else', () => {
  assert.equal(escapeData('100% done\r\nnext: a,b'), '100%25 done%0D%0Anext: a,b');
});

test("ESC, BEL, bidi and other unsafe characters are escaped in messages and file names; CR and LF stay GitHub's %0D%0A", () => {
  const out = formatGithub(
    [d({ message: 'x\u001b]0;pwned\u0007\r\n::error::forged\u202e', file: '/ws/a\u001b.pem' })],
    { cwd: '/ws' },
  );
  assert.equal(
    out,
    '::error file=a\\u001b.pem,line=3,col=7,title=schema.unknown-key::x\\u001b]0;pwned\\u0007%0D%0A::error::forged\\u202e\n',
  );
});

test('property values also escape : and ,', () => {
  assert.equal(escapeProperty('C:\\a,b%\n'), 'C%3A\\a%2Cb%25%0A');
});

test('one workflow command per diagnostic: file relative to the workspace, line, col, title = code', () => {
  const out = formatGithub(
    [
      d({ message: 'unknown key "servrName": did you mean "serverName"?' }),
      d({ severity: 'warning', code: 'ref.unused', line: 9, column: 5, message: 'trust store "spare" is not used' }),
      d({ severity: 'info', code: 'nginx.source', line: 1, column: 1, message: 'a\nb' }),
    ],
    { cwd: '/ws' },
  );
  assert.equal(
    out,
    [
      '::error file=gw/gateway.yaml,line=3,col=7,title=schema.unknown-key::unknown key "servrName": did you mean "serverName"?',
      '::warning file=gw/gateway.yaml,line=9,col=5,title=ref.unused::trust store "spare" is not used',
      '::notice file=gw/gateway.yaml,line=1,col=1,title=nginx.source::a%0Ab',
      '',
    ].join('\n'),
  );
});

test('awkward file names are escaped; files outside the workspace stay absolute; no file, no position', () => {
  const out = formatGithub(
    [
      d({ file: '/ws/odd,name:1%.yaml' }),
      d({ file: '/elsewhere/ca.pem', line: 12, column: undefined }),
      d({ file: undefined, line: undefined, column: undefined, code: 'render.drift' }),
    ],
    { cwd: '/ws' },
  ).split('\n');
  assert.equal(out[0], '::error file=odd%2Cname%3A1%25.yaml,line=3,col=7,title=schema.unknown-key::m');
  assert.equal(out[1], '::error file=/elsewhere/ca.pem,line=12,title=schema.unknown-key::m');
  assert.equal(out[2], '::error title=render.drift::m');
});

test('gwctl validate --format github annotates the typo at its line and exits 1', async () => {
  const dir = exampleCopy();
  const line = misspellServerName(dir);
  const r = await run(['validate', SPEC, '--format', 'github'], dir);
  assert.equal(r.exitCode, 1);
  assert.equal(r.stderr, '');
  assert.equal(
    r.stdout,
    `::error file=gw/gateway.yaml,line=${line},col=7,title=schema.unknown-key::unknown key "servrName": did you mean "serverName"?\n`,
  );
});

test('every command speaks github: render --check drift and verify-chain findings become annotations', async () => {
  const dir = exampleCopy();
  assert.equal((await run(['render', SPEC, '--out', 'out'], dir)).exitCode, 0);
  const conf = join(dir, 'out/nginx.conf');
  writeFileSync(conf, readFileSync(conf, 'utf8').replace('proxy_ssl_verify on;', 'proxy_ssl_verify off;'));
  const r1 = await run(['render', SPEC, '--out', 'out', '--check', '--format', 'github'], dir);
  assert.equal(r1.exitCode, 1);
  assert.match(r1.stdout, /^::error file=out,title=render\.drift::out\/nginx\.conf: differs/m);
  const r2 = await run(['verify-chain', SPEC, '--at', '2099-01-01T00:00:00Z', '--format', 'github'], dir);
  assert.equal(r2.exitCode, 1);
  const lines = r2.stdout.trim().split('\n');
  assert.ok(
    lines.every((l) => /^::error file=gw\/gateway\.yaml,line=\d+,col=\d+,title=[a-z]+\.[a-z-]+::/.test(l)),
    r2.stdout,
  );
  assert.ok(
    lines.some((l) => /title=chain\.expired::upstream "orders": /.test(l)),
    r2.stdout,
  );
});
