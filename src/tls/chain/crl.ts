import { constants, createHash, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import {
  TAG,
  children,
  contentOf,
  decode,
  integerValue,
  isContext,
  lib,
  parseBer,
  tagOf,
  tlvOf,
  type Node,
} from './asn1.js';

import { decodeAkid } from './extensions.js';
import { nameFrom, nameToString } from './name.js';
import { signatureAlgorithm, keyFitsSignature } from './algorithms.js';
import type { AsnTime, AuthorityKeyId, ChainCrl, CrlParse } from './types.js';

export const IDP = {
  PRESENT: 0x1,
  INVALID: 0x2,
  ONLYUSER: 0x4,
  ONLYCA: 0x8,
  ONLYATTR: 0x10,
  INDIRECT: 0x20,
  REASONS: 0x40,
} as const;
export const CRL_REASON_REMOVE_FROM_CRL = 8;

const OID_CRL = {
  akid: '2.5.29.35',
  idp: '2.5.29.28',
  deltaCrl: '2.5.29.27',
  crlNumber: '2.5.29.20',
  reason: '2.5.29.21',
  certificateIssuer: '2.5.29.29',
};

const isTime = (n: Node | undefined) =>
  n !== undefined && (tagOf(n) === TAG.UTCTime || tagOf(n) === TAG.GeneralizedTime);
const timeOf = (n: Node): AsnTime => ({ tag: tagOf(n), text: contentOf(n).toString('latin1') });
const boolOf = (n: Node) => contentOf(n).some((b) => b !== 0);

/** setup_idp(): the flags of an issuingDistributionPoint. A distributionPoint name is beyond gwctl. */
function idpFlags(value: Buffer): number {
  const node = parseBer(value);
  if (tagOf(node) !== TAG.SEQUENCE) throw new Error('IssuingDistributionPoint is not a SEQUENCE');
  let flags = IDP.PRESENT;
  let only = 0;
  for (const f of children(node)) {
    if (isContext(f, 0))
      throw new GwctlLimit('its issuingDistributionPoint names a distribution point, whose scope gwctl does not model');
    else if (isContext(f, 1) && boolOf(f)) {
      only++;
      flags |= IDP.ONLYUSER;
    } else if (isContext(f, 2) && boolOf(f)) {
      only++;
      flags |= IDP.ONLYCA;
    } else if (isContext(f, 3)) flags |= IDP.REASONS;
    else if (isContext(f, 4) && boolOf(f)) flags |= IDP.INDIRECT;
    else if (isContext(f, 5) && boolOf(f)) {
      only++;
      flags |= IDP.ONLYATTR;
    }
  }
  if (only > 1) flags |= IDP.INVALID;
  return flags;
}

class GwctlLimit extends Error {}

function parseStructure(der: Buffer): ChainCrl {
  const { asn1X509 } = lib();
  const root = parseBer(der);
  const cl = decode(root, asn1X509.CertificateList);
  const tbsNode = children(root)[0];
  const f = children(tbsNode);
  const i = tagOf(f[0]) === TAG.INTEGER ? 1 : 0;
  const issuerNode = f[i + 1];
  const lastUpdate = timeOf(f[i + 2]);
  const nextUpdate = isTime(f[i + 3]) ? timeOf(f[i + 3]) : null;
  const tbs = cl.tbsCertList;
  const issuer = nameFrom(issuerNode);

  let unhandledCritical: string | null = null;
  let akid: AuthorityKeyId | null = null;
  let flags = 0;
  let delta = false;
  for (const e of tbs.crlExtensions ?? []) {
    if (e.extnID === OID_CRL.deltaCrl) delta = true;
    const value = Buffer.from(e.extnValue.buffer);
    if (e.extnID === OID_CRL.akid) akid = decodeAkid(parseBer(value));
    else if (e.extnID === OID_CRL.idp) flags = idpFlags(value);
    // crl_cb(): IDP, AKID and delta CRL indicator are handled; any other critical extension is not.
    if (e.critical && unhandledCritical === null && ![OID_CRL.idp, OID_CRL.akid, OID_CRL.deltaCrl].includes(e.extnID))
      unhandledCritical = e.extnID;
  }
  const revoked = new Map<bigint, number>();
  for (const r of tbs.revokedCertificates ?? []) {
    let reason = -1;
    for (const e of r.crlEntryExtensions ?? []) {
      if (e.extnID === OID_CRL.certificateIssuer)
        throw new GwctlLimit('it has certificateIssuer entries (an indirect CRL), which gwctl does not model');
      if (e.extnID === OID_CRL.reason)
        reason = Number(integerValue(contentOf(parseBer(Buffer.from(e.extnValue.buffer)))));
      if (e.critical && unhandledCritical === null) unhandledCritical = e.extnID;
    }
    const serial = integerValue(r.userCertificate);
    // def_crl_lookup() finds the first entry of that serial (the list is sorted by serial).
    if (!revoked.has(serial)) revoked.set(serial, reason);
  }
  return {
    der,
    issuer,
    issuerText: nameToString(issuer),
    lastUpdate,
    nextUpdate,
    revoked,
    akid,
    unhandledCritical,
    idpFlags: flags,
    delta,
    tbs: tlvOf(tbsNode),
    sigOid: cl.signatureAlgorithm.algorithm,
    sigParams: cl.signatureAlgorithm.parameters,
    signature: Buffer.from(cl.signature),
  };
}

const cache = new Map<string, CrlParse>();

/** Parses one DER CRL, cached by content like certificates. */
export function parseCrl(der: Buffer): CrlParse {
  const key = createHash('sha256').update(der).digest('hex');
  const hit = cache.get(key);
  if (hit) return hit;
  let r: CrlParse;
  try {
    r = { crl: parseStructure(der) };
  } catch (e) {
    r =
      e instanceof GwctlLimit
        ? { error: `${(e as Error).message}, so gwctl cannot predict nginx's verdict`, by: 'gwctl' }
        : { error: `cannot be decoded as a CRL (${(e as Error).message})`, by: 'openssl' };
  }
  if (cache.size >= 5000) cache.delete(cache.keys().next().value as string);
  cache.set(key, r);
  return r;
}

const HASH_OIDS: Record<string, string> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

/** X509_CRL_verify(crl, key) > 0: the TBSCertList against the issuer's key with node:crypto (OpenSSL). */
export function crlSignatureValid(
  crl: ChainCrl,
  key: KeyObject,
  family: Parameters<typeof keyFitsSignature>[0],
): boolean {
  const alg = signatureAlgorithm(crl.sigOid);
  if (!alg || !keyFitsSignature(family, alg)) return false;
  try {
    if (alg.pk === 'ed25519' || alg.pk === 'ed448') return cryptoVerify(null, crl.tbs, key, crl.signature);
    if (alg.pk === 'rsa-pss') {
      if (!crl.sigParams) return false;
      const p = decode(parseBer(crl.sigParams), lib().asn1Rsa.RsaSaPssParams);
      const md = HASH_OIDS[p.hashAlgorithm.algorithm];
      if (!md) return false;
      return cryptoVerify(
        md,
        crl.tbs,
        { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: p.saltLength },
        crl.signature,
      );
    }
    return cryptoVerify(alg.md!, crl.tbs, key, crl.signature);
  } catch {
    return false;
  }
}
