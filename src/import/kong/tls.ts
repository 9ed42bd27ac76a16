import { isIP } from 'node:net';
import { show } from '../../text/show.js';
import type { KongEntities } from './entities.js';
import { Fields, isRecord, type Entity } from './fields.js';
import type { Findings } from './findings.js';
import type { GatewayOut, OutTls } from './gateway-out.js';
import { inlinePem } from './pem.js';
import { CA_CERTIFICATE_FIELDS, CERTIFICATE_FIELDS, listUnmapped } from './unmapped.js';

/** What Kong's global settings (kong.conf) say where a service says nothing. */
export interface KongDefaults {
  /** nginx_proxy_proxy_ssl_verify: off unless kong.conf injects it (nginx's own default). */
  verify: boolean;
  /** nginx_proxy_proxy_ssl_verify_depth: nginx's default 1. */
  verifyDepth: number;
  /** nginx_proxy_proxy_ssl_trusted_certificate, as PEM text: none by default. */
  trustedCa?: { file: string; pem: string };
}

export interface TlsContext {
  entities: KongEntities;
  out: GatewayOut;
  findings: Findings;
  defaults: KongDefaults;
}

/**
 * A Kong https service's upstream TLS, as Kong's nginx applies it (kong/runloop/upstream_ssl.lua):
 * tls_verify, else the global proxy_ssl_verify; tls_verify_depth, else the global depth; the
 * service's ca_certificates as the trust store; client_certificate, else the upstream's. The
 * name checked and sent as SNI is the Host Kong sends ($upstream_host), without its port.
 */
export function mapTls(
  svc: Entity,
  label: string,
  upstreamName: string,
  name: string,
  kongUpstream: Entity | undefined,
  ctx: TlsContext,
): OutTls | undefined {
  const { findings } = ctx;
  const f = new Fields(findings);
  const explicit = f.bool(svc, 'tls_verify');
  const verify = explicit ?? ctx.defaults.verify;
  const depth = f.num(svc, 'tls_verify_depth', 0, 64) ?? ctx.defaults.verifyDepth;
  const tls: OutTls = {};

  const caIds = f.strings(svc, 'ca_certificates') ?? [];
  if (caIds.length) tls.trustStore = trustStoreFor(caIds, svc, label, upstreamName, ctx);
  else if (ctx.defaults.trustedCa) tls.trustStore = defaultStore(ctx);
  if (verify && tls.trustStore === undefined && !caIds.length) {
    findings.error(
      'kong.no-trust-store',
      `${label}: verification is ${explicit ? 'on (tls_verify: true)' : 'on (--verify-default on)'} but the service has no ca_certificates, so Kong's nginx verifies against no CA at all (unless kong.conf sets nginx_proxy_proxy_ssl_trusted_certificate) and every request fails with "unable to get local issuer certificate": add the CA to ca_certificates, or pass that file with --trusted-ca FILE`,
      explicit !== undefined ? [...svc.path, 'tls_verify'] : svc.path,
    );
  }

  if (isIP(name) === 0) tls.serverName = name;
  else if (verify)
    findings.error(
      'kong.ip-server-name',
      `${label}: verification is on and Kong checks the certificate against ${show(name)}, the host it sends upstream: nginx matches DNS names only, so an IP address never matches and Kong's requests fail verification. Send a DNS name from the certificate: set the upstream's host_header (or the service's host) to it`,
      kongUpstream ? kongUpstream.path : [...svc.path, svc.data.url !== undefined ? 'url' : 'host'],
    );

  if (verify) tls.verifyDepth = depth;
  const client = clientCertificateFor(svc, kongUpstream, ctx);
  if (client) tls.clientCertificate = client;
  if (!verify) {
    tls.verify = false;
    tls.insecureReason =
      explicit === false
        ? `Kong ${label} sets tls_verify: false`
        : `Kong ${label} leaves tls_verify unset, so Kong's global proxy_ssl_verify applies, and it is off by default`;
    if (!f.has(svc, 'tls_verify'))
      findings.warn(
        'kong.tls-verify-default',
        `${label}: tls_verify is unset, so Kong uses its global default, proxy_ssl_verify off: Kong does not verify this upstream's certificate, and the import renders it unverified too. If your kong.conf sets nginx_proxy_proxy_ssl_verify = on, import with --verify-default on; better, set tls_verify: true and ca_certificates on the service`,
        svc.path,
      );
  }
  return tls;
}

/** An http service: Kong refuses TLS settings on it (services.lua entity checks). */
export function refuseTlsOnHttp(svc: Entity, label: string, findings: Findings): void {
  for (const key of ['tls_verify', 'tls_verify_depth', 'ca_certificates', 'client_certificate']) {
    const v = svc.data[key];
    if (v === undefined || v === null || (Array.isArray(v) && v.length === 0)) continue;
    findings.error(
      'kong.invalid',
      `${label}: ${key} is set on a service whose protocol is not https; Kong refuses it`,
      [...svc.path, key],
    );
  }
}

function trustStoreFor(
  ids: string[],
  svc: Entity,
  label: string,
  upstreamName: string,
  ctx: TlsContext,
): string | undefined {
  const files: string[] = [];
  ids.forEach((id, i) => {
    const ca = ctx.entities.caCertificates.get(id.toLowerCase());
    if (!ca) {
      ctx.findings.error(
        'kong.reference',
        `${label}: ca_certificates names ${show(id)}, which is no ca_certificates id in this file`,
        [...svc.path, 'ca_certificates', i],
      );
      return;
    }
    ctx.out.caIds.add(id.toLowerCase());
    const file = `pki/ca-${safeId(id)}.pem`;
    if (!ctx.out.files.has(file)) {
      listUnmapped(ca, CA_CERTIFICATE_FIELDS, `ca_certificate ${show(id)}`, ctx.findings);
      const pem = inlinePem(ca, 'cert', 'certificate', ctx.findings);
      if (pem === undefined) return;
      ctx.out.addFile(file, pem);
    }
    files.push(file);
  });
  if (files.length !== ids.length) return undefined;
  const key = [...files].sort().join('\n');
  const known = ctx.out.storeByFiles;
  let name = known.get(key);
  if (name === undefined) {
    name = ctx.out.uniqueName(
      ids.length === 1 ? `kong-ca-${safeId(ids[0]).slice(0, 8)}` : `${upstreamName}-cas`,
      'kong-cas',
    );
    known.set(key, name);
    ctx.out.trustStores.set(name, { certificates: files });
  }
  return name;
}

const DEFAULT_STORE = 'kong-default-ca';

function defaultStore(ctx: TlsContext): string {
  if (!ctx.out.trustStores.has(DEFAULT_STORE)) {
    const file = ctx.out.addFile('pki/kong-default-ca.pem', ctx.defaults.trustedCa!.pem);
    ctx.out.trustStores.set(DEFAULT_STORE, { certificates: [file] });
  }
  return DEFAULT_STORE;
}

/** The service's client_certificate, else its upstream's (Kong's fallback_upstream_client_cert). */
function clientCertificateFor(svc: Entity, kongUpstream: Entity | undefined, ctx: TlsContext): string | undefined {
  const owner = refValue(svc.data.client_certificate) !== undefined ? svc : kongUpstream;
  if (!owner) return undefined;
  const id = refValue(owner.data.client_certificate);
  if (id === undefined) {
    if (owner.data.client_certificate !== undefined && owner.data.client_certificate !== null)
      ctx.findings.error('kong.invalid', 'client_certificate: expected a certificate id, or {id: ...}', [
        ...owner.path,
        'client_certificate',
      ]);
    return undefined;
  }
  const cert = ctx.entities.certificates.get(id.toLowerCase());
  ctx.out.clientCertIds.add(id.toLowerCase());
  if (!cert) {
    ctx.findings.error('kong.reference', `client_certificate ${show(id)} is no certificates id in this file`, [
      ...owner.path,
      'client_certificate',
    ]);
    return undefined;
  }
  const known = ctx.out.clientById;
  const seen = known.get(id.toLowerCase());
  if (seen) return seen;
  listUnmapped(cert, CERTIFICATE_FIELDS, `certificate ${show(id)}`, ctx.findings);
  const certPem = inlinePem(cert, 'cert', 'certificate', ctx.findings);
  const keyPem = inlinePem(cert, 'key', 'key', ctx.findings);
  if (certPem === undefined || keyPem === undefined) return undefined;
  const base = `pki/client-${safeId(id)}`;
  const name = ctx.out.uniqueName(`kong-cert-${safeId(id).slice(0, 8)}`, 'kong-cert');
  ctx.out.clientCertificates.set(name, {
    certificate: ctx.out.addFile(`${base}.crt`, certPem),
    // Kong keeps keys in its database; on disk a key is for the gateway's user only.
    key: ctx.out.addFile(`${base}.key`, keyPem, 0o600),
  });
  known.set(id.toLowerCase(), name);
  return name;
}

function refValue(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (isRecord(v) && typeof v.id === 'string') return v.id;
  return undefined;
}

/** Kong ids are UUIDs; anything else is made safe for a file name. */
function safeId(id: string): string {
  return id
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '_')
    .slice(0, 64);
}
