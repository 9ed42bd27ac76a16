import { Asn1Error, TAG, children, contentOf, decode, lib, tagOf, tlvOf, type Node } from './asn1.js';
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
 * One GeneralName, decoded by @peculiar/asn1-x509's GeneralName schema from its asn1js element.
 *
 * What OpenSSL compares is taken from the element itself: the exact bytes of email, DNS and URI
 * names; the iPAddress octets (the schema turns them into text, and an address with a mask into
 * "a.b.c.d/len", which loses the non-contiguous masks OpenSSL's nc_ip() compares bit by bit, and
 * any length other than 4, 8, 16 or 32 octets); the raw values of directoryName attributes (see
 * name.ts); the otherName value's tag and bytes.
 *
 * Two alternatives bypass the schema: asn1-x509 declares x400Address as an implicitly tagged ANY
 * and EDIPartyName's DirectoryStrings as implicitly tagged CHOICEs, so it rejects well-formed
 * encodings of both, which OpenSSL accepts. OpenSSL never compares either, so the engine keeps
 * their bytes without decoding them (as gwctl's earlier DER reader did).
 */
export function generalNameFrom(node: Node): GeneralName {
  if (node.idBlock.tagClass === 3 && node.idBlock.isConstructed) {
    if (node.idBlock.tagNumber === GEN.X400) return { type: GEN.X400, value: contentOf(node) };
    if (node.idBlock.tagNumber === GEN.EDIPARTY) return { type: GEN.EDIPARTY, value: contentOf(node) };
  }
  const g = decode(node, lib().asn1X509.GeneralName);
  if (g.otherName) {
    const inner = children(children(node)[1])[0];
    return {
      type: GEN.OTHERNAME,
      value: tlvOf(inner),
      otherOid: g.otherName.typeId,
      otherValue: { tag: tagOf(inner), content: contentOf(inner) },
    };
  }
  if (g.rfc822Name !== undefined) return { type: GEN.EMAIL, value: contentOf(node) };
  if (g.dNSName !== undefined) return { type: GEN.DNS, value: contentOf(node) };
  if (g.uniformResourceIdentifier !== undefined) return { type: GEN.URI, value: contentOf(node) };
  if (g.iPAddress !== undefined) return { type: GEN.IPADD, value: contentOf(node) };
  if (g.registeredID !== undefined) return { type: GEN.RID, value: contentOf(node) };
  if (g.directoryName) {
    const nameNode = children(node)[0];
    return { type: GEN.DIRNAME, value: tlvOf(nameNode), dir: nameFrom(g.directoryName, nameNode) };
  }
  throw new Asn1Error('GeneralName of no known form');
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
