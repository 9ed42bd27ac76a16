import type { KeyObject, X509Certificate } from 'node:crypto';
import { derKey, x509Of } from '../x509-once.js';
import {
  Asn1Error,
  TAG,
  booleanValue,
  contentOf,
  expect,
  integerValue,
  isContext,
  oidText,
  parseBer,
  stringContent,
  tagOf,
  tlvOf,
  type Node,
} from './asn1.js';
import { nameFrom, nameToString } from './name.js';
import { describeKey, signatureSecurityBits, type KeyInfo } from './algorithms.js';
import { deriveFacts } from './extensions.js';
import type { ChainCert, ParseResult } from './types.js';

export { OID, KU, XKU, NS, akidMatches } from './extensions.js';
export type { ExtensionFacts, AuthorityKeyId, GeneralSubtree, NameConstraints } from './types.js';

/**
 * The certificate's fields, read from one pass of the BER reader (asn1.ts) over the DER, in the
 * order RFC 5280's TBSCertificate lists them. OpenSSL has already accepted the DER (node:crypto
 * decoded it), so this only takes apart a structure known to be sound; anything it does not
 * expect is an Asn1Error, reported as "gwctl cannot decode it", never guessed at. The validity
 * times are kept as written (X509_cmp_time() interprets them at check time, and refuses what a
 * Date would accept, like "60" seconds), the names as their raw attribute values (name.ts).
 */
function parseStructure(der: Buffer, x509: X509Certificate): Omit<ChainCert, 'ex'> {
  const root = parseBer(der);
  const [tbsNode, sigAlgNode, sigNode] = expect(root, TAG.SEQUENCE, 'Certificate').kids;
  expect(sigAlgNode, TAG.SEQUENCE, 'signatureAlgorithm');
  expect(sigNode, TAG.BIT_STRING, 'signatureValue');
  const f = expect(tbsNode, TAG.SEQUENCE, 'TBSCertificate').kids;
  let at = 0;
  let version = 0;
  if (isContext(f[0], 0)) {
    version = Number(integerValue(contentOf(expect(f[0].kids[0], TAG.INTEGER, 'version'))));
    at = 1;
  }
  const serial = integerValue(contentOf(expect(f[at], TAG.INTEGER, 'serialNumber')));
  const signature = algorithmOf(f[at + 1]);
  const issuer = nameFrom(expect(f[at + 2], TAG.SEQUENCE, 'issuer'));
  const validity = expect(f[at + 3], TAG.SEQUENCE, 'validity').kids;
  const time = (n: Node | undefined) => {
    if (!n || (tagOf(n) !== TAG.UTCTime && tagOf(n) !== TAG.GeneralizedTime)) throw new Asn1Error('Time expected');
    return { tag: tagOf(n), text: contentOf(n).toString('latin1') };
  };
  const [notBefore, notAfter] = [time(validity[0]), time(validity[1])];
  const subject = nameFrom(expect(f[at + 4], TAG.SEQUENCE, 'subject'));
  const spki = expect(f[at + 5], TAG.SEQUENCE, 'subjectPublicKeyInfo').kids;
  const keyAlgorithm = algorithmOf(spki[0]);
  const extensionsNode = f.slice(at + 6).find((n) => isContext(n, 3));
  const extensions: ChainCert['extensions'] = extensionsNode
    ? expect(extensionsNode.kids[0], TAG.SEQUENCE, 'Extensions').kids.map(extensionOf)
    : [];

  let publicKey: KeyObject | null = null;
  let key: KeyInfo | null = null;
  try {
    publicKey = x509.publicKey;
    key = describeKey(publicKey, keyAlgorithm.parameters);
  } catch {
    // X509_get0_pubkey() == NULL: OpenSSL cannot use this key.
  }
  return {
    der,
    x509,
    version,
    serial,
    tbsSignatureOid: signature.algorithm,
    tbsSignatureParams: signature.parameters,
    issuer,
    subject,
    subjectText: nameToString(subject),
    issuerText: nameToString(issuer),
    notBefore,
    notAfter,
    publicKey,
    key,
    signatureBits: signatureSecurityBits(signature.algorithm, signature.parameters),
    extensions,
  };
}

/** AlgorithmIdentifier: the OID and the parameters' DER (null for an explicit NULL, undefined when absent). */
function algorithmOf(node: Node | undefined): { algorithm: string; parameters: ArrayBuffer | null | undefined } {
  const [oid, params] = expect(node, TAG.SEQUENCE, 'AlgorithmIdentifier').kids;
  const algorithm = oidText(contentOf(expect(oid, TAG.OID, 'algorithm')));
  if (!params) return { algorithm, parameters: undefined };
  if (tagOf(params) === TAG.NULL) return { algorithm, parameters: null };
  const der = tlvOf(params);
  return { algorithm, parameters: der.buffer.slice(der.byteOffset, der.byteOffset + der.length) as ArrayBuffer };
}

/** Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }. */
function extensionOf(node: Node): ChainCert['extensions'][number] {
  const parts = expect(node, TAG.SEQUENCE, 'Extension').kids;
  const oid = oidText(contentOf(expect(parts[0], TAG.OID, 'extnID')));
  const hasCritical = parts.length === 3;
  if (parts.length !== 2 && !hasCritical) throw new Asn1Error('Extension of an unexpected shape');
  const critical = hasCritical ? booleanValue(parts[1]) : false;
  const value = stringContent(expect(parts[hasCritical ? 2 : 1], TAG.OCTET_STRING, 'extnValue'));
  return { oid, critical, value, der: tlvOf(node) };
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
    // What OpenSSL accepts but the engine's reader cannot take apart: the certificate is
    // reported, never guessed at.
    result = {
      error: `OpenSSL accepts it, but gwctl's certificate reader cannot decode it (${(e as Error).message}), so gwctl cannot predict nginx's verdict`,
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
