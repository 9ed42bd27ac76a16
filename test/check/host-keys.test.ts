import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkHostKeys } from '../../src/check/host-keys.js';
import type { Diagnostic } from '../../src/diagnostics/diagnostic.js';
import type { GatewaySpec } from '../../src/load/spec-types.js';
import { makePki, type PkiCert } from '../support/pki.js';

/*
 * gwctl test's key checks on the gateway host, each with its exact finding: the listener's key
 * (ssl_*) and a client key (proxy_ssl_*) named by nginx.conf, one of them encrypted with its
 * password file; relative paths resolve against DIR as nginx resolves them (-p DIR).
 * test/e2e/host-keys.test.ts runs the whole way with real nginx.
 */

let host: string;
let dir: string;
let listener: PkiCert;
let client: PkiCert;
let other: PkiCert;
let encrypted: string;

const keys = () => join(host, 'keys');

before(async () => {
  const work = mkdtempSync(join(tmpdir(), 'gwctl-host-keys-'));
  const pki = await makePki(join(work, 'pki'));
  const root = pki.root('Root');
  listener = pki.leaf(root, { cn: 'api.example.com', dns: ['api.example.com'] });
  client = pki.leaf(root, { cn: 'gateway-client', client: true });
  other = pki.leaf(root, { cn: 'someone-else', client: true });
  encrypted = pki.encryptedKey(client, 'correct horse');
  host = join(work, 'host');
  dir = join(host, 'gateway');
  mkdirSync(join(dir, 'tls'), { recursive: true });
  cpSync(listener.chain, join(dir, 'tls/listener.pem'));
  cpSync(client.chain, join(dir, 'tls/client.pem'));
});

/** The keys as deployed: the listener key relative to DIR, the client key encrypted, all 0600. */
function deploy(): void {
  rmSync(keys(), { recursive: true, force: true });
  mkdirSync(join(dir, 'private'), { recursive: true });
  mkdirSync(keys());
  cpSync(listener.key, join(dir, 'private/listener.key'));
  cpSync(encrypted, join(keys(), 'client.key'));
  writeFileSync(join(keys(), 'client.pass'), 'correct horse\n');
  for (const f of [join(dir, 'private/listener.key'), join(keys(), 'client.key'), join(keys(), 'client.pass')])
    chmodSync(f, 0o600);
}

/** nginx.conf as gwctl writes it: line 4 the listener key, 9 the client key, 10 its password file. */
const conf = () =>
  [
    'http {',
    '    server {',
    '        ssl_certificate "tls/listener.pem";',
    '        ssl_certificate_key "private/listener.key";',
    '        location @tls_1 {',
    '            # a comment naming ssl_certificate_key "/nowhere" is not a directive',
    '            proxy_ssl_verify on;',
    '            proxy_ssl_certificate "tls/client.pem";',
    `            proxy_ssl_certificate_key "${join(keys(), 'client.key')}";`,
    `            proxy_ssl_password_file "${join(keys(), 'client.pass')}";`,
    '        }',
    '    }',
    '}',
    '',
  ].join('\n');

const found = (ds: Diagnostic[]) => ds.map((d) => ({ code: d.code, severity: d.severity, line: d.line }));

test('keys that exist, are 0600 (or 0640), decrypt and match: no finding', () => {
  deploy();
  assert.deepEqual(checkHostKeys({ dir, conf: conf() }), []);
  chmodSync(join(keys(), 'client.key'), 0o640);
  assert.deepEqual(checkHostKeys({ dir, conf: conf() }), [], 'readable by a group only nginx is in is fine');
});

test('each bad key is named at the nginx.conf line of its directive', () => {
  const cases: [string, () => void, { code: string; severity: string; line: number }[]][] = [
    [
      'a wrong passphrase',
      () => writeFileSync(join(keys(), 'client.pass'), 'Tr0ub4dor&3\n'),
      [{ code: 'key.wrong-password', severity: 'error', line: 9 }],
    ],
    [
      'a password file that is not there',
      () => rmSync(join(keys(), 'client.pass')),
      [{ code: 'key.password-file', severity: 'error', line: 10 }],
    ],
    [
      'a password file every user can read',
      () => chmodSync(join(keys(), 'client.pass'), 0o644),
      [{ code: 'key.password-file-permissions', severity: 'warning', line: 10 }],
    ],
    [
      'a key every user can read (relative to DIR)',
      () => chmodSync(join(dir, 'private/listener.key'), 0o644),
      [{ code: 'key.readable-by-others', severity: 'error', line: 4 }],
    ],
    [
      'a key that is not there (relative to DIR)',
      () => rmSync(join(dir, 'private/listener.key')),
      [{ code: 'file.missing', severity: 'error', line: 4 }],
    ],
    [
      "a key that is not its certificate's",
      () => cpSync(other.key, join(dir, 'private/listener.key')),
      [{ code: 'key.mismatch', severity: 'error', line: 4 }],
    ],
    [
      'a file that holds no key',
      () => writeFileSync(join(dir, 'private/listener.key'), 'not a key\n'),
      [{ code: 'key.not-a-key', severity: 'error', line: 4 }],
    ],
  ];
  for (const [what, spoil, expected] of cases) {
    deploy();
    spoil();
    assert.deepEqual(found(checkHostKeys({ dir, conf: conf() })), expected, what);
  }
});

test('an encrypted key whose nginx.conf names no password file is key.encrypted', () => {
  deploy();
  const without = conf().replace(/^.*proxy_ssl_password_file.*\n/m, '');
  assert.deepEqual(found(checkHostKeys({ dir, conf: without })), [
    { code: 'key.encrypted', severity: 'error', line: 9 },
  ]);
});

test('with --spec, each finding names the spec field that gave the path (hostPath, or the path as written)', () => {
  const data = {
    version: 1,
    listen: [{ port: 8443, tls: { certificate: 'gw.crt', key: join(dir, 'private/listener.key') } }],
    clientCertificates: {
      gateway: {
        certificate: 'client.crt',
        key: { hostPath: join(keys(), 'client.key') },
        passwordFile: { hostPath: join(keys(), 'client.pass') },
      },
    },
  } as unknown as GatewaySpec;
  const spec = { file: join(host, 'gateway.yaml'), data, dir: host };
  // A key given as a path is rendered absolute (src/plan/plan.ts), a hostPath as written.
  const rendered = conf().replace('"private/listener.key"', `"${join(dir, 'private/listener.key')}"`);
  const at = (ds: Diagnostic[]) => ds.map((d) => ({ code: d.code, file: d.file, path: d.path.join('.') }));

  deploy();
  writeFileSync(join(keys(), 'client.pass'), 'wrong\n');
  rmSync(join(dir, 'private/listener.key'));
  assert.deepEqual(at(checkHostKeys({ dir, conf: rendered, spec })), [
    { code: 'file.missing', file: spec.file, path: 'listen.0.tls.key' },
    { code: 'key.wrong-password', file: spec.file, path: 'clientCertificates.gateway.key.hostPath' },
  ]);
  rmSync(join(keys(), 'client.pass'));
  assert.deepEqual(at(checkHostKeys({ dir, conf: rendered, spec })).slice(1), [
    { code: 'key.password-file', file: spec.file, path: 'clientCertificates.gateway.passwordFile.hostPath' },
  ]);
});
