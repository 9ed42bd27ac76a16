import { TAG, bitStringOf, children, contentOf, parseBer, tagOf, type Node } from './asn1.js';

import { report } from './context.js';
import { V } from './errors.js';
import type { AddressOrRange, Bits, ChainCert, IpAddressFamily, VerifyContext } from './types.js';

/**
 * RFC 3779 IP address delegation as OpenSSL 3.0 checks it (crypto/x509/v3_addr.c,
 * X509v3_addr_validate_path(), run after check_name_constraints()): no certificate may list
 * addresses its issuer does not, an issuer without the extension delegates none, and the anchor
 * may not "inherit". Autonomous system numbers (v3_asid.c) are not modelled: the engine says so
 * instead of guessing (see `asIdentifiers`).
 */

function bits(node: Node): Bits {
  if (node.constructed) throw new Error('constructed BIT STRING');
  const b = bitStringOf(node);
  // As before the shared reader: an empty string with unused bits is refused here.
  if (b.bytes.length === 0 && b.unused !== 0) throw new Error('bad BIT STRING');
  return b;
}

/** IPAddrBlocks (sbgp-ipAddrBlock's value); throws where d2i would fail (the certificate is then invalid). */
export function decodeIpAddrBlocks(value: Buffer): IpAddressFamily[] {
  const top = parseBer(value);
  if (tagOf(top) !== TAG.SEQUENCE) throw new Error('not a SEQUENCE');
  return children(top).map((f) => {
    const [af, choice, ...rest] = children(f);
    if (tagOf(f) !== TAG.SEQUENCE || !af || !choice || rest.length || tagOf(af) !== TAG.OCTET_STRING)
      throw new Error('bad IPAddressFamily');
    const family = contentOf(af);
    if (tagOf(choice) === TAG.NULL) return { family, ranges: null };
    if (tagOf(choice) !== TAG.SEQUENCE) throw new Error('bad IPAddressChoice');
    const ranges = children(choice).map((a): AddressOrRange => {
      if (tagOf(a) === TAG.BIT_STRING) return { prefix: bits(a) };
      const mm = children(a);
      if (tagOf(a) !== TAG.SEQUENCE || mm.length !== 2) throw new Error('bad IPAddressOrRange');
      return { min: bits(mm[0]), max: bits(mm[1]) };
    });
    return { family, ranges };
  });
}

/** IPAddressFamily_check_len(). */
const lenOk = (f: IpAddressFamily) => f.family.length === 2 || f.family.length === 3;
const afi = (f: IpAddressFamily) => (f.family.length >= 2 ? (f.family[0] << 8) | f.family[1] : 0);
const lengthFromAfi = (a: number) => (a === 1 ? 4 : a === 2 ? 16 : 0);

/** IPAddressFamily_cmp(). */
function familyCmp(a: IpAddressFamily, b: IpAddressFamily): number {
  const n = Math.min(a.family.length, b.family.length);
  const c = Buffer.compare(a.family.subarray(0, n), b.family.subarray(0, n));
  return c !== 0 ? c : a.family.length - b.family.length;
}

/** addr_expand(): the address padded with `fill`, or null when it is longer than the family's. */
function expand(b: Bits, length: number, fill: number): Buffer | null {
  if (b.bytes.length > length) return null;
  const out = Buffer.alloc(length, fill);
  b.bytes.copy(out);
  if (b.bytes.length > 0 && b.unused) {
    const mask = 0xff >> (8 - b.unused);
    out[b.bytes.length - 1] = fill === 0 ? out[b.bytes.length - 1] & ~mask : out[b.bytes.length - 1] | mask;
  }
  return out;
}

/** extract_min_max(). */
function minMax(a: AddressOrRange, length: number): [Buffer, Buffer] | null {
  const lo = expand('prefix' in a ? a.prefix : a.min, length, 0x00);
  const hi = expand('prefix' in a ? a.prefix : a.max, length, 0xff);
  return lo && hi ? [lo, hi] : null;
}

/** range_should_be_prefix() >= 0. */
function rangeIsPrefix(min: Buffer, max: Buffer, length: number): boolean {
  let i = 0;
  while (i < length && min[i] === max[i]) i++;
  let j = length - 1;
  while (j >= 0 && min[j] === 0x00 && max[j] === 0xff) j--;
  if (i < j) return false;
  if (i > j) return true;
  const mask = min[i] ^ max[i];
  if (![0x01, 0x03, 0x07, 0x0f, 0x1f, 0x3f, 0x7f].includes(mask)) return false;
  return (min[i] & mask) === 0 && (max[i] & mask) === mask;
}

/** b - 1, as the adjacency test of X509v3_addr_is_canonical() computes it. */
function minusOne(b: Buffer): Buffer {
  const out = Buffer.from(b);
  for (let k = out.length - 1; k >= 0; k--) if (out[k]-- !== 0) break;
  return out;
}

/** X509v3_addr_is_canonical(). */
export function addrIsCanonical(addr: IpAddressFamily[] | null): boolean {
  if (!addr) return true;
  for (let i = 0; i + 1 < addr.length; i++) {
    if (!lenOk(addr[i]) || !lenOk(addr[i + 1]) || familyCmp(addr[i], addr[i + 1]) >= 0) return false;
  }
  for (const f of addr) {
    if (f.ranges === null) continue;
    if (!lenOk(f)) return false;
    const length = lengthFromAfi(afi(f));
    const aors = f.ranges;
    if (aors.length === 0) return false;
    for (let j = 0; j + 1 < aors.length; j++) {
      const a = minMax(aors[j], length);
      const b = minMax(aors[j + 1], length);
      if (!a || !b) return false;
      if (Buffer.compare(a[0], b[0]) >= 0 || Buffer.compare(a[0], a[1]) > 0 || Buffer.compare(b[0], b[1]) > 0)
        return false;
      if (Buffer.compare(a[1], minusOne(b[0])) >= 0) return false;
      if ('min' in aors[j] && rangeIsPrefix(a[0], a[1], length)) return false;
    }
    const last = aors[aors.length - 1];
    if ('min' in last) {
      const m = minMax(last, length);
      if (!m || Buffer.compare(m[0], m[1]) > 0 || rangeIsPrefix(m[0], m[1], length)) return false;
    }
  }
  return true;
}

/** addr_contains(): every child range inside one parent range (both sorted). */
function addrContains(parent: AddressOrRange[], child: AddressOrRange[], length: number): boolean {
  if (parent === child) return true;
  let p = 0;
  for (const c of child) {
    const cm = minMax(c, length);
    if (!cm) return false;
    for (; ; p++) {
      if (p >= parent.length) return false;
      const pm = minMax(parent[p], length);
      if (!pm) return false;
      if (Buffer.compare(pm[1], cm[1]) < 0) continue;
      if (Buffer.compare(pm[0], cm[0]) > 0) return false;
      break;
    }
  }
  return true;
}

/** X509v3_addr_validate_path() with nginx's callback, which continues past every error. */
export function checkIpAddrBlocks(ctx: VerifyContext): void {
  const chain: ChainCert[] = ctx.chain;
  const ext = chain[0].ex.ipAddrBlocks;
  if (!ext) return;
  const err = (code: number, depth: number) => report(ctx, code, depth);
  if (!addrIsCanonical(ext)) err(V.INVALID_EXTENSION, 0);
  const find = (list: IpAddressFamily[], f: IpAddressFamily) => list.find((x) => familyCmp(x, f) === 0);
  const child = [...ext];
  for (let i = 1; i < chain.length; i++) {
    const x = chain[i].ex.ipAddrBlocks;
    if (!addrIsCanonical(x)) err(V.INVALID_EXTENSION, i);
    if (!x) {
      for (const fc of child) {
        if (!lenOk(fc)) return;
        if (fc.ranges !== null) {
          err(V.UNNESTED_RESOURCE, i);
          break;
        }
      }
      continue;
    }
    for (let j = 0; j < child.length; j++) {
      const fc = child[j];
      const fp = find(x, fc);
      if (!fp) {
        if (fc.ranges !== null) {
          err(V.UNNESTED_RESOURCE, i);
          break;
        }
        continue;
      }
      if (!lenOk(fc) || !lenOk(fp)) return;
      if (fp.ranges !== null) {
        if (fc.ranges === null || addrContains(fp.ranges, fc.ranges, lengthFromAfi(afi(fc)))) child[j] = fp;
        else err(V.UNNESTED_RESOURCE, i);
      }
    }
  }
  // The anchor cannot inherit.
  const top = chain[chain.length - 1].ex.ipAddrBlocks;
  for (const fp of top ?? []) {
    if (!lenOk(fp)) return;
    // OpenSSL reports the loop index, one past the anchor.
    if (fp.ranges === null && find(child, fp)) err(V.UNNESTED_RESOURCE, chain.length);
  }
}
