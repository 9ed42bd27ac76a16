/**
 * A minimal DER reader: just enough to see certificate fields the way OpenSSL's decoder sees
 * them (raw bytes of names, extension values, times). OpenSSL has already accepted the
 * certificate (node:crypto parsed it), so this reader only has to be faithful, not defensive
 * about every BER corner; it throws DerError on anything it does not understand.
 */
export class DerError extends Error {}

export interface Tlv {
  /** The identifier octet (class, constructed bit, tag number < 31). */
  tag: number;
  /** Offset of the identifier octet in `buf`. */
  start: number;
  /** Offset of the first content octet. */
  contentStart: number;
  /** Offset just past the content. */
  end: number;
  buf: Buffer;
}

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8String: 0x0c,
  SEQUENCE: 0x30,
  SET: 0x31,
  PrintableString: 0x13,
  T61String: 0x14,
  IA5String: 0x16,
  UTCTime: 0x17,
  GeneralizedTime: 0x18,
  VisibleString: 0x1a,
  UniversalString: 0x1c,
  BMPString: 0x1e,
} as const;

export function readTlv(buf: Buffer, offset: number, limit = buf.length): Tlv {
  if (offset + 2 > limit) throw new DerError('truncated TLV');
  const tag = buf[offset];
  if ((tag & 0x1f) === 0x1f) throw new DerError('high tag numbers are not supported');
  let len = buf[offset + 1];
  let p = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new DerError('unsupported length encoding');
    if (p + n > limit) throw new DerError('truncated length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p + i];
    p += n;
  }
  if (p + len > limit) throw new DerError('content runs past its container');
  return { tag, start: offset, contentStart: p, end: p + len, buf };
}

/** The children of a constructed TLV. */
export function children(t: Tlv): Tlv[] {
  const out: Tlv[] = [];
  let p = t.contentStart;
  while (p < t.end) {
    const c = readTlv(t.buf, p, t.end);
    out.push(c);
    p = c.end;
  }
  return out;
}

export function content(t: Tlv): Buffer {
  return t.buf.subarray(t.contentStart, t.end);
}

export function whole(t: Tlv): Buffer {
  return t.buf.subarray(t.start, t.end);
}

export function expect(t: Tlv, tag: number, what: string): Tlv {
  if (t.tag !== tag) throw new DerError(`${what}: expected tag 0x${tag.toString(16)}, found 0x${t.tag.toString(16)}`);
  return t;
}

export function decodeOid(bytes: Buffer): string {
  if (bytes.length === 0) throw new DerError('empty OID');
  const parts: number[] = [];
  let value = 0;
  for (let i = 0; i < bytes.length; i++) {
    value = value * 128 + (bytes[i] & 0x7f);
    if ((bytes[i] & 0x80) === 0) {
      if (parts.length === 0) {
        const first = value < 40 ? 0 : value < 80 ? 1 : 2;
        parts.push(first, value - first * 40);
      } else parts.push(value);
      value = 0;
    } else if (i === bytes.length - 1) throw new DerError('truncated OID');
  }
  return parts.join('.');
}

export function oidOf(t: Tlv): string {
  return decodeOid(content(expect(t, TAG.OID, 'OID')));
}

/** An INTEGER as a number (two's complement); +-Infinity when it does not fit in 48 bits. */
export function smallInteger(t: Tlv): number {
  const c = content(t);
  if (c.length === 0) throw new DerError('empty INTEGER');
  const negative = (c[0] & 0x80) !== 0;
  if (c.length > 6) return negative ? -Infinity : Infinity;
  let u = 0;
  for (const b of c) u = u * 256 + b;
  return negative ? u - 2 ** (8 * c.length) : u;
}
