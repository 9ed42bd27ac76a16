import type { KeyObject } from 'node:crypto';
import { TAG, decode, lib, parseBer, tagOf } from './asn1.js';
import { ifcSecurityBits } from './security-bits.js';

/** Key families as OpenSSL's EVP_PKEY_is_a() tells them apart. */
export type KeyFamily = 'rsa' | 'rsa-pss' | 'ec' | 'dsa' | 'ed25519' | 'ed448' | 'other';

export interface SignatureAlgorithm {
  /**
   * The key family the signature needs: check_sig_alg_match() asks EVP_PKEY_is_a(issuer key,
   * short name of OBJ_find_sigid_algs()' pkey NID). 'none' where no key type has that name (SM2,
   * GOST without its engine, the ECDH KDF schemes): no issuer ever matches.
   */
  pk: KeyFamily | 'none';
  /** Digest name, null for NID_undef (EdDSA, RSASSA-PSS, ecdsa-with-Recommended/Specified). */
  md: string | null;
}

const sig = (pk: SignatureAlgorithm['pk'], md: string | null): SignatureAlgorithm => ({ pk, md });

/**
 * OpenSSL 3.0's sigoid_srt (crypto/objects/obj_xref.h), the whole table OBJ_find_sigid_algs()
 * knows; test/tls/chain/signature-algorithms.test.ts compares it with libcrypto's. OIDs missing
 * here (sha512-224WithRSA, ecdsa-with-SHA3-*, dsa-with-SHA384, ...) have no mapping in 3.0:
 * no issuer ever matches a certificate signed so.
 */
const SIG_ALGS: Record<string, SignatureAlgorithm> = {
  '1.2.840.113549.1.1.2': sig('rsa', 'md2'),
  '1.2.840.113549.1.1.3': sig('rsa', 'md4'),
  '1.2.840.113549.1.1.4': sig('rsa', 'md5'),
  '1.2.840.113549.1.1.5': sig('rsa', 'sha1'),
  '1.2.840.113549.1.1.11': sig('rsa', 'sha256'),
  '1.2.840.113549.1.1.12': sig('rsa', 'sha384'),
  '1.2.840.113549.1.1.13': sig('rsa', 'sha512'),
  '1.2.840.113549.1.1.14': sig('rsa', 'sha224'),
  '1.3.14.3.2.15': sig('rsa', 'sha'),
  '1.3.14.3.2.3': sig('rsa', 'md5'), // RSA-NP-MD5: pkey NID_rsa, an alias of rsaEncryption
  '1.3.14.3.2.29': sig('rsa', 'sha1'),
  '2.5.8.3.100': sig('rsa', 'mdc2'),
  '1.3.36.3.3.1.2': sig('rsa', 'ripemd160'),
  '2.16.840.1.101.3.4.3.13': sig('rsa', 'sha3-224'),
  '2.16.840.1.101.3.4.3.14': sig('rsa', 'sha3-256'),
  '2.16.840.1.101.3.4.3.15': sig('rsa', 'sha3-384'),
  '2.16.840.1.101.3.4.3.16': sig('rsa', 'sha3-512'),
  '1.2.840.113549.1.1.10': sig('rsa-pss', null),
  '1.2.840.10045.4.1': sig('ec', 'sha1'),
  '1.2.840.10045.4.2': sig('ec', null),
  '1.2.840.10045.4.3': sig('ec', null),
  '1.2.840.10045.4.3.1': sig('ec', 'sha224'),
  '1.2.840.10045.4.3.2': sig('ec', 'sha256'),
  '1.2.840.10045.4.3.3': sig('ec', 'sha384'),
  '1.2.840.10045.4.3.4': sig('ec', 'sha512'),
  '1.2.156.10197.1.501': sig('none', 'sm3'), // pkey "SM2": an EC key on any curve is not is_a("SM2")
  '1.3.14.3.2.13': sig('dsa', 'sha'),
  '1.3.14.3.2.27': sig('dsa', 'sha1'), // pkey "DSA-old", one of the DSA key type's names
  '1.2.840.10040.4.3': sig('dsa', 'sha1'),
  '2.16.840.1.101.3.4.3.1': sig('dsa', 'sha224'),
  '2.16.840.1.101.3.4.3.2': sig('dsa', 'sha256'),
  '1.3.101.112': sig('ed25519', null),
  '1.3.101.113': sig('ed448', null),
  '1.2.643.2.2.3': sig('none', 'gost94'),
  '1.2.643.2.2.4': sig('none', 'gost94'),
  '1.2.643.2.9.1.3.3': sig('none', 'gost94'),
  '1.2.643.2.9.1.3.4': sig('none', 'gost94'),
  '1.2.643.7.1.1.3.2': sig('none', 'gost12-256'),
  '1.2.643.7.1.1.3.3': sig('none', 'gost12-512'),
  '1.3.133.16.840.63.0.2': sig('none', 'sha1'),
  '1.3.132.1.11.0': sig('none', 'sha224'),
  '1.3.132.1.11.1': sig('none', 'sha256'),
  '1.3.132.1.11.2': sig('none', 'sha384'),
  '1.3.132.1.11.3': sig('none', 'sha512'),
  '1.3.133.16.840.63.0.3': sig('none', 'sha1'),
  '1.3.132.1.14.0': sig('none', 'sha224'),
  '1.3.132.1.14.1': sig('none', 'sha256'),
  '1.3.132.1.14.2': sig('none', 'sha384'),
  '1.3.132.1.14.3': sig('none', 'sha512'),
};

export function signatureAlgorithm(oid: string): SignatureAlgorithm | undefined {
  return SIG_ALGS[oid];
}

/** The signature OIDs OpenSSL 3.0 maps, for the test comparing them with libcrypto. */
export const SIGNATURE_OIDS: readonly string[] = Object.keys(SIG_ALGS);

/**
 * x509_sig_info_init()'s security bits for a digest: half its size (EVP_MD_get_size() * 4), with
 * SHA-1, MD5 and GOST R 34.11-94 set by hand. Digests libcrypto cannot fetch by NID (MD2, SHA-0,
 * MDC2 and the GOST 2012 hashes on Debian's build) are absent: OpenSSL cannot rate them.
 */
const DIGEST_BITS: Record<string, number> = {
  md4: 64,
  md5: 39,
  sha1: 63,
  ripemd160: 80,
  sha224: 112,
  sha256: 128,
  sha384: 192,
  sha512: 256,
  'sha512-224': 112,
  'sha512-256': 128,
  'sha3-224': 112,
  'sha3-256': 128,
  'sha3-384': 192,
  'sha3-512': 256,
  shake128: 64,
  shake256: 128,
  sm3: 128,
  gost94: 105,
  blake2b512: 256,
  blake2s256: 128,
  whirlpool: 256,
};

/** Digest OIDs EVP_get_digestbyobj() resolves, for RSASSA-PSS parameters. */
const HASH_OIDS: Record<string, string> = {
  '1.2.840.113549.2.4': 'md4',
  '1.2.840.113549.2.5': 'md5',
  '1.3.14.3.2.26': 'sha1',
  '1.3.36.3.2.1': 'ripemd160',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
  '2.16.840.1.101.3.4.2.5': 'sha512-224',
  '2.16.840.1.101.3.4.2.6': 'sha512-256',
  '2.16.840.1.101.3.4.2.7': 'sha3-224',
  '2.16.840.1.101.3.4.2.8': 'sha3-256',
  '2.16.840.1.101.3.4.2.9': 'sha3-384',
  '2.16.840.1.101.3.4.2.10': 'sha3-512',
  '2.16.840.1.101.3.4.2.11': 'shake128',
  '2.16.840.1.101.3.4.2.12': 'shake256',
  '1.2.156.10197.1.401': 'sm3',
  '1.3.6.1.4.1.1722.12.2.1.16': 'blake2b512',
  '1.3.6.1.4.1.1722.12.2.2.8': 'blake2s256',
  '1.0.10118.3.0.55': 'whirlpool',
};

const MGF1 = '1.2.840.113549.1.1.8';

/**
 * The security bits X509_get_signature_info() reports for a certificate's signature, or null when
 * OpenSSL cannot rate it (check_sig_level() then fails): an unmapped algorithm, a digest it cannot
 * fetch, no digest and no rating of its own (ecdsa-with-Recommended/Specified), or RSASSA-PSS
 * parameters it cannot read (absent ones included).
 */
export function signatureSecurityBits(oid: string, params: ArrayBuffer | null | undefined): number | null {
  const alg = SIG_ALGS[oid];
  if (!alg) return null;
  if (alg.md !== null) return DIGEST_BITS[alg.md] ?? null;
  if (alg.pk === 'ed25519') return 128;
  if (alg.pk === 'ed448') return 224;
  if (alg.pk === 'rsa-pss') {
    // rsa_sig_info_set(): half the PSS digest's size; SHA-1 counts 64 and MD5 39 there.
    const md = pssDigest(params);
    if (md === 'sha1') return 64;
    if (md !== undefined && DIGEST_BITS[md] !== undefined) return DIGEST_BITS[md];
  }
  return null;
}

/**
 * ossl_rsa_pss_get_param() on RSASSA-PSS parameters (@peculiar/asn1-rsa's RsaSaPssParams, whose
 * defaults are SHA-1, MGF1-SHA-1, salt 20, trailer 1): the digest, or undefined when OpenSSL
 * refuses them (absent or not a SEQUENCE, undecodable, an unknown digest or MGF1 digest, a
 * negative salt, trailer not 1).
 */
function pssDigest(params: ArrayBuffer | null | undefined): string | undefined {
  if (params === undefined || params === null) return undefined;
  try {
    const node = parseBer(params);
    if (tagOf(node) !== TAG.SEQUENCE) return undefined;
    const p = decode(node, lib().asn1Rsa.RsaSaPssParams);
    const md = HASH_OIDS[p.hashAlgorithm.algorithm];
    // ossl_x509_algor_mgf1_decode(): a mask generator other than MGF1 reads as "none", i.e. SHA-1.
    const mgf = p.maskGenAlgorithm;
    if (mgf.algorithm === MGF1 && mgf.parameters) {
      const inner = decode(parseBer(mgf.parameters), lib().asn1X509.AlgorithmIdentifier);
      if (!HASH_OIDS[inner.algorithm]) return undefined;
    }
    if (p.saltLength < 0 || p.trailerField !== 1) return undefined;
    return md;
  } catch {
    return undefined;
  }
}

/** EVP_PKEY_is_a(issuer key, family of the signature): check_sig_alg_match(). */
export function keyFitsSignature(key: KeyFamily | null, sig: SignatureAlgorithm): boolean {
  if (key === null) return false;
  if (sig.pk === 'rsa-pss') return key === 'rsa' || key === 'rsa-pss';
  return key === sig.pk;
}

export function keyFamily(k: KeyObject): KeyFamily {
  const t = k.asymmetricKeyType;
  return t === 'rsa' || t === 'rsa-pss' || t === 'ec' || t === 'dsa' || t === 'ed25519' || t === 'ed448' ? t : 'other';
}

/** Bit length of the group order of the named curves node reports (EC_GROUP_order_bits). */
const CURVE_ORDER_BITS: Record<string, number> = {
  prime192v1: 192,
  secp224r1: 224,
  prime256v1: 256,
  secp384r1: 384,
  secp521r1: 521,
  secp256k1: 256,
  secp192k1: 192,
  secp224k1: 225,
  secp160r1: 161,
  secp160k1: 161,
  secp160r2: 161,
  brainpoolP160r1: 160,
  brainpoolP192r1: 192,
  brainpoolP224r1: 224,
  brainpoolP256r1: 256,
  brainpoolP320r1: 320,
  brainpoolP384r1: 384,
  brainpoolP512r1: 512,
  secp112r1: 112,
  secp128r1: 128,
  prime239v1: 239,
  SM2: 256,
};

/** ec_security_bits() from the order's bit length. */
function ecSecurityBits(orderBits: number): number {
  if (orderBits >= 512) return 256;
  if (orderBits >= 384) return 192;
  if (orderBits >= 256) return 128;
  if (orderBits >= 224) return 112;
  if (orderBits >= 160) return 80;
  return Math.floor(orderBits / 2);
}

/** BN_security_bits(L, N) for DSA. */
function dsaSecurityBits(L: number, N: number | undefined): number {
  let secbits: number;
  if (L >= 15360) secbits = 256;
  else if (L >= 7680) secbits = 192;
  else if (L >= 3072) secbits = 128;
  else if (L >= 2048) secbits = 112;
  else if (L >= 1024) secbits = 80;
  else return 0;
  if (N === undefined) return secbits;
  const bits = Math.floor(N / 2);
  if (bits < 80) return 0;
  return Math.min(bits, secbits);
}

export interface KeyInfo {
  family: KeyFamily;
  /** EVP_PKEY_get_security_bits(). */
  securityBits: number;
  /** A human size: RSA/DSA modulus bits, EC order bits. */
  sizeBits: number;
  /** EC key given with explicit curve parameters instead of a named curve (check_curve()). */
  explicitCurve: boolean;
  curve?: string;
}

/**
 * What OpenSSL's security level sees in a certificate's public key. node:crypto (OpenSSL) gives
 * the family and sizes; `algParams` is the SubjectPublicKeyInfo's AlgorithmIdentifier parameters,
 * which tell a named curve from explicit curve parameters.
 */
export function describeKey(key: KeyObject, algParams: ArrayBuffer | null | undefined): KeyInfo {
  const family = keyFamily(key);
  const d = key.asymmetricKeyDetails ?? {};
  switch (family) {
    case 'rsa':
    case 'rsa-pss': {
      const bits = d.modulusLength ?? 0;
      return { family, securityBits: ifcSecurityBits(bits), sizeBits: bits, explicitCurve: false };
    }
    case 'dsa': {
      const bits = d.modulusLength ?? 0;
      return { family, securityBits: dsaSecurityBits(bits, d.divisorLength), sizeBits: bits, explicitCurve: false };
    }
    case 'ec': {
      const explicit = explicitEcOrderBits(algParams);
      const orderBits = explicit ?? CURVE_ORDER_BITS[d.namedCurve ?? ''] ?? 0;
      return {
        family,
        securityBits: ecSecurityBits(orderBits),
        sizeBits: orderBits,
        explicitCurve: explicit !== null,
        curve: d.namedCurve,
      };
    }
    case 'ed25519':
      return { family, securityBits: 128, sizeBits: 256, explicitCurve: false };
    case 'ed448':
      return { family, securityBits: 224, sizeBits: 456, explicitCurve: false };
    default: {
      const t = key.asymmetricKeyType;
      const bits = t === 'x25519' ? 128 : t === 'x448' ? 224 : d.modulusLength ? ifcSecurityBits(d.modulusLength) : 0;
      return { family, securityBits: bits, sizeBits: d.modulusLength ?? 0, explicitCurve: false };
    }
  }
}

/**
 * For EC parameters given explicitly (@peculiar/asn1-ecc's SpecifiedECDomain) rather than as a
 * named curve (an OID), the bit length of the curve's order; else null. 0 when the order cannot
 * be read (the key then counts as having no strength).
 */
function explicitEcOrderBits(algParams: ArrayBuffer | null | undefined): number | null {
  if (!algParams) return null;
  let node: ReturnType<typeof parseBer>;
  try {
    node = parseBer(algParams);
  } catch {
    return null;
  }
  if (tagOf(node) !== TAG.SEQUENCE) return null;
  try {
    const order = Buffer.from(decode(node, lib().asn1Ecc.SpecifiedECDomain).order);
    const n = BigInt('0x' + (order.toString('hex') || '0'));
    return n === 0n ? 0 : n.toString(2).length;
  } catch {
    return 0;
  }
}
