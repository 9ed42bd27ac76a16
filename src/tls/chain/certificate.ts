import type { KeyObject, X509Certificate } from 'node:crypto';
import { derKey, x509Of } from '../x509-once.js';
import { children, contentOf, decode, integerValue, isContext, lib, parseBer, tagOf, tlvOf } from './asn1.js';
import { nameFrom, nameToString } from './name.js';
import { describeKey, signatureSecurityBits, type KeyInfo } from './algorithms.js';
import { deriveFacts } from './extensions.js';
import type { ChainCert, ParseResult } from './types.js';

export { OID, KU, XKU, NS, akidMatches } from './extensions.js';
export type { ExtensionFacts, AuthorityKeyId, GeneralSubtree, NameConstraints } from './types.js';

/**
 * The certificate's fields, decoded by @peculiar/asn1-x509's Certificate schema (the schema
 * @peculiar/x509 itself parses certificates with) from one asn1js parse of the DER. The typed
 * certificate gives the version, serial, algorithms, public key info and the extension list;
 * the asn1js elements give what OpenSSL reads as raw bytes and the schema turns into JavaScript
 * values: the validity times as written (the schema yields a Date, and accepts "60" seconds or
 * month 13, which X509_cmp_time() refuses), the attribute values of the names (see name.ts), and
 * each Extension's own encoding (for @peculiar/x509's extension classes).
 */
function parseStructure(der: Buffer, x509: X509Certificate): Omit<ChainCert, 'ex'> {
  const root = parseBer(der);
  const cert = decode(root, lib().asn1X509.Certificate);
  const tbs = cert.tbsCertificate;
  // The TBSCertificate's elements, in the order the schema has just matched them.
  const f = children(children(root)[0]);
  const at = isContext(f[0], 0) ? 1 : 0;
  const [issuerNode, validityNode, subjectNode] = [f[at + 2], f[at + 3], f[at + 4]];
  const time = (n = children(validityNode)) => n.map((t) => ({ tag: tagOf(t), text: contentOf(t).toString('latin1') }));
  const [notBefore, notAfter] = time();

  const extensionNodes = tbs.extensions ? children(children(f.find((n) => isContext(n, 3))!)[0]) : [];
  const extensions: ChainCert['extensions'] = (tbs.extensions ?? []).map((e, i) => ({
    oid: e.extnID,
    critical: e.critical,
    value: Buffer.from(e.extnValue.buffer),
    der: tlvOf(extensionNodes[i]),
  }));
  const issuer = nameFrom(tbs.issuer, issuerNode);
  const subject = nameFrom(tbs.subject, subjectNode);
  let publicKey: KeyObject | null = null;
  let key: KeyInfo | null = null;
  try {
    publicKey = x509.publicKey;
    key = describeKey(publicKey, tbs.subjectPublicKeyInfo.algorithm.parameters);
  } catch {
    // X509_get0_pubkey() == NULL: OpenSSL cannot use this key.
  }
  const { algorithm: tbsSignatureOid, parameters: tbsSignatureParams } = tbs.signature;
  return {
    der,
    x509,
    version: tbs.version,
    serial: integerValue(tbs.serialNumber),
    tbsSignatureOid,
    tbsSignatureParams,
    issuer,
    subject,
    subjectText: nameToString(subject),
    issuerText: nameToString(issuer),
    notBefore,
    notAfter,
    publicKey,
    key,
    signatureBits: signatureSecurityBits(tbsSignatureOid, tbsSignatureParams),
    extensions,
  };
}

const cache = new Map<string, ParseResult>();
const CACHE_LIMIT = 20000;

/**
 * Parses one DER certificate the way OpenSSL sees it. Results are cached by content: trust
 * stores are shared by many upstreams, so each certificate is parsed once per process.
 */
export function parseCertificate(der: Buffer, key = derKey(der)): ParseResult {
  const hit = cache.get(key);
  if (hit) return hit;
  let result: ParseResult;
  const x509 = x509Of(der, key);
  if (x509 instanceof Error) {
    result = { error: `OpenSSL cannot parse it (${x509.message})`, by: 'openssl' };
    remember(key, result);
    return result;
  }
  try {
    const base = parseStructure(der, x509);
    result = { cert: { ...base, ex: deriveFacts(base) } };
  } catch (e) {
    // The fallback for what OpenSSL accepts but @peculiar/x509 and asn1js cannot decode (say, a
    // BER construction asn1js refuses): the certificate is reported, never guessed at.
    result = {
      error: `OpenSSL accepts it, but @peculiar/x509 cannot decode it (${(e as Error).message}), so gwctl cannot predict nginx's verdict`,
      by: 'gwctl',
    };
  }
  remember(key, result);
  return result;
}

function remember(key: string, r: ParseResult): void {
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(key, r);
}
