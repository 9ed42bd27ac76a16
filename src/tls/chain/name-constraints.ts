import { report } from './context.js';
import { V } from './errors.js';
import { GEN, type GeneralName } from './general-name.js';
import { entryCount, entryToUtf8, OID_CN, OID_EMAIL, valuesOf, type X509Name } from './name.js';
import { TAG } from './asn1.js';
import type { ChainCert, GeneralSubtree, NameConstraints, VerifyContext } from './types.js';

const NAME_CHECK_MAX = 1 << 20;
const OID_SMTP_UTF8_MAILBOX = '1.3.6.1.5.5.7.8.9';

function lower(b: number): number {
  return b >= 0x41 && b <= 0x5a ? b + 0x20 : b;
}

/** ia5ncasecmp() == 0 */
function ia5CaseEqual(a: Buffer, b: Buffer): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (lower(a[i]) !== lower(b[i])) return false;
  return true;
}

function ncDn(nm: X509Name, base: X509Name): number {
  if (base.canon.length > nm.canon.length) return V.PERMITTED_VIOLATION;
  return nm.canon.subarray(0, base.canon.length).equals(base.canon) ? V.OK : V.PERMITTED_VIOLATION;
}

function ncDns(dns: Buffer, base: Buffer): number {
  if (base.length === 0) return V.OK;
  if (dns.length < base.length) return V.PERMITTED_VIOLATION;
  let tail = dns;
  if (dns.length > base.length) {
    tail = dns.subarray(dns.length - base.length);
    if (base[0] !== 0x2e && dns[dns.length - base.length - 1] !== 0x2e) return V.PERMITTED_VIOLATION;
  }
  return ia5CaseEqual(base, tail) ? V.OK : V.PERMITTED_VIOLATION;
}

function ncEmail(eml: Buffer, base: Buffer): number {
  const baseAt = base.lastIndexOf(0x40);
  const emlAt = eml.lastIndexOf(0x40);
  if (emlAt < 0) return V.UNSUPPORTED_NAME_SYNTAX;
  if (baseAt < 0 && base.length > 0 && base[0] === 0x2e) {
    if (eml.length > base.length && ia5CaseEqual(base, eml.subarray(eml.length - base.length))) return V.OK;
    return V.PERMITTED_VIOLATION;
  }
  let baseHost = base;
  if (baseAt >= 0) {
    if (baseAt !== 0) {
      if (baseAt !== emlAt) return V.PERMITTED_VIOLATION;
      if (base.subarray(0, baseAt).includes(0) || eml.subarray(0, emlAt).includes(0)) return V.UNSUPPORTED_NAME_SYNTAX;
      if (!base.subarray(0, baseAt).equals(eml.subarray(0, emlAt))) return V.PERMITTED_VIOLATION;
    }
    baseHost = base.subarray(baseAt + 1);
  }
  return ia5CaseEqual(baseHost, eml.subarray(emlAt + 1)) ? V.OK : V.PERMITTED_VIOLATION;
}

/** nc_uri() of OpenSSL 3.0: the host between "scheme://" and the next ':' or '/'. */
function ncUri(uri: Buffer, base: Buffer): number {
  const colon = uri.indexOf(0x3a);
  if (colon < 0 || uri.length - colon < 3 || uri[colon + 1] !== 0x2f || uri[colon + 2] !== 0x2f)
    return V.UNSUPPORTED_NAME_SYNTAX;
  const hostStart = colon + 3;
  let end = uri.indexOf(0x3a, hostStart);
  if (end < 0) end = uri.indexOf(0x2f, hostStart);
  const host = uri.subarray(hostStart, end < 0 ? uri.length : end);
  if (host.length === 0) return V.UNSUPPORTED_NAME_SYNTAX;
  if (base.length > 0 && base[0] === 0x2e) {
    if (host.length > base.length && ia5CaseEqual(host.subarray(host.length - base.length), base)) return V.OK;
    return V.PERMITTED_VIOLATION;
  }
  return ia5CaseEqual(host, base) ? V.OK : V.PERMITTED_VIOLATION;
}

function ncIp(ip: Buffer, base: Buffer): number {
  if (ip.length !== 4 && ip.length !== 16) return V.UNSUPPORTED_NAME_SYNTAX;
  if (base.length !== 8 && base.length !== 32) return V.UNSUPPORTED_NAME_SYNTAX;
  if (ip.length * 2 !== base.length) return V.PERMITTED_VIOLATION;
  for (let i = 0; i < ip.length; i++)
    if ((ip[i] & base[ip.length + i]) !== (base[i] & base[ip.length + i])) return V.PERMITTED_VIOLATION;
  return V.OK;
}

/** nc_email_eai(): SmtpUTF8Mailbox against an rfc822Name constraint (ASCII constraints only). */
function ncEmailEai(g: GeneralName, base: Buffer): number {
  if (base.includes(0)) return V.UNSUPPORTED_NAME_SYNTAX;
  if (g.otherValue?.tag !== TAG.UTF8String) return V.UNSUPPORTED_NAME_SYNTAX;
  const eml = g.otherValue.content;
  const emlAt = eml.lastIndexOf(0x40);
  if (emlAt < 0) return V.UNSUPPORTED_NAME_SYNTAX;
  if (base[0] === 0x2e) {
    if (eml.length > base.length && ia5CaseEqual(base, eml.subarray(eml.length - base.length))) return V.OK;
    return V.PERMITTED_VIOLATION;
  }
  const baseAt = base.indexOf(0x40);
  let host = base;
  if (baseAt >= 0) {
    if (baseAt !== 0 && !base.subarray(0, baseAt).equals(eml.subarray(0, emlAt))) return V.PERMITTED_VIOLATION;
    host = base.subarray(baseAt + 1);
  }
  return ia5CaseEqual(host, eml.subarray(emlAt + 1)) ? V.OK : V.PERMITTED_VIOLATION;
}

interface Candidate {
  type: number;
  value: Buffer;
  dir?: X509Name;
  gen?: GeneralName;
}

function effectiveType(c: Candidate): number {
  return c.type === GEN.OTHERNAME && c.gen?.otherOid === OID_SMTP_UTF8_MAILBOX ? GEN.EMAIL : c.type;
}

function matchSingle(c: Candidate, eff: number, base: GeneralName): number {
  switch (c.type) {
    case GEN.OTHERNAME:
      return eff === GEN.EMAIL && c.gen ? ncEmailEai(c.gen, base.value) : V.UNSUPPORTED_CONSTRAINT_TYPE;
    case GEN.DIRNAME:
      return ncDn(c.dir!, base.dir!);
    case GEN.DNS:
      return ncDns(c.value, base.value);
    case GEN.EMAIL:
      return ncEmail(c.value, base.value);
    case GEN.URI:
      return ncUri(c.value, base.value);
    case GEN.IPADD:
      return ncIp(c.value, base.value);
    default:
      return V.UNSUPPORTED_CONSTRAINT_TYPE;
  }
}

function sameKind(c: Candidate, eff: number, sub: GeneralSubtree): boolean {
  if (eff !== sub.base.type) return false;
  return eff !== GEN.OTHERNAME || c.gen?.otherOid === sub.base.otherOid;
}

/** nc_match(): permitted subtrees of the name's type must match one; excluded ones must not match. */
function ncMatch(c: Candidate, nc: NameConstraints): number {
  const eff = effectiveType(c);
  let match = 0;
  for (const sub of nc.permitted) {
    if (!sameKind(c, eff, sub)) continue;
    if (sub.minMaxInvalid) return V.SUBTREE_MINMAX;
    if (match === 2) continue;
    if (match === 0) match = 1;
    const r = matchSingle(c, eff, sub.base);
    if (r === V.OK) match = 2;
    else if (r !== V.PERMITTED_VIOLATION) return r;
  }
  if (match === 1) return V.PERMITTED_VIOLATION;
  for (const sub of nc.excluded) {
    if (!sameKind(c, eff, sub)) continue;
    if (sub.minMaxInvalid) return V.SUBTREE_MINMAX;
    const r = matchSingle(c, eff, sub.base);
    if (r === V.OK) return V.EXCLUDED_VIOLATION;
    if (r !== V.PERMITTED_VIOLATION) return r;
  }
  return V.OK;
}

/** NAME_CONSTRAINTS_check(): the subject DN, emailAddress attributes, then every SAN. */
function ncCheck(x: ChainCert, nc: NameConstraints): number {
  const names = x.ex.altNames ?? [];
  const nameCount = entryCount(x.subject) + names.length;
  const constraintCount = nc.permitted.length + nc.excluded.length;
  if (nameCount > 0 && constraintCount > Math.floor(NAME_CHECK_MAX / nameCount)) return V.UNSPECIFIED;
  if (entryCount(x.subject) > 0) {
    let r = ncMatch({ type: GEN.DIRNAME, value: x.subject.der, dir: x.subject }, nc);
    if (r !== V.OK) return r;
    for (const e of valuesOf(x.subject, OID_EMAIL)) {
      if (e.valueTag !== TAG.IA5String) return V.UNSUPPORTED_NAME_SYNTAX;
      r = ncMatch({ type: GEN.EMAIL, value: e.value }, nc);
      if (r !== V.OK) return r;
    }
  }
  for (const g of names) {
    const r = ncMatch({ type: g.type, value: g.value, dir: g.dir, gen: g }, nc);
    if (r !== V.OK) return r;
  }
  return V.OK;
}

/** cn2dnsid(): the CN as a DNS name when it looks like a multi-label host name, else null. */
function cnAsDnsId(utf8: Buffer): Buffer | null | 'embedded-nul' {
  let len = utf8.length;
  while (len > 0 && utf8[len - 1] === 0) len--;
  const v = utf8.subarray(0, len);
  if (v.includes(0)) return 'embedded-nul';
  let isDns = false;
  for (let i = 0; i < len; i++) {
    const c = v[i];
    if ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x5f) continue;
    if (i > 0 && i < len - 1) {
      if (c === 0x2d) continue;
      if (c === 0x2e && v[i + 1] !== 0x2e && v[i - 1] !== 0x2d && v[i + 1] !== 0x2d) {
        isDns = true;
        continue;
      }
    }
    isDns = false;
    break;
  }
  return isDns ? v : null;
}

/** NAME_CONSTRAINTS_check_CN(): host-name-like CNs of a leaf without DNS SANs. */
function ncCheckCn(x: ChainCert, nc: NameConstraints): number {
  for (const e of valuesOf(x.subject, OID_CN)) {
    const id = cnAsDnsId(entryToUtf8(e));
    if (id === 'embedded-nul') return V.UNSUPPORTED_NAME_SYNTAX;
    if (id === null || id.length === 0) continue;
    const r = ncMatch({ type: GEN.DNS, value: id }, nc);
    if (r !== V.OK) return r;
  }
  return V.OK;
}

/** check_name_constraints(): each certificate (self-issued ones only as the leaf) against every constraint above it. */
export function checkNameConstraints(ctx: VerifyContext): void {
  const chain = ctx.chain;
  for (let i = chain.length - 1; i >= 0; i--) {
    const x = chain[i];
    if (i !== 0 && x.ex.selfIssued) continue;
    for (let j = chain.length - 1; j > i; j--) {
      const nc = chain[j].ex.nameConstraints;
      if (!nc) continue;
      let rv = ncCheck(x, nc);
      if (rv === V.OK && i === 0 && !(x.ex.altNames ?? []).some((g) => g.type === GEN.DNS)) rv = ncCheckCn(x, nc);
      if (rv !== V.OK) report(ctx, rv, i);
    }
  }
}
