import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMENT_LIST_MAX, summarizeList } from '../../src/plan/comment-text.js';
import { gwctl } from '../support/gwctl.js';
import { nginxTest } from '../support/nginx.js';
import { makePki } from '../support/pki.js';

test('a list in a comment names the first few items and counts the rest', () => {
  assert.equal(summarizeList(['a', 'b']), 'a, b');
  const many = Array.from({ length: 30 }, (_, i) => `u${i}`);
  assert.equal(
    summarizeList(many),
    `${many.slice(0, COMMENT_LIST_MAX).join(', ')}, … and ${30 - COMMENT_LIST_MAX} more`,
  );
  assert.equal(summarizeList(many, '; ', 2), 'u0; u1; … and 28 more');
});

test('hundreds of upstreams in one TLS profile and hundreds of hosts on one path still load in nginx (no comment over its token limit)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gwctl-comments-'));
  const pki = await makePki(join(dir, 'pki'));
  const root = pki.root('Comment Root');
  const lines = [
    'version: 1',
    'runtime: { flavor: nginx }',
    'listen: [{ port: 18080, address: 127.0.0.1 }]',
    `trustStores: { s: { certificates: ["${root.cert}"] } }`,
    'upstreams:',
  ];
  const long = 'x'.repeat(50);
  for (let i = 0; i < 320; i++)
    lines.push(
      `  service-${long}-${i}: { servers: ["127.0.0.1:${20000 + i}"], tls: { trustStore: s, serverName: s${i}.internal, verifyDepth: 1 } }`,
    );
  lines.push('routes:');
  for (let i = 0; i < 320; i++)
    lines.push(`  - { path: /, upstream: service-${long}-${i}, host: tenant-${i}-${long}.customers.example.com }`);
  writeFileSync(join(dir, 'gateway.yaml'), `${lines.join('\n')}\n`);
  const r = await gwctl(['render', 'gateway.yaml', '--out', 'out'], dir);
  assert.equal(r.exitCode, 0, r.stderr);
  const conf = readFileSync(join(dir, 'out', 'nginx.conf'), 'utf8');
  const longest = Math.max(
    ...conf
      .split('\n')
      .filter((l) => l.trim().startsWith('#'))
      .map((l) => Buffer.byteLength(l)),
  );
  assert.ok(longest < 1100, `longest comment line ${longest} bytes`);
  assert.match(conf, /… and 312 more/);
  const t = nginxTest(join(dir, 'out'));
  assert.ok(t.ok, t.output);
});
