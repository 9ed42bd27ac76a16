import { DerError, TAG, children, content, expect, oidOf, readTlv, whole, type Tlv } from './der.js';
import { parseName, type X509Name } from './name.js';

/** GEN_* numbers of OpenSSL, which are the GeneralName CHOICE tags. */
export const GEN = { OTHERNAME: 0, EMAIL: 1, DNS: 2, X400: 3, DIRNAME: 4, EDIPARTY: 5, URI: 6, IPADD: 7, RID: 8 } as const;

export interface GeneralName {
  type: number;
  /** Content octets for the string forms (email, DNS, URI, IP). */
  value: Buffer;
  dir?: X509Name;
  otherOid?: string;
  /** The otherName value's inner TLV (tag and content), for SmtpUTF8Mailbox. */
  otherValue?: { tag: number; content: Buffer };
}

const PRIMITIVE_FORMS: Record<number, number> = { 0x81: GEN.EMAIL, 0x82: GEN.DNS, 0x86: GEN.URI, 0x87: GEN.IPADD, 0x88: GEN.RID };

export function parseGeneralName(t: Tlv): GeneralName {
  const prim = PRIMITIVE_FORMS[t.tag];
  if (prim !== undefined) return { type: prim, value: Buffer.from(content(t)) };
  switch (t.tag) {
    case 0xa0: {
      const [oidT, valueWrap] = children(t);
      if (!oidT || !valueWrap || valueWrap.tag !== 0xa0) throw new DerError('otherName is malformed');
      const inner = readTlv(valueWrap.buf, valueWrap.contentStart, valueWrap.end);
      return { type: GEN.OTHERNAME, value: Buffer.from(whole(inner)), otherOid: oidOf(oidT), otherValue: { tag: inner.tag, content: Buffer.from(content(inner)) } };
    }
    case 0xa3:
      return { type: GEN.X400, value: Buffer.from(content(t)) };
    case 0xa4: {
      const inner = readTlv(t.buf, t.contentStart, t.end);
      return { type: GEN.DIRNAME, value: Buffer.from(whole(inner)), dir: parseName(inner) };
    }
    case 0xa5:
      return { type: GEN.EDIPARTY, value: Buffer.from(content(t)) };
    default:
      throw new DerError(`unknown GeneralName tag 0x${t.tag.toString(16)}`);
  }
}

export function parseGeneralNames(t: Tlv): GeneralName[] {
  return children(expect(t, TAG.SEQUENCE, 'GeneralNames')).map(parseGeneralName);
}

export function generalNameText(g: GeneralName): string {
  switch (g.type) {
    case GEN.DNS: return `DNS:${g.value.toString('latin1')}`;
    case GEN.EMAIL: return `email:${g.value.toString('latin1')}`;
    case GEN.URI: return `URI:${g.value.toString('latin1')}`;
    case GEN.IPADD: return `IP:${ipText(g.value)}`;
    case GEN.DIRNAME: return 'DirName';
    case GEN.OTHERNAME: return `othername:${g.otherOid}`;
    default: return `type${g.type}`;
  }
}

export function ipText(b: Buffer): string {
  if (b.length === 4) return [...b].join('.');
  if (b.length === 16) return Array.from({ length: 8 }, (_, i) => b.readUInt16BE(i * 2).toString(16)).join(':');
  // Name constraints carry address and mask together.
  if (b.length === 8 || b.length === 32) return `${ipText(b.subarray(0, b.length / 2))}/${ipText(b.subarray(b.length / 2))}`;
  return b.toString('hex');
}
