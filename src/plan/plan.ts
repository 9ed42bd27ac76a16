import { isAbsolute, relative } from 'node:path';
import type { GatewaySpec, UpstreamSpec } from '../load/spec-types.js';
import { resolvePath, type Material } from '../validate/files.js';
import { parseHostPort } from '../validate/addresses.js';
import { shortHash, toPem } from './pem-out.js';
import type { OutputFile, RenderModel, RouteModel, ServerBlockModel, TlsProfileModel, UpstreamModel } from './render-model.js';

/** nginx's own default for proxy_ssl_verify_depth. */
export const NGINX_DEFAULT_VERIFY_DEPTH = 1;
export const DEFAULT_KEEPALIVE = 16;
export const DEFAULT_MODULES_PATH = '/usr/lib/nginx/modules';

export interface PlanInput {
  spec: GatewaySpec;
  specFile: string;
  specDir: string;
  /** Absolute output directory; key paths the spec declared relative are rendered relative to it. */
  outDir: string;
  material: Material;
  /** verifyDepth per TLS upstream after analysis (declared, or derived from its presented chain). */
  verifyDepths: Map<string, number>;
}

export function plan(input: PlanInput): RenderModel {
  const { spec } = input;
  const files = new Map<string, OutputFile>();
  const addFile = (prefix: string, content: string): string => {
    const path = `tls/${prefix}-${shortHash(content)}.pem`;
    files.set(path, { path, content });
    return path;
  };
  const outPath = (declared: string) => {
    const abs = resolvePath(input.specDir, declared);
    return isAbsolute(declared) ? abs : relative(input.outDir, abs);
  };

  const upstreams: UpstreamModel[] = Object.entries(spec.upstreams ?? {}).sort(([a], [b]) => a.localeCompare(b)).map(([name, up]) => ({
    id: upstreamId(name),
    specName: name,
    servers: up.servers.map((s) => typeof s === 'string' ? { address: parseHostPort(s)!.text, params: [] } : { address: parseHostPort(s.address)!.text, params: serverParams(s) }),
    keepalive: up.keepalive ?? DEFAULT_KEEPALIVE,
  }));

  const profiles = new Map<string, TlsProfileModel>();
  const profileOf = new Map<string, TlsProfileModel>();
  for (const [name, up] of Object.entries(spec.upstreams ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    const tls = up.tls;
    if (!tls) continue;
    const verify = tls.verify ?? true;
    const store = tls.trustStore !== undefined ? input.material.trustStores.get(tls.trustStore) : undefined;
    const crl = tls.trustStore !== undefined ? input.material.crls.get(tls.trustStore) : undefined;
    const client = tls.clientCertificate !== undefined ? spec.clientCertificates?.[tls.clientCertificate] : undefined;
    const clientPair = tls.clientCertificate !== undefined ? input.material.clientCertificates.get(tls.clientCertificate) : undefined;
    const body: Omit<TlsProfileModel, 'id' | 'usedBy'> = {
      verify,
      trustedCertificate: store && verify ? addFile(`trust-${tls.trustStore}`, toPem(store)) : undefined,
      crl: crl && verify ? addFile(`crl-${tls.trustStore}`, toPem(crl)) : undefined,
      verifyDepth: input.verifyDepths.get(name) ?? tls.verifyDepth ?? NGINX_DEFAULT_VERIFY_DEPTH,
      certificate: clientPair ? addFile(`client-${tls.clientCertificate}`, toPem(clientPair.certs)) : undefined,
      certificateKey: client ? outPath(client.key) : undefined,
      passwordFile: client?.passwordFile !== undefined ? outPath(client.passwordFile) : undefined,
      protocols: tls.protocols ? [...tls.protocols].sort() : undefined,
      ciphers: tls.ciphers,
      sessionReuse: tls.sessionReuse ?? true,
    };
    const id = `tls_${shortHash(JSON.stringify(body), 10)}`;
    const profile = profiles.get(id) ?? { ...body, id, usedBy: [] };
    profile.usedBy.push(name);
    profiles.set(id, profile);
    profileOf.set(name, profile);
  }

  const route = (r: NonNullable<GatewaySpec['routes']>[number]): RouteModel => {
    const up = spec.upstreams![r.upstream];
    const profile = profileOf.get(r.upstream);
    return {
      path: r.path,
      upstreamId: upstreamId(r.upstream),
      specUpstream: r.upstream,
      hostHeader: r.preserveHost ? { client: true } : { literal: hostHeaderOf(up) },
      tls: profile ? { profileId: profile.id, sslName: sslNameOf(up) } : undefined,
    };
  };

  const routes = spec.routes ?? [];
  const anyHost = routes.filter((r) => r.host === undefined);
  const hosts = [...new Set(routes.filter((r) => r.host !== undefined).map((r) => r.host!.toLowerCase()))].sort();
  const serverBlocks: ServerBlockModel[] = [];
  for (const group of listenerGroups(spec, input, addFile, outPath)) {
    const block = (serverNames: string[], own: RouteModel[], isDefault: boolean): ServerBlockModel => {
      const ownPaths = new Set(own.map((r) => r.path));
      const all = [...own, ...anyHost.map(route).filter((r) => !ownPaths.has(r.path))];
      const used = new Set(all.map((r) => r.tls?.profileId).filter((id): id is string => !!id));
      return {
        listens: group.listens.map((l) => ({ address: l.address, params: isDefault ? [...l.params, 'default_server'] : l.params })),
        serverNames,
        tls: group.tls,
        routes: all,
        profiles: [...profiles.values()].filter((p) => used.has(p.id)),
        fallback404: !all.some((r) => r.path === '/'),
      };
    };
    for (const host of hosts) serverBlocks.push(block([host], routes.filter((r) => r.host?.toLowerCase() === host).map(route), false));
    serverBlocks.push(block(['_'], [], true));
  }

  const insecure = Object.entries(spec.upstreams ?? {}).filter(([, u]) => u.tls && u.tls.verify === false).map(([upstream, u]) => ({ upstream, reason: u.tls!.insecureReason ?? '' })).sort((a, b) => a.upstream.localeCompare(b.upstream));
  const flavor = spec.runtime?.flavor ?? 'openresty';
  const modules = spec.runtime?.modulesPath ?? DEFAULT_MODULES_PATH;
  return {
    header: [`Generated by gwctl from ${input.specFile.split('/').pop()}. Do not edit: change the spec and render again.`, `Runtime: ${flavor}${spec.runtime?.nginxVersion ? ` ${spec.runtime.nginxVersion}` : ''}.`],
    loadModules: flavor === 'nginx' ? [`${modules}/ndk_http_module.so`, `${modules}/ngx_http_lua_module.so`] : [],
    upstreams,
    serverBlocks,
    files: [...files.values()].sort((a, b) => a.path.localeCompare(b.path)),
    insecure,
  };
}

export function upstreamId(name: string): string {
  return `up_${name}`;
}

function serverParams(s: { weight?: number; maxFails?: number; failTimeout?: number; backup?: boolean }): string[] {
  const p: string[] = [];
  if (s.weight !== undefined) p.push(`weight=${s.weight}`);
  if (s.maxFails !== undefined) p.push(`max_fails=${s.maxFails}`);
  if (s.failTimeout !== undefined) p.push(`fail_timeout=${s.failTimeout}s`);
  if (s.backup) p.push('backup');
  return p;
}

function firstServer(up: UpstreamSpec) {
  const s = up.servers[0];
  return parseHostPort(typeof s === 'string' ? s : s.address)!;
}

/** proxy_ssl_name: the declared serverName, else (verify off) the first server's host. */
function sslNameOf(up: UpstreamSpec): string {
  return up.tls?.serverName ?? firstServer(up).host;
}

function hostHeaderOf(up: UpstreamSpec): string {
  if (up.hostHeader) return up.hostHeader;
  if (up.tls?.serverName) return up.tls.serverName;
  const s = firstServer(up);
  const defaultPort = up.tls ? 443 : 80;
  const host = s.text.startsWith('[') ? `[${s.host}]` : s.host;
  return s.port === defaultPort ? host : `${host}:${s.port}`;
}

interface ListenerGroup {
  listens: { address: string; params: string[] }[];
  tls?: ServerBlockModel['tls'];
}

/** Plain listeners share one group; each distinct TLS certificate gets its own (nginx picks certificates per server block). */
function listenerGroups(spec: GatewaySpec, input: PlanInput, addFile: (p: string, c: string) => string, outPath: (p: string) => string): ListenerGroup[] {
  const groups = new Map<string, ListenerGroup>();
  spec.listen.forEach((l, i) => {
    const at = l.address !== undefined ? `${l.address}:${l.port}` : `${l.port}`;
    if (!l.tls) {
      const g = groups.get('plain') ?? { listens: [] };
      g.listens.push({ address: at, params: [] });
      groups.set('plain', g);
      return;
    }
    const pair = input.material.listeners.get(i);
    const certificate = pair ? addFile('listener', toPem(pair.certs)) : outPath(l.tls.certificate);
    const key = `tls ${certificate} ${l.tls.key}`;
    const g = groups.get(key) ?? { listens: [], tls: { certificate, certificateKey: outPath(l.tls.key), passwordFile: l.tls.passwordFile !== undefined ? outPath(l.tls.passwordFile) : undefined } };
    g.listens.push({ address: at, params: ['ssl'] });
    groups.set(key, g);
  });
  return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, g]) => g);
}
