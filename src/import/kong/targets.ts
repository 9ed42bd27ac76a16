import { isIP } from 'node:net';
import { isDnsName, parseHostPort } from '../../text/addresses.js';
import { show } from '../../text/show.js';
import { Fields, type Entity } from './fields.js';
import type { Findings } from './findings.js';
import { listUnmapped, TARGET_FIELDS } from './unmapped.js';

/** Kong's port for a target written without one (kong/db/schema/entities/targets.lua, dao). */
export const KONG_TARGET_DEFAULT_PORT = 8000;
const KONG_DEFAULT_WEIGHT = 100;
/** The largest weight the spec accepts. */
const MAX_WEIGHT = 1000;

export interface Server {
  host: string;
  port: number;
  /** host:port as nginx writes it ([v6]:port). */
  address: string;
  weight: number;
}

/**
 * A Kong upstream's targets as servers: `host[:port]` (Kong's default port 8000), weight 0
 * (Kong: the target takes no traffic) left out, the last entry for an address winning (Kong keeps
 * a target's latest entry), and weights reduced to the spec's 1-1000 keeping their ratios.
 */
export function mapTargets(upstreamName: string, targets: Entity[], findings: Findings): Server[] {
  const f = new Fields(findings);
  const byAddress = new Map<string, Server>();
  for (const t of targets) {
    listUnmapped(t, TARGET_FIELDS, `target of upstream ${show(upstreamName)}`, findings);
    const text = f.str(t, 'target');
    const weight = f.num(t, 'weight', 0, 65535) ?? KONG_DEFAULT_WEIGHT;
    if (text === undefined) {
      if (!f.has(t, 'target')) findings.error('kong.invalid', 'a target needs its target (host:port)', t.path);
      continue;
    }
    const hp = parseTarget(text);
    if (!hp) {
      findings.error(
        'kong.invalid',
        `target ${show(text)} is not host[:port] (a DNS name, IPv4 address or [IPv6] address, then a port 1-65535)`,
        [...t.path, 'target'],
      );
      continue;
    }
    if (weight === 0) {
      findings.warn('kong.differs', `target ${show(text)} has weight 0: Kong sends it no traffic, so it is left out`, [
        ...t.path,
        'weight',
      ]);
      byAddress.delete(hp.address);
      continue;
    }
    if (byAddress.has(hp.address))
      findings.warn('kong.differs', `target ${show(text)} is listed again: its last entry counts, as in Kong`, t.path);
    byAddress.set(hp.address, { ...hp, weight });
  }
  return scaleWeights([...byAddress.values()], upstreamName, targets, findings);
}

function parseTarget(text: string): Omit<Server, 'weight'> | undefined {
  let withPort = text;
  if (isIP(text) === 6) withPort = `[${text}]:${KONG_TARGET_DEFAULT_PORT}`;
  else if (/^\[[^\]]*\]$/.test(text) || !text.includes(':')) withPort = `${text}:${KONG_TARGET_DEFAULT_PORT}`;
  const hp = parseHostPort(withPort);
  if (!hp) return undefined;
  if (isIP(hp.host) === 0 && !isDnsName(hp.host)) return undefined;
  return { host: hp.host, port: hp.port, address: hp.text };
}

function scaleWeights(servers: Server[], upstreamName: string, targets: Entity[], findings: Findings): Server[] {
  if (servers.length === 0) return servers;
  const divisor = servers.map((s) => s.weight).reduce(gcd);
  let scaled = servers.map((s) => ({ ...s, weight: s.weight / divisor }));
  const max = Math.max(...scaled.map((s) => s.weight));
  if (max > MAX_WEIGHT) {
    scaled = scaled.map((s) => ({ ...s, weight: Math.max(1, Math.round((s.weight * MAX_WEIGHT) / max)) }));
    findings.warn(
      'kong.differs',
      `upstream ${show(upstreamName)}: target weights are scaled to 1-${MAX_WEIGHT} (nginx's range here), keeping their ratios as closely as whole numbers allow`,
      targets[0].path.slice(0, -1),
    );
  }
  return scaled;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}
