import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SIGNATURE_OIDS, signatureAlgorithm, type KeyFamily } from '../../../src/tls/chain/algorithms.js';
import { parseCertificate } from '../../../src/tls/chain/certificate.js';
import { TAG } from '../../../src/tls/chain/asn1.js';
import { algorithmId, buildCertificate, CA_TRUE, CN, nameDer, toPem } from './cert-builder.js';
import { compare } from './harness.js';
import { opensslSigids, opensslSignatureBits } from '../../support/openssl-reference.js';

/**
 * Signature algorithms as OpenSSL 3.0 sees them: which OIDs OBJ_find_sigid_algs() maps (an
 * unmapped one never lets an issuer match: 21 for a leaf, 20 above it), which key each needs
 * (check_sig_alg_match()), and the security bits X509_get_signature_info() gives it (68 below
 * 112). The table is compared with libcrypto's, then every OID signs a leaf and an intermediate
 * that run through gwctl and libcrypto: same verdict, code, path, callback trace and bits.
 */
const dir = mkdtempSync(join(tmpdir(), 'gwctl-sigalgs-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/**
 * The key family gwctl expects for each pkey short name: the key types whose names include it
 * (EVP_PKEY_is_a()). The behaviour test below is what proves each one.
 */
const FAMILY_OF: Record<string, KeyFamily | 'none'> = {
  rsaEncryption: 'rsa',
  RSA: 'rsa',
  'RSASSA-PSS': 'rsa-pss',
  'id-ecPublicKey': 'ec',
  DSA: 'dsa',
  'DSA-old': 'dsa',
  ED25519: 'ed25519',
  ED448: 'ed448',
};

/** Signature OIDs OpenSSL 3.0 does not map, though they are registered object names. */
const UNMAPPED = [
  '1.2.840.113549.1.1.15',
  '1.2.840.113549.1.1.16',
  '2.16.840.1.101.3.4.3.9',
  '2.16.840.1.101.3.4.3.10',
  '2.16.840.1.101.3.4.3.11',
  '2.16.840.1.101.3.4.3.12',
  '2.16.840.1.101.3.4.3.3',
  '2.16.840.1.101.3.4.3.4',
  '2.16.840.1.101.3.4.3.6',
];

test("the sigid table is libcrypto's, entry for entry", () => {
  const theirs = opensslSigids();
  assert.deepEqual([...SIGNATURE_OIDS].sort(), theirs.map((e) => e.oid).sort());
  for (const e of theirs) assert.equal(signatureAlgorithm(e.oid)!.pk, FAMILY_OF[e.pk] ?? 'none', `${e.oid} (${e.pk})`);
  for (const o of UNMAPPED) assert.equal(signatureAlgorithm(o), undefined, o);
});

const keys = {
  rsa: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
  ec: generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey,
  dsa: generateKeyPairSync('dsa', { modulusLength: 2048, divisorLength: 256 }).privateKey,
  ed25519: generateKeyPairSync('ed25519').privateKey,
  ed448: generateKeyPairSync('ed448').privateKey,
};
const OWN_ALG: Record<keyof typeof keys, string> = {
  rsa: '1.2.840.113549.1.1.11',
  ec: '1.2.840.10045.4.3.2',
  dsa: '2.16.840.1.101.3.4.3.2',
  ed25519: '1.3.101.112',
  ed448: '1.3.101.113',
};
/** node's digest name for each OpenSSL digest short name (signing where node can, random bytes where it cannot). */
const NODE_MD: Record<string, string | null> = {
  MD4: 'md4',
  MD5: 'md5',
  SHA1: 'sha1',
  SHA224: 'sha224',
  SHA256: 'sha256',
  SHA384: 'sha384',
  SHA512: 'sha512',
  RIPEMD160: 'ripemd160',
  SM3: 'sm3',
  'SHA3-224': 'sha3-224',
  'SHA3-256': 'sha3-256',
  'SHA3-384': 'sha3-384',
  'SHA3-512': 'sha3-512',
};
const UNMAPPED_MD: Record<string, string> = {
  '1.2.840.113549.1.1.15': 'sha512-224',
  '1.2.840.113549.1.1.16': 'sha512-256',
  '2.16.840.1.101.3.4.3.9': 'sha3-224',
  '2.16.840.1.101.3.4.3.10': 'sha3-256',
  '2.16.840.1.101.3.4.3.11': 'sha3-384',
  '2.16.840.1.101.3.4.3.12': 'sha3-512',
  '2.16.840.1.101.3.4.3.3': 'sha384',
  '2.16.840.1.101.3.4.3.4': 'sha512',
  '2.16.840.1.101.3.4.3.6': 'sha3-256',
};

function signer(key: KeyObject, md: string | null): (tbs: Buffer) => Buffer {
  return (tbs) => {
    try {
      return sign(key.asymmetricKeyType?.startsWith('ed') ? null : md, tbs, key);
    } catch {
      return randomBytes(64); // node (like OpenSSL's default provider) cannot sign with it: a bogus signature
    }
  };
}

let serial = 100;

function run(label: string, sigOid: string, issuerKey: keyof typeof keys, md: string | null) {
  const ik = keys[issuerKey];
  const rootName = nameDer([[[CN, TAG.UTF8String, `SigAlg Root ${serial}`]]]);
  const intName = nameDer([[[CN, TAG.UTF8String, `SigAlg Int ${serial}`]]]);
  const leafName = nameDer([[[CN, TAG.UTF8String, 'svc.internal']]]);
  const own = {
    algorithm: algorithmId(OWN_ALG[issuerKey]),
    sign: signer(ik, issuerKey === 'dsa' || issuerKey === 'rsa' || issuerKey === 'ec' ? 'sha256' : null),
  };
  const under = { algorithm: algorithmId(sigOid), sign: signer(ik, md) };
  const root = buildCertificate({
    issuer: rootName,
    subject: rootName,
    publicKey: ik,
    signingKey: ik,
    extensions: [CA_TRUE],
    serial: serial++,
    signature: own,
  });
  const leafKey = keys.ec;
  const leaf = buildCertificate({
    issuer: rootName,
    subject: leafName,
    publicKey: leafKey,
    signingKey: ik,
    serial: serial++,
    signature: under,
  });
  const int = buildCertificate({
    issuer: rootName,
    subject: intName,
    publicKey: ik,
    signingKey: ik,
    extensions: [CA_TRUE],
    serial: serial++,
    signature: under,
  });
  const leaf2 = buildCertificate({
    issuer: intName,
    subject: leafName,
    publicKey: leafKey,
    signingKey: ik,
    serial: serial++,
    signature: own,
  });
  const files = {
    root: join(dir, `${serial}-root.pem`),
    leaf: join(dir, `${serial}-leaf.pem`),
    chain2: join(dir, `${serial}-chain2.pem`),
  };
  writeFileSync(files.root, toPem(root));
  writeFileSync(files.leaf, toPem(leaf));
  writeFileSync(files.chain2, toPem(leaf2) + toPem(int));
  const out: string[] = [];
  for (const [what, chain] of [
    ['leaf', files.leaf],
    ['intermediate', files.chain2],
  ] as const) {
    const c = compare(`${label} (${what})`, files.root, chain, 2, 'svc.internal', new Date());
    if (JSON.stringify(c.gwctl) !== JSON.stringify({ ...c.openssl, ok: c.gwctl.ok }) || c.gwctl.ok !== c.openssl.ok)
      out.push(`${c.label}: gwctl ${JSON.stringify(c.gwctl)} openssl ${JSON.stringify(c.openssl)}`);
  }
  const bits = opensslSignatureBits(files.leaf)[0];
  const r = parseCertificate(leaf);
  const ours = 'cert' in r ? (r.cert.signatureBits ?? -1) : 'unparsed';
  if (ours !== bits) out.push(`${label}: security bits gwctl ${ours}, libcrypto ${bits}`);
  return out;
}

test('every signature algorithm, mapped or not, on a leaf and on an intermediate', () => {
  // The issuer's key is the kind the pkey name suggests (DSA-old: DSA, SM2: EC), so a mismatch shows.
  const issuerFor = (pk: string): keyof typeof keys =>
    /^(rsa|RSA)/.test(pk)
      ? 'rsa'
      : pk.startsWith('DSA')
        ? 'dsa'
        : pk === 'ED25519'
          ? 'ed25519'
          : pk === 'ED448'
            ? 'ed448'
            : 'ec';
  const disagreements: string[] = [];
  let runs = 0;
  for (const e of opensslSigids()) {
    disagreements.push(
      ...run(
        `${e.oid} (${e.md || 'no digest'}, ${e.pk || 'no key type'})`,
        e.oid,
        issuerFor(e.pk),
        NODE_MD[e.md] ?? null,
      ),
    );
    runs++;
  }
  for (const o of UNMAPPED) {
    disagreements.push(
      ...run(
        `${o} (unmapped)`,
        o,
        o.startsWith('1.2.840.113549')
          ? 'rsa'
          : o.endsWith('.3') || o.endsWith('.4') || o.endsWith('.6')
            ? 'dsa'
            : 'ec',
        UNMAPPED_MD[o],
      ),
    );
    runs++;
  }
  assert.deepEqual(disagreements, []);
  assert.ok(runs > 50);
});
