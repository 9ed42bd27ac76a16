import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { gwctl, gwctlProcess } from '../support/gwctl.js';
import { nginxTest } from '../support/nginx.js';
import { exampleCopy } from '../cli/fixtures.js';
import { snapshot } from '../security/support.js';

test('rendering the same spec twice gives identical bytes, and nginx -t accepts it', async () => {
  const dir = exampleCopy();
  const a = await gwctl(['render', 'gw/gateway.yaml', '--out', 'a'], dir);
  const b = await gwctl(['render', 'gw/gateway.yaml', '--out', 'b'], dir);
  assert.equal(a.exitCode, 0, a.stderr);
  assert.equal(b.exitCode, 0, b.stderr);
  const sa = snapshot(join(dir, 'a'));
  assert.deepEqual(sa, snapshot(join(dir, 'b')));
  assert.ok(readFileSync(join(dir, 'a/nginx.conf'), 'utf8').includes('proxy_ssl_verify on;'));
  assert.ok(statSync(join(dir, 'a/logs')).isDirectory(), 'logs/ exists for nginx');
  const t = nginxTest(join(dir, 'a'));
  assert.ok(t.ok, t.output);
});

test('--check exits 0 on fresh output and 1 after any change, without touching the output', async () => {
  const dir = exampleCopy();
  assert.equal((await gwctl(['render', 'gw/gateway.yaml', '--out', 'out'], dir)).exitCode, 0);
  const fresh = await gwctl(['render', 'gw/gateway.yaml', '--out', 'out', '--check'], dir);
  assert.equal(fresh.exitCode, 0, fresh.stderr);

  const conf = join(dir, 'out/nginx.conf');
  writeFileSync(conf, readFileSync(conf, 'utf8').replace('proxy_ssl_verify on;', 'proxy_ssl_verify off;'));
  const before = snapshot(join(dir, 'out'));
  const drifted = await gwctl(['render', 'gw/gateway.yaml', '--out', 'out', '--check'], dir);
  assert.equal(drifted.exitCode, 1);
  assert.match(drifted.stderr, /nginx\.conf: differs/);
  assert.deepEqual(snapshot(join(dir, 'out')), before, '--check changed the output');

  // A changed spec is drift too.
  assert.equal((await gwctl(['render', 'gw/gateway.yaml', '--out', 'out'], dir)).exitCode, 0);
  const spec = join(dir, 'gw/gateway.yaml');
  writeFileSync(spec, readFileSync(spec, 'utf8').replace('path: /orders/', 'path: /orders/v2/'));
  assert.equal((await gwctl(['render', 'gw/gateway.yaml', '--out', 'out', '--check'], dir)).exitCode, 1);
});

test('a stale gwctl file in tls/ is drift and is removed; logs and the user\'s own files are neither', async () => {
  const dir = exampleCopy();
  assert.equal((await gwctl(['render', 'gw/gateway.yaml', '--out', 'out'], dir)).exitCode, 0);
  writeFileSync(join(dir, 'out/logs/error.log'), 'nginx was here\n');
  assert.equal((await gwctl(['render', 'gw/gateway.yaml', '--out', 'out', '--check'], dir)).exitCode, 0);
  writeFileSync(join(dir, 'out/tls/mine.key'), 'the user\'s own file\n');
  assert.equal((await gwctl(['render', 'gw/gateway.yaml', '--out', 'out', '--check'], dir)).exitCode, 0, 'files not named like gwctl\'s are not drift');
  writeFileSync(join(dir, 'out/tls/trust-old-0123456789ab.pem'), 'x');
  const r = await gwctl(['render', 'gw/gateway.yaml', '--out', 'out', '--check'], dir);
  assert.equal(r.exitCode, 1);
  assert.match(r.stderr, /tls\/trust-old-0123456789ab\.pem: not part of the rendered output/);
  // A real render removes it again and keeps the logs.
  assert.equal((await gwctl(['render', 'gw/gateway.yaml', '--out', 'out'], dir)).exitCode, 0);
  assert.ok(!existsSync(join(dir, 'out/tls/trust-old-0123456789ab.pem')));
  assert.equal(readFileSync(join(dir, 'out/tls/mine.key'), 'utf8'), 'the user\'s own file\n', 'a user\'s file in tls/ is never removed');
  assert.equal(readFileSync(join(dir, 'out/logs/error.log'), 'utf8'), 'nginx was here\n');
});

test('a typo in a key fails validation with exit 1 and points at its line', () => {
  const dir = exampleCopy();
  const spec = join(dir, 'gw/gateway.yaml');
  const text = readFileSync(spec, 'utf8').replace('serverName: orders.internal', 'servrName: orders.internal');
  writeFileSync(spec, text);
  const line = text.split('\n').findIndex((l) => l.includes('servrName')) + 1;
  for (const cmd of [['validate', 'gw/gateway.yaml'], ['render', 'gw/gateway.yaml', '--out', 'out']]) {
    const r = gwctlProcess(cmd, { cwd: dir });
    assert.equal(r.exitCode, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`gw/gateway\\.yaml:${line}:7 +error +unknown key "servrName": did you mean "serverName"\\?`));
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
  assert.ok(!existsSync(join(dir, 'out')), 'render wrote nothing');
});

test('render refuses to overwrite an nginx.conf it did not write', async () => {
  const dir = exampleCopy();
  const out = join(dir, 'out');
  cpSync(join(dir, 'gw'), out, { recursive: true });
  writeFileSync(join(out, 'nginx.conf'), 'events {}\n');
  const r = await gwctl(['render', 'gw/gateway.yaml', '--out', 'out'], dir);
  assert.equal(r.exitCode, 2);
  assert.match(r.stderr, /not written by gwctl/);
  assert.equal(readFileSync(join(out, 'nginx.conf'), 'utf8'), 'events {}\n');
});

test('the rendered file is a complete prefix: no daemon or master_process, pid and logs under logs/', async () => {
  const dir = exampleCopy();
  assert.equal((await gwctl(['render', 'gw/gateway.yaml', '--out', 'out'], dir)).exitCode, 0);
  const conf = readFileSync(join(dir, 'out/nginx.conf'), 'utf8');
  assert.doesNotMatch(conf, /^\s*(daemon|master_process)\b/m);
  assert.match(conf, /^pid logs\/nginx\.pid;$/m);
  assert.match(conf, /^error_log logs\/error\.log\b/m);
});

test('an upstream without presentedChain is rendered as declared, with a warning', async () => {
  const dir = exampleCopy();
  const spec = join(dir, 'gw/gateway.yaml');
  writeFileSync(spec, readFileSync(spec, 'utf8').replace(/\n\s*presentedChain: [^\n]*/, ''));
  const r = await gwctl(['--format', 'json', 'render', 'gw/gateway.yaml', '--out', 'out'], dir);
  assert.equal(r.exitCode, 0, r.stdout);
  const warned = JSON.parse(r.stdout).diagnostics.find((d: { code: string }) => d.code === 'chain.not-checked');
  assert.ok(warned, r.stdout);
  assert.equal(warned.severity, 'warning');
  assert.match(readFileSync(join(dir, 'out/nginx.conf'), 'utf8'), /proxy_ssl_verify on;/);
});

test('render refuses, exit 1, when a presentedChain fails verification, and DIR stays exactly as it was', async () => {
  const dir = exampleCopy();
  assert.equal((await gwctl(['render', 'gw/gateway.yaml', '--out', 'out'], dir)).exitCode, 0);
  const before = snapshot(join(dir, 'out'));
  const spec = join(dir, 'gw/gateway.yaml');
  // The example's chain is leaf + issuing CA under the demo root; a depth of 0 allows no intermediate.
  writeFileSync(spec, readFileSync(spec, 'utf8').replace('serverName: orders.internal', 'serverName: orders.internal\n      verifyDepth: 0'));
  const r = gwctlProcess(['render', 'gw/gateway.yaml', '--out', 'out'], { cwd: dir });
  assert.equal(r.exitCode, 1, r.stderr);
  assert.match(r.stderr, /chain\.depth-exceeded/);
  assert.deepEqual(snapshot(join(dir, 'out')), before);
});
