import { Asn1Error, TAG, contentOf, oidText, tagOf, tlvOf, type Node } from './asn1.js';

/**
 * An X.509 Name as OpenSSL keeps it: the entries, plus the canonical encoding that
 * X509_NAME_cmp() compares byte for byte (x509_name_canon() in crypto/x509/x_name.c).
 */
export interface X509Name {
  /** RDNs in certificate order; each RDN holds one or more attribute entries. */
  rdns: NameEntry[][];
  /** OpenSSL's canonical encoding: lowercased, whitespace-collapsed UTF8 values, no outer SEQUENCE. */
  canon: Buffer;
  /** The DER of the whole Name as it appears in the certificate. */
  der: Buffer;
}

export interface NameEntry {
  oid: string;
  /** ASN.1 tag of the value (PrintableString, UTF8String, ...). */
  valueTag: number;
  /** The value's content octets. */
  value: Buffer;
  /** The value's whole TLV. */
  valueTlv: Buffer;
  oidTlv: Buffer;
}

/** String types OpenSSL canonicalises (ASN1_MASK_CANON); others are compared as they are. */
const CANON_TAGS = new Set<number>([
  TAG.UTF8String,
  TAG.BMPString,
  TAG.UniversalString,
  TAG.PrintableString,
  TAG.T61String,
  TAG.IA5String,
  TAG.VisibleString,
]);

export const OID_CN = '2.5.4.3';
export const OID_EMAIL = '1.2.840.113549.1.9.1';

/**
 * A Name from its element: RDNs (SETs) of attribute entries (SEQUENCEs of an OID and a value).
 * The values are kept as their original bytes and string type: OpenSSL compares and prints
 * those, not a JavaScript string (a UniversalString or T61String does not survive one).
 */
export function nameFrom(node: Node): X509Name {
  if (tagOf(node) !== TAG.SEQUENCE) throw new Asn1Error('Name is not a SEQUENCE');
  const rdns: NameEntry[][] = node.kids.map((set) => {
    if (tagOf(set) !== TAG.SET) throw new Asn1Error('RelativeDistinguishedName is not a SET');
    return set.kids.map((atv) => {
      const [oidNode, valueNode, extra] = atv.kids;
      if (tagOf(atv) !== TAG.SEQUENCE || !valueNode || extra || tagOf(oidNode) !== TAG.OID)
        throw new Asn1Error('AttributeTypeAndValue is malformed');
      return {
        oid: oidText(contentOf(oidNode)),
        valueTag: tagOf(valueNode),
        value: contentOf(valueNode),
        valueTlv: tlvOf(valueNode),
        oidTlv: tlvOf(oidNode),
      };
    });
  });
  return { rdns, canon: canonicalEncoding(rdns), der: tlvOf(node) };
}

/** X509_NAME_cmp() == 0. */
export function sameName(a: X509Name, b: X509Name): boolean {
  return a.canon.equals(b.canon);
}

export function entryCount(n: X509Name): number {
  return n.rdns.reduce((s, r) => s + r.length, 0);
}

/** The entry values (UTF-8) of one attribute type, in certificate order. */
export function valuesOf(n: X509Name, oid: string): NameEntry[] {
  return n.rdns.flat().filter((e) => e.oid === oid);
}

/**
 * ASN1_STRING_to_UTF8() for the string types OpenSSL canonicalises, from the value's own bytes.
 * Kept by hand because it is OpenSSL's conversion, not a decoding any library offers: one byte is
 * one character for T61String (OpenSSL reads it as Latin-1), and BMP/UniversalString code units
 * are converted one by one.
 */
export function entryToUtf8(e: Pick<NameEntry, 'valueTag' | 'value'>): Buffer {
  switch (e.valueTag) {
    case TAG.UTF8String:
      return e.value;
    case TAG.BMPString: {
      let s = '';
      for (let i = 0; i + 1 < e.value.length; i += 2) s += String.fromCodePoint(e.value.readUInt16BE(i));
      return Buffer.from(s, 'utf8');
    }
    case TAG.UniversalString: {
      let s = '';
      for (let i = 0; i + 3 < e.value.length; i += 4) s += String.fromCodePoint(e.value.readUInt32BE(i));
      return Buffer.from(s, 'utf8');
    }
    default:
      // One byte per character (Printable, IA5, T61 taken as Latin-1, Visible ...).
      return Buffer.from(e.value.toString('latin1'), 'utf8');
  }
}

function isSpace(b: number): boolean {
  return b === 0x20 || (b >= 0x09 && b <= 0x0d);
}

/** asn1_string_canon(): trim, collapse inner whitespace runs to one space, lowercase ASCII. */
function canonValue(utf8: Buffer): Buffer {
  let from = 0;
  let len = utf8.length;
  while (len > 0 && isSpace(utf8[from])) {
    from++;
    len--;
  }
  while (len > 0 && isSpace(utf8[from + len - 1])) len--;
  const out: number[] = [];
  let i = 0;
  while (i < len) {
    const c = utf8[from + i];
    if (c >= 0x80) {
      out.push(c);
      i++;
    } else if (isSpace(c)) {
      out.push(0x20);
      do {
        i++;
      } while (i < len && isSpace(utf8[from + i]));
    } else {
      out.push(c >= 0x41 && c <= 0x5a ? c + 0x20 : c);
      i++;
    }
  }
  return Buffer.from(out);
}

/*
 * x509_name_canon() builds a DER encoding of the canonical name; these two write it. They encode
 * OpenSSL's canonical form (whose bytes X509_NAME_cmp() compares); nothing is decoded by hand.
 */
export function encodeLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  while (n > 0) {
    bytes.unshift(n & 0xff);
    n = Math.floor(n / 256);
  }
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), encodeLength(body.length), body]);
}

/** DER SET OF ordering as OpenSSL's der_cmp does it: memcmp on the common length, then shorter first. */
function derCompare(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  const c = Buffer.compare(a.subarray(0, n), b.subarray(0, n));
  return c !== 0 ? c : a.length - b.length;
}

export function canonicalEncoding(rdns: Pick<NameEntry, 'oidTlv' | 'valueTag' | 'value' | 'valueTlv'>[][]): Buffer {
  const sets: Buffer[] = [];
  for (const rdn of rdns) {
    if (rdn.length === 0) continue;
    const entries = rdn.map((e) => {
      const value = CANON_TAGS.has(e.valueTag) ? tlv(TAG.UTF8String, canonValue(entryToUtf8(e))) : e.valueTlv;
      return tlv(TAG.SEQUENCE, Buffer.concat([e.oidTlv, value]));
    });
    entries.sort(derCompare);
    sets.push(tlv(TAG.SET, Buffer.concat(entries)));
  }
  return Buffer.concat(sets);
}

/** OpenSSL's short names, so gwctl prints names the way `openssl x509 -nameopt RFC2253` does. */
const SHORT_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.9': 'street',
  '0.9.2342.19200300.100.1.25': 'DC',
  '0.9.2342.19200300.100.1.1': 'UID',
  '1.2.840.113549.1.9.1': 'emailAddress',
  '2.5.4.5': 'serialNumber',
  '2.5.4.12': 'title',
  '2.5.4.4': 'SN',
  '2.5.4.42': 'GN',
  '2.5.4.43': 'initials',
  '2.5.4.65': 'pseudonym',
  '2.5.4.44': 'generationQualifier',
  '2.5.4.46': 'dnQualifier',
  '2.5.4.41': 'name',
  '2.5.4.15': 'businessCategory',
  '2.5.4.17': 'postalCode',
  '1.3.6.1.4.1.311.60.2.1.3': 'jurisdictionC',
  '1.3.6.1.4.1.311.60.2.1.2': 'jurisdictionST',
  '1.3.6.1.4.1.311.60.2.1.1': 'jurisdictionL',
  '2.5.4.97': 'organizationIdentifier',
};

function escape2253(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    const code = ch.charCodeAt(0);
    if (',+"\\<>;'.includes(ch) || (i === 0 && (ch === '#' || ch === ' ')) || (i === s.length - 1 && ch === ' '))
      out += '\\' + ch;
    else if (code < 0x20 || code === 0x7f) out += '\\' + code.toString(16).toUpperCase().padStart(2, '0');
    else out += ch;
  }
  return out;
}

/** RFC 4514 text (most specific RDN first), e.g. "CN=orders.internal,O=Acme". */
export function nameToString(n: X509Name): string {
  return [...n.rdns]
    .reverse()
    .map((rdn) =>
      [...rdn]
        .reverse()
        .map((e) => {
          const short = SHORT_NAMES[e.oid];
          if (!short || (!CANON_TAGS.has(e.valueTag) && e.valueTag !== 0x12))
            return `${short ?? e.oid}=#${e.valueTlv.toString('hex')}`;
          return `${short}=${escape2253(entryToUtf8(e).toString('utf8'))}`;
        })
        .join('+'),
    )
    .join(',');
}
