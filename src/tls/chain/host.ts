import { GEN } from './general-name.js';
import { isIP } from 'node:net';
import type { ChainCert } from './types.js';

/**
 * nginx's ngx_ssl_check_host(): X509_check_host(cert, name, len, 0, NULL) == 1. node's
 * X509Certificate.checkHost() with default options is that very call (flags 0) in the same
 * OpenSSL 3.0, so DNS SANs first, CN only without DNS SANs, wildcards as OpenSSL allows them.
 */
export function hostMatches(leaf: ChainCert, name: string): boolean {
  if (name.length === 0) return false;
  try {
    return leaf.x509.checkHost(name) !== undefined;
  } catch {
    return false; // malformed name (e.g. embedded NUL): X509_check_host() returns -2
  }
}

/**
 * The name nginx checks: ngx_http_upstream_ssl_name() cuts proxy_ssl_name at its first ':' (after
 * a leading "[...]"), meant to strip a port, so "svc.internal:8443" is checked as "svc.internal"
 * and "::1" as "" (which ngx_ssl_check_host() never matches).
 */
export function nginxSslName(name: string): string {
  const from = name.startsWith('[') && name.includes(']') ? name.indexOf(']') : 0;
  const colon = name.indexOf(':', from);
  return colon < 0 ? name : name.slice(0, colon);
}

/** The leaf carries this IP address as an iPAddress SAN (which nginx never consults). */
export function hasIpSan(leaf: ChainCert, ip: string): boolean {
  const family = isIP(ip);
  if (family === 0) return false;
  const want = ipBytes(ip, family);
  return (leaf.ex.altNames ?? []).some((g) => g.type === GEN.IPADD && g.value.equals(want));
}

function ipBytes(ip: string, family: number): Buffer {
  if (family === 4) return Buffer.from(ip.split('.').map(Number));
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, ''];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => b.writeUInt16BE(parseInt(g, 16), i * 2));
  return b;
}

/** The DNS names (SAN dNSName, else CNs) a person should compare with the configured name. */
export function presentedNames(leaf: ChainCert): string[] {
  const dns = (leaf.ex.altNames ?? []).filter((g) => g.type === GEN.DNS).map((g) => g.value.toString('latin1'));
  if (dns.length > 0) return dns;
  return leaf.subject.rdns
    .flat()
    .filter((e) => e.oid === '2.5.4.3')
    .map((e) => e.value.toString('utf8'));
}
