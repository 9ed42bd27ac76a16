import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import type { GatewaySpec } from '../../src/load/spec-types.js';
import { PemFiles } from '../../src/tls/pem-files.js';
import { MAX_PASSWORD_FILE_BYTES, loadMaterial as loadFiles, passphrases } from '../../src/validate/files.js';
import { runChecks } from '../../src/checks/index.js';
import { MAX_PRIVATE_ROOTS } from '../../src/tls/trust-store-size.js';
import { makePki, type Pki, type PkiCert } from '../support/pki.js';

let dir: string;
let pki: Pki;
let root: PkiCert;
let client: PkiCert;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gwctl-files-'));
  pki = await makePki(dir);
  root = pki.root('Files Root CA');
  client = pki.leaf(root, { cn: 'files-client', client: true });
});

/** The files loaded, then the checks of the loaded files (src/checks/), as checkSpec runs them. */
function loadMaterial(s: GatewaySpec, specDir: string, files?: PemFiles) {
  const r = loadFiles(s, specDir, files);
  return {
    ...r,
    diagnostics: [...r.diagnostics, ...runChecks('material', { spec: s, specDir, material: r.material })],
  };
}

function spec(trust: string[], cc?: GatewaySpec['clientCertificates']): GatewaySpec {
  return {
    version: 1,
    listen: [{ port: 8080 }],
    trustStores: { internal: { certificates: trust } },
    clientCertificates: cc,
    upstreams: { u: { servers: ['127.0.0.1:1'], tls: { trustStore: 'internal', serverName: 'u.internal' } } },
    routes: [{ path: '/', upstream: 'u' }],
  };
}
const codes = (s: GatewaySpec) =>
  loadMaterial(s, dir).diagnostics.map((d) => `${d.severity} ${d.code} ${d.path.join('.')}`);

test('trust.public-bundle: the system CA bundle as an upstream trust store is a warning at that file', () => {
  const system = '/etc/ssl/certs/ca-certificates.crt';
  const d = loadMaterial(spec([root.cert, system]), dir).diagnostics.find((x) => x.code === 'trust.public-bundle');
  assert.ok(d);
  assert.equal(d.severity, 'warning');
  assert.deepEqual(d.path, ['trustStores', 'internal', 'certificates', 1]);
  assert.match(d.message, /public Web PKI root.*any of those CAs can issue a certificate.*impersonate/);
});

test('trust.public-bundle: one well-known public root is enough; a few private roots are not', () => {
  const one = join(dir, 'one-public-root.pem');
  writeFileSync(one, rootCertificates[0]);
  assert.deepEqual(codes(spec([one])), ['warning trust.public-bundle trustStores.internal.certificates.0']);
  const privates = Array.from({ length: 3 }, (_, i) => pki.root(`Private Root ${i}`).cert);
  assert.deepEqual(codes(spec(privates)), []);
});

test(`trust.public-bundle: more than ${MAX_PRIVATE_ROOTS} self-signed roots look like a public-style bundle`, () => {
  const roots = Array.from({ length: MAX_PRIVATE_ROOTS + 1 }, (_, i) => pki.root(`Many Root ${i}`));
  const bundle = pki.bundle('many-roots.pem', roots);
  const d = loadMaterial(spec([bundle]), dir).diagnostics;
  assert.deepEqual(
    d.map((x) => x.code),
    ['trust.public-bundle'],
  );
  assert.match(d[0].message, new RegExp(`holds ${MAX_PRIVATE_ROOTS + 1} self-signed roots`));
  assert.deepEqual(codes(spec([pki.bundle('twenty-roots.pem', roots.slice(0, MAX_PRIVATE_ROOTS))])), []);
});

test('key.permissions: a key readable by group or others is a warning naming the file and its mode', () => {
  const key = join(dir, 'perm.key');
  writeFileSync(key, readFileSync(client.key));
  const cc = { gw: { certificate: client.chain, key } };
  for (const [mode, who] of [
    [0o640, 'its group'],
    [0o604, 'others'],
    [0o644, 'others'],
  ] as const) {
    chmodSync(key, mode);
    const ds = loadMaterial(spec([root.cert], cc), dir).diagnostics;
    assert.equal(ds.length, 1, JSON.stringify(ds));
    assert.equal(ds[0].code, 'key.permissions');
    assert.equal(ds[0].severity, 'warning');
    assert.deepEqual(ds[0].path, ['clientCertificates', 'gw', 'key']);
    assert.ok(ds[0].message.includes(key), ds[0].message);
    assert.ok(ds[0].message.includes(`readable by ${who} (mode 0${mode.toString(8)})`), ds[0].message);
  }
  chmodSync(key, 0o600);
  assert.deepEqual(codes(spec([root.cert], cc)), []);
});

test('key.password-file-permissions: a passphrase file readable by group or others is a warning like a readable key, at passwordFile', () => {
  const key = pki.encryptedKey(client, 'correct horse');
  const passwordFile = join(dir, 'shared.pass');
  writeFileSync(passwordFile, 'correct horse\n');
  const cc = { gw: { certificate: client.chain, key, passwordFile } };
  for (const [mode, who] of [
    [0o640, 'its group'],
    [0o604, 'others'],
    [0o644, 'others'],
  ] as const) {
    chmodSync(passwordFile, mode);
    const ds = loadMaterial(spec([root.cert], cc), dir).diagnostics;
    assert.deepEqual(
      ds.map((d) => `${d.severity} ${d.code} ${d.path.join('.')}`),
      ['warning key.password-file-permissions clientCertificates.gw.passwordFile'],
    );
    assert.ok(
      ds[0].message.includes(
        `${passwordFile}: the file with the key's passphrase is readable by ${who} (mode 0${mode.toString(8)})`,
      ),
      ds[0].message,
    );
    assert.doesNotMatch(ds[0].message, /correct horse/);
  }
  chmodSync(passwordFile, 0o600);
  assert.deepEqual(codes(spec([root.cert], cc)), []);
  // The listener's passwordFile too.
  chmodSync(passwordFile, 0o644);
  const listener: GatewaySpec = {
    ...spec([root.cert], cc),
    listen: [{ port: 8443, tls: { certificate: client.chain, key, passwordFile } }],
  };
  assert.deepEqual(codes(listener), [
    'warning key.password-file-permissions listen.0.tls.passwordFile',
    'warning key.password-file-permissions clientCertificates.gw.passwordFile',
  ]);
  chmodSync(passwordFile, 0o600);
});

test('encrypted keys: PKCS#8 and legacy PEM through passwordFile; wrong or missing passphrases are errors at the key', () => {
  const pkcs8 = pki.encryptedKey(client, 'correct horse');
  const legacy = join(dir, 'legacy-encrypted.key');
  execFileSync('openssl', [
    'pkey',
    '-in',
    client.key,
    '-traditional',
    '-aes256',
    '-passout',
    'pass:battery staple',
    '-out',
    legacy,
  ]);
  chmodSync(legacy, 0o600);
  assert.match(readFileSync(legacy, 'utf8'), /Proc-Type: 4,ENCRYPTED/);
  const pass = (name: string, text: string) => {
    const f = join(dir, name);
    writeFileSync(f, text, { mode: 0o600 });
    return f;
  };
  const ok = (key: string, passwordFile?: string) =>
    loadMaterial(spec([root.cert], { gw: { certificate: client.chain, key, passwordFile } }), dir);
  // nginx's password files hold one passphrase per line, tried in turn (CRLF too).
  assert.deepEqual(ok(pkcs8, pass('p1', 'correct horse\n')).diagnostics, []);
  assert.deepEqual(ok(legacy, pass('p2', 'nope\r\nbattery staple\r\n')).diagnostics, []);
  assert.ok(
    ok(pkcs8, pass('p3', 'correct horse\n')).material.clientCertificates.get('gw')?.key,
    'the decrypted key was checked against its certificate',
  );
  for (const key of [pkcs8, legacy]) {
    const wrong = ok(key, pass('wrong', 'Tr0ub4dor&3\n')).diagnostics;
    assert.deepEqual(
      wrong.map((d) => `${d.code} ${d.path.join('.')}`),
      ['key.wrong-password clientCertificates.gw.key'],
    );
    assert.doesNotMatch(wrong[0].message, /Tr0ub4dor/, 'the passphrase is never echoed');
    assert.deepEqual(
      ok(key).diagnostics.map((d) => d.code),
      ['key.encrypted'],
    );
    assert.deepEqual(
      ok(key, join(dir, 'no-such-password-file')).diagnostics.map((d) => `${d.code} ${d.path.join('.')}`),
      ['key.password-file clientCertificates.gw.passwordFile'],
    );
  }
});

test('passwordFile is read like any other file: a FIFO, a device, a directory or a large file is an error at passwordFile, never read', () => {
  const key = pki.encryptedKey(client, 'correct horse');
  const fifo = join(mkdtempSync(join(tmpdir(), 'gwctl-fifo-')), 'pass.fifo');
  execFileSync('mkfifo', [fifo]);
  const big = join(dir, 'big.pass');
  writeFileSync(big, 'correct horse\n'.repeat(MAX_PASSWORD_FILE_BYTES));
  for (const [passwordFile, why] of [
    [fifo, /is not a regular file/],
    ['/dev/zero', /is not a regular file/],
    [dir, /is a directory/],
    [big, /more than the 4096 bytes/],
  ] as const) {
    const ds = loadMaterial(
      spec([root.cert], { gw: { certificate: client.chain, key, passwordFile } }),
      dir,
    ).diagnostics;
    assert.deepEqual(
      ds.map((d) => `${d.code} ${d.path.join('.')}`),
      ['key.password-file clientCertificates.gw.passwordFile'],
      passwordFile,
    );
    assert.match(ds[0].message, why);
  }
});

test('a bundle listed many times, in one trust store and several, is read once and its certificates are in each store once', () => {
  const bundle = pki.bundle('listed-often.pem', [root, pki.root('Often Root 2')]);
  const s = spec(Array(30).fill(bundle));
  s.trustStores!.other = { certificates: [bundle, bundle.replace(/\/([^/]+)$/, '/./$1'), bundle] };
  // A budget for about one read of the bundle: 33 reads would exceed it many times over.
  const { material, diagnostics } = loadMaterial(s, dir, new PemFiles(statSync(bundle).size + 1024));
  assert.deepEqual(
    diagnostics.map((d) => d.code).filter((c) => c !== 'ref.unused'),
    [],
  );
  assert.equal(material.trustStores.get('internal')?.length, 2);
  assert.equal(material.trustStores.get('other')?.length, 2);
});

test('pem.private-key: a CA bundle or presented chain that also holds a private key is a warning naming the file, once', () => {
  const leaky = join(dir, 'leaky-bundle.pem');
  writeFileSync(leaky, readFileSync(root.cert, 'utf8') + readFileSync(client.key, 'utf8'));
  const s = spec([leaky, leaky]);
  s.upstreams!.u.tls!.presentedChain = leaky;
  const ds = loadMaterial(s, dir).diagnostics.filter((d) => d.code === 'pem.private-key');
  assert.deepEqual(
    ds.map((d) => `${d.severity} ${d.path.join('.')}`),
    ['warning trustStores.internal.certificates.0'],
    'one warning per file',
  );
  assert.ok(
    ds[0].message.includes(leaky) && /CA bundle also holds a private key \(the block at line \d+\)/.test(ds[0].message),
    ds[0].message,
  );
  assert.doesNotMatch(ds[0].message, /PRIVATE KEY/);
  // A client certificate file may hold its own key (a combined PEM): not flagged there.
  const combined = join(dir, 'combined.pem');
  writeFileSync(combined, readFileSync(client.chain, 'utf8') + readFileSync(client.key, 'utf8'));
  chmodSync(combined, 0o600);
  assert.deepEqual(codes(spec([root.cert], { gw: { certificate: combined, key: client.key } })), []);
});

test('runtime.modulesPath set for stock nginx without the Lua module files here: a warning at that field; openresty or the default path: nothing', () => {
  const withModules = (modulesPath: string | undefined, flavor: 'nginx' | 'openresty') =>
    ({
      ...spec([root.cert]),
      runtime: { flavor, ...(modulesPath !== undefined ? { modulesPath } : {}) },
    }) as GatewaySpec;
  assert.ok(
    codes(withModules('/nonexistent/modules', 'nginx')).includes('warning runtime.modules-missing runtime.modulesPath'),
  );
  assert.ok(!codes(withModules('/nonexistent/modules', 'openresty')).some((c) => c.includes('modules-missing')));
  assert.ok(!codes(withModules(undefined, 'nginx')).some((c) => c.includes('modules-missing')));
  const here = mkdtempSync(join(tmpdir(), 'gwctl-modules-'));
  for (const m of ['ndk_http_module.so', 'ngx_http_lua_module.so']) writeFileSync(join(here, m), '');
  assert.ok(!codes(withModules(here, 'nginx')).some((c) => c.includes('modules-missing')), 'both files present');
});

test('passphrases are read as nginx reads its password file: LF lines, one CR dropped, raw bytes, 1024 bytes at most', () => {
  const lines = (b: Buffer) => passphrases(b).map((p) => p.toString('latin1'));
  assert.deepEqual(lines(Buffer.from('s3cret\r')), ['s3cret'], 'a last line ending in a lone CR');
  assert.deepEqual(lines(Buffer.from('\n\r\nfirst\r\nsecond\nthird')), ['first', 'second', 'third']);
  assert.deepEqual(lines(Buffer.from('a\r\r\n')), ['a\r'], 'only one CR is dropped');
  assert.deepEqual(lines(Buffer.from('wrong\rs3cret\r')), ['wrong\rs3cret'], 'a CR is no separator');
  assert.deepEqual(lines(Buffer.from([0x70, 0xe9, 0x0a])), ['p\u00e9'], 'not decoded as UTF-8');
  assert.equal(passphrases(Buffer.from(`${'a'.repeat(1024)}zzz\n`))[0].length, 1024);
});

test('a key encrypted with non-UTF-8 bytes or a 1024-byte passphrase opens as nginx opens it', () => {
  const client = pki.leaf(root, { cn: 'pw', client: true });
  for (const [name, pass, file] of [
    ['latin1', Buffer.from([0x70, 0xe9, 0x73, 0x73]), Buffer.from([0x70, 0xe9, 0x73, 0x73, 0x0a])],
    ['long', Buffer.from('a'.repeat(1024)), Buffer.from(`${'a'.repeat(1024)}zzz`)],
    ['lone-cr', Buffer.from('s3cret'), Buffer.from('s3cret\r')],
  ] as const) {
    const key = join(dir, `enc-${name}.key`);
    writeFileSync(
      key,
      createPrivateKey(readFileSync(client.key)).export({
        type: 'pkcs8',
        format: 'pem',
        cipher: 'aes-256-cbc',
        passphrase: pass,
      }) as string,
      { mode: 0o600 },
    );
    const pw = join(dir, `enc-${name}.pw`);
    writeFileSync(pw, file, { mode: 0o600 });
    const ds = loadMaterial(
      spec([root.cert], { gw: { certificate: client.chain, key, passwordFile: pw } }),
      dir,
    ).diagnostics;
    assert.deepEqual(
      ds.filter((d) => d.severity === 'error').map((d) => d.code),
      [],
      name,
    );
  }
});
