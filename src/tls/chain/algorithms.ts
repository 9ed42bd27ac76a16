import type { KeyObject } from 'node:crypto';
import { TAG, decode, lib, parseBer, tagOf } from './asn1.js';

/** Key families as OpenSSL's EVP_PKEY_is_a() tells them apart. */
export type KeyFamily = 'rsa' | 'rsa-pss' | 'ec' | 'dsa' | 'ed25519' | 'ed448' | 'other';

export interface SignatureAlgorithm {
  /** The key family the signature needs (OBJ_find_sigid_algs' pkey NID). */
  pk: KeyFamily;
  /** Digest name, null for algorithms without a separate digest (EdDSA, RSASSA-PSS). */
  md: string | null;
}

/** OBJ_find_sigid_algs() for the signature OIDs seen in practice. */
const SIG_ALGS: Record<string, SignatureAlgorithm> = {
  '1.2.840.113549.1.1.4': { pk: 'rsa', md: 'md5' },
  '1.2.840.113549.1.1.5': { pk: 'rsa', md: 'sha1' },
  '1.3.14.3.2.29': { pk: 'rsa', md: 'sha1' },
  '1.2.840.113549.1.1.14': { pk: 'rsa', md: 'sha224' },
  '1.2.840.113549.1.1.11': { pk: 'rsa', md: 'sha256' },
  '1.2.840.113549.1.1.12': { pk: 'rsa', md: 'sha384' },
  '1.2.840.113549.1.1.13': { pk: 'rsa', md: 'sha512' },
  '1.2.840.113549.1.1.15': { pk: 'rsa', md: 'sha512-224' },
  '1.2.840.113549.1.1.16': { pk: 'rsa', md: 'sha512-256' },
  '2.16.840.1.101.3.4.3.13': { pk: 'rsa', md: 'sha3-224' },
  '2.16.840.1.101.3.4.3.14': { pk: 'rsa', md: 'sha3-256' },
  '2.16.840.1.101.3.4.3.15': { pk: 'rsa', md: 'sha3-384' },
  '2.16.840.1.101.3.4.3.16': { pk: 'rsa', md: 'sha3-512' },
  '1.2.840.113549.1.1.10': { pk: 'rsa-pss', md: null },
  '1.2.840.10045.4.1': { pk: 'ec', md: 'sha1' },
  '1.2.840.10045.4.3.1': { pk: 'ec', md: 'sha224' },
  '1.2.840.10045.4.3.2': { pk: 'ec', md: 'sha256' },
  '1.2.840.10045.4.3.3': { pk: 'ec', md: 'sha384' },
  '1.2.840.10045.4.3.4': { pk: 'ec', md: 'sha512' },
  '2.16.840.1.101.3.4.3.9': { pk: 'ec', md: 'sha3-224' },
  '2.16.840.1.101.3.4.3.10': { pk: 'ec', md: 'sha3-256' },
  '2.16.840.1.101.3.4.3.11': { pk: 'ec', md: 'sha3-384' },
  '2.16.840.1.101.3.4.3.12': { pk: 'ec', md: 'sha3-512' },
  '1.2.840.10040.4.3': { pk: 'dsa', md: 'sha1' },
  '2.16.840.1.101.3.4.3.1': { pk: 'dsa', md: 'sha224' },
  '2.16.840.1.101.3.4.3.2': { pk: 'dsa', md: 'sha256' },
  '1.3.101.112': { pk: 'ed25519', md: null },
  '1.3.101.113': { pk: 'ed448', md: null },
};

export function signatureAlgorithm(oid: string): SignatureAlgorithm | undefined {
  return SIG_ALGS[oid];
}

/** Security bits of a digest as x509_sig_info_init() counts them (SHA-1 and MD5 deliberately low). */
const DIGEST_BITS: Record<string, number> = {
  md5: 39, sha1: 63, sha224: 112, sha256: 128, sha384: 192, sha512: 256, 'sha512-224': 112, 'sha512-256': 128,
  'sha3-224': 112, 'sha3-256': 128, 'sha3-384': 192, 'sha3-512': 256,
};

const HASH_OIDS: Record<string, string> = {
  '1.3.14.3.2.26': 'sha1', '2.16.840.1.101.3.4.2.4': 'sha224', '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384', '2.16.840.1.101.3.4.2.3': 'sha512', '1.2.840.113549.2.5': 'md5',
};

/**
 * The security bits X509_get_signature_info() reports for a certificate's signature, or null when
 * OpenSSL cannot tell (unknown algorithm): check_sig_level() then fails.
 */
export function signatureSecurityBits(oid: string, params: ArrayBuffer | null | undefined): number | null {
  const alg = SIG_ALGS[oid];
  if (!alg) return null;
  if (alg.pk === 'ed25519') return 128;
  if (alg.pk === 'ed448') return 224;
  if (alg.pk === 'rsa-pss') {
    // rsa_sig_info_set(): half the PSS digest's bits; SHA-1 (the default) counts 64.
    const md = pssDigest(params);
    if (md === undefined) return null;
    if (md === 'sha1') return 64;
    if (md === 'md5') return 39;
    return DIGEST_BITS[md] ?? null;
  }
  return alg.md ? DIGEST_BITS[alg.md] ?? null : null;
}

/**
 * The digest of RSASSA-PSS parameters (@peculiar/asn1-rsa's RsaSaPssParams, whose hashAlgorithm
 * defaults to SHA-1): absent parameters mean SHA-1; parameters that are not a SEQUENCE (an explicit
 * NULL, `params === null`), do not decode, or name an unknown digest leave OpenSSL unable to rate it.
 */
function pssDigest(params: ArrayBuffer | null | undefined): string | undefined {
  if (params === undefined) return 'sha1';
  if (params === null) return undefined;
  try {
    const node = parseBer(params);
    if (tagOf(node) !== TAG.SEQUENCE) return undefined;
    return HASH_OIDS[decode(node, lib().asn1Rsa.RsaSaPssParams).hashAlgorithm.algorithm];
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
  prime192v1: 192, secp224r1: 224, prime256v1: 256, secp384r1: 384, secp521r1: 521, secp256k1: 256,
  secp192k1: 192, secp224k1: 225, secp160r1: 161, secp160k1: 161, secp160r2: 161,
  brainpoolP160r1: 160, brainpoolP192r1: 192, brainpoolP224r1: 224, brainpoolP256r1: 256, brainpoolP320r1: 320,
  brainpoolP384r1: 384, brainpoolP512r1: 512, secp112r1: 112, secp128r1: 128, prime239v1: 239, SM2: 256,
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

/** ossl_ifc_ffc_compute_security_bits(): RSA (and finite field) strength from the modulus size. */
export function ifcSecurityBits(n: number): number {
  const canonical: Record<number, number> = { 2048: 112, 3072: 128, 4096: 152, 6144: 176, 7680: 192, 8192: 200, 15360: 256 };
  if (canonical[n] !== undefined) return canonical[n];
  if (n >= 687737) return 1200;
  if (n < 8) return 0;
  const cap = n <= 7680 ? 192 : n <= 15360 ? 256 : 1200;
  const x = n * Math.LN2;
  const lx = Math.log(x);
  let y = Math.floor((1.923 * Math.cbrt(x * lx * lx) - 4.69) / Math.LN2);
  y = (y + 4) & ~7;
  return Math.min(y, cap);
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
      return { family, securityBits: ecSecurityBits(orderBits), sizeBits: orderBits, explicitCurve: explicit !== null, curve: d.namedCurve };
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
  let node;
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
