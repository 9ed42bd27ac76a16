import {
  Asn1Error,
  TAG,
  bitStringOf,
  booleanValue,
  children,
  contentOf,
  expect,
  integerValue,
  isContext,
  oidText,
  parseBer,
  stringContent,
  tagOf,
  type Node,
} from './asn1.js';
import { sameName } from './name.js';
import { keyFitsSignature, signatureAlgorithm } from './algorithms.js';
import { generalNameFrom, generalNamesFrom } from './general-name.js';

import { decodeIpAddrBlocks } from './rfc3779.js';
import type { AuthorityKeyId, ChainCert, ExtensionFacts, GeneralSubtree, NameConstraints } from './types.js';

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
  OID.nsCertType,
  OID.keyUsage,
  OID.subjectAltName,
  OID.basicConstraints,
  '2.5.29.32',
  OID.crlDistributionPoints,
  OID.extKeyUsage,
  OID.sbgpIpAddrBlock,
  OID.sbgpAsNum,
  '1.3.6.1.5.5.7.48.1.5',
  '2.5.29.36',
  OID.proxyCertInfo,
  OID.nameConstraints,
  '2.5.29.33',
  '2.5.29.54',
]);

export const KU = {
  DIGITAL_SIGNATURE: 0x80,
  KEY_ENCIPHERMENT: 0x20,
  KEY_AGREEMENT: 0x08,
  KEY_CERT_SIGN: 0x04,
  CRL_SIGN: 0x02,
} as const;
export const XKU = {
  SSL_SERVER: 0x1,
  SSL_CLIENT: 0x2,
  SMIME: 0x4,
  CODE_SIGN: 0x8,
  SGC: 0x10,
  OCSP_SIGN: 0x20,
  TIMESTAMP: 0x40,
  DVCS: 0x80,
  ANYEKU: 0x100,
} as const;
export const NS = { SSL_CLIENT: 0x80, SSL_SERVER: 0x40, SSL_CA: 0x04, ANY_CA: 0x07 } as const;

const XKU_BITS: Record<string, number> = {
  [OID.serverAuth]: XKU.SSL_SERVER,
  [OID.clientAuth]: XKU.SSL_CLIENT,
  '1.3.6.1.5.5.7.3.4': XKU.SMIME,
  '1.3.6.1.5.5.7.3.3': XKU.CODE_SIGN,
  '1.3.6.1.4.1.311.10.3.3': XKU.SGC,
  '2.16.840.1.113730.4.1': XKU.SGC,
  '1.3.6.1.5.5.7.3.9': XKU.OCSP_SIGN,
  '1.3.6.1.5.5.7.3.8': XKU.TIMESTAMP,
  '1.3.6.1.5.5.7.3.10': XKU.DVCS,
  [OID.anyExtendedKeyUsage]: XKU.ANYEKU,
};

/**
 * authorityKeyIdentifier. Its fields are read from the asn1js elements rather than through
 * asn1-x509's AuthorityKeyIdentifier schema because that schema decodes authorityCertIssuer with
 * its GeneralName, which refuses x400Address and ediPartyName names OpenSSL accepts (see
 * general-name.ts); the names themselves still go through the library's GeneralName.
 */
export function decodeAkid(node: Node): AuthorityKeyId {
  if (tagOf(node) !== TAG.SEQUENCE) throw new Asn1Error('AuthorityKeyIdentifier is not a SEQUENCE');
  const out: AuthorityKeyId = { keyId: null, issuerName: null, serial: null };
  for (const f of children(node)) {
    if (isContext(f, 0)) out.keyId = stringContent(f);
    else if (isContext(f, 1) && f.constructed)
      out.issuerName = generalNamesFrom(f, true).find((g) => g.dir)?.dir ?? null;
    else if (isContext(f, 2) && !f.constructed) out.serial = integerValue(contentOf(f));
    else throw new Asn1Error('unexpected field in AuthorityKeyIdentifier');
  }
  return out;
}

/**
 * nameConstraints: the subtrees and their bases from the asn1js elements, each base through the
 * library's GeneralName (asn1-x509's NameConstraints schema would turn iPAddress constraints into
 * "a.b.c.d/len" text and refuse x400Address/ediPartyName bases, see general-name.ts). minimum and
 * maximum only matter as "present and not 0" (OpenSSL then refuses the subtree).
 */
function decodeNameConstraints(node: Node): NameConstraints {
  if (tagOf(node) !== TAG.SEQUENCE) throw new Asn1Error('NameConstraints is not a SEQUENCE');
  const subtrees = (f: Node): GeneralSubtree[] =>
    children(f).map((st) => {
      const [base, ...bounds] = children(st);
      if (tagOf(st) !== TAG.SEQUENCE || !base) throw new Asn1Error('GeneralSubtree is malformed');
      let minMaxInvalid = false;
      for (const b of bounds) {
        if (isContext(b, 0) && !b.constructed) {
          if (integerValue(contentOf(b)) !== 0n) minMaxInvalid = true;
        } else if (isContext(b, 1) && !b.constructed) minMaxInvalid = true;
        else throw new Asn1Error('unexpected field in GeneralSubtree');
      }
      return { base: generalNameFrom(base), minMaxInvalid };
    });
  const nc: NameConstraints = { permitted: [], excluded: [] };
  for (const f of children(node)) {
    if (isContext(f, 0) && f.constructed) nc.permitted = subtrees(f);
    else if (isContext(f, 1) && f.constructed) nc.excluded = subtrees(f);
    else throw new Asn1Error('unexpected field in NameConstraints');
  }
  return nc;
}

/**
 * cRLDistributionPoints, decoded only as far as ossl_x509v3_cache_extensions() judges it: setup_dp()
 * needs a name or a CRL issuer in every distribution point, and the cRLIssuer names must decode.
 * Walked on the asn1js elements for the same reason as the AKID (asn1-x509's GeneralName).
 */
function checkCrlDistributionPoints(node: Node): void {
  if (tagOf(node) !== TAG.SEQUENCE) throw new Asn1Error('CRLDistributionPoints is not a SEQUENCE');
  for (const dp of children(node)) {
    if (tagOf(dp) !== TAG.SEQUENCE) throw new Asn1Error('DistributionPoint is not a SEQUENCE');
    const fields = children(dp);
    const issuers = fields.find((f) => isContext(f, 2));
    if (!fields.some((f) => isContext(f, 0)) && (!issuers || children(issuers).length === 0))
      throw new Asn1Error('distribution point without name or CRL issuer');
    if (issuers) generalNamesFrom(issuers, true);
  }
}

type Decoded<T> = { absent: true } | { value: T } | { invalid: string };

/**
 * X509_get_ext_d2i(): absent, decoded, or (duplicate / undecodable) invalid. Like
 * X509V3_EXT_d2i(), decoding reads the first element of extnValue and ignores what follows it.
 */
function getExt<T>(
  exts: ChainCert['extensions'],
  oid: string,
  decodeValue: (e: ChainCert['extensions'][number]) => T,
): Decoded<T> {
  const found = exts.filter((e) => e.oid === oid);
  if (found.length === 0) return { absent: true };
  if (found.length > 1) return { invalid: `extension ${oid} appears more than once` };
  try {
    return { value: decodeValue(found[0]) };
  } catch (e) {
    return { invalid: `extension ${oid} cannot be decoded (${(e as Error).message})` };
  }
}

/** The extension value as BER elements. */
const valueNode = (e: ChainCert['extensions'][number]): Node => parseBer(e.value);

/** BASIC_CONSTRAINTS ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER OPTIONAL }. */
function basicConstraintsOf(node: Node): { ca: boolean; pathlen: bigint | null } {
  const fields = expect(node, TAG.SEQUENCE, 'BasicConstraints').kids;
  let i = 0;
  let ca = false;
  if (fields[i] && tagOf(fields[i]) === TAG.BOOLEAN) ca = booleanValue(fields[i++]);
  let pathlen: bigint | null = null;
  if (fields[i]) pathlen = integerValue(contentOf(expect(fields[i++], TAG.INTEGER, 'pathLenConstraint')));
  if (i !== fields.length) throw new Asn1Error('BasicConstraints has unexpected fields');
  return { ca, pathlen };
}

export function deriveFacts(c: Omit<ChainCert, 'ex'>): ExtensionFacts {
  const reasons: string[] = [];
  const ex: ExtensionFacts = {
    invalid: false,
    v1: c.version === 0,
    bcons: false,
    ca: false,
    pathlen: -1,
    proxy: false,
    keyUsage: null,
    extKeyUsage: null,
    extKeyUsageOids: [],
    nsCertType: null,
    skid: null,
    akid: null,
    selfIssued: false,
    selfSigned: false,
    unhandledCritical: null,
    altNames: null,
    nameConstraints: null,
    ipAddrBlocks: null,
    asIdentifiers: false,
    invalidReasons: reasons,
  };
  const bad = (why: string) => {
    ex.invalid = true;
    reasons.push(why);
  };
  const exts = c.extensions;

  // Each value is read as its d2i function reads it (BASIC_CONSTRAINTS, EXTENDED_KEY_USAGE, ...):
  // what does not have the structure makes the extension, and so the certificate, invalid.
  const bc = getExt(exts, OID.basicConstraints, (e) => basicConstraintsOf(valueNode(e)));
  if ('value' in bc) {
    ex.bcons = true;
    ex.ca = bc.value.ca;
    if (bc.value.pathlen !== null) {
      // ASN1_INTEGER_get() gives -1 (no limit) for what does not fit; such a limit never binds anyway.
      if (bc.value.pathlen < 0n) bad('basicConstraints has a negative pathLenConstraint');
      else ex.pathlen = bc.value.pathlen <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(bc.value.pathlen) : -1;
    }
  } else if ('invalid' in bc) bad(bc.invalid);

  // No schema for proxyCertInfo: its presence is what matters, as a SEQUENCE.
  const pci = getExt(exts, OID.proxyCertInfo, (e) => {
    if (tagOf(valueNode(e)) !== TAG.SEQUENCE) throw new Asn1Error('ProxyCertInfo is not a SEQUENCE');
  });
  if ('value' in pci) {
    ex.proxy = true;
    if (ex.ca || exts.some((e) => e.oid === OID.subjectAltName || e.oid === OID.issuerAltName))
      bad('proxy certificate with CA flag or alternative names');
  } else if ('invalid' in pci) bad(pci.invalid);

  // OpenSSL reads the first two octets of the bit string.
  const ku = getExt(exts, OID.keyUsage, (e) => bitStringOf(valueNode(e)).bytes);
  if ('value' in ku) {
    ex.keyUsage = (ku.value[0] ?? 0) | ((ku.value[1] ?? 0) << 8);
    if (ex.keyUsage === 0) bad('keyUsage is empty');
  } else if ('invalid' in ku) bad(ku.invalid);

  const eku = getExt(exts, OID.extKeyUsage, (e) =>
    expect(valueNode(e), TAG.SEQUENCE, 'ExtKeyUsageSyntax').kids.map((o) =>
      oidText(contentOf(expect(o, TAG.OID, 'KeyPurposeId'))),
    ),
  );
  if ('value' in eku) {
    ex.extKeyUsage = eku.value.reduce((bits, oid) => bits | (XKU_BITS[oid] ?? 0), 0);
    ex.extKeyUsageOids = eku.value;
  } else if ('invalid' in eku) bad(eku.invalid);

  const ns = getExt(exts, OID.nsCertType, (e) => bitStringOf(valueNode(e)).bytes);
  if ('value' in ns) ex.nsCertType = ns.value[0] ?? 0;
  else if ('invalid' in ns) bad(ns.invalid);

  const skid = getExt(exts, OID.skid, (e) => stringContent(expect(valueNode(e), TAG.OCTET_STRING, 'KeyIdentifier')));
  if ('value' in skid) ex.skid = skid.value;
  else if ('invalid' in skid) bad(skid.invalid);

  const akid = getExt(exts, OID.akid, (e) => decodeAkid(valueNode(e)));
  if ('value' in akid) ex.akid = akid.value;
  else if ('invalid' in akid) bad(akid.invalid);

  if (sameName(c.subject, c.issuer)) {
    ex.selfIssued = true;
    const own = signatureAlgorithm(c.tbsSignatureOid);
    ex.selfSigned = akidMatches(c, ex.skid, ex.akid) && !!own && keyFitsSignature(c.key?.family ?? null, own);
  }

  const san = getExt(exts, OID.subjectAltName, (e) => generalNamesFrom(valueNode(e)));
  if ('value' in san) ex.altNames = san.value;
  else if ('invalid' in san) bad(san.invalid);

  const nc = getExt(exts, OID.nameConstraints, (e) => decodeNameConstraints(valueNode(e)));
  if ('value' in nc) ex.nameConstraints = nc.value;
  else if ('invalid' in nc) bad(nc.invalid);

  const crldp = getExt(exts, OID.crlDistributionPoints, (e) => checkCrlDistributionPoints(valueNode(e)));
  if ('invalid' in crldp) bad(crldp.invalid);

  // x->rfc3779_addr: an undecodable block makes the certificate invalid, as for the others.
  const addr = getExt(exts, OID.sbgpIpAddrBlock, (e) => decodeIpAddrBlocks(e.value));
  if ('value' in addr) ex.ipAddrBlocks = addr.value;
  else if ('invalid' in addr) bad(addr.invalid);
  ex.asIdentifiers = exts.some((e) => e.oid === OID.sbgpAsNum);

  for (const e of exts) {
    if (e.critical && !SUPPORTED_EXTENSIONS.has(e.oid)) {
      ex.unhandledCritical = e.oid;
      break;
    }
  }
  return ex;
}

/** X509_check_akid(issuer, akid) == X509_V_OK. */
export function akidMatches(
  issuer: Pick<ChainCert, 'serial' | 'issuer'>,
  issuerSkid: Buffer | null,
  akid: AuthorityKeyId | null,
): boolean {
  if (!akid) return true;
  if (akid.keyId && issuerSkid && !akid.keyId.equals(issuerSkid)) return false;
  if (akid.serial !== null && akid.serial !== issuer.serial) return false;
  if (akid.issuerName && !sameName(akid.issuerName, issuer.issuer)) return false;
  return true;
}
