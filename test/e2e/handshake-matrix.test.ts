import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyChain } from '../../src/tls/chain/index.js';
import { nginxTest, startNginx, type RunningNginx } from '../support/nginx.js';
import { compareWithNginx, startDifferentialGateway, type PredictedCase } from '../support/nginx-verdicts.js';
import { pairwise } from '../support/pairwise.js';
import { makePki, type KeySpec, type PkiCert } from '../support/pki.js';
import { freePort, waitForPort } from '../support/ports.js';
import { sources } from '../tls/chain/harness.js';

/**
 * The handshake-level verdicts, proven on real nginx both ways: a pairwise covering set of leaf
 * certificates (key type × keyUsage × basicConstraints × extendedKeyUsage) served by two TLS
 * server implementations (nginx and `openssl s_server`, both with their defaults for TLSv1.2 and
 * TLSv1.3), behind one gateway nginx rendered by gwctl whose upstream offers one protocol
 * (`protocols: [TLSv1.2]` or `[TLSv1.3]`). For each cell gwctl predicts ok, a verify error, or a
 * handshake failure; nginx must answer 200 or 502 and log exactly that. docs/handshake-matrix.md
 * has the figures.
 */
const KEYS: KeySpec[] = [
  'rsa-2048',
  'rsa-3072',
  'rsa-4096',
  'rsa-pss-2048',
  'ec-p256',
  'ec-p384',
  'ec-p521',
  'ed25519',
  'ed448',
  'dsa-2048',
];
export const FACTORS = {
  key: KEYS,
  keyUsage: [
    false,
    'critical,digitalSignature',
    'critical,keyEncipherment',
    'critical,digitalSignature,keyEncipherment',
    'critical,keyAgreement',
  ],
  basicConstraints: [false, 'critical,CA:FALSE', 'critical,CA:TRUE'],
  extendedKeyUsage: [false, 'serverAuth', 'clientAuth', 'serverAuth,clientAuth', 'anyExtendedKeyUsage'],
  protocol: ['TLSv1.2', 'TLSv1.3'],
  server: ['nginx', 's_server'],
} as const;

type Cell = ReturnType<typeof pairwise<typeof FACTORS>>[number];
/**
 * The pairwise set, plus every combination the handshake rules read (key type × a keyUsage
 * without digitalSignature × protocol × server): pairwise coverage alone never puts, say, an
 * ECDSA key without digitalSignature under TLSv1.3.
 */
const cells: Cell[] = [
  ...pairwise(FACTORS),
  ...FACTORS.key.flatMap((key) =>
    FACTORS.protocol.flatMap((protocol) =>
      FACTORS.server.map(
        (server): Cell => ({
          key,
          keyUsage: 'critical,keyAgreement',
          basicConstraints: 'critical,CA:FALSE',
          extendedKeyUsage: 'serverAuth',
          protocol,
          server,
        }),
      ),
    ),
  ),
];

let gateway: RunningNginx | undefined;
let upstreamNginx: RunningNginx | undefined;
const sServers: ChildProcess[] = [];
let gatewayPort = 0;
let dir = '';
const cases: (PredictedCase & { cell: Cell })[] = [];
/** Cells no server can be set up for, with the reason. */
const impossible: string[] = [];

const show = (v: string | false) => (v === false ? 'absent' : v.replace('critical,', ''));
const label = (c: Cell) =>
  `${c.key} | KU ${show(c.keyUsage)} | BC ${show(c.basicConstraints)} | EKU ${show(c.extendedKeyUsage)} | ${c.protocol} | ${c.server}`;

/**
 * Starts `openssl s_server` on the cell's leaf: the port it listens on, or why it cannot serve
 * the leaf. A server that neither listens nor exits within the wait is tried once more on
 * another port (a loaded machine, not the certificate).
 */
async function startSServer(
  leaf: PkiCert,
  chainFile: string,
  tries = 2,
): Promise<{ port: number; why: string | null }> {
  const port = await freePort();
  const child = spawn(
    'openssl',
    [
      's_server',
      '-accept',
      `127.0.0.1:${port}`,
      '-cert',
      leaf.cert,
      '-key',
      leaf.key,
      '-cert_chain',
      chainFile,
      '-www',
      '-quiet',
    ],
    { stdio: ['pipe', 'ignore', 'pipe'] },
  );
  sServers.push(child);
  let stderr = '';
  child.stderr!.on('data', (d) => {
    stderr += String(d);
  });
  const exited = new Promise<string>((resolve) =>
    child.once('exit', () =>
      resolve(
        `openssl s_server refuses it: ${stderr.split('\n').find((l) => /error|unable|cannot/i.test(l)) ?? stderr.trim()}`,
      ),
    ),
  );
  const why = await Promise.race([
    waitForPort(port).then(
      () => null,
      () => 'timeout',
    ),
    exited,
  ]);
  if (why !== 'timeout') return { port, why };
  child.kill('SIGKILL');
  if (tries > 1) return startSServer(leaf, chainFile, tries - 1);
  return { port, why: `openssl s_server neither listens nor exits: ${stderr}` };
}

/** Starts the upstream nginx; a server block nginx refuses to load is dropped (its cell cannot exist) and nginx started again. */
async function startUpstreamNginx(
  upstreamDir: string,
  blocks: Map<string, { port: number; conf: string; entry: { port: number } }>,
): Promise<{ nginx: RunningNginx; refused: Map<string, string> }> {
  const refused = new Map<string, string>();
  let moves = 0;
  mkdirSync(join(upstreamDir, 'logs'), { recursive: true });
  for (;;) {
    const live = [...blocks].filter(([id]) => !refused.has(id));
    writeFileSync(
      join(upstreamDir, 'nginx.conf'),
      `worker_processes 1;\nerror_log logs/error.log notice;\npid logs/nginx.pid;\nevents {}\nhttp {\n  access_log off;\n${live.map(([, b]) => b.conf).join('\n')}\n}\n`,
    );
    const t = nginxTest(upstreamDir);
    if (t.ok) {
      try {
        return { nginx: await startNginx(upstreamDir, live[0][1].port), refused };
      } catch (e) {
        // Another test process took one of the ports since freePort() found it free (each
        // process picks its own): that cell moves to a new port and nginx starts again.
        // The log may name ports of earlier attempts too: the one to move is a live cell's.
        const taken = [...String(e).matchAll(/bind\(\) to 127\.0\.0\.1:(\d+) failed/g)].map((m) => Number(m[1]));
        const block = live.find(([, b]) => taken.includes(b.port))?.[1];
        if (!block || ++moves > 5) throw e;
        const port = await freePort();
        block.conf = block.conf.replace(`127.0.0.1:${block.port} `, `127.0.0.1:${port} `);
        block.port = port;
        block.entry.port = port;
        continue;
      }
    }
    const culprit = live.find(
      ([, b]) =>
        t.output.includes(`:${b.port}`) ||
        [...b.conf.matchAll(/ssl_certificate(?:_key)? (\S+);/g)].some((m) => t.output.includes(m[1])),
    );
    if (!culprit) throw new Error(`the upstream nginx refuses its configuration: ${t.output}`);
    refused.set(culprit[0], `nginx refuses it: ${t.output.split('\n').find((l) => /emerg/.test(l)) ?? t.output}`);
  }
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gwctl-handshake-matrix-'));
  const pki = await makePki(join(dir, 'pki'));
  const root = pki.root('Matrix Root');
  const int = pki.intermediate(root, 'Matrix Int');
  // One key per type, made once (RSA 4096 and DSA are slow): every leaf of that type reuses it.
  const keyOf = new Map<KeySpec, PkiCert>();
  const blocks = new Map<string, { port: number; conf: string; entry: { port: number } }>();
  const sServerStarts: Promise<[string, string | null]>[] = [];
  const made: { id: string; cell: Cell; leaf: PkiCert; port: number }[] = [];
  for (const [i, cell] of cells.entries()) {
    const leaf = pki.leaf(int, {
      cn: 'svc.internal',
      dns: ['svc.internal'],
      key: cell.key,
      reuseKeyOf: keyOf.get(cell.key),
      keyUsage: cell.keyUsage,
      basicConstraints: cell.basicConstraints,
      extendedKeyUsage: cell.extendedKeyUsage,
    });
    if (!keyOf.has(cell.key)) keyOf.set(cell.key, leaf);
    const id = `c${i}`;
    const entry = { id, cell, leaf, port: 0 };
    made.push(entry);
    if (cell.server === 'nginx') {
      const port = await freePort();
      entry.port = port;
      blocks.set(id, {
        port,
        entry,
        conf: `  server { listen 127.0.0.1:${port} ssl; ssl_certificate ${leaf.chain}; ssl_certificate_key ${leaf.key}; ssl_protocols TLSv1.2 TLSv1.3; location / { return 200 "ok\\n"; } }`,
      });
    } else
      sServerStarts.push(
        startSServer(leaf, int.cert).then(({ port, why }) => {
          entry.port = port;
          return [id, why];
        }),
      );
  }
  const [{ nginx, refused }, sServerResults] = await Promise.all([
    startUpstreamNginx(join(dir, 'upstream'), blocks),
    Promise.all(sServerStarts),
  ]);
  upstreamNginx = nginx;
  for (const [id, why] of sServerResults) if (why) refused.set(id, why);

  const stores = [`  root: { certificates: [${JSON.stringify(root.cert)}] }`];
  const upstreams: string[] = [];
  const routes: string[] = [];
  for (const { id, cell, leaf, port } of made) {
    if (refused.has(id)) {
      impossible.push(`${label(cell)}: ${refused.get(id)}`);
      continue;
    }
    upstreams.push(
      `  ${id}:\n    servers: ["127.0.0.1:${port}"]\n    keepalive: 0\n    tls: { trustStore: root, serverName: svc.internal, verifyDepth: 1, protocols: [${cell.protocol}] }`,
    );
    routes.push(`  - { path: /${id}/, upstream: ${id} }`);
    const verdict = verifyChain({
      presented: sources(leaf.chain),
      trusted: sources(root.cert),
      depth: 1,
      name: 'svc.internal',
      at: new Date(),
      protocols: [cell.protocol],
    });
    cases.push({ id, label: label(cell), verdict, name: 'svc.internal', cell });
  }
  gatewayPort = await freePort();
  gateway = await startDifferentialGateway(dir, gatewayPort, { stores, upstreams, routes });
});

after(async () => {
  await gateway?.stop();
  await upstreamNginx?.stop();
  for (const s of sServers) s.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

test('every pairwise cell: nginx does what gwctl predicts (200, the verify error, or a handshake failure)', async (t) => {
  const { disagreements, seen, actual } = await compareWithNginx(cases, gatewayPort, gateway!);
  if (process.env.GWCTL_MATRIX_TABLE)
    writeFileSync(
      process.env.GWCTL_MATRIX_TABLE,
      cases.map((c) => `| ${c.label.split(' | ').join(' | ')} | ${actual.get(c.id)} |`).join('\n'),
    );
  t.diagnostic(
    `handshake matrix: ${cells.length} cells, ${cases.length} run, ${cases.length - disagreements.length} agree; outcomes: ${[...seen].sort().join(', ')}; cannot exist: ${impossible.length ? impossible.join('; ') : 'none'}`,
  );
  assert.deepEqual(disagreements, []);
  for (const outcome of ['ok', 'handshake', '26']) assert.ok(seen.has(outcome), `no cell produced ${outcome}`);
});
