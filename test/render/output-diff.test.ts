import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gwctl } from '../support/gwctl.js';
import { exampleCopy } from '../cli/fixtures.js';

/** render --check shows what differs: nginx.conf as a unified diff, the other files as lists. */
test('render --check prints a unified diff of nginx.conf and the tls/ files added, changed and removed (human and JSON)', async () => {
  const dir = exampleCopy();
  assert.equal((await gwctl(['render', 'gw/gateway.yaml', '--out', 'out'], dir)).exitCode, 0);
  const conf = join(dir, 'out/nginx.conf');
  const text = readFileSync(conf, 'utf8');
  const lines = text.split('\n');
  const at = lines.indexOf('            proxy_ssl_verify on;');
  assert.ok(at > 3);
  writeFileSync(conf, text.replace('            proxy_ssl_verify on;', '            proxy_ssl_verify off;'));
  const tls = readdirSync(join(dir, 'out/tls')).sort();
  const trust = tls.find((f) => f.startsWith('trust-'))!;
  const listener = tls.find((f) => f.startsWith('listener-'))!;
  rmSync(join(dir, 'out/tls', trust));
  writeFileSync(join(dir, 'out/tls', listener), 'tampered\n');

  const human = await gwctl(['render', 'gw/gateway.yaml', '--out', 'out', '--check'], dir);
  assert.equal(human.exitCode, 1);
  const hunk = [
    `@@ -${at - 2},7 +${at - 2},7 @@`,
    ...lines.slice(at - 3, at).map((l) => ` ${l}`),
    '-            proxy_ssl_verify off;',
    '+            proxy_ssl_verify on;',
    ...lines.slice(at + 1, at + 4).map((l) => ` ${l}`),
  ].join('\n');
  assert.equal(
    human.stdout,
    [
      '--- a/out/nginx.conf',
      '+++ b/out/nginx.conf',
      hunk,
      `files added: tls/${trust}`,
      `files changed: tls/${listener}`,
      '',
    ].join('\n'),
  );

  const json = await gwctl(['--format', 'json', 'render', 'gw/gateway.yaml', '--out', 'out', '--check'], dir);
  const body = JSON.parse(json.stdout) as {
    drift: string[];
    diff: { nginxConf: string; files: { added: string[]; changed: string[]; removed: string[] } };
  };
  assert.deepEqual(body.drift, ['nginx.conf: differs', `tls/${listener}: differs`, `tls/${trust}: missing`]);
  assert.equal(body.diff.nginxConf, `--- a/out/nginx.conf\n+++ b/out/nginx.conf\n${hunk}\n`);
  assert.deepEqual(body.diff.files, { added: [`tls/${trust}`], changed: [`tls/${listener}`], removed: [] });
});

test('render --check lists a file gwctl would remove, and says nothing about an up-to-date DIR', async () => {
  const dir = exampleCopy();
  assert.equal((await gwctl(['render', 'gw/gateway.yaml', '--out', 'out'], dir)).exitCode, 0);
  const same = await gwctl(['--format', 'json', 'render', 'gw/gateway.yaml', '--out', 'out', '--check'], dir);
  assert.equal(same.exitCode, 0);
  assert.deepEqual(JSON.parse(same.stdout).diff, { nginxConf: null, files: { added: [], changed: [], removed: [] } });

  // The spec drops its client certificate: its file in tls/ would go.
  const spec = join(dir, 'gw/gateway.yaml');
  writeFileSync(spec, readFileSync(spec, 'utf8').replace('      clientCertificate: gateway\n', ''));
  const client = readdirSync(join(dir, 'out/tls')).find((f) => f.startsWith('client-'))!;
  const r = await gwctl(['--format', 'json', 'render', 'gw/gateway.yaml', '--out', 'out', '--check'], dir);
  assert.equal(r.exitCode, 1);
  // The manifest changes with nginx.conf (it no longer lists the client certificate's file).
  assert.deepEqual(JSON.parse(r.stdout).diff.files, {
    added: [],
    changed: ['gwctl-manifest.json'],
    removed: [`tls/${client}`],
  });
});

test('render --check on a DIR that does not exist yet shows every file as added, like an empty DIR', async () => {
  const dir = exampleCopy();
  assert.equal((await gwctl(['render', 'gw/gateway.yaml', '--out', 'rendered'], dir)).exitCode, 0);
  const conf = readFileSync(join(dir, 'rendered/nginx.conf'), 'utf8');
  const written = ['gwctl-manifest.json', ...readdirSync(join(dir, 'rendered/tls')).map((f) => `tls/${f}`)].sort();
  const r = await gwctl(['--format', 'json', 'render', 'gw/gateway.yaml', '--out', 'new', '--check'], dir);
  assert.equal(r.exitCode, 1);
  const body = JSON.parse(r.stdout) as {
    drift: string[];
    diff: { nginxConf: string; files: { added: string[]; changed: string[]; removed: string[] } };
  };
  assert.deepEqual(body.drift, ['.']);
  const lines = conf.split('\n').slice(0, -1);
  assert.equal(
    body.diff.nginxConf,
    `--- /dev/null\n+++ b/new/nginx.conf\n@@ -0,0 +1,${lines.length} @@\n${lines.map((l) => `+${l}\n`).join('')}`,
  );
  assert.deepEqual(
    { ...body.diff.files, added: [...body.diff.files.added].sort() },
    {
      added: written,
      changed: [],
      removed: [],
    },
  );
  const human = await gwctl(['render', 'gw/gateway.yaml', '--out', 'new', '--check'], dir);
  assert.ok(human.stdout.startsWith('--- /dev/null\n+++ b/new/nginx.conf\n'), human.stdout.slice(0, 200));
  assert.ok(human.stdout.endsWith(`files added: ${body.diff.files.added.join(', ')}\n`));
  assert.equal(existsSync(join(dir, 'new')), false, 'nothing written');
});
