import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCertificate } from '../../../src/tls/chain/certificate.js';
import type { ChainCert } from '../../../src/tls/chain/types.js';
import { likelyIssued } from '../../../src/tls/chain/issued.js';
import { TAG } from '../../../src/tls/chain/asn1.js';
import { buildCertificate, CA_TRUE, CN, nameDer, O, toPem, type NameSpec } from './cert-builder.js';
import { opensslVerify } from '../../support/openssl-reference.js';

/**
 * Issuer matching rests on X509_NAME_cmp(): OpenSSL compares canonical encodings (string types
 * folded to UTF-8, ASCII lowercased, whitespace trimmed and collapsed, RDN sets sorted). Each
 * variant below is checked three ways: gwctl, node's X509Certificate.checkIssued (X509_check_issued),
 * and a full verification by libcrypto.
 */
const bmp = (s: string) => Buffer.from(s, 'utf16le').swap16();
const ROOT: NameSpec = [[[CN, TAG.PrintableString, 'Root CA']]];
const variants: [string, NameSpec, boolean][] = [
  ['identical', ROOT, true],
  ['other case', [[[CN, TAG.PrintableString, 'root ca']]], true],
  ['extra whitespace', [[[CN, TAG.PrintableString, '  Root \t  CA ']]], true],
  ['UTF8String', [[[CN, TAG.UTF8String, 'ROOT CA']]], true],
  ['BMPString', [[[CN, TAG.BMPString, bmp('Root CA')]]], true],
  ['IA5String', [[[CN, TAG.IA5String, 'Root CA']]], true],
  ['other text', [[[CN, TAG.PrintableString, 'Root CA 2']]], false],
  ['inner space removed', [[[CN, TAG.PrintableString, 'RootCA']]], false],
  ['NumericString is not folded', [[[CN, 0x12, 'Root CA']]], false],
  ['extra RDN', [[[O, TAG.PrintableString, 'Acme']], [[CN, TAG.PrintableString, 'Root CA']]], false],
];

function parsed(der: Buffer): ChainCert {
  const r = parseCertificate(der);
  if ('error' in r) throw new Error(r.error);
  return r.cert;
}

test('issuer names match exactly when OpenSSL says they do', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gwctl-names-'));
  const { publicKey: caPub, privateKey: caKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const { publicKey: leafPub } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const caDer = buildCertificate({
    issuer: nameDer(ROOT),
    subject: nameDer(ROOT),
    publicKey: caPub,
    signingKey: caKey,
    extensions: [CA_TRUE],
  });
  const trusted = join(dir, 'root.pem');
  writeFileSync(trusted, toPem(caDer));
  variants.forEach(([label, issuerName, expected], i) => {
    const leafDer = buildCertificate({
      issuer: nameDer(issuerName),
      subject: nameDer([[[CN, TAG.PrintableString, 'leaf.internal']]]),
      publicKey: leafPub,
      signingKey: caKey,
      serial: i + 2,
    });
    const chain = join(dir, `leaf-${i}.pem`);
    writeFileSync(chain, toPem(leafDer));
    const node = new X509Certificate(leafDer).checkIssued(new X509Certificate(caDer));
    const ref = opensslVerify({ trusted, chain, depth: 1, at: new Date() });
    const mine = likelyIssued(parsed(caDer), parsed(leafDer));
    assert.equal(node, expected, `${label}: node's X509_check_issued`);
    assert.equal(ref.error === 0, expected, `${label}: libcrypto verification (${ref.error})`);
    assert.equal(mine, expected, `${label}: gwctl`);
  });
  rmSync(dir, { recursive: true, force: true });
});

test('multi-valued RDNs compare as sets', () => {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const a = parsed(
    buildCertificate({
      issuer: nameDer([
        [
          [O, TAG.UTF8String, 'Acme'],
          [CN, TAG.UTF8String, 'X'],
        ],
      ]),
      subject: nameDer([
        [
          [O, TAG.UTF8String, 'Acme'],
          [CN, TAG.UTF8String, 'X'],
        ],
      ]),
      publicKey,
      signingKey: privateKey,
      extensions: [CA_TRUE],
    }),
  );
  const b = parsed(
    buildCertificate({
      issuer: nameDer([
        [
          [CN, TAG.UTF8String, 'x'],
          [O, TAG.UTF8String, 'ACME'],
        ],
      ]),
      subject: nameDer([[[CN, TAG.UTF8String, 'leaf']]]),
      publicKey,
      signingKey: privateKey,
      serial: 9,
    }),
  );
  assert.equal(likelyIssued(a, b), true);
  assert.equal(b.x509.checkIssued(a.x509), true);
});
