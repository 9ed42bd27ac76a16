import { isDeepStrictEqual } from 'node:util';
import { show } from '../../text/show.js';
import type { Entity } from './fields.js';
import type { Findings } from './findings.js';

/**
 * Per Kong entity: the fields the mapper reads, the fields that are metadata (ids, tags,
 * timestamps: no behaviour), and the fields gwctl has no equivalent for, with Kong's default.
 * A field without an equivalent is listed when its value differs from Kong's default (at the
 * default it asks for nothing gwctl does not do); a field Kong does not know is listed too.
 */
interface FieldTable {
  mapped: readonly string[];
  metadata: readonly string[];
  /** field → [Kong's default (undefined: none), what it does in Kong]. */
  unmapped: Readonly<Record<string, readonly [unknown, string]>>;
}

const METADATA = ['id', 'created_at', 'updated_at', 'tags', '_comment', '_ignore'];

export const SERVICE_FIELDS: FieldTable = {
  mapped: [
    'name',
    'url',
    'protocol',
    'host',
    'port',
    'path',
    'routes',
    'plugins',
    'enabled',
    'connect_timeout',
    'read_timeout',
    'write_timeout',
    'retries',
    'tls_verify',
    'tls_verify_depth',
    'ca_certificates',
    'client_certificate',
  ],
  metadata: METADATA,
  unmapped: {
    tls_sans: [undefined, 'accepts these other names in the upstream certificate'],
  },
};

export const ROUTE_FIELDS: FieldTable = {
  mapped: [
    'name',
    'paths',
    'hosts',
    'strip_path',
    'preserve_host',
    'protocols',
    'service',
    'plugins',
    'request_buffering',
    'response_buffering',
    'path_handling',
    'https_redirect_status_code',
  ],
  metadata: METADATA,
  unmapped: {
    methods: [undefined, 'matches only these HTTP methods'],
    headers: [undefined, 'matches only requests with these headers'],
    snis: [undefined, 'matches only TLS connections with these SNIs'],
    sources: [undefined, 'matches only these client addresses (stream routes)'],
    destinations: [undefined, 'matches only these destination addresses (stream routes)'],
    regex_priority: [0, 'orders regex paths'],
    expression: [undefined, 'matches by an expressions-router expression'],
    priority: [0, 'orders expression routes'],
  },
};

export const UPSTREAM_FIELDS: FieldTable = {
  mapped: ['name', 'targets', 'host_header', 'client_certificate', 'healthchecks'],
  metadata: METADATA,
  unmapped: {
    algorithm: ['round-robin', 'balances with this algorithm'],
    hash_on: ['none', 'hashes requests onto targets'],
    hash_fallback: ['none', 'hashes requests onto targets when hash_on has no value'],
    hash_on_header: [undefined, 'hashes on this header'],
    hash_fallback_header: [undefined, 'hashes on this header'],
    hash_on_cookie: [undefined, 'hashes on this cookie'],
    hash_on_cookie_path: ['/', 'sets the path of the hash cookie'],
    hash_on_query_arg: [undefined, 'hashes on this query argument'],
    hash_fallback_query_arg: [undefined, 'hashes on this query argument'],
    hash_on_uri_capture: [undefined, 'hashes on this URI capture'],
    hash_fallback_uri_capture: [undefined, 'hashes on this URI capture'],
    slots: [10000, 'sizes the balancer ring'],
    use_srv_name: [false, 'uses the SRV record name as Host'],
    sticky_sessions_cookie: [undefined, 'keeps clients on one target with this cookie'],
    sticky_sessions_cookie_path: ['/', 'sets the path of the sticky-session cookie'],
  },
};

export const TARGET_FIELDS: FieldTable = {
  mapped: ['target', 'weight', 'upstream'],
  metadata: METADATA,
  unmapped: { failover: [false, 'uses this target only when the others are down'] },
};

export const CERTIFICATE_FIELDS: FieldTable = {
  mapped: ['cert', 'key', 'snis'],
  metadata: METADATA,
  unmapped: {
    cert_alt: [undefined, 'presents this alternative (ECDSA or RSA) certificate'],
    key_alt: [undefined, 'uses this key for cert_alt'],
  },
};

export const CA_CERTIFICATE_FIELDS: FieldTable = {
  mapped: ['cert'],
  metadata: [...METADATA, 'cert_digest'],
  unmapped: {},
};

/** Lists, for one entity, every field it sets that gwctl does not map. */
export function listUnmapped(e: Entity, table: FieldTable, what: string, findings: Findings): void {
  for (const [key, value] of Object.entries(e.data)) {
    if (value === null || table.mapped.includes(key) || table.metadata.includes(key)) continue;
    const known = table.unmapped[key];
    if (!known) {
      findings.notMapped(
        [...e.path, key],
        `${what}: ${key} is not a field gwctl knows for this Kong entity; not imported`,
      );
      continue;
    }
    const [kongDefault, does] = known;
    if (kongDefault !== undefined && isDeepStrictEqual(value, kongDefault)) continue;
    if (Array.isArray(value) && value.length === 0) continue;
    findings.notMapped(
      [...e.path, key],
      `${what}: ${key} ${shortValue(value)} (Kong ${does}) has no gwctl equivalent; not imported`,
    );
  }
}

function shortValue(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'object' && v !== null) {
    const text = JSON.stringify(v);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  }
  return show(v);
}
