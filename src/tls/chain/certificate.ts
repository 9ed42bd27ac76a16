import { X509Certificate, createHash, type KeyObject } from 'node:crypto';
import { DerError, TAG, children, content, expect, oidOf, readTlv, smallInteger, whole, type Tlv } from './der.js';
import { nameToString, parseName, type X509Name } from './name.js';
import { describeKey, signatureSecurityBits, type KeyInfo } from './algorithms.js';
import { deriveFacts, integerValue, type ExtensionFacts } from './extensions.js';

export { OID, KU, XKU, NS, akidMatches } from './extensions.js';
export type { ExtensionFacts, AuthorityKeyId, GeneralSubtree, NameConstraints } from './extensions.js';

/** ASN.1 time as stored: its tag and its characters; interpretation happens at check time, as in OpenSSL. */
export interface AsnTime {
  tag: number;
  text: string;
}

export interface ChainCert {
  der: Buffer;
  /** SHA-256 of the DER, hex: identity for caches and for matching OpenSSL's output. */
  fingerprint: string;
  x509: X509Certificate;
  version: number;
  serial: bigint;
  /** The TBSCertificate's signature AlgorithmIdentifier (what check_sig_alg_match() reads). */
  tbsSignatureOid: string;
  tbsSignatureParams: Tlv | undefined;
  issuer: X509Name;
  subject: X509Name;
  subjectText: string;
  issuerText: string;
  notBefore: AsnTime;
  notAfter: AsnTime;
  spki: Buffer;
  publicKey: KeyObject | null;
  key: KeyInfo | null;
  /** Security bits of the signature algorithm, null when OpenSSL cannot rate it. */
  signatureBits: number | null;
  extensions: { oid: string; critical: boolean; value: Buffer }[];
  ex: ExtensionFacts;
}

/** `openssl`: OpenSSL itself refuses the DER; `gwctl`: OpenSSL accepts it but gwctl's reader cannot follow it. */
export type ParseResult = { cert: ChainCert } | { error: string; by: 'openssl' | 'gwctl' };

function parseTime(t: Tlv): AsnTime {
  if (t.tag !== TAG.UTCTime && t.tag !== TAG.GeneralizedTime) throw new DerError('validity time has an unexpected type');
  return { tag: t.tag, text: content(t).toString('latin1') };
}

function parseStructure(der: Buffer, x509: X509Certificate): Omit<ChainCert, 'ex'> {
  const top = readTlv(der, 0);
  const [tbs, outerAlg] = children(expect(top, TAG.SEQUENCE, 'Certificate'));
  if (!tbs || !outerAlg) throw new DerError('Certificate is incomplete');
  const f = children(expect(tbs, TAG.SEQUENCE, 'TBSCertificate'));
  let i = 0;
  let version = 0;
  if (f[0]?.tag === 0xa0) {
    version = smallInteger(readTlv(f[0].buf, f[0].contentStart, f[0].end));
    i++;
  }
  const serialT = f[i++];
  const sigAlgT = f[i++];
  const issuerT = f[i++];
  const validityT = f[i++];
  const subjectT = f[i++];
  const spkiT = f[i++];
  if (!serialT || !sigAlgT || !issuerT || !validityT || !subjectT || !spkiT) throw new DerError('TBSCertificate is incomplete');
  const [nbT, naT] = children(validityT);
  const sigParts = children(sigAlgT);
  const extensions: ChainCert['extensions'] = [];
  for (; i < f.length; i++) {
    if (f[i].tag !== 0xa3) continue;
    const seq = readTlv(f[i].buf, f[i].contentStart, f[i].end);
    for (const e of children(expect(seq, TAG.SEQUENCE, 'Extensions'))) {
      const parts = children(expect(e, TAG.SEQUENCE, 'Extension'));
      const oid = oidOf(parts[0]);
      let critical = false;
      let valueT = parts[1];
      if (valueT?.tag === TAG.BOOLEAN) {
        critical = content(valueT)[0] !== 0;
        valueT = parts[2];
      }
      if (!valueT) throw new DerError('Extension without value');
      extensions.push({ oid, critical, value: Buffer.from(content(expect(valueT, TAG.OCTET_STRING, 'extnValue'))) });
    }
  }
  const issuer = parseName(issuerT);
  const subject = parseName(subjectT);
  const spki = Buffer.from(whole(spkiT));
  let publicKey: KeyObject | null = null;
  let key: KeyInfo | null = null;
  try {
    publicKey = x509.publicKey;
    key = describeKey(publicKey, spki);
  } catch {
    // X509_get0_pubkey() == NULL: OpenSSL cannot use this key.
  }
  const tbsSignatureOid = oidOf(sigParts[0]);
  return {
    der, fingerprint: createHash('sha256').update(der).digest('hex'), x509, version,
    serial: integerValue(serialT), tbsSignatureOid, tbsSignatureParams: sigParts[1], issuer, subject,
    subjectText: nameToString(subject), issuerText: nameToString(issuer),
    notBefore: parseTime(nbT), notAfter: parseTime(naT), spki, publicKey, key,
    signatureBits: signatureSecurityBits(tbsSignatureOid, sigParts[1]), extensions,
  };
}

const cache = new Map<string, ParseResult>();
const CACHE_LIMIT = 20000;

/**
 * Parses one DER certificate the way OpenSSL sees it. Results are cached by content: trust
 * stores are shared by many upstreams, so each certificate is parsed once per process.
 */
export function parseCertificate(der: Buffer): ParseResult {
  const key = createHash('sha256').update(der).digest('hex');
  const hit = cache.get(key);
  if (hit) return hit;
  let result: ParseResult;
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(der);
  } catch (e) {
    result = { error: `OpenSSL cannot parse it (${(e as Error).message})`, by: 'openssl' };
    remember(key, result);
    return result;
  }
  try {
    const base = parseStructure(der, x509);
    result = { cert: { ...base, ex: deriveFacts(base) } };
  } catch (e) {
    result = { error: `OpenSSL accepts it, but gwctl cannot read its structure (${(e as Error).message}), so it cannot predict nginx's verdict`, by: 'gwctl' };
  }
  remember(key, result);
  return result;
}

function remember(key: string, r: ParseResult): void {
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(key, r);
}

