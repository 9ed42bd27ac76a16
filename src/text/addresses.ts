import { isIPv4, isIPv6 as netIsIPv6 } from 'node:net';

/**
 * node:net's isIP(), without compiling its IPv6 expression (some milliseconds, at every start)
 * for text that cannot be an IPv6 address: every IPv6 address has a colon.
 */
export function isIP(s: string): 0 | 4 | 6 {
  if (s.includes(':')) return netIsIPv6(s) ? 6 : 0;
  return isIPv4(s) ? 4 : 0;
}

const LABEL = '[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?';
const DNS_NAME = new RegExp(`^${LABEL}(?:\\.${LABEL})*\\.?$`);

/**
 * nginx's URL parser (ngx_parse_url) reads text starting with "unix:", in any letter case, as a
 * unix-domain socket path: `server unix:80;` and `listen unix:8080;` are sockets named "80" and
 * "8080", not the host "unix". gwctl renders `HOST:PORT`, so the host "unix" must be refused
 * wherever nginx parses it as an address (upstream servers, listen addresses).
 */
export function unixSocketProblem(host: string): string | undefined {
  return /^unix$/i.test(host)
    ? `is read by nginx as a unix-domain socket path, not a host: nginx takes any address starting with "unix:" (in any letter case) for a socket, so "${host}:PORT" would name the socket file PORT; use another host name or an IP address`
    : undefined;
}

export function isDnsName(s: string): boolean {
  return s.length <= 253 && DNS_NAME.test(s) && isIP(s) === 0 && numericHostProblem(s) === undefined;
}

/** What inet_aton (glibc's resolver, nginx's upstream parser) reads as an IPv4 address: 1 to 4 decimal, octal or 0x-hex parts. */
const INET_ATON_FORM = /^(?:0x[0-9a-f]*|\d+)(?:\.(?:0x[0-9a-f]*|\d+)){0,3}$/i;

/**
 * Why a host that looks numeric is neither a DNS name nor an IPv4 address gwctl accepts, or
 * undefined. Only the canonical dotted quad is an address: the resolver reads other numeric
 * forms as addresses too (1.2.3 is 1.2.0.3, 2130706433 and 0x7f.1 are 127.0.0.1), and nginx -t
 * refuses some (999.1.1.1). And a name whose last label is all digits is no DNS name: top-level
 * domains are never all-numeric (RFC 3696, section 2).
 */
export function numericHostProblem(host: string): string | undefined {
  if (isIP(host) === 4) return undefined;
  const h = host.replace(/\.$/, '');
  if (INET_ATON_FORM.test(h))
    return 'looks like an IPv4 address but is not one in dotted-quad form (four decimal numbers 0-255, no leading zeros, no trailing dot): resolvers read such text as some address (1.2.3 as 1.2.0.3, 0x7f.1 as 127.0.0.1) or refuse it, and so does nginx -t (999.1.1.1); write the address as a dotted quad, or use a DNS name';
  if (/(?:^|\.)\d+$/.test(h))
    return 'is not a DNS name: its last label is all digits, which no top-level domain is (RFC 3696), and it is not a dotted-quad IPv4 address';
  return undefined;
}

/**
 * A route host as nginx compares it: $host is lowercase and has no trailing dot, so
 * "API.example.com." and "api.example.com" are the same host.
 */
export function normalizeRouteHost(host: string): string {
  return host.toLowerCase().replace(/\.$/, '');
}

/** nginx server_name forms gwctl renders: exact names and leading wildcards. */
export function isHostPattern(s: string): boolean {
  return s.startsWith('*.') ? isDnsName(s.slice(2)) : isDnsName(s);
}

export interface HostPort {
  host: string;
  port: number;
  /** How nginx wants it written: IPv6 in brackets. */
  text: string;
}

/** Parses `host:port` and `[v6]:port`; undefined when malformed. */
export function parseHostPort(s: string): HostPort | undefined {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(s);
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port < 1 || port > 65535 || m[3].startsWith('0')) return undefined;
  if (m[1] !== undefined) {
    if (!isIPv6(m[1])) return undefined;
    return { host: m[1], port, text: `[${m[1]}]:${port}` };
  }
  const host = m[2];
  if (isIP(host) !== 4 && !isDnsName(host)) return undefined;
  if (unixSocketProblem(host)) return undefined;
  return { host, port, text: `${host}:${port}` };
}

export function isListenAddress(s: string): boolean {
  if (s.startsWith('[') && s.endsWith(']')) return isIPv6(s.slice(1, -1));
  return isIP(s) === 4 || (isDnsName(s) && unixSocketProblem(s) === undefined);
}

/** An IPv6 address both Node and nginx accept (nginx refuses some forms Node allows, e.g. "1:2:3:4:5:6:7::"). */
export function isIPv6(s: string): boolean {
  return isIP(s) === 6 && nginxInet6(s);
}

/** nginx's ngx_inet6_addr (src/core/ngx_inet.c), as a predicate. */
function nginxInet6(text: string): boolean {
  let p = 0;
  let len = text.length;
  if (len === 0) return false;
  let zero = false;
  let digit = -1;
  let nibbles = 0;
  let n = 8;
  if (text[0] === ':') {
    p++;
    len--;
  }
  for (; len; len--) {
    const c = text[p++];
    if (c === ':') {
      if (nibbles) {
        digit = p;
        if (--n) {
          nibbles = 0;
          continue;
        }
      } else if (!zero) {
        digit = p;
        zero = true;
        continue;
      }
      return false;
    }
    if (c === '.' && nibbles) {
      if (n < 2 || digit < 0) return false;
      if (isIP(text.slice(digit)) !== 4) return false;
      n--;
      nibbles = 1;
      break;
    }
    if (++nibbles > 4) return false;
    if (!/[0-9a-fA-F]/.test(c)) return false;
  }
  if (nibbles === 0 && !zero) return false;
  if (--n) return zero;
  return !zero;
}

/** The numeric-host reason, only for text that is otherwise a well-formed name (so "a;b" keeps the general message). */
export function hostWhy(host: string): string | undefined {
  return /^[A-Za-z0-9_.-]+$/.test(host) ? numericHostProblem(host) : undefined;
}

/** A Host header value: a DNS name, optionally with :port. */
export function isHostHeader(s: string): boolean {
  const m = /^(.*?)(?::(\d{1,5}))?$/.exec(s);
  return !!m && isDnsName(m[1]) && (m[2] === undefined || Number(m[2]) <= 65535);
}
