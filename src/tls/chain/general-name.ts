import {
  Asn1Error,
  TAG,
  children,
  contentOf,
  isContext,
  oidText,
  stringContent,
  tagOf,
  tlvOf,
  type Node,
} from './asn1.js';
import { nameFrom, type X509Name } from './name.js';

/** GEN_* numbers of OpenSSL, which are the GeneralName CHOICE tags. */
export const GEN = {
  OTHERNAME: 0,
  EMAIL: 1,
  DNS: 2,
  X400: 3,
  DIRNAME: 4,
  EDIPARTY: 5,
  URI: 6,
  IPADD: 7,
  RID: 8,
} as const;

export interface GeneralName {
  type: number;
  /** Content octets for the string forms (email, DNS, URI, IP). */
  value: Buffer;
  dir?: X509Name;
  otherOid?: string;
  /** The otherName value's inner TLV (tag and content), for SmtpUTF8Mailbox. */
  otherValue?: { tag: number; content: Buffer };
}

/**
 * One GeneralName from its element, as GENERAL_NAME's d2i reads the CHOICE (tags [0] to [8]).
 *
 * What OpenSSL compares is taken from the element itself: the exact bytes of email, DNS and URI
 * names (IA5String content, never decoded to text); the iPAddress octets (any length: an address
 * with a mask in name constraints, and lengths nc_ip() refuses); the raw values of directoryName
 * attributes (see name.ts); the otherName value's tag and bytes. x400Address and ediPartyName
 * are kept as bytes: OpenSSL never compares either.
 */
export function generalNameFrom(node: Node): GeneralName {
  if (node.cls !== 2) throw new Asn1Error('GeneralName is not a context-specific element');
  switch (node.num) {
    case GEN.OTHERNAME: {
      // otherName [0] IMPLICIT SEQUENCE { type-id OID, value [0] EXPLICIT ANY }
      const [typeId, wrapped, extra] = node.kids;
      const inner = wrapped?.kids[0];
      if (!node.constructed || tagOf(typeId) !== TAG.OID || !isContext(wrapped, 0) || !wrapped.constructed || !inner)
        throw new Asn1Error('otherName is malformed');
      if (extra || wrapped.kids.length !== 1) throw new Asn1Error('otherName is malformed');
      return {
        type: GEN.OTHERNAME,
        value: tlvOf(inner),
        otherOid: oidText(contentOf(typeId)),
        otherValue: { tag: tagOf(inner), content: contentOf(inner) },
      };
    }
    case GEN.EMAIL:
    case GEN.DNS:
    case GEN.URI:
    case GEN.IPADD:
      // IA5String / OCTET STRING, implicitly tagged: BER may split them into pieces.
      return { type: node.num, value: stringContent(node) };
    case GEN.RID:
      if (node.constructed) throw new Asn1Error('registeredID is not primitive');
      oidText(contentOf(node));
      return { type: GEN.RID, value: contentOf(node) };
    case GEN.DIRNAME: {
      // directoryName [4] EXPLICIT Name
      const nameNode = node.kids[0];
      if (!node.constructed || !nameNode || node.kids.length !== 1) throw new Asn1Error('directoryName is malformed');
      return { type: GEN.DIRNAME, value: tlvOf(nameNode), dir: nameFrom(nameNode) };
    }
    case GEN.X400:
    case GEN.EDIPARTY:
      if (!node.constructed) throw new Asn1Error('x400Address / ediPartyName is not constructed');
      return { type: node.num, value: contentOf(node) };
    default:
      throw new Asn1Error('GeneralName of no known form');
  }
}

/** GeneralNames (SEQUENCE OF GeneralName), or the elements of an IMPLICIT [n] GeneralNames. */
export function generalNamesFrom(node: Node, implicit = false): GeneralName[] {
  if (!implicit && tagOf(node) !== TAG.SEQUENCE) throw new Asn1Error('GeneralNames is not a SEQUENCE');
  return children(node).map(generalNameFrom);
}

export function generalNameText(g: GeneralName): string {
  switch (g.type) {
    case GEN.DNS:
      return `DNS:${g.value.toString('latin1')}`;
    case GEN.EMAIL:
      return `email:${g.value.toString('latin1')}`;
    case GEN.URI:
      return `URI:${g.value.toString('latin1')}`;
    case GEN.IPADD:
      return `IP:${ipText(g.value)}`;
    case GEN.DIRNAME:
      return 'DirName';
    case GEN.OTHERNAME:
      return `othername:${g.otherOid}`;
    default:
      return `type${g.type}`;
  }
}

export function ipText(b: Buffer): string {
  if (b.length === 4) return [...b].join('.');
  if (b.length === 16) return Array.from({ length: 8 }, (_, i) => b.readUInt16BE(i * 2).toString(16)).join(':');
  // Name constraints carry address and mask together.
  if (b.length === 8 || b.length === 32)
    return `${ipText(b.subarray(0, b.length / 2))}/${ipText(b.subarray(b.length / 2))}`;
  return b.toString('hex');
}
