import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCertificate } from '../../../src/tls/chain/certificate.js';
import { TAG } from '../../../src/tls/chain/asn1.js';
import { tlv } from '../../../src/tls/chain/name.js';
import { buildCertificate, CA_TRUE, CN, nameDer, toPem, type BuildOptions, type NameSpec } from './cert-builder.js';
import { compare, sources } from './harness.js';
import { verifyChain } from '../../../src/tls/chain/index.js';
import { nginxCode, opensslVerify } from '../../support/openssl-reference.js';

/**
 * The places where @peculiar/x509's decoding normalises away what OpenSSL looks at, so the engine
 * reads the asn1js elements instead (docs/chain-engine.md, "Where the certificate fields come from").
 * None of them occurs in x509-limbo or the openssl-built matrix, so each is built here by hand and
 * checked against libcrypto: same verdict, same code, same path, same callback trace.
 */
const dir = mkdtempSync(join(tmpdir(), 'gwctl-encodings-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const { publicKey: caPub, privateKey: caKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const { publicKey: leafPub } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const h = (hex: string) => Buffer.from(hex.replace(/\s/g, ''), 'hex');
const seq = (...parts: Buffer[]) => tlv(TAG.SEQUENCE, Buffer.concat(parts));
const utc = (s: string) => tlv(TAG.UTCTime, Buffer.from(s, 'latin1'));
const gen = (s: string) => tlv(TAG.GeneralizedTime, Buffer.from(s, 'latin1'));
const san = (...names: Buffer[]): [string, boolean, Buffer] => ['2.5.29.17', false, seq(...names)];
const dns = (s: string) => tlv(0x82, Buffer.from(s, 'latin1'));
const ROOT: NameSpec = [[[CN, TAG.UTF8String, 'Encodings Root']]];
const LEAF: NameSpec = [[[CN, TAG.UTF8String, 'leaf.internal']]];
let serial = 10;

function root(o: Partial<BuildOptions> = {}): Buffer {
  return buildCertificate({
    issuer: nameDer(ROOT),
    subject: nameDer(ROOT),
    publicKey: caPub,
    signingKey: caKey,
    extensions: [CA_TRUE],
    serial: serial++,
    ...o,
  });
}

function leaf(o: Partial<BuildOptions> = {}): Buffer {
  return buildCertificate({
    issuer: nameDer(ROOT),
    subject: nameDer(LEAF),
    publicKey: leafPub,
    signingKey: caKey,
    extensions: [san(dns('leaf.internal'))],
    serial: serial++,
    ...o,
  });
}

function agree(
  label: string,
  rootDer: Buffer,
  leafDer: Buffer,
  name = 'leaf.internal',
): { ok: boolean; code: number | null } {
  for (const der of [rootDer, leafDer]) {
    const r = parseCertificate(der);
    assert.ok(!('error' in r), `${label}: gwctl must read the certificate: ${'error' in r ? r.error : ''}`);
  }
  const trusted = join(dir, `${serial}-root.pem`);
  const chain = join(dir, `${serial}-leaf.pem`);
  writeFileSync(trusted, toPem(rootDer));
  writeFileSync(chain, toPem(leafDer));
  const c = compare(label, trusted, chain, 1, name, new Date());
  assert.deepEqual(
    c.gwctl,
    { ...c.openssl, ok: c.gwctl.ok },
    `${label}: gwctl ${JSON.stringify(c.gwctl)}, openssl ${JSON.stringify(c.openssl)}`,
  );
  assert.equal(c.gwctl.ok, c.openssl.ok, label);
  return { ok: c.gwctl.ok, code: c.gwctl.code as number | null };
}

test('validity times are judged on their text, as X509_cmp_time() does', () => {
  const cases: [string, Buffer, Buffer, number | null][] = [
    ['well-formed GeneralizedTime', gen('20200101000000Z'), gen('20491231235959Z'), null],
    ['notAfter without seconds', utc('200101000000Z'), utc('4912312359Z'), 14],
    ['notBefore in month 13', utc('201301000000Z'), utc('491231235959Z'), 13],
    ['notAfter with second 60', utc('200101000000Z'), utc('491231235960Z'), 14],
    ['notAfter with a zone offset', utc('200101000000Z'), utc('491231235959+0100'), 14],
    ['GeneralizedTime with fractional seconds', gen('20200101000000Z'), gen('20491231235959.5Z'), 14],
  ];
  for (const [label, nb, na, code] of cases) {
    const r = agree(label, root(), leaf({ validity: [nb, na] }));
    assert.equal(r.code, code, label);
  }
});

test('names compare on their original string bytes, beyond the Basic Multilingual Plane too', () => {
  const smile = Buffer.from('Encodings Root \u{1F600}', 'utf8');
  const universal = Buffer.concat(
    [...'ENCODINGS ROOT \u{1F600}'].map((ch) => {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(ch.codePointAt(0)!);
      return b;
    }),
  );
  const rootName: NameSpec = [[[CN, TAG.UTF8String, smile]]];
  const r = buildCertificate({
    issuer: nameDer(rootName),
    subject: nameDer(rootName),
    publicKey: caPub,
    signingKey: caKey,
    extensions: [CA_TRUE],
    serial: serial++,
  });
  // asn1js would read U+1F600 in a UniversalString as U+F600: the names would no longer match.
  const l = leaf({ issuer: nameDer([[[CN, TAG.UniversalString, universal]]]) });
  assert.equal(agree('UniversalString issuer, UTF8String root', r, l).ok, true);
  const other = Buffer.concat(
    [...'ENCODINGS ROOT \u{F600}'].map((ch) => {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(ch.codePointAt(0)!);
      return b;
    }),
  );
  // No issuer for the leaf: 20, then 21 for a chain of one, which nginx logs.
  assert.equal(
    agree('a UniversalString one code point away', r, leaf({ issuer: nameDer([[[CN, TAG.UniversalString, other]]]) }))
      .code,
    21,
  );
});

test('subjectAltName with x400Address and ediPartyName names, which asn1-x509 cannot decode', () => {
  const x400 = tlv(0xa3, seq());
  const edi = tlv(0xa5, tlv(0xa1, tlv(TAG.UTF8String, Buffer.from('party'))));
  assert.equal(
    agree(
      'x400Address and ediPartyName beside a DNS name',
      root(),
      leaf({ extensions: [san(x400, edi, dns('leaf.internal'))] }),
    ).ok,
    true,
  );
});

test('iPAddress name constraints keep their exact mask', () => {
  // 10.0.0.0 with the non-contiguous mask 255.0.255.0: the library would call it 10.0.0.0/16.
  const nc: [string, boolean, Buffer] = ['2.5.29.30', true, seq(tlv(0xa0, seq(tlv(0x87, h('0a000000 ff00ff00')))))];
  const ca = root({ extensions: [CA_TRUE, nc] });
  const ip = (hex: string) => tlv(0x87, h(hex));
  assert.equal(
    agree('10.5.0.7 fits 10.x.0.x', ca, leaf({ extensions: [san(dns('leaf.internal'), ip('0a050007'))] })).ok,
    true,
  );
  assert.equal(
    agree('10.5.1.7 does not', ca, leaf({ extensions: [san(dns('leaf.internal'), ip('0a050107'))] })).code,
    47,
  );
  assert.equal(
    agree('a five-octet iPAddress SAN', ca, leaf({ extensions: [san(dns('leaf.internal'), ip('0a05000700'))] })).code,
    53,
  );
});

test('keyUsage and basicConstraints beyond the sizes the library converts exactly', () => {
  // keyCertSign in a 9-octet bit string whose last bits are set: KeyUsagesExtension folds all 72
  // bits into one float and loses the low ones; OpenSSL reads the first two octets. Pathlen 2^64-1.
  const ku: [string, boolean, Buffer] = ['2.5.29.15', true, h('030a00 06 000000000000 ffff')];
  const bc: [string, boolean, Buffer] = ['2.5.29.19', true, seq(h('0101ff'), h('020900ffffffffffffffff'))];
  assert.equal(agree('long keyUsage and huge pathlen', root({ extensions: [bc, ku] }), leaf()).ok, true);
  const noSign: [string, boolean, Buffer] = ['2.5.29.15', true, h('030a00 02 000000000000 ffff')];
  assert.equal(agree('long keyUsage without keyCertSign', root({ extensions: [bc, noSign] }), leaf()).code, 32);
});

test('BER OpenSSL accepts: indefinite lengths in a name and in an extension value', () => {
  // gwctl's earlier DER reader refused the first certificate outright and marked the second invalid.
  const indefinite = (der: Buffer) =>
    Buffer.concat([Buffer.from([der[0], 0x80]), der.subarray(2), Buffer.from([0, 0])]);
  assert.equal(agree('indefinite-length issuer name', root(), leaf({ issuer: indefinite(nameDer(ROOT)) })).ok, true);
  const berSan: [string, boolean, Buffer] = ['2.5.29.17', false, indefinite(seq(dns('leaf.internal')))];
  assert.equal(agree('indefinite-length subjectAltName', root(), leaf({ extensions: [berSan] })).ok, true);
});

test('a GeneralizedTime that is no time at all is read as written and judged as X509_cmp_time() judges it', () => {
  // The DER reader keeps the time's text (asn1js used to throw on it, and the certificate was
  // reported as undecodable). OpenSSL loads the certificate and fails X509_cmp_time() (13).
  const l = leaf({ validity: [gen('not a time'), utc('491231235959Z')] });
  const r = parseCertificate(l);
  assert.ok('cert' in r, JSON.stringify('error' in r ? r : 'parsed'));
  assert.deepEqual(r.cert.notBefore, { tag: 0x18, text: 'not a time' });
  const trusted = join(dir, 'garbage-root.pem');
  const chain = join(dir, 'garbage-leaf.pem');
  writeFileSync(trusted, toPem(root()));
  writeFileSync(chain, toPem(l));
  const code = nginxCode(opensslVerify({ trusted, chain, depth: 1, at: new Date(), name: 'leaf.internal' }));
  assert.equal(code, 13);
  const v = verifyChain({
    presented: sources(chain),
    trusted: sources(trusted),
    depth: 1,
    name: 'leaf.internal',
    at: new Date(),
  });
  assert.equal(v.ok, false);
  assert.equal(v.nginx?.code, code);
});
