import { elements, tlv } from '../der-tlv.js';
import { type NameEntry, canonicalEncoding } from './name.js';

/**
 * The canonical subject (X509Name.canon, what X509_NAME_cmp() compares) of a DER certificate,
 * read without the ASN.1 library: a trust store indexes every certificate by it, but the engine
 * needs the full parse (certificate.ts, some milliseconds each) only of the few a chain looks up.
 * This reader takes the plain case only (definite lengths, low tag numbers, every attribute a
 * SEQUENCE of an OID and one value) and gives up on anything else; the store then parses that
 * certificate fully at once, as before. What it returns equals nameFrom()'s canon: the same
 * entries (OID TLV, value tag, content and TLV) fed to the same canonicalEncoding().
 */
export function subjectCanon(der: Buffer): Buffer | null {
  const cert = tlv(der, 0, der.length);
  if (!cert || cert.tag !== 0x30 || cert.end !== der.length) return null;
  const tbs = tlv(der, cert.content, cert.end);
  if (!tbs || tbs.tag !== 0x30) return null;
  const fields = elements(der, tbs.content, tbs.end);
  if (!fields) return null;
  const at = fields[0]?.tag === 0xa0 ? 1 : 0;
  const subject = fields[at + 4];
  if (!subject || subject.tag !== 0x30 || fields.length < at + 6) return null;
  const sets = elements(der, subject.content, subject.end);
  if (!sets) return null;
  const rdns: Pick<NameEntry, 'oidTlv' | 'valueTag' | 'value' | 'valueTlv'>[][] = [];
  for (const set of sets) {
    if (set.tag !== 0x31) return null;
    const atvs = elements(der, set.content, set.end);
    if (!atvs) return null;
    const rdn = [];
    for (const atv of atvs) {
      if (atv.tag !== 0x30) return null;
      const parts = elements(der, atv.content, atv.end);
      if (!parts || parts.length !== 2 || parts[0].tag !== 0x06) return null;
      const [oid, value] = parts;
      rdn.push({
        oidTlv: der.subarray(oid.start, oid.end),
        valueTag: value.tag,
        value: der.subarray(value.content, value.end),
        valueTlv: der.subarray(value.start, value.end),
      });
    }
    rdns.push(rdn);
  }
  return canonicalEncoding(rdns);
}
