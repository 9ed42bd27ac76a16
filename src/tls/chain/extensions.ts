import { DerError, TAG, children, content, expect, oidOf, readTlv, smallInteger, type Tlv } from './der.js';
import { sameName, type X509Name } from './name.js';
import { keyFitsSignature, signatureAlgorithm } from './algorithms.js';
import { parseGeneralNames, parseGeneralName, type GeneralName } from './general-name.js';
import type { ChainCert } from './certificate.js';

/**
 * The extensions of a certificate as ossl_x509v3_cache_extensions() (crypto/x509/v3_purp.c)
 * digests them into x->ex_flags and friends, including when it marks a certificate invalid.
 */
export interface AuthorityKeyId {
  keyId: Buffer | null;
  /** The first directoryName of authorityCertIssuer (the only one X509_check_akid() looks at). */
  issuerName: X509Name | null;
  serial: bigint | null;
}

export interface GeneralSubtree {
  base: GeneralName;
  /** minimum present and non-zero, or maximum present: OpenSSL refuses such subtrees (SUBTREE_MINMAX). */
  minMaxInvalid: boolean;
}

export interface NameConstraints {
  permitted: GeneralSubtree[];
  excluded: GeneralSubtree[];
}

/**
 * What ossl_x509v3_cache_extensions() derives from a certificate (x->ex_flags and friends).
 * `invalid` is EXFLAG_INVALID: OpenSSL then treats the certificate as broken in many places
 * (X509_check_ca() == 0, X509_self_signed() < 0, ...).
 */
export interface ExtensionFacts {
  invalid: boolean;
  v1: boolean;
  /** basicConstraints present. */
  bcons: boolean;
  ca: boolean;
  /** pathLenConstraint, -1 when absent. */
  pathlen: number;
  proxy: boolean;
  /** keyUsage bits as OpenSSL packs them (first byte | second byte << 8), null when absent. */
  keyUsage: number | null;
  /** XKU_* bits, null when extendedKeyUsage is absent. */
  extKeyUsage: number | null;
  /** The extendedKeyUsage OIDs, for messages. */
  extKeyUsageOids: string[];
  nsCertType: number | null;
  skid: Buffer | null;
  akid: AuthorityKeyId | null;
  /** EXFLAG_SI: subject == issuer. */
  selfIssued: boolean;
  /** EXFLAG_SS: self-issued, AKID consistent with own SKID, own key fits own signature algorithm. */
  selfSigned: boolean;
  /** EXFLAG_CRITICAL: a critical extension OpenSSL does not handle. */
  unhandledCritical: string | null;
  altNames: GeneralName[] | null;
  nameConstraints: NameConstraints | null;
  /** Human reasons for `invalid`. */
  invalidReasons: string[];
}

export const OID = {
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  issuerAltName: '2.5.29.18',
  nameConstraints: '2.5.29.30',
  skid: '2.5.29.14',
  akid: '2.5.29.35',
  crlDistributionPoints: '2.5.29.31',
  nsCertType: '2.16.840.1.113730.1.1',
  proxyCertInfo: '1.3.6.1.5.5.7.1.14',
  sbgpIpAddrBlock: '1.3.6.1.5.5.7.1.7',
  sbgpAsNum: '1.3.6.1.5.5.7.1.8',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  anyExtendedKeyUsage: '2.5.29.37.0',
} as const;

/** X509_supported_extension(): critical extensions outside this list make a certificate unusable. */
const SUPPORTED_EXTENSIONS = new Set<string>([
  OID.nsCertType, OID.keyUsage, OID.subjectAltName, OID.basicConstraints, '2.5.29.32', OID.crlDistributionPoints,
  OID.extKeyUsage, OID.sbgpIpAddrBlock, OID.sbgpAsNum, '1.3.6.1.5.5.7.48.1.5', '2.5.29.36', OID.proxyCertInfo,
  OID.nameConstraints, '2.5.29.33', '2.5.29.54',
]);

export const KU = { DIGITAL_SIGNATURE: 0x80, KEY_ENCIPHERMENT: 0x20, KEY_AGREEMENT: 0x08, KEY_CERT_SIGN: 0x04, CRL_SIGN: 0x02 } as const;
export const XKU = { SSL_SERVER: 0x1, SSL_CLIENT: 0x2, SMIME: 0x4, CODE_SIGN: 0x8, SGC: 0x10, OCSP_SIGN: 0x20, TIMESTAMP: 0x40, DVCS: 0x80, ANYEKU: 0x100 } as const;
export const NS = { SSL_CLIENT: 0x80, SSL_SERVER: 0x40, SSL_CA: 0x04, ANY_CA: 0x07 } as const;

const XKU_BITS: Record<string, number> = {
  [OID.serverAuth]: XKU.SSL_SERVER, [OID.clientAuth]: XKU.SSL_CLIENT, '1.3.6.1.5.5.7.3.4': XKU.SMIME,
  '1.3.6.1.5.5.7.3.3': XKU.CODE_SIGN, '1.3.6.1.4.1.311.10.3.3': XKU.SGC, '2.16.840.1.113730.4.1': XKU.SGC,
  '1.3.6.1.5.5.7.3.9': XKU.OCSP_SIGN, '1.3.6.1.5.5.7.3.8': XKU.TIMESTAMP, '1.3.6.1.5.5.7.3.10': XKU.DVCS,
  [OID.anyExtendedKeyUsage]: XKU.ANYEKU,
};

export function integerValue(t: Tlv): bigint {
  const c = content(t);
  if (c.length === 0) return 0n;
  let v = BigInt('0x' + c.toString('hex'));
  if (c[0] & 0x80) v -= 1n << BigInt(8 * c.length);
  return v;
}

/** OpenSSL's bit string bytes: unused bits in the last octet are cleared. */
function bitStringBytes(t: Tlv): Buffer {
  expect(t, TAG.BIT_STRING, 'BIT STRING');
  const c = content(t);
  if (c.length === 0) throw new DerError('empty BIT STRING');
  const unused = c[0];
  if (unused > 7) throw new DerError('BIT STRING with more than 7 unused bits');
  const data = Buffer.from(c.subarray(1));
  if (data.length > 0) data[data.length - 1] &= (0xff << unused) & 0xff;
  return data;
}

/** The first TLV of an extension value: X509V3_EXT_d2i() ignores anything after it. */
function extValue(value: Buffer): Tlv {
  return readTlv(value, 0);
}

function decodeAkid(t: Tlv): AuthorityKeyId {
  const out: AuthorityKeyId = { keyId: null, issuerName: null, serial: null };
  for (const f of children(expect(t, TAG.SEQUENCE, 'AuthorityKeyIdentifier'))) {
    if (f.tag === 0x80) out.keyId = Buffer.from(content(f));
    else if (f.tag === 0xa1) {
      const names: GeneralName[] = [];
      for (const g of children(f)) names.push(parseGeneralName(g));
      out.issuerName = names.find((g) => g.dir)?.dir ?? null;
    } else if (f.tag === 0x82) out.serial = integerValue(f);
    else throw new DerError('unexpected field in AuthorityKeyIdentifier');
  }
  return out;
}

function decodeSubtrees(t: Tlv): GeneralSubtree[] {
  return children(t).map((st) => {
    const parts = children(expect(st, TAG.SEQUENCE, 'GeneralSubtree'));
    if (parts.length === 0) throw new DerError('empty GeneralSubtree');
    let minMaxInvalid = false;
    for (const p of parts.slice(1)) {
      if (p.tag === 0x80) { if (integerValue(p) !== 0n) minMaxInvalid = true; }
      else if (p.tag === 0x81) minMaxInvalid = true;
      else throw new DerError('unexpected field in GeneralSubtree');
    }
    return { base: parseGeneralName(parts[0]), minMaxInvalid };
  });
}

function decodeNameConstraints(t: Tlv): NameConstraints {
  const nc: NameConstraints = { permitted: [], excluded: [] };
  for (const f of children(expect(t, TAG.SEQUENCE, 'NameConstraints'))) {
    if (f.tag === 0xa0) nc.permitted = decodeSubtrees(f);
    else if (f.tag === 0xa1) nc.excluded = decodeSubtrees(f);
    else throw new DerError('unexpected field in NameConstraints');
  }
  return nc;
}

function checkCrlDistributionPoints(t: Tlv): void {
  for (const dp of children(expect(t, TAG.SEQUENCE, 'CRLDistributionPoints'))) {
    const fields = children(expect(dp, TAG.SEQUENCE, 'DistributionPoint'));
    const hasName = fields.some((f) => f.tag === 0xa0);
    const issuers = fields.find((f) => f.tag === 0xa2);
    // setup_dp(): a distribution point needs a name or a CRL issuer.
    if (!hasName && (!issuers || children(issuers).length === 0)) throw new DerError('distribution point without name or CRL issuer');
    for (const f of fields) if (f.tag === 0xa2) children(f).forEach(parseGeneralName);
  }
}

type Decoded<T> = { absent: true } | { value: T } | { invalid: string };

/** X509_get_ext_d2i(): absent, decoded, or (duplicate / undecodable) invalid. */
function getExt<T>(exts: ChainCert['extensions'], oid: string, decode: (t: Tlv) => T): Decoded<T> {
  const found = exts.filter((e) => e.oid === oid);
  if (found.length === 0) return { absent: true };
  if (found.length > 1) return { invalid: `extension ${oid} appears more than once` };
  try {
    return { value: decode(extValue(found[0].value)) };
  } catch (e) {
    return { invalid: `extension ${oid} cannot be decoded (${(e as Error).message})` };
  }
}

export function deriveFacts(c: Omit<ChainCert, 'ex'>): ExtensionFacts {
  const reasons: string[] = [];
  const ex: ExtensionFacts = {
    invalid: false, v1: c.version === 0, bcons: false, ca: false, pathlen: -1, proxy: false, keyUsage: null,
    extKeyUsage: null, extKeyUsageOids: [], nsCertType: null, skid: null, akid: null, selfIssued: false, selfSigned: false,
    unhandledCritical: null, altNames: null, nameConstraints: null, invalidReasons: reasons,
  };
  const bad = (why: string) => { ex.invalid = true; reasons.push(why); };
  const exts = c.extensions;

  const bc = getExt(exts, OID.basicConstraints, (t) => {
    let ca = false;
    let pathlen: number | null = null;
    for (const f of children(expect(t, TAG.SEQUENCE, 'BasicConstraints'))) {
      if (f.tag === TAG.BOOLEAN) ca = content(f)[0] !== 0;
      else if (f.tag === TAG.INTEGER) pathlen = smallInteger(f);
      else throw new DerError('unexpected field in BasicConstraints');
    }
    return { ca, pathlen };
  });
  if ('value' in bc) {
    ex.bcons = true;
    ex.ca = bc.value.ca;
    if (bc.value.pathlen !== null) {
      if (bc.value.pathlen < 0) bad('basicConstraints has a negative pathLenConstraint');
      else ex.pathlen = Number.isFinite(bc.value.pathlen) ? bc.value.pathlen : -1;
    }
  } else if ('invalid' in bc) bad(bc.invalid);

  const pci = getExt(exts, OID.proxyCertInfo, (t) => expect(t, TAG.SEQUENCE, 'ProxyCertInfo'));
  if ('value' in pci) {
    ex.proxy = true;
    if (ex.ca || exts.some((e) => e.oid === OID.subjectAltName || e.oid === OID.issuerAltName)) bad('proxy certificate with CA flag or alternative names');
  } else if ('invalid' in pci) bad(pci.invalid);

  const ku = getExt(exts, OID.keyUsage, bitStringBytes);
  if ('value' in ku) {
    ex.keyUsage = (ku.value[0] ?? 0) | ((ku.value[1] ?? 0) << 8);
    if (ex.keyUsage === 0) bad('keyUsage is empty');
  } else if ('invalid' in ku) bad(ku.invalid);

  const eku = getExt(exts, OID.extKeyUsage, (t) => children(expect(t, TAG.SEQUENCE, 'ExtKeyUsageSyntax')).map(oidOf));
  if ('value' in eku) {
    ex.extKeyUsage = eku.value.reduce((bits, oid) => bits | (XKU_BITS[oid] ?? 0), 0);
    ex.extKeyUsageOids = eku.value;
  } else if ('invalid' in eku) bad(eku.invalid);

  const ns = getExt(exts, OID.nsCertType, bitStringBytes);
  if ('value' in ns) ex.nsCertType = ns.value[0] ?? 0;
  else if ('invalid' in ns) bad(ns.invalid);

  const skid = getExt(exts, OID.skid, (t) => Buffer.from(content(expect(t, TAG.OCTET_STRING, 'SubjectKeyIdentifier'))));
  if ('value' in skid) ex.skid = skid.value;
  else if ('invalid' in skid) bad(skid.invalid);

  const akid = getExt(exts, OID.akid, decodeAkid);
  if ('value' in akid) ex.akid = akid.value;
  else if ('invalid' in akid) bad(akid.invalid);

  if (sameName(c.subject, c.issuer)) {
    ex.selfIssued = true;
    const own = signatureAlgorithm(c.tbsSignatureOid);
    ex.selfSigned = akidMatches(c, ex.skid, ex.akid) && !!own && keyFitsSignature(c.key?.family ?? null, own);
  }

  const san = getExt(exts, OID.subjectAltName, parseGeneralNames);
  if ('value' in san) ex.altNames = san.value;
  else if ('invalid' in san) bad(san.invalid);

  const nc = getExt(exts, OID.nameConstraints, decodeNameConstraints);
  if ('value' in nc) ex.nameConstraints = nc.value;
  else if ('invalid' in nc) bad(nc.invalid);

  const crldp = getExt(exts, OID.crlDistributionPoints, checkCrlDistributionPoints);
  if ('invalid' in crldp) bad(crldp.invalid);

  for (const e of exts) {
    if (e.critical && !SUPPORTED_EXTENSIONS.has(e.oid)) { ex.unhandledCritical = e.oid; break; }
  }
  return ex;
}

/** X509_check_akid(issuer, akid) == X509_V_OK. */
export function akidMatches(issuer: Pick<ChainCert, 'serial' | 'issuer'>, issuerSkid: Buffer | null, akid: AuthorityKeyId | null): boolean {
  if (!akid) return true;
  if (akid.keyId && issuerSkid && !akid.keyId.equals(issuerSkid)) return false;
  if (akid.serial !== null && akid.serial !== issuer.serial) return false;
  if (akid.issuerName && !sameName(akid.issuerName, issuer.issuer)) return false;
  return true;
}

