import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { makePki, type Pki, type PkiCert } from '../../support/pki.js';
import { verifyChain, type ChainEngineRequest } from '../../../src/tls/chain/index.js';
import type { ChainVerdict } from '../../../src/tls/verdict.js';
import { compare, sources } from './harness.js';

/** One rule, one case that must trigger it and a near miss that must not; each also checked against OpenSSL. */
const DAY = 86400_000;
let pki: Pki;
let root: PkiCert;
let int1: PkiCert;
let int2: PkiCert;

before(async () => {
  pki = await makePki(join(mkdtempSync(join(tmpdir(), 'gwctl-rules-')), 'pki'));
  root = pki.root('Root CA');
  int1 = pki.intermediate(root, 'Issuing CA');
  int2 = pki.intermediate(int1, 'Sub CA');
});

after(() => rmSync(dirname(pki.dir), { recursive: true, force: true }));

function run(trusted: PkiCert[], chain: PkiCert[], o: Partial<ChainEngineRequest> = {}): ChainVerdict {
  const tag = Math.random().toString(36).slice(2);
  const tf = pki.bundle(`t-${tag}.pem`, trusted);
  const cf = pki.bundle(`c-${tag}.pem`, chain);
  const req = { depth: 100, at: new Date(), ...o };
  const v = verifyChain({ presented: sources(cf), trusted: sources(tf), trustStoreName: 'internal', ...req });
  const c = compare('rule', tf, cf, req.depth, req.name, req.at);
  assert.equal(c.gwctl.code, c.openssl.code, `OpenSSL decides ${c.openssl.code}, gwctl ${c.gwctl.code}`);
  return v;
}

const codes = (v: ChainVerdict) => v.findings.map((f) => f.code);
const leafOf = (issuer: PkiCert, o: Parameters<Pki['leaf']>[1] = {}) =>
  pki.leaf(issuer, { cn: 'orders.internal', dns: ['orders.internal'], ...o });

describe('depth', () => {
  test('two intermediates at verifyDepth 1: error 20, explained as a depth problem', () => {
    const v = run([root], [leafOf(int2), int2, int1], { depth: 1, name: 'orders.internal' });
    assert.equal(v.ok, false);
    assert.deepEqual(v.nginx, { code: 20, reason: 'unable to get local issuer certificate' });
    assert.equal(v.requiredDepth, 2);
    const f = v.findings.find((x) => x.code === 'chain.depth-exceeded');
    assert.ok(f, JSON.stringify(v.findings));
    assert.match(
      f.message,
      /verifyDepth 1 allows one intermediate, this chain has two intermediates: nginx will log \(20:unable to get local issuer certificate\)/,
    );
    assert.ok(!codes(v).includes('chain.untrusted-root'), 'a depth problem is not reported as a CA problem');
  });
  test('near miss: verifyDepth 2 verifies and reports the path', () => {
    const leaf = leafOf(int2);
    const v = run([root], [leaf, int2, int1], { depth: 2, name: 'orders.internal' });
    assert.equal(v.ok, true);
    assert.equal(v.nginx, null);
    assert.equal(v.requiredDepth, 2);
    assert.deepEqual(v.chain, ['CN=orders.internal', 'CN=Sub CA', 'CN=Issuing CA', 'CN=Root CA']);
  });
  test('a leaf issued by the root needs depth 0', () => {
    const v = run([root], [leafOf(root)], { depth: 0 });
    assert.equal(v.ok, true);
    assert.equal(v.requiredDepth, 0);
  });
});

describe('trust anchors and missing certificates', () => {
  test('leaf served alone: 21, names the intermediate to add', () => {
    const v = run([root], [leafOf(int1)]);
    assert.equal(v.nginx?.code, 21);
    const f = v.findings.find((x) => x.code === 'chain.missing-intermediate');
    assert.match(
      f!.message,
      /^the upstream serves only its leaf: add its issuer 'CN=Issuing CA' and every intermediate CA above it \(up to, not including, the self-signed root\) to the chain it serves, after the leaf \(best\), or add them to trust store 'internal', which must then also hold that root \(nginx accepts no partial chains\); nginx will log \(21:unable to verify the first certificate\)$/,
    );
  });
  test('near miss: the intermediate in the trust store makes a lone leaf pass', () => {
    assert.equal(run([root, int1], [leafOf(int1)]).ok, true);
  });
  test('only the intermediate trusted: 2 (no partial chains)', () => {
    const v = run([int1], [leafOf(int1), int1]);
    assert.equal(v.nginx?.code, 2);
    assert.ok(codes(v).includes('chain.anchor-not-self-signed'));
    assert.equal(v.requiredDepth, null);
  });
  test('wrong root: 20 and untrusted-root', () => {
    const other = pki.root('Other Root');
    const v = run([other], [leafOf(int1), int1]);
    assert.equal(v.nginx?.code, 20);
    assert.ok(codes(v).includes('chain.untrusted-root'));
  });
  test('self-signed leaf: 18 unless pinned', () => {
    const self = pki.selfSignedLeaf({ cn: 'orders.internal', dns: ['orders.internal'] });
    const v = run([root], [self]);
    assert.equal(v.nginx?.code, 18);
    assert.ok(codes(v).includes('chain.self-signed-leaf'));
    assert.equal(run([self], [self], { name: 'orders.internal' }).ok, true);
  });
  test('chain ending in an untrusted root: 19', () => {
    const other = pki.root('Other Root');
    assert.equal(run([other], [leafOf(int1), int1, root]).nginx?.code, 19);
  });
});

describe('validity', () => {
  test('expired leaf: 10 with the date; not-yet-valid: 9', () => {
    const expired = leafOf(int1, { notBefore: new Date(Date.now() - 100 * DAY), notAfter: new Date(Date.now() - DAY) });
    const v = run([root], [expired, int1]);
    assert.equal(v.nginx?.code, 10);
    assert.match(
      v.findings.find((f) => f.code === 'chain.expired')!.message,
      /'CN=orders.internal' \(depth 0\) expired at \d{4}-/,
    );
    const future = leafOf(int1, { notBefore: new Date(Date.now() + DAY), notAfter: new Date(Date.now() + 100 * DAY) });
    assert.equal(run([root], [future, int1]).nginx?.code, 9);
  });
  test('expiring within warnDays: a warning, not an error; outside: nothing', () => {
    const soon = leafOf(int1, { notAfter: new Date(Date.now() + 10 * DAY) });
    const v = run([root], [soon, int1], { name: 'orders.internal' });
    assert.equal(v.ok, true);
    const w = v.findings.find((f) => f.code === 'chain.expiring-soon');
    assert.equal(w?.severity, 'warning');
    assert.match(w!.message, /in (9|10) days/);
    assert.ok(!codes(run([root], [soon, int1], { warnDays: 5 })).includes('chain.expiring-soon'));
  });
  test('an expired leaf with a wrong name reports the expiry (nginx checks the name only after)', () => {
    const expired = leafOf(int1, { notBefore: new Date(Date.now() - 100 * DAY), notAfter: new Date(Date.now() - DAY) });
    assert.equal(run([root], [expired, int1], { name: 'wrong.internal' }).nginx?.code, 10);
  });
});

describe('issuer checks', () => {
  test('CA:FALSE intermediate: 79 invalid CA, then 26 (not a CA for ssl_server) is what nginx logs', () => {
    const notCa = pki.intermediate(root, 'Not CA', { ca: false, keyUsage: 'critical,keyCertSign,cRLSign' });
    const v = run([root], [leafOf(notCa), notCa]);
    assert.equal(v.nginx?.code, 26);
    assert.deepEqual(codes(v).slice(0, 2), ['chain.issuer-not-ca', 'chain.purpose']);
    assert.equal(run([root], [leafOf(int1), int1]).ok, true);
  });
  test('keyUsage without keyCertSign: 32 after 79', () => {
    const noSign = pki.intermediate(root, 'No Sign', { keyUsage: 'critical,digitalSignature' });
    const v = run([root], [leafOf(noSign), noSign]);
    assert.equal(v.nginx?.code, 32);
    assert.ok(codes(v).includes('chain.issuer-not-ca'));
    assert.ok(codes(v).includes('chain.issuer-key-usage'));
  });
  test('pathlen 0 with a CA below: 25; near miss: leaf directly below passes', () => {
    const p0 = pki.intermediate(root, 'Pathlen 0', { pathlen: 0 });
    const below = pki.intermediate(p0, 'Below');
    assert.equal(run([root], [leafOf(below), below, p0]).nginx?.code, 25);
    assert.equal(run([root], [leafOf(p0), p0]).ok, true);
  });
  test('bad signature: same issuer name, other key, no AKID to tell them apart: 7', () => {
    const twin = pki.intermediate(root, 'Issuing CA');
    const leaf = leafOf(int1, { noKeyIds: true });
    const v = run([root], [leaf, twin]);
    assert.equal(v.nginx?.code, 7);
    assert.ok(codes(v).includes('chain.bad-signature'));
  });
});

describe('purpose and extensions', () => {
  test('clientAuth-only leaf: 26 with the EKU named; near miss serverAuth passes', () => {
    const v = run([root], [leafOf(int1, { client: true }), int1]);
    assert.equal(v.nginx?.code, 26);
    assert.match(v.findings.find((f) => f.code === 'chain.purpose')!.message, /without serverAuth \(clientAuth\)/);
    assert.equal(run([root], [leafOf(int1, { extendedKeyUsage: 'serverAuth,clientAuth' }), int1]).ok, true);
  });
  test('unknown critical extension: 34; the same extension non-critical passes', () => {
    const v = run([root], [leafOf(int1, { extraExtensions: ['1.3.6.1.4.1.55555.7=critical,ASN1:NULL'] }), int1]);
    assert.equal(v.nginx?.code, 34);
    assert.match(
      v.findings.find((f) => f.code === 'chain.unhandled-critical-extension')!.message,
      /1\.3\.6\.1\.4\.1\.55555\.7/,
    );
    assert.equal(run([root], [leafOf(int1, { extraExtensions: ['1.3.6.1.4.1.55555.7=ASN1:NULL'] }), int1]).ok, true);
  });
  test('name constraints: 47 outside the permitted tree, fine inside', () => {
    const nc = pki.intermediate(root, 'NC CA', { nameConstraints: 'critical,permitted;DNS:.internal' });
    assert.equal(run([root], [leafOf(nc, { cn: 'x.example.com', dns: ['x.example.com'] }), nc]).nginx?.code, 47);
    assert.equal(run([root], [leafOf(nc), nc]).ok, true);
  });
});

describe('security level 2', () => {
  test('RSA-1024 leaf: 66; RSA-1024 intermediate: 67; RSA-2048 passes', () => {
    const v = run([root], [leafOf(int1, { key: 'rsa-1024' }), int1]);
    assert.equal(v.nginx?.code, 66);
    assert.match(v.findings.find((f) => f.code === 'chain.key-too-small')!.message, /1024-bit RSA key/);
    const weak = pki.intermediate(root, 'Weak CA', { key: 'rsa-1024' });
    assert.equal(run([root], [leafOf(weak), weak]).nginx?.code, 67);
    assert.equal(run([root], [leafOf(int1, { key: 'rsa-2048' }), int1]).ok, true);
  });
  test('SHA-1 signature on the leaf: 68; on the self-signed root it does not matter', () => {
    assert.equal(run([root], [leafOf(int1, { md: 'sha1' }), int1]).nginx?.code, 68);
    const sha1Root = pki.root('SHA1 Root', { md: 'sha1' });
    assert.equal(run([sha1Root], [leafOf(sha1Root)]).ok, true);
  });
});

describe('host name (nginx: X509_check_host, flags 0)', () => {
  test('mismatch: 62 and the names the certificate has', () => {
    const v = run([root], [leafOf(int1), int1], { name: 'payments.internal' });
    assert.deepEqual(v.nginx, { code: 62, reason: 'hostname mismatch', name: 'payments.internal' });
    assert.match(
      v.findings.find((f) => f.code === 'chain.host-mismatch')!.message,
      /valid for 'orders.internal'.*upstream SSL certificate does not match "payments.internal"/,
    );
  });
  test("nginx cuts the name at its first ':'; near miss: the cut name matches", () => {
    const withPort = run([root], [leafOf(int1), int1], { name: 'orders.internal:8443' });
    assert.equal(withPort.ok, true);
    const v6 = run([root], [leafOf(int1), int1], { name: '::1' });
    assert.deepEqual(v6.nginx, { code: 62, reason: 'hostname mismatch', name: '' });
    assert.match(
      v6.findings.find((f) => f.code === 'chain.host-mismatch')!.message,
      /cuts proxy_ssl_name "::1" at its first ':'.*does not match ""/,
    );
  });
  test('wildcards match one label only; CN is used only without DNS SANs', () => {
    const wild = leafOf(int1, { cn: 'wild', dns: ['*.orders.internal'] });
    assert.equal(run([root], [wild, int1], { name: 'a.orders.internal' }).ok, true);
    assert.equal(run([root], [wild, int1], { name: 'a.b.orders.internal' }).nginx?.code, 62);
    const cnOnly = leafOf(int1, { cn: 'orders.internal', dns: [] });
    const v = run([root], [cnOnly, int1], { name: 'orders.internal' });
    assert.equal(v.ok, true);
    assert.ok(codes(v).includes('chain.cn-only'));
    const sanElsewhere = leafOf(int1, { cn: 'orders.internal', dns: ['alt.internal'] });
    assert.equal(run([root], [sanElsewhere, int1], { name: 'orders.internal' }).nginx?.code, 62);
  });
  test('an IP name never matches an IP SAN', () => {
    const withIp = leafOf(int1, { ip: ['10.0.0.12'] });
    const v = run([root], [withIp, int1], { name: '10.0.0.12' });
    assert.equal(v.nginx?.code, 62);
    assert.match(
      v.findings.find((f) => f.code === 'chain.host-mismatch')!.message,
      /never matches IP addresses, even though the certificate has '10\.0\.0\.12' as an IP SAN/,
    );
    assert.ok(codes(v).includes('chain.ip-name'));
  });
});

describe('inputs', () => {
  test('an unparseable presented certificate and an empty trust store are errors', () => {
    const bogus = {
      block: { label: 'CERTIFICATE', der: Buffer.from('3003020100', 'hex'), line: 1, text: '' },
      file: 'bogus.pem',
    };
    const v = verifyChain({ presented: [bogus], trusted: sources(root.cert), depth: 1, at: new Date() });
    assert.equal(v.ok, false);
    assert.deepEqual(codes(v), ['chain.unparseable']);
    const e = verifyChain({
      presented: sources(pki.bundle('lone.pem', [leafOf(root)])),
      trusted: [],
      depth: 1,
      at: new Date(),
    });
    assert.equal(e.ok, false);
    assert.ok(codes(e).includes('chain.trust-store-empty'));
  });
  test('findings point at the certificate file and line', () => {
    const expired = leafOf(int1, { notBefore: new Date(Date.now() - 100 * DAY), notAfter: new Date(Date.now() - DAY) });
    const file = pki.bundle('expired-chain.pem', [expired, int1]);
    const v = verifyChain({ presented: sources(file), trusted: sources(root.cert), depth: 1, at: new Date() });
    const f = v.findings.find((x) => x.code === 'chain.expired')!;
    assert.equal(f.file, file);
    assert.equal(f.line, 1);
  });
  test('a trust store is parsed once and shared', async () => {
    const { trustStoreOf } = await import('../../../src/tls/chain/store.js');
    assert.equal(trustStoreOf(sources(root.cert)), trustStoreOf(sources(root.cert)));
  });
});

describe('aux trust settings (TRUSTED CERTIFICATE blocks)', () => {
  test('a root rejected for serverAuth: 28 then 26 at its depth, one finding naming the block', () => {
    const v = run([pki.trusted(root, { addreject: ['serverAuth'] })], [leafOf(int1), int1], {
      name: 'orders.internal',
    });
    assert.equal(v.ok, false);
    assert.deepEqual(v.nginx, { code: 26, reason: 'unsuitable certificate purpose' });
    const f = v.findings.filter((x) => x.code === 'chain.trust-rejected');
    assert.equal(f.length, 1, JSON.stringify(v.findings));
    assert.match(
      f[0].message,
      /trust store 'internal' holds 'CN=Root CA' as a TRUSTED CERTIFICATE block that rejects serverAuth .*plain CERTIFICATE block.*nginx will log \(26:unsuitable certificate purpose\)$/,
    );
    assert.ok(!codes(v).includes('chain.purpose'), 'the purpose error is explained by the aux settings');
  });
  test('a root trusted for clientAuth only: rejected for serverAuth too', () => {
    const v = run([pki.trusted(root, { addtrust: ['clientAuth'] })], [leafOf(int1), int1]);
    assert.equal(v.nginx?.code, 26);
    assert.match(
      v.findings.find((x) => x.code === 'chain.trust-rejected')!.message,
      /trusts it only for clientAuth, not serverAuth/,
    );
  });
  test('near miss: trusted for serverAuth, or rejected only for clientAuth, verifies', () => {
    assert.equal(
      run([pki.trusted(root, { addtrust: ['serverAuth'] })], [leafOf(int1), int1], { name: 'orders.internal' }).ok,
      true,
    );
    assert.equal(
      run([pki.trusted(root, { addreject: ['clientAuth'] })], [leafOf(int1), int1], { name: 'orders.internal' }).ok,
      true,
    );
    assert.equal(
      run([pki.trusted(root, { addtrust: ['anyExtendedKeyUsage'] })], [leafOf(int1), int1], { name: 'orders.internal' })
        .ok,
      true,
    );
  });
  test('an intermediate trusted for serverAuth anchors the chain without its root', () => {
    const v = run([pki.trusted(int1, { addtrust: ['serverAuth'] })], [leafOf(int1), int1], {
      name: 'orders.internal',
      depth: 0,
    });
    assert.equal(v.ok, true);
    assert.deepEqual(v.chain, ['CN=orders.internal', 'CN=Issuing CA']);
  });
  test('near miss: the plain copy of a certificate loaded first wins over a rejected copy', () => {
    assert.equal(run([root, pki.trusted(root, { addreject: ['serverAuth'] })], [leafOf(int1), int1]).ok, true);
  });
});
