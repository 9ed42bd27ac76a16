import { isIP } from 'node:net';

const LABEL = '[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?';
const DNS_NAME = new RegExp(`^${LABEL}(?:\\.${LABEL})*\\.?$`);

export function isDnsName(s: string): boolean {
  return s.length <= 253 && DNS_NAME.test(s) && isIP(s) === 0;
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
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:\[\]]+)):(\d{1,5})$/.exec(s);
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port < 1 || port > 65535 || m[3].startsWith('0')) return undefined;
  if (m[1] !== undefined) {
    if (isIP(m[1]) !== 6) return undefined;
    return { host: m[1], port, text: `[${m[1]}]:${port}` };
  }
  const host = m[2];
  if (isIP(host) !== 4 && !isDnsName(host)) return undefined;
  return { host, port, text: `${host}:${port}` };
}

export function isListenAddress(s: string): boolean {
  if (s.startsWith('[') && s.endsWith(']')) return isIP(s.slice(1, -1)) === 6;
  return isIP(s) === 4 || isDnsName(s);
}
