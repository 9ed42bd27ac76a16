import { createRequire } from 'node:module';
import type * as Asn1X509Module from '@peculiar/asn1-x509';
import type * as Asn1SchemaModule from '@peculiar/asn1-schema';
import type * as Asn1EccModule from '@peculiar/asn1-ecc';
import type * as Asn1RsaModule from '@peculiar/asn1-rsa';
import type * as Asn1jsModule from 'asn1js';

/**
 * Certificates are decoded by the ASN.1 stack @peculiar/x509 is built on: @peculiar/asn1-x509
 * (the X.509 schemas), @peculiar/asn1-schema (schema-driven decoding), @peculiar/asn1-ecc / -rsa
 * (algorithm parameters) and asn1js (the BER/DER parser whose objects keep every element's tag
 * and raw bytes). @peculiar/x509 itself is not loaded: its extension classes are the same schemas
 * applied the same way (extensions.ts), and loading it costs another 100 ms (tsyringe,
 * reflect-metadata and the CMS, PKCS and CSR schemas it registers).
 *
 * The stack is loaded on first use, synchronously (`verifyChain()` is synchronous), and only by
 * the paths that parse certificates: `gwctl validate` never reaches this module's `lib()`. The
 * packages are resolved from @peculiar/x509's own location (resolved, not loaded), so the engine
 * uses the very copies the rest of gwctl's @peculiar/x509 uses (schema registrations are per
 * module instance).
 */
export interface PeculiarLib {
  asn1X509: typeof Asn1X509Module;
  asn1Schema: typeof Asn1SchemaModule;
  asn1Ecc: typeof Asn1EccModule;
  asn1Rsa: typeof Asn1RsaModule;
  asn1js: typeof Asn1jsModule;
}

let loaded: PeculiarLib | undefined;

export function lib(): PeculiarLib {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  const fromX509 = createRequire(require.resolve('@peculiar/x509'));
  const asn1Schema = fromX509('@peculiar/asn1-schema') as typeof Asn1SchemaModule;
  const asn1js = createRequire(fromX509.resolve('@peculiar/asn1-schema'))('asn1js') as typeof Asn1jsModule;
  loaded = {
    asn1X509: fromX509('@peculiar/asn1-x509') as typeof Asn1X509Module,
    asn1Schema,
    asn1Ecc: fromX509('@peculiar/asn1-ecc') as typeof Asn1EccModule,
    asn1Rsa: fromX509('@peculiar/asn1-rsa') as typeof Asn1RsaModule,
    asn1js,
  };
  return loaded;
}

/** An element as asn1js parsed it: tag, length and value blocks plus the raw bytes it came from. */
export type Node = Asn1jsModule.BaseBlock;

/**
 * asn1js resource limits. OpenSSL has already accepted the certificate (node:crypto parsed it), so
 * the limits must never refuse a certificate for its size: asn1js's default of 10,000 elements
 * does (x509-limbo has one with 4,096 names). Every element takes at least two bytes, and asn1js
 * also looks inside OCTET and BIT STRINGs, so a few elements per byte bounds any real input while
 * still tying the work to the input's size (PEM files are capped at 16 MiB by pem.ts).
 */
export function berOptions(length: number): Asn1jsModule.FromBerOptions {
  // parseEmbedded: asn1js otherwise tries to read every primitive OCTET and BIT STRING (public
  // keys, signatures, extension values) as nested BER, half the cost of a parse; the engine never
  // reads that guess (extension values are parsed on their own, keys are node:crypto's).
  return { maxNodes: 4 * length + 64, parseEmbedded: false };
}

export function parseOptions(length: number): Asn1SchemaModule.IAsnParseOptions {
  return { berOptions: berOptions(length) };
}

export class Asn1Error extends Error {}

/** asn1js.fromBER() on the whole input, refusing what asn1js flags as malformed. */
export function parseBer(bytes: Uint8Array | ArrayBuffer): Node {
  const view = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes;
  const r = lib().asn1js.fromBER(view, berOptions(view.length));
  if (r.offset === -1 || r.result.error) throw new Asn1Error(r.result.error || 'not BER');
  return r.result;
}

/** AsnParser.fromASN(): the library's typed view of an already parsed element. */
export function decode<T>(node: Node, schema: new () => T): T {
  return lib().asn1Schema.AsnParser.fromASN(node, schema) as T;
}

/** The elements of a constructed element (SEQUENCE, SET, constructed context tags). */
export function children(node: Node): Node[] {
  const v = (node.valueBlock as { value?: unknown }).value;
  return Array.isArray(v) ? (v as Node[]) : [];
}

/** The element's whole encoding (identifier, length and content), as it appears in the input. */
export function tlvOf(node: Node): Buffer {
  return Buffer.from(node.valueBeforeDecodeView);
}

/** The element's content octets, as they appear in the input. */
export function contentOf(node: Node): Buffer {
  if (!node.idBlock.isConstructed) {
    const hex = (node.valueBlock as { valueHexView?: Uint8Array }).valueHexView;
    if (hex) return Buffer.from(hex);
  }
  const header = node.idBlock.blockLength + node.lenBlock.blockLength;
  const whole = node.valueBeforeDecodeView;
  return Buffer.from(whole.subarray(header, node.lenBlock.isIndefiniteForm ? whole.length - 2 : whole.length));
}

/**
 * The identifier octet (class, constructed bit, number) OpenSSL would see, e.g. 0x13 for
 * PrintableString or 0x82 for a [2] IMPLICIT primitive. High tag numbers get a value above 0xff,
 * which matches no tag the engine compares with.
 */
export function tagOf(node: Node): number {
  const { tagClass, tagNumber, isConstructed } = node.idBlock;
  const head = ((tagClass - 1) << 6) | (isConstructed ? 0x20 : 0);
  return tagNumber < 31 ? head | tagNumber : 0x100 + head * 0x10000 + tagNumber;
}

/** A context-specific [n] element. */
export function isContext(node: Node | undefined, n: number): boolean {
  return node !== undefined && node.idBlock.tagClass === 3 && node.idBlock.tagNumber === n;
}

/** An INTEGER's content octets as a signed value (two's complement), via asn1js. */
export function integerValue(content: Uint8Array | ArrayBuffer): bigint {
  const bytes = content instanceof ArrayBuffer ? new Uint8Array(content) : content;
  if (bytes.length === 0) return 0n;
  return new (lib().asn1js.Integer)({ valueHex: bytes }).toBigInt();
}

/** Identifier octets of the universal types the engine tells apart (X.680). */
export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8String: 0x0c,
  NumericString: 0x12,
  PrintableString: 0x13,
  T61String: 0x14,
  IA5String: 0x16,
  UTCTime: 0x17,
  GeneralizedTime: 0x18,
  VisibleString: 0x1a,
  UniversalString: 0x1c,
  BMPString: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;
