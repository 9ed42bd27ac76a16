import { type Tlv, tlv } from './der-tlv.js';

/**
 * Whether a DER certificate's issuer and subject are the same bytes, read without OpenSSL or the
 * chain engine (validate loads neither): the issuer and subject Name elements of TBSCertificate,
 * plain case only (definite lengths, low tag numbers); undefined when this reader gives up.
 */
export function sameIssuerAndSubject(der: Buffer): boolean | undefined {
  const cert = tlv(der, 0, der.length);
  if (cert?.tag !== 0x30 || cert.end !== der.length) return undefined;
  const tbs = tlv(der, cert.content, cert.end);
  if (tbs?.tag !== 0x30) return undefined;
  const fields: Tlv[] = [];
  for (let pos = tbs.content; pos < tbs.end && fields.length < 7; ) {
    const t = tlv(der, pos, tbs.end);
    if (!t) return undefined;
    fields.push(t);
    pos = t.end;
  }
  const at = fields[0]?.tag === 0xa0 ? 1 : 0;
  const issuer = fields[at + 2];
  const subject = fields[at + 4];
  if (issuer?.tag !== 0x30 || subject?.tag !== 0x30 || fields.length < at + 6) return undefined;
  return der.subarray(issuer.start, issuer.end).equals(der.subarray(subject.start, subject.end));
}
