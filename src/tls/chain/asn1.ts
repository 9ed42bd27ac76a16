import { createRequire } from 'node:module';
import type * as Asn1X509Module from '@peculiar/asn1-x509';
import type * as Asn1SchemaModule from '@peculiar/asn1-schema';
import type * as Asn1EccModule from '@peculiar/asn1-ecc';
import type * as Asn1RsaModule from '@peculiar/asn1-rsa';

/**
 * The engine reads certificates with a small BER reader (below): one pass over the bytes gives
 * every element's tag, length and position, and the engine decodes the few structures OpenSSL
 * interprets (certificate.ts, name.ts, general-name.ts, extensions.ts) straight from those
 * elements. It replaced asn1js and the @peculiar/asn1-x509 schemas on the hot path: a full
 * schema parse cost a few milliseconds per certificate and loading the stack about 100 ms.
 *
 * The schema stack is still used, loaded on first use, for what is rare and intricate:
 * RSASSA-PSS parameters, explicit EC domain parameters and the structure of CRLs (`decode()`).
 * The packages are resolved from @peculiar/x509's own location (resolved, not loaded), so the
 * engine uses the very copies the rest of gwctl's @peculiar/x509 uses.
 */
export interface PeculiarLib {
  asn1X509: typeof Asn1X509Module;
  asn1Schema: typeof Asn1SchemaModule;
  asn1Ecc: typeof Asn1EccModule;
  asn1Rsa: typeof Asn1RsaModule;
}

let loaded: PeculiarLib | undefined;

export function lib(): PeculiarLib {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  const fromX509 = createRequire(require.resolve('@peculiar/x509'));
  const asn1Schema = fromX509('@peculiar/asn1-schema') as typeof Asn1SchemaModule;
  loaded = {
    asn1X509: fromX509('@peculiar/asn1-x509') as typeof Asn1X509Module,
    asn1Schema,
    asn1Ecc: fromX509('@peculiar/asn1-ecc') as typeof Asn1EccModule,
    asn1Rsa: fromX509('@peculiar/asn1-rsa') as typeof Asn1RsaModule,
  };
  return loaded;
}

/** One BER element: its identifier, where its parts lie in `bytes`, and its elements if constructed. */
export interface Node {
  /** 0 universal, 1 application, 2 context-specific, 3 private. */
  cls: number;
  constructed: boolean;
  /** The tag number. */
  num: number;
  bytes: Buffer;
  start: number;
  /** First content octet. */
  content: number;
  /** End of the content octets (before the end-of-contents octets of an indefinite length). */
  contentEnd: number;
  /** End of the whole element. */
  end: number;
  indefinite: boolean;
  kids: Node[];
}

export class Asn1Error extends Error {}

/** Nesting no certificate needs; keeps hostile input away from the stack. */
const MAX_DEPTH = 64;

/**
 * The first element of `input` (what follows it is ignored, as d2i() ignores it), with every
 * constructed element read down to primitives. Definite and indefinite lengths and high tag
 * numbers are read, as BER allows and OpenSSL accepts; primitive contents are never looked into.
 */
export function parseBer(input: Uint8Array | ArrayBuffer): Node {
  const bytes = Buffer.isBuffer(input)
    ? input
    : input instanceof ArrayBuffer
      ? Buffer.from(input)
      : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  return readElement(bytes, 0, bytes.length, 0);
}

function readElement(b: Buffer, pos: number, limit: number, depth: number): Node {
  if (depth > MAX_DEPTH) throw new Asn1Error('nested too deeply');
  if (pos >= limit) throw new Asn1Error('element expected, end of data');
  const start = pos;
  const id = b[pos++];
  const cls = id >> 6;
  const constructed = (id & 0x20) !== 0;
  let num = id & 0x1f;
  if (num === 0x1f) {
    num = 0;
    for (let n = 0; ; n++) {
      if (pos >= limit || n === 4) throw new Asn1Error('bad tag number');
      const c = b[pos++];
      num = num * 128 + (c & 0x7f);
      if (!(c & 0x80)) break;
    }
  }
  if (pos >= limit) throw new Asn1Error('length expected, end of data');
  const first = b[pos++];
  const node: Node = {
    cls,
    constructed,
    num,
    bytes: b,
    start,
    content: 0,
    contentEnd: 0,
    end: 0,
    indefinite: false,
    kids: [],
  };
  if (first === 0x80) {
    if (!constructed) throw new Asn1Error('indefinite length on a primitive element');
    node.indefinite = true;
    node.content = pos;
    for (;;) {
      if (pos + 2 > limit) throw new Asn1Error('end-of-contents missing');
      if (b[pos] === 0 && b[pos + 1] === 0) break;
      const kid = readElement(b, pos, limit, depth + 1);
      node.kids.push(kid);
      pos = kid.end;
    }
    node.contentEnd = pos;
    node.end = pos + 2;
    return node;
  }
  let len = first;
  if (first & 0x80) {
    const n = first & 0x7f;
    if (n === 0x7f || n > 6 || pos + n > limit) throw new Asn1Error('bad length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[pos++];
  }
  node.content = pos;
  node.contentEnd = node.end = pos + len;
  if (node.end > limit) throw new Asn1Error('element longer than its container');
  if (constructed) {
    while (pos < node.end) {
      const kid = readElement(b, pos, node.end, depth + 1);
      node.kids.push(kid);
      pos = kid.end;
    }
  }
  return node;
}

/**
 * The schema stack's typed view of an element (for the rare structures listed above): its bytes
 * parsed again by asn1js and matched against the schema.
 */
export function decode<T>(node: Node, schema: new () => T): T {
  const der = tlvOf(node);
  return lib().asn1Schema.AsnConvert.parse(der, schema, {
    berOptions: { maxNodes: 4 * der.length + 64, parseEmbedded: false },
  }) as T;
}

/** The elements of a constructed element (SEQUENCE, SET, constructed context tags). */
export function children(node: Node): Node[] {
  return node.kids;
}

/** The element's whole encoding (identifier, length and content), as it appears in the input. */
export function tlvOf(node: Node): Buffer {
  return node.bytes.subarray(node.start, node.end);
}

/** The element's content octets, as they appear in the input. */
export function contentOf(node: Node): Buffer {
  return node.bytes.subarray(node.content, node.contentEnd);
}

/**
 * The identifier octet (class, constructed bit, number) OpenSSL would see, e.g. 0x13 for
 * PrintableString or 0x82 for a [2] IMPLICIT primitive. High tag numbers get a value above 0xff,
 * which matches no tag the engine compares with.
 */
export function tagOf(node: Node): number {
  const head = (node.cls << 6) | (node.constructed ? 0x20 : 0);
  return node.num < 31 ? head | node.num : 0x100 + head * 0x10000 + node.num;
}

/** A context-specific [n] element. */
export function isContext(node: Node | undefined, n: number): boolean {
  return node !== undefined && node.cls === 2 && node.num === n;
}

/** An INTEGER's content octets as a signed value (two's complement). */
export function integerValue(content: Uint8Array | ArrayBuffer): bigint {
  const bytes = content instanceof ArrayBuffer ? new Uint8Array(content) : content;
  if (bytes.length === 0) return 0n;
  const v = BigInt(`0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}`);
  return bytes[0] & 0x80 ? v - (1n << BigInt(bytes.length * 8)) : v;
}

/** An OBJECT IDENTIFIER's content octets in dotted form. */
export function oidText(content: Buffer): string {
  if (content.length === 0 || content[content.length - 1] & 0x80) throw new Asn1Error('bad OBJECT IDENTIFIER');
  const arcs: string[] = [];
  let v = 0;
  let big: bigint | null = null;
  for (let i = 0; i < content.length; i++) {
    const c = content[i];
    if (big === null && v > 2 ** 45) big = BigInt(v);
    if (big !== null) big = big * 128n + BigInt(c & 0x7f);
    else v = v * 128 + (c & 0x7f);
    if (c & 0x80) continue;
    if (arcs.length === 0) {
      // The first subidentifier carries two arcs: 40 * first + second, first at most 2.
      if (big !== null) arcs.push('2', String(big - 80n));
      else if (v < 80) arcs.push(String(Math.floor(v / 40)), String(v % 40));
      else arcs.push('2', String(v - 80));
    } else arcs.push(big !== null ? String(big) : String(v));
    v = 0;
    big = null;
  }
  return arcs.join('.');
}

/** An element that must be of this universal tag: its content, or an Asn1Error naming what was expected. */
export function expect(node: Node | undefined, tag: number, what: string): Node {
  if (!node || tagOf(node) !== tag) throw new Asn1Error(`${what} expected`);
  return node;
}

/** Primitive content, or the content of a BER constructed string (its primitive pieces joined). */
export function stringContent(node: Node): Buffer {
  if (!node.constructed) return contentOf(node);
  return Buffer.concat(node.kids.map(stringContent));
}

/** A BOOLEAN's value as OpenSSL's d2i reads it: one content octet, any non-zero value is true. */
export function booleanValue(node: Node): boolean {
  if (tagOf(node) !== TAG.BOOLEAN || node.contentEnd - node.content !== 1) throw new Asn1Error('bad BOOLEAN');
  return node.bytes[node.content] !== 0;
}

/**
 * A BIT STRING as OpenSSL's c2i_ASN1_BIT_STRING() leaves it: the octets after the unused-bits
 * octet, with the unused bits cleared (a copy: the input is never changed).
 */
export function bitStringOf(node: Node): { bytes: Buffer; unused: number } {
  if (tagOf(node) !== TAG.BIT_STRING) throw new Asn1Error('BIT STRING expected');
  const c = contentOf(node);
  if (c.length < 1 || c[0] > 7) throw new Asn1Error('bad BIT STRING');
  const bytes = Buffer.from(c.subarray(1));
  if (bytes.length > 0) bytes[bytes.length - 1] &= (0xff << c[0]) & 0xff;
  return { bytes, unused: c[0] };
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
