import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BenchCase, type GeneratedCase, type Pkis, generateCase, makeBenchPki } from './cases.js';
import { type BenchCert, makeCert, newKey } from './certs.js';
import { writeLayout } from './layouts.js';

/**
 * The speed bench's generated inputs, cached under .bench/cache/ (gitignored) so that reruns
 * start at once. Bump INPUTS_VERSION when what is generated changes.
 */
const INPUTS_VERSION = 'v1';

export const CHAINS = 1000;
/** Certificates in the big trust store, split over files under the 16 MiB per-file cap. */
export const STORE_CERTS = 50_000;
const STORE_FILES = 2;
const CHAIN_ROOTS = 2;
const CHAIN_INTERMEDIATES = 20;

export interface SpeedInputs {
  dir: string;
  /** 2,000 routes over 50 TLS upstreams, five 145-CA trust stores (the issue's case). */
  tls2k: GeneratedCase;
  /** The same routes and upstreams over plain http. */
  plain2k: GeneratedCase;
  /** Render linearity: the tls2k shape with more routes. */
  tls10k: GeneratedCase;
  tls20k: GeneratedCase;
  /** nginx -t comparisons at 2,000 routes (hand-written layouts of the tls2k routes). */
  nginxPlainDir: string;
  nginxNaiveDir: string;
  chains: {
    /** 1,000 upstreams, one presented chain (leaf + intermediate) each. */
    spec: string;
    roots: string;
    intermediates: string;
    /** The 1,000 leaves alone, for `openssl verify -untrusted intermediates`. */
    leaves: string[];
  };
  store: {
    /** One upstream verified against 50,000 certificates (+ its root). */
    spec: string;
    files: string[];
    bytes: number;
  };
}

const TLS2K: BenchCase = { name: 'tls-2k', routes: 2000, upstreams: 50, stores: 5, hosts: 0, naiveTls: true };

export async function speedInputs(repo: string, log: (m: string) => void): Promise<SpeedInputs> {
  const dir = join(repo, '.bench/cache', INPUTS_VERSION);
  const done = join(dir, 'inputs.json');
  if (existsSync(done)) return JSON.parse(readFileSync(done, 'utf8')) as SpeedInputs;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);
  log(`generating inputs in ${dir} (once)`);
  const pkis: Pkis = await makeBenchPki(join(dir, 'pki'), TLS2K.stores);
  const tls2k = generateCase(dir, TLS2K, pkis);
  const plain2k = generateCase(dir, { ...TLS2K, name: 'plain-2k', plain: true }, pkis);
  const tls10k = generateCase(dir, { ...TLS2K, name: 'tls-10k', routes: 10_000 }, pkis);
  const tls20k = generateCase(dir, { ...TLS2K, name: 'tls-20k', routes: 20_000 }, pkis);
  const nginxPlainDir = writeLayout(tls2k, 'plain-http');
  const nginxNaiveDir = writeLayout(tls2k, 'naive-tls');
  log(`generating ${CHAINS} chains`);
  const chains = writeChains(join(dir, 'chains'));
  log(`generating a ${STORE_CERTS}-certificate trust store`);
  const store = writeBigStore(join(dir, 'store'), chains);
  const inputs: SpeedInputs = {
    dir,
    tls2k,
    plain2k,
    tls10k,
    tls20k,
    nginxPlainDir,
    nginxNaiveDir,
    chains: { spec: chains.spec, roots: chains.roots, intermediates: chains.intermediates, leaves: chains.leaves },
    store,
  };
  writeFileSync(done, JSON.stringify(inputs, null, 1));
  return inputs;
}

interface Chains {
  spec: string;
  roots: string;
  intermediates: string;
  leaves: string[];
  /** The first chain and its root, reused by the big-store case. */
  firstChain: string;
  firstRoot: BenchCert;
}

function writeChains(dir: string): Chains {
  mkdirSync(join(dir, 'leaves'), { recursive: true });
  mkdirSync(join(dir, 'presented'), { recursive: true });
  const roots = Array.from({ length: CHAIN_ROOTS }, (_, i) =>
    makeCert({ cn: `Chain Bench Root ${i}`, serial: i + 1, key: newKey(), ca: true }),
  );
  const intermediates = Array.from({ length: CHAIN_INTERMEDIATES }, (_, i) =>
    makeCert({
      cn: `Chain Bench Issuing ${i}`,
      serial: 100 + i,
      key: newKey(),
      ca: true,
      issuer: roots[i % CHAIN_ROOTS],
    }),
  );
  const leaves: string[] = [];
  const upstreams: string[] = [];
  const routes: string[] = [];
  for (let i = 0; i < CHAINS; i++) {
    const issuing = intermediates[i % CHAIN_INTERMEDIATES];
    const name = `c${i}.chains.internal`;
    const leaf = makeCert({ cn: name, dns: name, serial: 10_000 + i, key: newKey(), ca: false, issuer: issuing });
    const leafFile = join(dir, 'leaves', `l${i}.pem`);
    writeFileSync(leafFile, leaf.pem);
    const presented = join(dir, 'presented', `c${i}.pem`);
    writeFileSync(presented, leaf.pem + issuing.pem);
    leaves.push(leafFile);
    upstreams.push(
      `  c${i}: { servers: ["127.0.0.1:${20000 + i}"], tls: { trustStore: roots, serverName: ${name}, presentedChain: "${presented}" } }`,
    );
    routes.push(`  - { path: /c${i}/, upstream: c${i} }`);
  }
  const rootsFile = join(dir, 'roots.pem');
  writeFileSync(rootsFile, roots.map((r) => r.pem).join(''));
  const intermediatesFile = join(dir, 'intermediates.pem');
  writeFileSync(intermediatesFile, intermediates.map((r) => r.pem).join(''));
  const spec = join(dir, 'gateway.yaml');
  writeFileSync(
    spec,
    [
      'version: 1',
      'runtime: { flavor: nginx }',
      'listen:',
      '  - { port: 18080, address: 127.0.0.1 }',
      'trustStores:',
      `  roots: { certificates: ["${rootsFile}"] }`,
      'upstreams:',
      ...upstreams,
      'routes:',
      ...routes,
      '',
    ].join('\n'),
  );
  return {
    spec,
    roots: rootsFile,
    intermediates: intermediatesFile,
    leaves,
    firstChain: join(dir, 'presented', 'c0.pem'),
    firstRoot: roots[0],
  };
}

/** 50,000 self-signed CA certificates sharing one key (signing is cheap, key generation is not). */
function writeBigStore(dir: string, chains: Chains): SpeedInputs['store'] {
  mkdirSync(dir, { recursive: true });
  const key = newKey();
  const files: string[] = [];
  let bytes = 0;
  const perFile = STORE_CERTS / STORE_FILES;
  for (let f = 0; f < STORE_FILES; f++) {
    const pems: string[] = [];
    for (let i = f * perFile; i < (f + 1) * perFile; i++)
      pems.push(makeCert({ cn: `Store Bench CA ${i}`, serial: i + 1, key, ca: true }).pem);
    const file = join(dir, `store-${f}.pem`);
    const text = pems.join('');
    writeFileSync(file, text);
    bytes += Buffer.byteLength(text);
    files.push(file);
  }
  const root = join(dir, 'root.pem');
  writeFileSync(root, chains.firstRoot.pem);
  files.push(root);
  const spec = join(dir, 'gateway.yaml');
  writeFileSync(
    spec,
    [
      'version: 1',
      'runtime: { flavor: nginx }',
      'listen:',
      '  - { port: 18080, address: 127.0.0.1 }',
      'trustStores:',
      `  big: { certificates: [${files.map((f) => `"${f}"`).join(', ')}] }`,
      'upstreams:',
      `  c0: { servers: ["127.0.0.1:20000"], tls: { trustStore: big, serverName: c0.chains.internal, presentedChain: "${chains.firstChain}" } }`,
      'routes:',
      '  - { path: /c0/, upstream: c0 }',
      '',
    ].join('\n'),
  );
  return { spec, files, bytes: bytes + Buffer.byteLength(chains.firstRoot.pem) };
}
