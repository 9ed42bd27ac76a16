import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findNginx } from '../../src/check/find-nginx.js';

function bin(dir: string, name: string, mode = 0o755): string {
  mkdirSync(dir, { recursive: true });
  const p = join(dir, name);
  writeFileSync(p, '#!/bin/sh\nexit 0\n');
  chmodSync(p, mode);
  return p;
}

test('order: --nginx, then GWCTL_NGINX, then openresty, then nginx on PATH, then the fallbacks', () => {
  const root = mkdtempSync(join(tmpdir(), 'gwctl-find-'));
  const a = join(root, 'a');
  const b = join(root, 'b');
  const nginx = bin(a, 'nginx');
  const openresty = bin(b, 'openresty');
  const fallback = bin(join(root, 'fb'), 'openresty');
  const custom = bin(join(root, 'c'), 'my-nginx');
  const PATH = `${a}:${b}`;
  assert.deepEqual(findNginx({ explicit: custom, env: { PATH, GWCTL_NGINX: nginx }, cwd: root }), {
    binary: custom,
    via: '--nginx',
  });
  assert.deepEqual(findNginx({ env: { PATH, GWCTL_NGINX: nginx }, cwd: root }), { binary: nginx, via: 'GWCTL_NGINX' });
  assert.deepEqual(
    findNginx({ env: { PATH }, cwd: root, fallbacks: [fallback] }),
    { binary: openresty, via: 'PATH' },
    'openresty before nginx',
  );
  assert.deepEqual(findNginx({ env: { PATH: a }, cwd: root, fallbacks: [fallback] }), { binary: nginx, via: 'PATH' });
  assert.deepEqual(findNginx({ env: { PATH: '' }, cwd: root, fallbacks: [join(root, 'missing'), fallback] }), {
    binary: fallback,
    via: fallback,
  });
  assert.deepEqual(
    findNginx({ explicit: 'c/my-nginx', env: {}, cwd: root }),
    { binary: custom, via: '--nginx' },
    'relative to the working directory',
  );
  assert.deepEqual(
    findNginx({ explicit: 'nginx', env: { PATH }, cwd: root }),
    { binary: nginx, via: '--nginx' },
    'a bare name is looked up on PATH',
  );
});

test('nothing found, or a named binary that cannot run: a problem saying what to do', () => {
  const root = mkdtempSync(join(tmpdir(), 'gwctl-find-'));
  const none = findNginx({ env: { PATH: join(root, 'empty') }, cwd: root, fallbacks: [] });
  assert.ok('problem' in none);
  assert.match(none.problem, /no nginx or openresty binary found.*--nginx PATH or GWCTL_NGINX/);
  const notExec = bin(root, 'nginx', 0o644);
  const r1 = findNginx({ explicit: notExec, env: {}, cwd: root });
  assert.ok('problem' in r1 && /is not executable/.test(r1.problem));
  const r2 = findNginx({ env: { GWCTL_NGINX: join(root, 'nope') }, cwd: root });
  assert.ok('problem' in r2 && /^GWCTL_NGINX .*nope: does not exist/.test(r2.problem));
  const r3 = findNginx({ explicit: 'no-such-nginx', env: { PATH: root }, cwd: root });
  assert.ok('problem' in r3 && /no such command on PATH/.test(r3.problem));
});
