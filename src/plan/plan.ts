import { relative } from 'node:path';
import type { SpecPath } from '../diagnostics/diagnostic.js';
import type { FileRef, GatewaySpec, ServerObjectSpec, UpstreamSpec } from '../load/spec-types.js';
import { isHostFile, refPath } from '../load/file-ref.js';
import { summarizeList } from './comment-text.js';
import { normalizeRouteHost, parseHostPort } from '../text/addresses.js';
import { outputFilePath, shortHash, toPem } from './pem-out.js';
import { nginxTarget } from '../load/nginx-version.js';
import { basePathOf, planTraffic } from './traffic.js';
import { failTimeoutText } from '../load/units.js';
import type {
  OutputFile,
  ProxyLocationModel,
  RenderModel,
  RoutingModel,
  ServerBlockModel,
  TlsProfileModel,
  UpstreamDispatchModel,
  UpstreamModel,
} from './render-model.js';
import { byCodePoint, planDispatch } from './routing.js';
import { planRuntime } from './runtime.js';
import { NGINX_DEFAULT_VERIFY_DEPTH } from '../load/spec-defaults.js';
import { resolvePath, type Material, MODULE_FILES } from '../tls/material.js';
export const DEFAULT_KEEPALIVE = 16;
export const DEFAULT_MODULES_PATH = '/usr/lib/nginx/modules';

export interface PlanInput {
  spec: GatewaySpec;
  specFile: string;
  specDir: string;
  /** Absolute output directory. */
  outDir: string;
  material: Material;
  /** verifyDepth per TLS upstream after analysis (declared, or derived from its presented chain). */
  verifyDepths: Map<string, number>;
}

export function plan(input: PlanInput): RenderModel {
  const { spec } = input;
  const target = nginxTarget(spec.runtime?.nginxVersion);
  const files = new Map<string, OutputFile>();
  /** Writes a content-addressed file; `why` and `from` say what it is, for the render manifest. */
  const addFile = (prefix: string, content: string, why: string, from: SpecPath): string => {
    const path = outputFilePath(prefix, content);
    const known = files.get(path);
    if (known) known.from = [...known.from!, from];
    else files.set(path, { path, content, why, from: [from] });
    return path;
  };
  // Many upstreams share a trust store or client certificate: encode and hash each file once.
  const fileOnce = new Map<string, string>();
  const addFileOnce = (prefix: string, certs: () => string, why: string, from: SpecPath): string => {
    let path = fileOnce.get(prefix);
    if (path === undefined) fileOnce.set(prefix, (path = addFile(prefix, certs(), why, from)));
    return path;
  };
  // A path in nginx.conf names the file where the gateway runs: a hostPath as written, a path
  // the spec gives resolved to an absolute path (never relative to DIR, which would point back
  // into the rendering machine's workspace once DIR is copied elsewhere).
  const outPath = (declared: FileRef) =>
    isHostFile(declared) ? declared.hostPath : resolvePath(input.specDir, declared);
  // The same file as outPath names, written so that it does not depend on where the spec is.
  const specRelative = (declared: FileRef | undefined) =>
    declared === undefined || isHostFile(declared)
      ? declared && refPath(declared)
      : relative(input.specDir, resolvePath(input.specDir, declared));

  const upstreams: UpstreamModel[] = Object.entries(spec.upstreams ?? {})
    .sort(([a], [b]) => byCodePoint(a, b))
    .map(([name, up]) => ({
      id: upstreamId(name),
      specName: name,
      servers: up.servers.map((s) =>
        typeof s === 'string'
          ? { address: parseHostPort(s)!.text, params: [] }
          : { address: parseHostPort(s.address)!.text, params: serverParams(s) },
      ),
      keepalive: up.keepalive ?? DEFAULT_KEEPALIVE,
      balancer: up.healthCheck !== undefined && spec.status !== undefined,
    }));

  const profiles = new Map<string, TlsProfileModel>();
  const profileOf = new Map<string, TlsProfileModel>();
  for (const [name, up] of Object.entries(spec.upstreams ?? {}).sort(([a], [b]) => byCodePoint(a, b))) {
    const tls = up.tls;
    if (!tls) continue;
    const verify = tls.verify ?? true;
    const store = tls.trustStore !== undefined ? input.material.trustStores.get(tls.trustStore) : undefined;
    const crl = tls.trustStore !== undefined ? input.material.crls.get(tls.trustStore) : undefined;
    const client = tls.clientCertificate !== undefined ? spec.clientCertificates?.[tls.clientCertificate] : undefined;
    const clientPair =
      tls.clientCertificate !== undefined ? input.material.clientCertificates.get(tls.clientCertificate) : undefined;
    const body: Omit<TlsProfileModel, 'id' | 'usedBy'> = {
      verify,
      trustedCertificate:
        store && verify
          ? addFileOnce(
              `trust-${tls.trustStore}`,
              () => toPem(store),
              `the certificates of trust store "${tls.trustStore}" (proxy_ssl_trusted_certificate)`,
              ['trustStores', tls.trustStore!, 'certificates'],
            )
          : undefined,
      crl:
        crl && verify
          ? addFileOnce(
              `crl-${tls.trustStore}`,
              () => toPem(crl),
              `the CRL of trust store "${tls.trustStore}" (proxy_ssl_crl)`,
              ['trustStores', tls.trustStore!, 'crl'],
            )
          : undefined,
      verifyDepth: input.verifyDepths.get(name) ?? tls.verifyDepth ?? NGINX_DEFAULT_VERIFY_DEPTH,
      certificate: clientPair
        ? addFileOnce(
            `client-${tls.clientCertificate}`,
            () => toPem(clientPair.certs),
            `client certificate "${tls.clientCertificate}" with its chain (proxy_ssl_certificate)`,
            ['clientCertificates', tls.clientCertificate!, 'certificate'],
          )
        : undefined,
      certificateKey: client ? outPath(client.key) : undefined,
      passwordFile: client?.passwordFile !== undefined ? outPath(client.passwordFile) : undefined,
      protocols: tls.protocols ? [...tls.protocols].sort() : target.defaultProtocols,
      ciphers: tls.ciphers,
      sessionReuse: tls.sessionReuse ?? true,
    };
    // Named by its settings as the spec states them: a key path counts relative to the spec, so the
    // name does not change with the directory the spec is checked out in.
    const named = {
      ...body,
      certificateKey: specRelative(client?.key),
      passwordFile: specRelative(client?.passwordFile),
    };
    const id = `tls_${shortHash(JSON.stringify(named), 10)}`;
    const profile = profiles.get(id) ?? { ...body, id, usedBy: [], localSecret: client && isLocalSecret(client) };
    profile.usedBy.push(name);
    profiles.set(id, profile);
    profileOf.set(name, profile);
  }

  const { routing, proxyLocations } = planRouting(spec, profileOf);
  const serverBlocks: ServerBlockModel[] = listenerGroups(spec, input, addFile, outPath).map((group) => ({
    listens: group.listens.map((l) => ({ address: l.address, params: [...l.params, 'default_server'] })),
    // The empty name, not "_": a request without Host then has $host "" (never a route host),
    // while "_" is a host name a route may use (Host: _), and would catch those requests too.
    serverNames: [],
    tls: group.tls && { ...group.tls, protocols: target.defaultProtocols },
    proxyLocations,
  }));

  const runtime = planRuntime(spec, upstreamId, routing.upstreams, proxyLocations);
  const insecure = Object.entries(spec.upstreams ?? {})
    .filter(([, u]) => u.tls && u.tls.verify === false)
    .map(([upstream, u]) => ({ upstream, reason: u.tls!.insecureReason ?? '' }))
    .sort((a, b) => byCodePoint(a.upstream, b.upstream));
  const flavor = spec.runtime?.flavor ?? 'openresty';
  // Declared relative, modulesPath is the spec's (like every path in it); nginx reads it from DIR.
  const modules = spec.runtime?.modulesPath !== undefined ? outPath(spec.runtime.modulesPath) : DEFAULT_MODULES_PATH;
  return {
    header: [
      `Generated by gwctl from ${input.specFile.split('/').pop()}. Do not edit: change the spec and render again.`,
      `Runtime: ${flavor}${spec.runtime?.nginxVersion ? ` ${spec.runtime.nginxVersion}` : ''}.`,
    ],
    workerConnections: workerConnections(spec),
    loadModules: flavor === 'nginx' ? MODULE_FILES.map((m) => `${modules}/${m}`) : [],
    upstreams,
    routing,
    serverBlocks,
    files: [...files.values()].sort((a, b) => byCodePoint(a.path, b.path)),
    insecure,
    ...runtime,
  };
}

/**
 * nginx's usual 1024 connections per worker, plus room for health checks: the worker running
 * them holds a checker connection, the check server's end of it and an upstream connection per
 * check in flight, and idle keepalive connections to every checked peer.
 */
function workerConnections(spec: GatewaySpec): number {
  const checkedPeers = Object.values(spec.upstreams ?? {})
    .filter((u) => u.healthCheck)
    .reduce((n, u) => n + u.servers.length, 0);
  return 1024 + 4 * checkedPeers;
}

/**
 * Routes → dispatch tables. Every route location only sets $gw_loc and hands the request to the
 * named location of its upstream's TLS profile; maps resolve host group, route, upstream, name
 * and Host header. See routing.ts for why this is the same routing as one server per host.
 */
function planRouting(
  spec: GatewaySpec,
  profileOf: Map<string, TlsProfileModel>,
): { routing: RoutingModel; proxyLocations: ProxyLocationModel[] } {
  const routes = spec.routes ?? [];
  const dispatch = planDispatch(
    routes.map((r, index) => ({
      index,
      path: r.path,
      host: r.host === undefined ? undefined : normalizeRouteHost(r.host),
    })),
  );
  const hostOf = new Map(dispatch.hostGroups.map((g) => [g.id, g.pattern]));
  // Health-checked upstreams are dispatched too: a check enters the same named location as traffic.
  const checked = Object.keys(spec.upstreams ?? {}).filter((n) => spec.upstreams![n].healthCheck);
  const used = [...new Set([...routes.map((r) => r.upstream), ...checked])].sort(byCodePoint);
  const traffic = planTraffic(spec, profileOf, dispatch.locations, used);
  const routeName = (i: number) => `routes[${i}] -> ${routes[i].upstream}`;
  const locations = dispatch.locations.map((l) => {
    const parts = l.exceptions.map((e) => `${hostOf.get(e.group)}: ${routeName(e.route)}`);
    const rest = l.anyHost !== undefined ? routeName(l.anyHost) : '404';
    parts.push(
      l.exceptions.length || dispatch.hostGroups.length
        ? `${l.exceptions.length ? 'other hosts' : 'any host'}: ${rest}`
        : rest,
    );
    return {
      id: l.id,
      path: l.path,
      summary: summarizeList(parts, '; '),
      routes: [...l.exceptions.map((e) => e.route), ...(l.anyHost !== undefined ? [l.anyHost] : [])],
      maxBodySize: traffic.locationBodySize.get(l.id),
    };
  });
  const anyHost = dispatch.locations
    .filter((l) => l.anyHost !== undefined)
    .map((l) => ({ location: l.id, route: `r${l.anyHost}` }));
  const exceptions = dispatch.locations.flatMap((l) =>
    l.exceptions.map((e) => ({ key: `${e.group}:${l.id}`, route: `r${e.route}` })),
  );
  const routeModels = routes.map((r, i) => ({ id: `r${i}`, upstreamId: upstreamId(r.upstream) }));
  const preserveHost = routes.flatMap((r, i) => (r.preserveHost ? [`r${i}`] : []));

  const upstreams: UpstreamDispatchModel[] = used.map((name) => {
    const up = spec.upstreams![name];
    const profile = profileOf.get(name);
    return {
      upstreamId: upstreamId(name),
      name,
      hostHeader: hostHeaderOf(up),
      sslName: profile ? sslNameOf(up) : undefined,
      target: traffic.upstreamTarget.get(name)!,
    };
  });

  const entries = Math.max(
    hostOf.size,
    anyHost.length,
    exceptions.length,
    routeModels.length,
    upstreams.length,
    traffic.methodTargets.length,
  );
  const longestKey = Math.max(
    0,
    ...dispatch.hostGroups.map((g) => g.pattern.length),
    ...used.map((n) => upstreamId(n).length),
    ...traffic.methodTargets.map((m) => m.key.length),
  );
  const routing: RoutingModel = {
    hostGroups: dispatch.hostGroups,
    locations,
    anyHost,
    exceptions,
    routes: routeModels,
    preserveHost,
    upstreams,
    routeTargets: traffic.routeTargets,
    methodTargets: traffic.methodTargets,
    strip: traffic.strip,
    basePaths: used.flatMap((name) => {
      const basePath = basePathOf(spec.upstreams![name]);
      return basePath === undefined ? [] : [{ upstreamId: upstreamId(name), name, basePath }];
    }),
    maxBodySize: traffic.maxBodySize,
    mapHash: mapHashSizes(entries, longestKey),
  };
  return { routing, proxyLocations: traffic.proxyLocations };
}

/**
 * nginx builds each map as a hash and refuses to start when no table of at most
 * map_hash_max_size slots fits every bucket into map_hash_bucket_size bytes. Defaults are 2048 and
 * a CPU cache line (32/64/128): fine for small gateways, too small for thousands of routes or
 * long host names.
 */
export function mapHashSizes(entries: number, longestKey: number): { maxSize: number; bucketSize: number } {
  let maxSize = 2048;
  while (maxSize < entries * 4) maxSize *= 2;
  // A bucket must hold at least one element: a pointer, a length and the key, pointer-aligned.
  let bucketSize = 64;
  while (bucketSize < longestKey + 32) bucketSize *= 2;
  return { maxSize, bucketSize };
}

export function upstreamId(name: string): string {
  return `up_${name}`;
}

/** nginx's own server parameters; their meaning is nginx's (docs/traffic.md, "Servers"). */
function serverParams(s: ServerObjectSpec): string[] {
  const p: string[] = [];
  if (s.weight !== undefined) p.push(`weight=${s.weight}`);
  if (s.maxFails !== undefined) p.push(`max_fails=${s.maxFails}`);
  if (s.failTimeout !== undefined) p.push(`fail_timeout=${failTimeoutText(s.failTimeout)}`);
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

/**
 * One server block per distinct listener certificate (nginx picks certificates per server block);
 * plain listeners join the first of them, or form the only group when no listener has TLS. Every
 * server block carries its own copy of each TLS profile location, so fewer blocks means fewer
 * SSL contexts.
 */
function listenerGroups(
  spec: GatewaySpec,
  input: PlanInput,
  addFile: (prefix: string, content: string, why: string, from: SpecPath) => string,
  outPath: (p: FileRef) => string,
): ListenerGroup[] {
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
    const certificate = pair
      ? addFile('listener', toPem(pair.certs), 'a listener certificate with its chain (ssl_certificate)', [
          'listen',
          i,
          'tls',
          'certificate',
        ])
      : outPath(l.tls.certificate);
    const key = `tls ${certificate} ${refPath(l.tls.key)}`;
    const g = groups.get(key) ?? {
      listens: [],
      tls: {
        certificate,
        certificateKey: outPath(l.tls.key),
        passwordFile: l.tls.passwordFile !== undefined ? outPath(l.tls.passwordFile) : undefined,
        localSecret: isLocalSecret(l.tls),
      },
    };
    g.listens.push({ address: at, params: ['ssl'] });
    groups.set(key, g);
  });
  const plain = groups.get('plain');
  const tls = [...groups.entries()]
    .filter(([k]) => k !== 'plain')
    .sort(([a], [b]) => byCodePoint(a, b))
    .map(([, g]) => g);
  if (!plain) return tls;
  if (!tls.length) return [plain];
  tls[0] = { ...tls[0], listens: [...plain.listens, ...tls[0].listens] };
  return tls;
}

/** A key or password file named by a path of the machine that renders (the spec did not say hostPath). */
function isLocalSecret(holder: { key: FileRef; passwordFile?: FileRef }): boolean {
  return !isHostFile(holder.key) || (holder.passwordFile !== undefined && !isHostFile(holder.passwordFile));
}
