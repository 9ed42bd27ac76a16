import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gwctl } from '../support/gwctl.js';
import { nginxTest } from '../support/nginx.js';
import { makePki, type PkiCert } from '../support/pki.js';
import { runBin, snapshot, snapshotDiff } from './support.js';

/**
 * Private keys (and their passphrases) never reach the output directory, stdout or stderr:
 * not in the rendered files, not in messages, not even when a certificate file also holds the
 * key or a key sits where a certificate belongs. Encrypted keys work through passwordFile, for
 * gwctl and for real `nginx -t`.
 */

let dir: string;
let root: PkiCert;
let client: PkiCert;
let listener: PkiCert;
let upstream: PkiCert;
/** Fragments of every private key and passphrase in play: none may appear anywhere gwctl writes. */
const SECRETS: string[] = [];
const PASS_PKCS8 = 'pkcs8 passphrase 7f3a';
const PASS_LEGACY = 'legacy passphrase 91c2';

function keyMaterial(file: string): string[] {
  const pem = readFileSync(file, 'utf8');
  const lines = pem.split('\n').filter((l) => /^[A-Za-z0-9+/=]{16,}$/.test(l));
  const der = Buffer.from(lines.join(''), 'base64');
  // Base64 lines, and the raw key bytes in hex and base64 (as a re-encoding would show them).
  return [...lines, der.toString('hex').slice(20, 84), der.subarray(10, 40).toString('base64')];
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gwctl-secrets-'));
  const pki = await makePki(join(dir, 'pki'));
  root = pki.root('Secrets Root CA');
  client = pki.leaf(root, { cn: 'secrets-client', client: true });
  listener = pki.leaf(root, { cn: 'gw.example.com', dns: ['gw.example.com'], key: 'rsa-2048' });
  upstream = pki.leaf(root, { cn: 'up.internal', dns: ['up.internal'] });
  for (const c of [client, listener, upstream, root]) SECRETS.push(...keyMaterial(c.key));
  SECRETS.push(PASS_PKCS8, PASS_LEGACY);
});

function list(d: string): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    for (const name of readdirSync(p)) {
      const f = join(p, name);
      if (statSync(f).isDirectory()) walk(f);
      else out.push(f);
    }
  };
  walk(d);
  return out;
}

function assertNoSecrets(where: string, text: string): void {
  assert.doesNotMatch(text, /PRIVATE KEY|Proc-Type|DEK-Info/, `${where}: a key block`);
  for (const s of SECRETS)
    assert.ok(!text.includes(s), `${where}: holds key material or a passphrase (${s.slice(0, 12)}…)`);
}

test('render: no key material in DIR, stdout or stderr, even from a certificate file that also holds its key', async () => {
  // The client "certificate" file is the combined PEM some tools write: key first, then the chain.
  const combined = join(dir, 'client-combined.pem');
  writeFileSync(combined, readFileSync(client.key, 'utf8') + readFileSync(client.chain, 'utf8'));
  const spec = `version: 1
runtime: { flavor: nginx }
listen:
  - { port: 18080 }
  - { port: 18443, tls: { certificate: "${listener.chain}", key: "${listener.key}" } }
trustStores:
  internal: { certificates: ["${root.cert}"] }
clientCertificates:
  gw: { certificate: "${relative(dir, combined)}", key: "${relative(dir, client.key)}" }
upstreams:
  up:
    servers: ["127.0.0.1:9443"]
    tls: { trustStore: internal, serverName: up.internal, clientCertificate: gw, presentedChain: "${upstream.chain}" }
routes:
  - { path: /, upstream: up }
`;
  writeFileSync(join(dir, 'gw.yaml'), spec);
  const outputs: string[] = [];
  for (const format of ['human', 'json']) {
    for (const args of [
      ['render', 'gw.yaml', '--out', `out-${format}`],
      ['validate', 'gw.yaml'],
      ['verify-chain', 'gw.yaml'],
    ]) {
      const r = await runBin(['--format', format, ...args], { cwd: dir });
      assert.equal(r.exitCode, 0, r.stderr);
      outputs.push(r.stdout, r.stderr);
    }
  }
  for (const text of outputs) assertNoSecrets('gwctl output', text);
  for (const f of list(join(dir, 'out-human'))) assertNoSecrets(relative(dir, f), readFileSync(f, 'latin1'));
  const conf = readFileSync(join(dir, 'out-human/nginx.conf'), 'utf8');
  // nginx.conf points at the key files where they are; it never copies them.
  assert.match(conf, new RegExp(`proxy_ssl_certificate_key "${client.key.replace(/\./g, '\\.')}";`));
  assert.match(conf, new RegExp(`ssl_certificate_key "${listener.key.replace(/\./g, '\\.')}";`));
  assert.ok(nginxTest(join(dir, 'out-human')).ok);
});

test('errors about keys never show the key: mismatch, key as certificate, certificate as key', async () => {
  const cases: [string, string, string][] = [
    ['key of another certificate', `certificate: "${client.chain}", key: "${upstream.key}"`, 'key.mismatch'],
    ['a key where the certificate belongs', `certificate: "${client.key}", key: "${client.key}"`, 'pem.wrong-kind'],
    ['a certificate where the key belongs', `certificate: "${client.chain}", key: "${client.chain}"`, 'key.not-a-key'],
  ];
  for (const [what, cc, code] of cases) {
    writeFileSync(
      join(dir, 'bad.yaml'),
      `version: 1
listen: [{ port: 18080 }]
trustStores: { internal: { certificates: ["${root.cert}"] } }
clientCertificates:
  gw: { ${cc} }
upstreams:
  up: { servers: ["127.0.0.1:9443"], tls: { trustStore: internal, serverName: up.internal, clientCertificate: gw } }
routes: [{ path: /, upstream: up }]
`,
    );
    for (const format of ['human', 'json']) {
      const r = await gwctl(['--format', format, 'render', 'bad.yaml', '--out', 'never'], dir);
      assert.equal(r.exitCode, 1, `${what}: ${r.stderr}`);
      assert.ok((r.stdout + r.stderr).includes(code), `${what}: ${code}`);
      assertNoSecrets(what, r.stdout + r.stderr);
    }
  }
});

test('encrypted keys through passwordFile (PKCS#8 and legacy PEM): gwctl renders, real nginx -t loads them; a wrong passphrase is an error at the key', async () => {
  const pki = await makePki(join(dir, 'pki-enc'));
  const r2 = pki.root('Enc Root CA');
  const mtls = pki.leaf(r2, { cn: 'enc-client', client: true });
  const rsaListener = pki.leaf(r2, { cn: 'enc.example.com', dns: ['enc.example.com'], key: 'rsa-2048' });
  const pkcs8 = pki.encryptedKey(mtls, PASS_PKCS8);
  const legacy = join(dir, 'pki-enc', 'listener.legacy.key');
  execFileSync('openssl', [
    'pkey',
    '-in',
    rsaListener.key,
    '-traditional',
    '-aes256',
    '-passout',
    `pass:${PASS_LEGACY}`,
    '-out',
    legacy,
  ]);
  chmodSync(legacy, 0o600);
  assert.match(readFileSync(legacy, 'utf8'), /BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED/);
  assert.match(readFileSync(pkcs8, 'utf8'), /BEGIN ENCRYPTED PRIVATE KEY/);
  SECRETS.push(...keyMaterial(mtls.key), ...keyMaterial(rsaListener.key));
  const pass = (name: string, text: string) => {
    writeFileSync(join(dir, name), text, { mode: 0o600 });
    return name;
  };
  const spec = (clientPass: string, listenerPass: string) => `version: 1
runtime: { flavor: nginx }
listen:
  - { port: 18081 }
  - { port: 18444, tls: { certificate: "${rsaListener.chain}", key: "${legacy}", passwordFile: ${listenerPass} } }
trustStores: { internal: { certificates: ["${r2.cert}"] } }
clientCertificates:
  gw: { certificate: "${mtls.chain}", key: "${pkcs8}", passwordFile: ${clientPass} }
upstreams:
  up: { servers: ["127.0.0.1:9443"], tls: { trustStore: internal, serverName: up.internal, clientCertificate: gw } }
routes: [{ path: /, upstream: up }]
`;
  writeFileSync(
    join(dir, 'enc.yaml'),
    spec(pass('client.pass', `${PASS_PKCS8}\n`), pass('listener.pass', `not this one\n${PASS_LEGACY}\n`)),
  );
  const ok = await runBin(['render', 'enc.yaml', '--out', 'out-enc'], { cwd: dir });
  assert.equal(ok.exitCode, 0, ok.stderr);
  assertNoSecrets('render output', ok.stdout + ok.stderr);
  const conf = readFileSync(join(dir, 'out-enc/nginx.conf'), 'utf8');
  assert.ok(conf.includes(`proxy_ssl_password_file "${join(dir, 'client.pass')}";`), conf);
  assert.ok(conf.includes(`    ssl_password_file "${join(dir, 'listener.pass')}";`), conf);
  for (const f of list(join(dir, 'out-enc'))) assertNoSecrets(relative(dir, f), readFileSync(f, 'latin1'));
  const t = nginxTest(join(dir, 'out-enc'));
  assert.ok(t.ok, `nginx -t decrypts both keys: ${t.output}`);
  // Control: nginx -t really decrypts them (a wrong passphrase fails it).
  writeFileSync(join(dir, 'client.pass'), 'wrong\n');
  const bad = nginxTest(join(dir, 'out-enc'));
  assert.ok(!bad.ok && /bad decrypt|PEM_read_bio_PrivateKey|cannot load certificate key/.test(bad.output), bad.output);
  writeFileSync(join(dir, 'client.pass'), `${PASS_PKCS8}\n`);

  // gwctl refuses wrong and missing passphrases itself, at the key, and DIR stays as it was.
  const before = snapshot(join(dir, 'out-enc'));
  const cases: [string, string, string, RegExp][] = [
    ['wrong client passphrase', pass('wrong1.pass', 'Tr0ub4dor&3\n'), 'listener.pass', /key\.wrong-password/],
    ['wrong listener passphrase', 'client.pass', pass('wrong2.pass', 'Tr0ub4dor&3\n'), /key\.wrong-password/],
    ['missing password file', 'client.pass', 'no-such.pass', /key\.password-file/],
  ];
  for (const [what, c, l, code] of cases) {
    const text = spec(c, l);
    writeFileSync(join(dir, 'enc-bad.yaml'), text);
    const r = await runBin(['render', 'enc-bad.yaml', '--out', 'out-enc'], { cwd: dir });
    assert.equal(r.exitCode, 1, `${what}: ${r.stderr}`);
    assert.match(r.stderr, code, what);
    const line = text.split('\n').findIndex((x) => x.includes(what.includes('client') ? 'gw: {' : 'port: 18444')) + 1;
    assert.match(r.stderr, new RegExp(`^enc-bad\\.yaml:${line}:\\d+  error`, 'm'), `${what}: at the key's line`);
    assert.doesNotMatch(r.stderr, /Tr0ub4dor/, `${what}: the passphrase is never echoed`);
    assertNoSecrets(what, r.stdout + r.stderr);
    assert.deepEqual(snapshotDiff(before, snapshot(join(dir, 'out-enc'))), [], what);
  }
});

test('a key readable by group or others is a warning on every run, naming the file and its mode', async () => {
  const key = join(dir, 'loose.key');
  writeFileSync(key, readFileSync(client.key));
  chmodSync(key, 0o644);
  writeFileSync(
    join(dir, 'loose.yaml'),
    `version: 1
listen: [{ port: 18080 }]
trustStores: { internal: { certificates: ["${root.cert}"] } }
clientCertificates:
  gw: { certificate: "${client.chain}", key: loose.key }
upstreams:
  up: { servers: ["127.0.0.1:9443"], tls: { trustStore: internal, serverName: up.internal, clientCertificate: gw } }
routes: [{ path: /, upstream: up }]
`,
  );
  for (let run = 0; run < 2; run++) {
    const r = await runBin(['render', 'loose.yaml', '--out', 'out-loose'], { cwd: dir });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(
      r.stderr,
      /^loose\.yaml:5:\d+  warning  loose\.key: private key is readable by others \(mode 0644\); chmod 600 it  \[key\.permissions\]$/m,
    );
  }
  const strict = await runBin(['--fail-severity', 'warning', 'render', 'loose.yaml', '--out', 'out-loose'], {
    cwd: dir,
  });
  assert.equal(strict.exitCode, 1, '--fail-severity warning turns it into a failure');
  chmodSync(key, 0o600);
  const r = await runBin(['render', 'loose.yaml', '--out', 'out-loose'], { cwd: dir });
  assert.doesNotMatch(r.stderr, /key\.permissions/);
});

/** A PEM block of `label` whose base64 holds `der` as it is. */
function pemBlock(label: string, der: Buffer): string {
  return `-----BEGIN ${label}-----\n${der.toString('base64').replace(/.{1,64}/g, '$&\n')}-----END ${label}-----\n`;
}

function derOf(pemFile: string): Buffer {
  const b64 = readFileSync(pemFile, 'utf8')
    .split('\n')
    .filter((l) => /^[A-Za-z0-9+/=]+$/.test(l));
  return Buffer.from(b64.join(''), 'base64');
}

test('a certificate block whose bytes go on after the certificate (a key smuggled inside it) is refused in every certificate field; DIR untouched', async () => {
  const keyDer = derOf(client.key);
  // X509_CERT_AUX trusting serverAuth: what a TRUSTED CERTIFICATE block may carry after its certificate.
  const aux = Buffer.from('300c300a06082b06010505070301', 'hex');
  const smuggle: Record<string, (cert: Buffer) => string> = {
    'CERTIFICATE + key': (c) => pemBlock('CERTIFICATE', Buffer.concat([c, keyDer])),
    'CERTIFICATE + 1 byte': (c) => pemBlock('CERTIFICATE', Buffer.concat([c, Buffer.from([0])])),
    'TRUSTED CERTIFICATE + aux + key': (c) => pemBlock('TRUSTED CERTIFICATE', Buffer.concat([c, aux, keyDer])),
  };
  // Each field gets its own certificate (so nothing else is wrong), smuggled.
  const fields: [string, PkiCert, string][] = [
    ['$.trustStores.internal.certificates[0]', root, 'store'],
    ['$.clientCertificates.gw.certificate', client, 'client'],
    ['$.upstreams.up.tls.presentedChain', upstream, 'chain'],
    ['$.listen[1].tls.certificate', listener, 'listener'],
  ];
  for (const [what, make] of Object.entries(smuggle)) {
    for (const [at, owner, field] of fields) {
      const file = join(dir, 'smuggled.pem');
      writeFileSync(file, make(derOf(owner.cert)));
      const pick = (f: string, normal: string) => (field === f ? file : normal);
      writeFileSync(
        join(dir, 'smuggle.yaml'),
        `version: 1
listen:
  - { port: 18080 }
  - { port: 18443, tls: { certificate: "${pick('listener', listener.chain)}", key: "${listener.key}" } }
trustStores: { internal: { certificates: ["${pick('store', root.cert)}"] } }
clientCertificates: { gw: { certificate: "${pick('client', client.chain)}", key: "${client.key}" } }
upstreams:
  up:
    servers: ["127.0.0.1:9443"]
    tls: { trustStore: internal, serverName: up.internal, clientCertificate: gw, presentedChain: "${pick('chain', upstream.chain)}" }
routes: [{ path: /, upstream: up }]
`,
      );
      const before = snapshot(dir);
      const r = await runBin(['--format', 'json', 'render', 'smuggle.yaml', '--out', 'out-smuggle'], { cwd: dir });
      assert.equal(r.exitCode, 1, `${what} at ${at}: ${r.stdout}${r.stderr}`);
      const errors = JSON.parse(r.stdout).diagnostics.filter((d: { severity: string }) => d.severity === 'error');
      assert.deepEqual(
        errors.map((d: { code: string; path: string }) => `${d.code} ${d.path}`),
        [`pem.trailing-data ${at}`],
        `${what} at ${at}`,
      );
      assert.deepEqual(snapshotDiff(before, snapshot(dir)), [], 'nothing written');
      assertNoSecrets('gwctl output', r.stdout + r.stderr);
    }
  }
});
