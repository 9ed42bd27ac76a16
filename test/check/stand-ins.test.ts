import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withStandIns } from '../../src/check/stand-ins.js';
import { SPEC, exampleCopy, run } from '../cli/fixtures.js';

/*
 * render --test in CI, where keys and password files given as hostPath do not exist: nginx -t
 * runs on a copy of nginx.conf whose TLS contexts naming them use generated stand-ins.
 */

const HOST = '/nonexistent/gwctl-host/keys';

test('withStandIns replaces exactly the certificate, key and password file lines of the contexts naming a host file', async () => {
  const conf = [
    'server {',
    '    ssl_certificate "tls/listener.pem";',
    '    ssl_certificate_key "/srv/keys/listener.key";',
    '    location @a {',
    '        proxy_ssl_certificate "tls/client.pem";',
    `        proxy_ssl_certificate_key "/srv/keys/client.key";`,
    `        proxy_ssl_password_file "${HOST}/client.pass";`,
    '    }',
    '}',
    '',
  ].join('\n');
  const dir = exampleCopy('gwctl-stand-in-');
  assert.equal(await withStandIns(dir, conf, new Set()), undefined, 'no host file: nginx -t runs on DIR as it is');
  const s = await withStandIns(dir, conf, new Set([`${HOST}/client.pass`]));
  assert.ok(s);
  try {
    assert.equal(s.replaced, 1);
    const lines = readFileSync(s.confFile, 'utf8').split('\n');
    const stand = join(s.confFile, '../.gwctl-stand-in');
    assert.deepEqual(lines, [
      ...conf.split('\n').slice(0, 4),
      `        proxy_ssl_certificate "${stand}/stand-in.crt";`,
      `        proxy_ssl_certificate_key "${stand}/stand-in.key";`,
      `        proxy_ssl_password_file "${stand}/stand-in.pass";`,
      ...conf.split('\n').slice(7),
    ]);
  } finally {
    s.dispose();
  }
  assert.equal(existsSync(s.confFile), false, 'disposed');
});

test('render --test with a client key and its password file given as hostPath, absent here: real nginx -t passes on stand-ins, and says so', async () => {
  const dir = exampleCopy('gwctl-stand-in-');
  const spec = join(dir, SPEC);
  const text = readFileSync(spec, 'utf8');
  const next = text.replace(
    'key: pki/gateway-client.key',
    `key: { hostPath: ${HOST}/client.key }\n    passwordFile: { hostPath: ${HOST}/client.pass }`,
  );
  assert.notEqual(next, text);
  writeFileSync(spec, next);
  const r = await run(['render', SPEC, '--out', 'out', '--test', '--format', 'json'], dir);
  assert.equal(r.exitCode, 0, r.stdout);
  const body = JSON.parse(r.stdout) as { test: { standIns: number }; diagnostics: { code: string }[] };
  assert.equal(body.test.standIns, 1);
  assert.deepEqual(
    body.diagnostics.map((d) => d.code).filter((c) => c !== 'key.permissions'),
    ['key.on-host', 'test.stand-in-keys'],
  );
  const conf = readFileSync(join(dir, 'out/nginx.conf'), 'utf8');
  assert.ok(conf.includes(`    proxy_ssl_password_file "${HOST}/client.pass";\n`), 'named verbatim');
});
