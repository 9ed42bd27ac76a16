import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';

import { join } from 'node:path';
import { test } from 'node:test';
import { readManifest, sha256 } from '../../src/output/manifest.js';
import { SPEC, exampleCopy, run } from '../cli/fixtures.js';

const out = (dir: string) => join(dir, 'out');

async function render(dir: string, ...extra: string[]) {
  return run(['render', SPEC, '--out', 'out', ...extra], dir);
}

test('render writes gwctl-manifest.json: nginx.conf hash and line count, every tls/ file with why and from, sources in line order', async () => {
  const dir = exampleCopy('gwctl-manifest-');
  const r = await render(dir);
  assert.equal(r.exitCode, 0, r.stderr);
  const conf = readFileSync(join(out(dir), 'nginx.conf'), 'utf8');
  const m = readManifest(out(dir))!;
  assert.equal(m.manifest, 'gwctl render manifest');
  assert.equal(m.version, 1);
  assert.equal(m.spec, 'gateway.yaml');
  assert.deepEqual(m.nginxConf, { sha256: sha256(conf), lines: conf.split('\n').length - 1 });
  const tls = readdirSync(join(out(dir), 'tls')).sort();
  assert.deepEqual(
    m.files.map((f) => f.path),
    tls.map((n) => `tls/${n}`),
  );
  for (const f of m.files) assert.equal(f.sha256, sha256(readFileSync(join(out(dir), f.path))));
  assert.deepEqual(
    m.files.map((f) => [f.path.replace(/-[0-9a-f]{12}\.pem$/, ''), f.from]),
    [
      ['tls/client-gateway', [['clientCertificates', 'gateway', 'certificate']]],
      ['tls/listener', [['listen', 1, 'tls', 'certificate']]],
      ['tls/trust-internal', [['trustStores', 'internal', 'certificates']]],
    ],
  );
  assert.deepEqual(
    m.files.map((f) => f.why),
    [
      'client certificate "gateway" with its chain (proxy_ssl_certificate)',
      'a listener certificate with its chain (ssl_certificate)',
      'the certificates of trust store "internal" (proxy_ssl_trusted_certificate)',
    ],
  );
  const starts = m.sources.map((s) => s.lines[0]);
  assert.deepEqual(
    starts,
    [...starts].sort((a, b) => a - b),
  );
  assert.ok(m.sources.every((s) => s.lines[1] <= m.nginxConf.lines));
  assert.ok(!JSON.stringify(m).includes(dir), 'no absolute path of the machine');
});

test('two renders of one spec write byte-identical manifests, wherever DIR is', async () => {
  const dir = exampleCopy('gwctl-manifest-');
  assert.equal((await render(dir)).exitCode, 0);
  const deep = join(dir, 'x', 'y', 'z');
  mkdirSync(deep, { recursive: true });
  assert.equal((await run(['render', SPEC, '--out', 'x/y/z/out'], dir)).exitCode, 0);
  const a = readFileSync(join(out(dir), 'gwctl-manifest.json'), 'utf8');
  assert.equal(readFileSync(join(deep, 'out', 'gwctl-manifest.json'), 'utf8'), a);
  rmSync(out(dir), { recursive: true });
  assert.equal((await render(dir)).exitCode, 0);
  assert.equal(readFileSync(join(out(dir), 'gwctl-manifest.json'), 'utf8'), a);
});

test('a hand edit of nginx.conf is drift, and the manifest no longer describes it', async () => {
  const dir = exampleCopy('gwctl-manifest-');
  assert.equal((await render(dir)).exitCode, 0);
  const file = join(out(dir), 'nginx.conf');
  writeFileSync(file, readFileSync(file, 'utf8').replace('keepalive 16;', 'keepalive 17;'));
  assert.notEqual(readManifest(out(dir))!.nginxConf.sha256, sha256(readFileSync(file)));
  const r = await render(dir, '--check', '--format', 'json');
  assert.equal(r.exitCode, 1);
  assert.deepEqual(JSON.parse(r.stdout).drift, ['nginx.conf: differs']);
  // Still gwctl's (its first line is): render puts it back.
  const again = await render(dir);
  assert.equal(again.exitCode, 0, again.stderr);
  assert.equal(again.stdout, 'out: wrote nginx.conf\n');
});

/**
 * A directory as gwctl rendered it before the manifest existed: nginx.conf with the marker line
 * and the certificate directives, its tls/ files, no gwctl-manifest.json. Built here from a
 * current render by removing the manifest and pointing nginx.conf at a trust bundle only the
 * old render had.
 */
test('a directory rendered before the manifest existed is still gwctl’s: rendered over, its stale files removed, the manifest added', async () => {
  const dir = exampleCopy('gwctl-manifest-');
  assert.equal((await render(dir)).exitCode, 0);
  rmSync(join(out(dir), 'gwctl-manifest.json'));
  const oldTrust = '-----BEGIN CERTIFICATE-----\nb2xk\n-----END CERTIFICATE-----\n';
  const oldName = `trust-internal-${sha256(oldTrust).slice(0, 12)}.pem`;
  writeFileSync(join(out(dir), 'tls', oldName), oldTrust);
  const file = join(out(dir), 'nginx.conf');
  writeFileSync(
    file,
    readFileSync(file, 'utf8').replace(
      /proxy_ssl_trusted_certificate "tls\/trust-internal-[0-9a-f]{12}\.pem";/,
      `proxy_ssl_trusted_certificate "tls/${oldName}";`,
    ),
  );

  const check = await render(dir, '--check', '--format', 'json');
  assert.equal(check.exitCode, 1);
  assert.deepEqual(JSON.parse(check.stdout).drift, [
    'nginx.conf: differs',
    'gwctl-manifest.json: missing',
    `tls/${oldName}: not part of the rendered output`,
  ]);
  const r = await render(dir, '--format', 'json');
  assert.equal(r.exitCode, 0, r.stderr);
  const body = JSON.parse(r.stdout);
  assert.deepEqual(body.changed, ['gwctl-manifest.json', 'nginx.conf', `tls/${oldName}`]);
  assert.deepEqual(body.removed, [`tls/${oldName}`]);
  assert.ok(readManifest(out(dir)));
  assert.deepEqual((await render(dir, '--check', '--format', 'json')).exitCode, 0);
});

test('a directory whose nginx.conf is not gwctl’s is refused even with a manifest beside it that does not describe it', async () => {
  const dir = exampleCopy('gwctl-manifest-');
  assert.equal((await render(dir)).exitCode, 0);
  writeFileSync(join(out(dir), 'nginx.conf'), 'events {}\n');
  const r = await render(dir);
  assert.equal(r.exitCode, 2);
  assert.match(r.stderr, /nginx\.conf was not written by gwctl/);
  assert.equal(readFileSync(join(out(dir), 'nginx.conf'), 'utf8'), 'events {}\n');
});

test('an nginx.conf without gwctl’s first line is gwctl’s when the manifest describes it byte for byte', async () => {
  const dir = exampleCopy('gwctl-manifest-');
  assert.equal((await render(dir)).exitCode, 0);
  // As if the marker line had another wording: the manifest still names this very file.
  const file = join(out(dir), 'nginx.conf');
  const text = `# gwctl output\n${readFileSync(file, 'utf8').split('\n').slice(1).join('\n')}`;
  writeFileSync(file, text);
  const manifestFile = join(out(dir), 'gwctl-manifest.json');
  const m = JSON.parse(readFileSync(manifestFile, 'utf8'));
  m.nginxConf.sha256 = sha256(text);
  writeFileSync(manifestFile, `${JSON.stringify(m, null, 2)}\n`);
  const r = await render(dir);
  assert.equal(r.exitCode, 0, r.stderr);
  assert.equal(r.stdout, 'out: wrote gwctl-manifest.json, nginx.conf\n');
});
