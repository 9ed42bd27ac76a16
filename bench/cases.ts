import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makePki } from '../test/support/pki.js';

export const SYSTEM_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

export interface BenchCase {
  name: string;
  routes: number;
  upstreams: number;
  /** Trust stores; each holds the system bundle plus the root that signs its upstreams. */
  stores: number;
  /** Hosts with routes of their own (0: every route answers for any host). */
  hosts: number;
  /** Render and nginx -t the naive one-location-per-route TLS config (capped: it is slow). */
  naiveTls: boolean;
  /** Why naiveTls is off, for the table. */
  naiveNote?: string;
  /** The case the issue sets targets for. */
  target?: boolean;
  /** The same routes and upstreams over plain http (no trust stores, no upstream TLS). */
  plain?: boolean;
}

/** Everything a layout needs to know about one upstream, shared by all renderings of a case. */
export interface UpstreamFacts {
  name: string;
  address: string;
  store: number;
  serverName: string;
}

export interface RouteFacts {
  path: string;
  upstream: number;
  host?: string;
}

export interface GeneratedCase {
  dir: string;
  spec: string;
  /** Concatenated trust store PEM files (bundle + root), one per store, for hand-written layouts. */
  storeFiles: string[];
  listener: { cert: string; key: string };
  upstreams: UpstreamFacts[];
  routes: RouteFacts[];
  plainPort: number;
  tlsPort: number;
}

export interface Pkis {
  roots: { cert: string }[];
  chains: string[];
  listener: { cert: string; key: string };
}

/** One PKI for the whole run: per store a root, an issuing CA and a wildcard leaf *.s<k>.internal. */
export async function makeBenchPki(dir: string, stores: number): Promise<Pkis> {
  const pki = await makePki(dir);
  const roots = [];
  const chains = [];
  for (let k = 0; k < stores; k++) {
    const root = pki.root(`Bench Root ${k}`);
    const issuing = pki.intermediate(root, `Bench Issuing ${k}`);
    const leaf = pki.leaf(issuing, { cn: `*.s${k}.internal`, dns: [`*.s${k}.internal`] });
    roots.push(root);
    chains.push(leaf.chain);
  }
  const gwRoot = pki.root('Bench Gateway Root');
  const listener = pki.leaf(gwRoot, { cn: 'gateway.bench', dns: ['gateway.bench'] });
  return { roots, chains, listener: { cert: listener.chain, key: listener.key } };
}

export function generateCase(base: string, c: BenchCase, pkis: Pkis): GeneratedCase {
  const dir = join(base, c.name.replace(/[^a-z0-9]+/gi, '-'));
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);
  const bundle = readFileSync(SYSTEM_BUNDLE, 'utf8');
  const storeFiles = pkis.roots.slice(0, c.stores).map((root, k) => {
    const file = join(dir, `store-${k}.pem`);
    writeFileSync(file, bundle + readFileSync(root.cert, 'utf8'));
    return file;
  });
  const upstreams: UpstreamFacts[] = Array.from({ length: c.upstreams }, (_, i) => ({
    name: `u${i}`,
    address: `127.0.0.1:${20000 + i}`,
    store: i % c.stores,
    serverName: `u${i}.s${i % c.stores}.internal`,
  }));
  const routes: RouteFacts[] = Array.from({ length: c.routes }, (_, r) => {
    const group = c.hosts ? r % (c.hosts + 1) : c.hosts;
    return {
      path: `/api/u${r % c.upstreams}/r${r}/`,
      upstream: r % c.upstreams,
      host: group < c.hosts ? `h${group}.example.com` : undefined,
    };
  });
  const plainPort = 18080;
  const tlsPort = 18443;
  const lines = [
    'version: 1',
    'runtime: { flavor: nginx }',
    'listen:',
    `  - { port: ${plainPort}, address: 127.0.0.1 }`,
    `  - { port: ${tlsPort}, address: 127.0.0.1, tls: { certificate: "${pkis.listener.cert}", key: "${pkis.listener.key}" } }`,
    ...(c.plain
      ? []
      : [
          'trustStores:',
          ...pkis.roots
            .slice(0, c.stores)
            .map((root, k) => `  s${k}: { certificates: ["${SYSTEM_BUNDLE}", "${root.cert}"] }`),
        ]),
    'upstreams:',
    ...upstreams.map((u) =>
      c.plain
        ? `  ${u.name}: { servers: ["${u.address}"], hostHeader: ${u.serverName} }`
        : `  ${u.name}: { servers: ["${u.address}"], tls: { trustStore: s${u.store}, serverName: ${u.serverName}, presentedChain: "${pkis.chains[u.store]}" } }`,
    ),
    'routes:',
    ...routes.map((r) => `  - { path: ${r.path}, upstream: u${r.upstream}${r.host ? `, host: ${r.host}` : ''} }`),
  ];
  const spec = join(dir, 'gateway.yaml');
  writeFileSync(spec, `${lines.join('\n')}\n`);
  return { dir, spec, storeFiles, listener: pkis.listener, upstreams, routes, plainPort, tlsPort };
}
