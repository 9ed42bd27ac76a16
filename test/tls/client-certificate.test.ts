import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { makePki, type Pki, type PkiCert } from '../support/pki.js';
import { parsePem } from '../../src/tls/pem.js';
import { checkClientCertificate, type ClientCertificateRequest } from '../../src/tls/client-certificate.js';
import { sources } from './chain/harness.js';

const DAY = 86400_000;
let pki: Pki;
let root: PkiCert;
let int: PkiCert;
let client: PkiCert;

before(async () => {
  pki = await makePki(join(mkdtempSync(join(tmpdir(), 'gwctl-client-')), 'pki'));
  root = pki.root('Client Root');
  int = pki.intermediate(root, 'Client Issuing');
  client = pki.leaf(int, { cn: 'gateway-client', client: true });
});

after(() => rmSync(dirname(pki.dir), { recursive: true, force: true }));

function keys(file: string) {
  const r = parsePem(readFileSync(file), 'key');
  if ('problem' in r) throw new Error(r.problem.message);
  return r.blocks;
}

function check(certFile: string, keyFile: string, o: Partial<ClientCertificateRequest> = {}) {
  return checkClientCertificate({
    certificates: sources(certFile),
    keys: keys(keyFile),
    keyFile,
    at: new Date(),
    ...o,
  });
}

const codes = (r: ReturnType<typeof check>) => r.findings.map((f) => f.code);

test('a well-formed client identity passes', () => {
  const r = check(client.chain, client.key);
  assert.equal(r.ok, true, JSON.stringify(r.findings));
  assert.equal(r.subject, 'CN=gateway-client');
  assert.deepEqual(codes(r), []);
});

test('key of another certificate: key-mismatch; the right key: none', () => {
  const other = pki.leaf(int, { cn: 'other-client', client: true });
  const r = check(client.chain, other.key);
  assert.equal(r.ok, false);
  assert.deepEqual(codes(r), ['client.key-mismatch']);
});

test('encrypted key: needs the passphrase, wrong passphrase is reported, right one opens it', () => {
  const enc = pki.encryptedKey(client, 's3cret-Pass');
  assert.deepEqual(codes(check(client.chain, enc)), ['client.key-encrypted']);
  const wrong = check(client.chain, enc, { passphrase: 'nope' });
  assert.deepEqual(codes(wrong), ['client.key-passphrase']);
  assert.ok(!JSON.stringify(wrong).includes('s3cret'), 'no secrets in findings');
  assert.equal(check(client.chain, enc, { passphrase: 's3cret-Pass' }).ok, true);
});

test('findings never carry key material', () => {
  const r = check(client.chain, client.key, {
    keys: [{ ...keys(client.key)[0], text: '-----BEGIN PRIVATE KEY-----\nAAAAnotakey\n-----END PRIVATE KEY-----\n' }],
  });
  assert.deepEqual(codes(r), ['client.key-unreadable']);
  assert.ok(!JSON.stringify(r).includes('AAAAnotakey'));
  const pem = readFileSync(client.key, 'utf8');
  const body = pem.split('\n')[1];
  assert.ok(!JSON.stringify(check(client.chain, pki.leaf(int, { cn: 'x', client: true }).key)).includes(body));
});

test('intermediate before the leaf: chain-order', () => {
  const file = pki.bundle('client-misordered.pem', [client, root, int]);
  const r = check(file, client.key);
  assert.ok(codes(r).includes('client.chain-order'), JSON.stringify(r.findings));
});

test('server-only leaf: purpose; clientAuth leaf: fine', () => {
  const server = pki.leaf(int, { cn: 'server-only' });
  const r = check(server.chain, server.key);
  assert.deepEqual(codes(r), ['client.purpose']);
  assert.match(r.findings[0].message, /lacks clientAuth/);
  const noEku = pki.leaf(int, { cn: 'no-eku', extendedKeyUsage: false });
  assert.equal(check(noEku.chain, noEku.key).ok, true, 'no EKU at all allows any use');
});

test('expired, not yet valid, expiring soon', () => {
  const expired = pki.leaf(int, {
    cn: 'old',
    client: true,
    notBefore: new Date(Date.now() - 50 * DAY),
    notAfter: new Date(Date.now() - DAY),
  });
  assert.deepEqual(codes(check(expired.chain, expired.key)), ['client.expired']);
  const future = pki.leaf(int, { cn: 'future', client: true, notBefore: new Date(Date.now() + DAY) });
  assert.deepEqual(codes(check(future.chain, future.key)), ['client.not-yet-valid']);
  const soon = pki.leaf(int, { cn: 'soon', client: true, notAfter: new Date(Date.now() + 5 * DAY) });
  const r = check(soon.chain, soon.key);
  assert.equal(r.ok, true);
  assert.deepEqual(codes(r), ['client.expiring-soon']);
});

test('weak key or SHA-1 signature: nginx would refuse to load the identity', () => {
  const weak = pki.leaf(int, { cn: 'weak', client: true, key: 'rsa-1024' });
  assert.deepEqual(codes(check(weak.chain, weak.key)), ['client.key-too-small']);
  const sha1 = pki.leaf(int, { cn: 'sha1', client: true, md: 'sha1' });
  assert.deepEqual(codes(check(sha1.chain, sha1.key)), ['client.weak-signature']);
});

test('an ECDSA client key off P-256/P-384/P-521: the upstream would abort the handshake', () => {
  const p224 = pki.leaf(int, { cn: 'p224', client: true, key: 'ec-p224' });
  assert.deepEqual(codes(check(p224.chain, p224.key)), ['client.handshake-fails']);
  for (const key of ['ec-p256', 'ec-p384', 'rsa-2048', 'ed25519'] as const) {
    const ok = pki.leaf(int, { cn: key, client: true, key });
    assert.deepEqual(codes(check(ok.chain, ok.key)), [], key);
  }
});
