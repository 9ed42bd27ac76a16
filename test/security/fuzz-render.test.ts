import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import type { GatewaySpec, UpstreamSpec } from '../../src/load/spec-types.js';
import { upstreamId } from '../../src/plan/plan.js';
import { nginxTarget } from '../../src/load/nginx-version.js';
import { parseHostPort } from '../../src/text/addresses.js';
import { gwctl } from '../support/gwctl.js';
import { nginxBinary } from '../support/nginx.js';
import { freePort } from '../support/ports.js';
import { makePki } from '../support/pki.js';
import { ConfError, Gateway, find, one, parseConf, unexpectedDirectives, type Directive } from './nginx-conf.js';
import { STACK_TRACE, snapshot, snapshotDiff } from './support.js';

/**
 * Property: for a spec with arbitrary strings (and arbitrary values) in any field, gwctl either
 *  - renders an nginx.conf that `nginx -t` accepts and that does exactly what the spec asked:
 *    every route, for its host, reaches the spec's upstream block with the spec's servers, over
 *    TLS with the spec's server name (SNI on), verification, trust store, client certificate,
 *    protocols, ciphers, Host header; no directive outside the allow-list; or
 *  - refuses it cleanly: exit 1 or 2, a positioned message, no stack trace, nothing raw echoed,
 *    and the output directory (holding the previous good render) byte-for-byte unchanged.
 *
 * GWCTL_FUZZ_RUNS sets the number of cases (default 400: about 10 s here, nginx -t on every
 * accepted one); GWCTL_FUZZ_SEED replays a run (fast-check prints the seed and path on failure).
 */
const RUNS = Number(process.env.GWCTL_FUZZ_RUNS ?? 400);
const SEED = process.env.GWCTL_FUZZ_SEED === undefined ? undefined : Number(process.env.GWCTL_FUZZ_SEED);

let dir: string;
const out = () => join(dir, 'out');
const FILES = { rootA: '', rootB: '', clientChain: '', keys: [] as string[] };
const DER = new Map<string, string[]>();

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gwctl-fuzz-'));
  const pki = await makePki(join(dir, 'pki'));
  const a = pki.root('Fuzz Root A');
  const b = pki.root('Fuzz Root B');
  const client = pki.leaf(a, { cn: 'fuzz-client', client: true, dns: ['fuzz-client.internal'] });
  FILES.rootA = 'pki/fuzz-root-a.crt';
  FILES.rootB = 'pki/fuzz-root-b.crt';
  copyFileSync(a.cert, join(dir, FILES.rootA));
  copyFileSync(b.cert, join(dir, FILES.rootB));
  FILES.clientChain = 'pki/fuzz-client.chain.pem';
  copyFileSync(client.chain, join(dir, FILES.clientChain));
  // Copies of the client key under names nginx.conf has to quote (nginx -t then loads them).
  mkdirSync(join(dir, 'keys'));
  for (const name of [
    'plain.key',
    'with space.key',
    'q"uote.key',
    "apo'strophe.key",
    'semi;colon{brace}.key',
    'hash#.key',
    'back\\slash.key',
    'ünï.key',
  ]) {
    copyFileSync(client.key, join(dir, 'keys', name));
    chmodSync(join(dir, 'keys', name), 0o600);
    FILES.keys.push(`keys/${name}`);
  }
  for (const f of [FILES.rootA, FILES.rootB, FILES.clientChain])
    DER.set(f, certsIn(readFileSync(join(dir, f), 'utf8')));
  writeFileSync(join(dir, 'good.yaml'), toYaml(GOOD));
  const r = await gwctl(['render', 'good.yaml', '--out', 'out'], dir);
  assert.equal(r.exitCode, 0, r.stderr);
});

/** DER (base64) of every certificate in a PEM text. */
function certsIn(pem: string): string[] {
  return (pem.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? []).map((b) =>
    new X509Certificate(b).raw.toString('base64'),
  );
}

const GOOD: GatewaySpec = {
  version: 1,
  listen: [{ port: 18080 }],
  trustStores: { internal: { certificates: ['pki/fuzz-root-a.crt'] } },
  upstreams: {
    orders: { servers: ['127.0.0.1:9443'], tls: { trustStore: 'internal', serverName: 'orders.internal' } },
  },
  routes: [{ path: '/orders/', upstream: 'orders' }],
};

// ---------- generators: valid-but-varied values, and hostile ones ----------

const label = fc.stringMatching(/^[a-zA-Z0-9]([a-zA-Z0-9-]{0,8}[a-zA-Z0-9])?$/);
const dnsName = fc.array(label, { minLength: 1, maxLength: 3 }).map((ls) => ls.join('.'));
const name = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,10}$/);
const port = fc.integer({ min: 1, max: 65535 });
const hostPart = fc.oneof(
  fc.ipV4(),
  fc.ipV6().map((a) => `[${a}]`),
  fc.constant('localhost'),
  dnsName,
);
const address = fc.tuple(hostPart, port).map(([h, p]) => `${h}:${p}`);
const pathChar = fc.constantFrom(...'abcxyzABC019-._~!$&\'()*+,;=:@%{}"\\#[]|^`<>?/'.split(''), 'é', '日', '🙂');
const routePath = fc.array(pathChar, { maxLength: 16 }).map((cs) => `/${cs.join('')}`);
const lineText = fc
  .array(
    fc.oneof(
      fc.constantFrom(...' ;{}"\'$#\\/:'.split('')),
      fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 4 }).filter((s) => !/[\u0000-\u001f\u007f]/.test(s)),
      fc.constantFrom('é', '日本', '🙂'),
    ),
    { minLength: 1, maxLength: 12 },
  )
  .map((p) => p.join(''))
  .filter((s) => s.trim().length > 0);
const ciphers = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      'HIGH:!aNULL',
      'ECDHE-RSA-AES128-GCM-SHA256',
      'DEFAULT@SECLEVEL=1',
      'HIGH:garbage',
      'AES256',
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom('garbage', '!ALL', '@STRENGTH') },
);

const serverSpec = fc.oneof(
  address,
  fc.record(
    {
      address,
      weight: fc.integer({ min: 1, max: 1000 }),
      maxFails: fc.integer({ min: 0, max: 1000 }),
      failTimeout: fc.integer({ min: 1, max: 86400 }),
      backup: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    },
    { requiredKeys: ['address'] },
  ),
);

const tlsSpec = fc
  .record(
    {
      trustStore: fc.constantFrom('storeA', 'storeAB'),
      serverName: dnsName,
      verifyDepth: fc.integer({ min: 0, max: 100 }),
      clientCertificate: fc.constant('client'),
      protocols: fc.uniqueArray(fc.constantFrom('TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'), { minLength: 1 }),
      ciphers,
      verify: fc.boolean(),
      insecureReason: lineText,
      sessionReuse: fc.boolean(),
    },
    { requiredKeys: ['trustStore', 'serverName'] },
  )
  .map((t) => {
    // Mostly consistent settings (so that many cases get rendered); the hostile step breaks them.
    if (t.verify === false && t.insecureReason === undefined) t.insecureReason = 'fuzz';
    if (t.verify !== false) delete t.insecureReason;
    return t;
  });

const upstreamSpec = fc.record(
  {
    servers: fc.array(serverSpec, { minLength: 1, maxLength: 3 }),
    keepalive: fc.integer({ min: 0, max: 10000 }),
    hostHeader: fc.oneof(
      dnsName,
      fc.tuple(dnsName, port).map(([h, p]) => `${h}:${p}`),
    ),
    tls: tlsSpec,
  },
  { requiredKeys: ['servers'] },
);

const specGen = fc
  .record({
    listen: fc.array(
      fc.record(
        {
          port,
          address: fc.oneof(
            fc.ipV4(),
            fc.constant('localhost'),
            fc.ipV6().map((a) => `[${a}]`),
          ),
        },
        { requiredKeys: ['port'] },
      ),
      { minLength: 1, maxLength: 2 },
    ),
    clientKey: fc.constantFrom(...Array.from({ length: 8 }, (_, i) => i)),
    upstreams: fc.array(fc.tuple(name, upstreamSpec), { minLength: 1, maxLength: 4 }),
    routes: fc.array(
      fc.record({
        path: routePath,
        up: fc.nat(),
        host: fc.option(
          fc.oneof(
            dnsName,
            dnsName.map((d) => `*.${d}`),
          ),
          { nil: undefined },
        ),
        preserveHost: fc.option(fc.boolean(), { nil: undefined }),
      }),
      { minLength: 1, maxLength: 6 },
    ),
  })
  .map((g): GatewaySpec => {
    const ups: Record<string, UpstreamSpec> = {};
    const seen = new Set<string>();
    for (const [n, u] of g.upstreams)
      if (!seen.has(n.toLowerCase())) {
        seen.add(n.toLowerCase());
        ups[n] = u as UpstreamSpec;
      }
    const names = Object.keys(ups);
    const routes: NonNullable<GatewaySpec['routes']> = [];
    const keys = new Set<string>();
    for (const r of g.routes) {
      const k = `${(r.host ?? '*').toLowerCase()} ${r.path}`;
      if (keys.has(k)) continue;
      keys.add(k);
      routes.push({
        path: r.path,
        upstream: names[r.up % names.length],
        ...(r.host !== undefined ? { host: r.host } : {}),
        ...(r.preserveHost !== undefined ? { preserveHost: r.preserveHost } : {}),
      });
    }
    const listen: GatewaySpec['listen'] = [];
    const lk = new Set<string>();
    for (const l of g.listen)
      if (!lk.has(`${l.address}:${l.port}`)) {
        lk.add(`${l.address}:${l.port}`);
        listen.push(l);
      }
    return {
      version: 1,
      listen,
      trustStores: { storeA: { certificates: [FILES.rootA] }, storeAB: { certificates: [FILES.rootA, FILES.rootB] } },
      clientCertificates: { client: { certificate: FILES.clientChain, key: FILES.keys[g.clientKey] } },
      upstreams: ups,
      routes,
    };
  });

const NASTY = [
  ';',
  '{',
  '}',
  '"',
  "'",
  '$',
  '$host',
  '${x}',
  '\n',
  '\r\n',
  '\u0000',
  '#',
  '\\',
  ' ',
  '',
  '\t',
  '"; proxy_ssl_verify off; "',
  '}\nserver {',
  '\u202e',
  '\u001b[2J',
  '\u2028',
  '\ufeff',
  '..',
  '../../etc/passwd',
  '/etc/passwd',
  '*',
  '@x',
  '~',
  '\\"',
  'default',
  'a'.repeat(5000),
];
const hostile: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
  { weight: 3, arbitrary: fc.constantFrom(...NASTY) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.constantFrom(...NASTY), fc.string({ unit: 'grapheme-ascii', maxLength: 10 }), fc.nat())
      .map(([m, s, at]) => s.slice(0, at % (s.length + 1)) + m + s.slice(at % (s.length + 1))),
  },
  { weight: 1, arbitrary: fc.anything({ maxDepth: 2, maxKeys: 3 }) },
);

/** Every place a value sits in the spec: [path to the value] or [path to a map key]. */
function slots(spec: unknown, path: (string | number)[] = [], out: { path: (string | number)[]; key: boolean }[] = []) {
  if (Array.isArray(spec)) spec.forEach((v, i) => slots(v, [...path, i], out));
  else if (spec && typeof spec === 'object') {
    for (const [k, v] of Object.entries(spec)) {
      if (['trustStores', 'clientCertificates', 'upstreams'].includes(String(path[0])) && path.length === 1)
        out.push({ path: [...path, k], key: true });
      slots(v, [...path, k], out);
    }
  } else out.push({ path, key: false });
  return out;
}

function setSlot(
  spec: Record<string, unknown>,
  slot: { path: (string | number)[]; key: boolean },
  value: unknown,
): void {
  let node: Record<string | number, unknown> = spec;
  for (const seg of slot.path.slice(0, -1)) node = node[seg] as Record<string | number, unknown>;
  const last = slot.path[slot.path.length - 1];
  if (!slot.key) {
    node[last] = value;
    return;
  }
  const entries = Object.entries(node);
  for (const k of Object.keys(node)) delete node[k];
  for (const [k, v] of entries) node[k === last ? String(value) : k] = v;
}

const caseGen = fc.record({
  spec: specGen,
  // About half the cases keep every value valid (and are rendered), the others get one or two
  // hostile values; one in eight also gets raw bytes inserted into the YAML text.
  hostile: fc.oneof(
    { weight: 5, arbitrary: fc.constant([] as [number, unknown][]) },
    { weight: 5, arbitrary: fc.array(fc.tuple(fc.nat(), hostile), { minLength: 1, maxLength: 2 }) },
  ),
  raw: fc.oneof(
    { weight: 7, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.tuple(fc.nat(), fc.string({ unit: 'binary', maxLength: 8 })) },
  ),
});

// ---------- the property ----------

/** Cases that once failed, replayed first on every run. */
const EXAMPLES = (): [{ spec: GatewaySpec; hostile: [number, unknown][]; raw: undefined }][] => [
  [
    {
      // Host names starting with n, t or r: a map key written "\news…" is read by nginx as a newline.
      spec: {
        version: 1,
        listen: [{ port: 18080 }],
        trustStores: { storeA: { certificates: [FILES.rootA] } },
        upstreams: {
          news: { servers: ['127.0.0.1:1'] },
          tea: { servers: ['127.0.0.1:2'], tls: { trustStore: 'storeA', serverName: 'tea.internal' } },
          other: { servers: ['127.0.0.1:3'] },
        },
        routes: [
          { path: '/', upstream: 'news', host: 'news.example.com' },
          { path: '/', upstream: 'tea', host: 'tea.example.com' },
          { path: '/', upstream: 'tea', host: '*.rose.example.com' },
          { path: '/', upstream: 'other' },
        ],
      },
      hostile: [],
      raw: undefined,
    },
  ],
];

interface Outcome {
  accepted: number;
  refused: Record<string, number>;
}

test('fuzz: arbitrary values in every field are rendered exactly as asked, or refused cleanly', {
  timeout: 600_000,
}, async (t) => {
  const outcome: Outcome = { accepted: 0, refused: {} };
  let nginxMs = 0;
  await fc.assert(
    fc.asyncProperty(caseGen, async (c) => {
      const spec = structuredClone(c.spec) as unknown as Record<string, unknown>;
      for (const [at, value] of c.hostile) {
        const all = slots(spec);
        setSlot(spec, all[at % all.length], value);
      }
      let text = toYaml(spec, { lineWidth: 0 });
      if (c.raw) {
        const at = c.raw[0] % (text.length + 1);
        text = text.slice(0, at) + c.raw[1] + text.slice(at);
      }
      writeFileSync(join(dir, 'fuzz.yaml'), text);
      const before = snapshot(out());
      const r = await gwctl(['render', 'fuzz.yaml', '--out', 'out'], dir);
      const output = r.stdout + r.stderr;
      assert.doesNotMatch(output, STACK_TRACE, output);
      assert.doesNotMatch(
        output,
        /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/,
        `raw control characters in the output: ${JSON.stringify(output.slice(0, 300))}`,
      );
      assert.ok(output.length < 50_000, 'bounded output');
      if (r.exitCode !== 0) {
        assert.ok(r.exitCode === 1 || r.exitCode === 2, `exit ${r.exitCode}`);
        assert.deepEqual(snapshotDiff(before, snapshot(out())), [], 'a refused spec changed the output directory');
        const lines = r.stderr.trim().split('\n');
        assert.ok(lines.length > 0 && lines[0].length > 0, 'refused without a message');
        if (r.exitCode === 1) {
          const errors = lines.filter((l) => /  error  /.test(l));
          assert.ok(errors.length > 0, r.stderr);
          for (const e of errors)
            assert.match(
              e,
              /^fuzz\.yaml:\d+:\d+  error +.+  \[[a-z-]+\.[a-z.-]+\]$/,
              `an error without a position: ${e}`,
            );
          const code = /\[([a-z-]+\.[a-z.-]+)\]$/.exec(errors[0])![1];
          outcome.refused[code] = (outcome.refused[code] ?? 0) + 1;
        } else outcome.refused['exit 2'] = (outcome.refused['exit 2'] ?? 0) + 1;
        return;
      }
      outcome.accepted++;
      // What gwctl read (the YAML as written, decoded as UTF-8).
      const effective = parseYaml(readFileSync(join(dir, 'fuzz.yaml'), 'utf8'), { version: '1.2' }) as GatewaySpec;
      checkRendered(effective);
      const t0 = Date.now();
      await checkNginxT();
      nginxMs += Date.now() - t0;
    }),
    { numRuns: RUNS, seed: SEED, includeErrorInReport: true, examples: EXAMPLES() },
  );
  t.diagnostic(
    `${RUNS} cases: ${outcome.accepted} rendered and checked (nginx -t ${nginxMs} ms in all), refused: ${JSON.stringify(outcome.refused)}`,
  );
  assert.ok(outcome.accepted >= Math.min(10, RUNS / 10), 'enough accepted cases to test rendering');
});

// ---------- what "exactly as asked" means ----------

/**
 * The route that answers `host` + `uri` by the spec's rules: among the routes whose host matches
 * (the name itself, a *.wildcard it ends in, or any host), the longest path; at the same path
 * the exact name, then the longer wildcard, then any host.
 */
function expectedRoute(spec: GatewaySpec, host: string, uri: string) {
  const h = host.toLowerCase().replace(/\.$/, '');
  const matches = (pattern: string) => pattern === h || (pattern.startsWith('*.') && h.endsWith(pattern.slice(1)));
  const rank = (r: NonNullable<GatewaySpec['routes']>[number]) =>
    r.host === undefined ? 0 : r.host.startsWith('*.') ? r.host.length : 10_000;
  return (spec.routes ?? [])
    .filter((r) => uri.startsWith(r.path) && (r.host === undefined || matches(r.host.toLowerCase().replace(/\.$/, ''))))
    .sort((a, b) => b.path.length - a.path.length || rank(b) - rank(a))[0];
}

function queryHost(host: string | undefined): string {
  if (host === undefined) return 'unmatched.fuzz.invalid';
  return host.startsWith('*.') ? `fzq${host.slice(1)}` : host;
}

function checkRendered(spec: GatewaySpec): void {
  const text = readFileSync(join(out(), 'nginx.conf'), 'utf8');
  let conf: Directive[];
  try {
    conf = parseConf(text);
  } catch (e) {
    assert.fail(`nginx.conf does not parse: ${(e as Error).message}`);
  }
  assert.deepEqual(unexpectedDirectives(conf), [], 'directives outside the allow-list');
  const gw = new Gateway(conf);
  // One upstream block per spec upstream, with exactly its servers.
  const ups = Object.entries(spec.upstreams ?? {});
  assert.equal(gw.upstreams.size, ups.length, 'one upstream{} per spec upstream');
  for (const [n, u] of ups) {
    const block = gw.upstreams.get(upstreamId(n).toLowerCase());
    assert.ok(block, `no upstream block for "${n}"`);
    assert.equal(block.name, upstreamId(n));
    assert.deepEqual(
      block.servers.map((s) => [...s].sort()),
      u.servers.map((s) => expectedServer(s).sort()),
      `servers of "${n}"`,
    );
    const keepalive = u.keepalive ?? 16;
    assert.equal(block.keepalive, keepalive === 0 ? undefined : String(keepalive), `keepalive of "${n}"`);
    if (u.tls?.verify === false)
      assert.ok(
        text.includes(`# WARNING: upstream ${n} does NOT verify its certificate: ${u.tls.insecureReason}\n`),
        `the insecure comment for "${n}"`,
      );
  }
  // Every listener serves every route, for its host.
  for (const l of spec.listen) {
    const listen = l.address !== undefined ? `${l.address}:${l.port}` : `${l.port}`;
    for (const route of spec.routes ?? []) {
      const host = queryHost(route.host);
      for (const uri of [route.path, `${route.path}zz`]) {
        const want = expectedRoute(spec, host, uri);
        const got = gw.resolve(gw.serverFor(listen, host), host, uri);
        checkResolved(spec, want, got, `${listen} ${host} ${JSON.stringify(uri)}`);
      }
      if (!expectedRoute(spec, host, '/'))
        assert.equal(gw.resolve(gw.serverFor(listen, host), host, '/').status, 404, `${host} / is a 404`);
    }
  }
}

function expectedServer(
  s: string | { address: string; weight?: number; maxFails?: number; failTimeout?: number | string; backup?: boolean },
): string[] {
  if (typeof s === 'string') return [parseHostPort(s)!.text];
  return [
    parseHostPort(s.address)!.text,
    ...(s.weight !== undefined ? [`weight=${s.weight}`] : []),
    ...(s.maxFails !== undefined ? [`max_fails=${s.maxFails}`] : []),
    ...(s.failTimeout !== undefined
      ? [`fail_timeout=${typeof s.failTimeout === 'number' ? `${s.failTimeout}s` : s.failTimeout}`]
      : []),
    ...(s.backup ? ['backup'] : []),
  ];
}

function checkResolved(
  spec: GatewaySpec,
  want: NonNullable<GatewaySpec['routes']>[number] | undefined,
  got: ReturnType<Gateway['resolve']>,
  what: string,
): void {
  if (!want) {
    assert.equal(got.status, 404, `${what}: expected 404`);
    return;
  }
  const up = spec.upstreams![want.upstream];
  assert.equal(got.upstream?.name, upstreamId(want.upstream), `${what}: upstream`);
  const loc = got.location!;
  const arg = (d: string) => {
    const x = one(loc, d);
    return x ? x.args.map((a) => got.value(a)) : undefined;
  };
  const hostHeader = find(loc, 'proxy_set_header').filter((d) => d.args[0].toLowerCase() === 'host');
  assert.equal(hostHeader.length, 1, `${what}: one Host header`);
  assert.equal(
    got.value(hostHeader[0].args[1]),
    want.preserveHost ? queryHost(want.host) : expectedHostHeader(up),
    `${what}: Host header`,
  );
  const ssl = loc.filter((d) => d.name.startsWith('proxy_ssl_'));
  if (!up.tls) {
    assert.equal(got.scheme, 'http', `${what}: plain http`);
    assert.deepEqual(
      ssl.map((d) => d.name),
      [],
      `${what}: no TLS directives for a plain upstream`,
    );
    return;
  }
  const tls = up.tls;
  const verify = tls.verify ?? true;
  assert.equal(got.scheme, 'https', `${what}: https`);
  assert.deepEqual(arg('proxy_ssl_server_name'), ['on'], `${what}: SNI on`);
  assert.deepEqual(
    arg('proxy_ssl_name'),
    [tls.serverName ?? parseHostPort(typeof up.servers[0] === 'string' ? up.servers[0] : up.servers[0].address)!.host],
    `${what}: proxy_ssl_name`,
  );
  assert.deepEqual(arg('proxy_ssl_verify'), [verify ? 'on' : 'off'], `${what}: proxy_ssl_verify`);
  if (verify) {
    const file = arg('proxy_ssl_trusted_certificate')![0];
    const wantDer = spec.trustStores![tls.trustStore!].certificates.flatMap((f) => DER.get(f)!);
    assert.deepEqual(certsIn(readFileSync(resolve(out(), file), 'utf8')), wantDer, `${what}: trusted certificates`);
  } else assert.equal(arg('proxy_ssl_trusted_certificate'), undefined);
  if (tls.verifyDepth !== undefined)
    assert.deepEqual(arg('proxy_ssl_verify_depth'), [String(tls.verifyDepth)], `${what}: depth`);
  else assert.match(arg('proxy_ssl_verify_depth')![0], /^\d+$/);
  if (tls.clientCertificate !== undefined) {
    const cc = spec.clientCertificates![tls.clientCertificate];
    assert.deepEqual(
      certsIn(readFileSync(resolve(out(), arg('proxy_ssl_certificate')![0]), 'utf8')),
      DER.get(cc.certificate),
      `${what}: client certificate`,
    );
    assert.equal(
      realpathSync(resolve(out(), arg('proxy_ssl_certificate_key')![0])),
      realpathSync(join(dir, cc.key as string)),
      `${what}: client key path`,
    );
  } else {
    assert.equal(arg('proxy_ssl_certificate'), undefined);
    assert.equal(arg('proxy_ssl_certificate_key'), undefined);
  }
  // No protocols in the spec: gwctl adds TLSv1.3 where the target's nginx default lacks it (before 1.23.4).
  const protocols = tls.protocols ?? nginxTarget(spec.runtime?.nginxVersion).defaultProtocols ?? [];
  assert.deepEqual((arg('proxy_ssl_protocols') ?? []).sort(), [...protocols].sort(), `${what}: protocols`);
  assert.deepEqual(arg('proxy_ssl_ciphers'), tls.ciphers === undefined ? undefined : [tls.ciphers], `${what}: ciphers`);
  assert.deepEqual(
    arg('proxy_ssl_session_reuse'),
    [tls.sessionReuse === false ? 'off' : 'on'],
    `${what}: session reuse`,
  );
  const known = [
    'proxy_ssl_server_name',
    'proxy_ssl_name',
    'proxy_ssl_verify',
    'proxy_ssl_trusted_certificate',
    'proxy_ssl_verify_depth',
    'proxy_ssl_certificate',
    'proxy_ssl_certificate_key',
    'proxy_ssl_password_file',
    'proxy_ssl_protocols',
    'proxy_ssl_ciphers',
    'proxy_ssl_session_reuse',
    'proxy_ssl_crl',
  ];
  assert.deepEqual(
    ssl.map((d) => d.name).filter((d) => !known.includes(d)),
    [],
    `${what}: unexpected TLS directives`,
  );
}

function expectedHostHeader(up: UpstreamSpec): string {
  if (up.hostHeader) return up.hostHeader;
  if (up.tls?.serverName) return up.tls.serverName;
  const s = parseHostPort(typeof up.servers[0] === 'string' ? up.servers[0] : up.servers[0].address)!;
  const host = s.text.startsWith('[') ? `[${s.host}]` : s.host;
  return s.port === (up.tls ? 443 : 80) ? host : `${host}:${s.port}`;
}

/**
 * nginx -t on the rendered output. nginx resolves host names in `server` and `listen` while it
 * reads the config and binds every listen address (nginx -t too), so a copy is tested with
 * upstream host names (already checked above) swapped for 127.0.0.1 and each listen address for
 * a free loopback port.
 */
async function checkNginxT(): Promise<void> {
  const conf = readFileSync(join(out(), 'nginx.conf'), 'utf8');
  const ports = new Map<string, number>();
  for (const m of conf.matchAll(/^\s*listen (\S+?)[ ;]/gm)) if (!ports.has(m[1])) ports.set(m[1], await freePort());
  const swapped = conf
    .replace(/^(\s*server )([^\s;[]+):(\d+)/gm, (m, head: string, host: string, p: string) =>
      isIP(host) ? m : `${head}127.0.0.1:${p}`,
    )
    .replace(
      /^(\s*listen )(\S+?)([ ;])/gm,
      (_m, head: string, at: string, end: string) => `${head}127.0.0.1:${ports.get(at)}${end}`,
    );
  const file = join(out(), '.fuzz-t.conf');
  writeFileSync(file, swapped);
  try {
    const r = spawnSync(nginxBinary(), ['-p', out(), '-c', '.fuzz-t.conf', '-e', 'logs/error.log', '-t'], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, `nginx -t refused what gwctl rendered:\n${r.stderr}\n${conf.slice(0, 3000)}`);
  } finally {
    rmSync(file, { force: true });
    if (existsSync(join(out(), 'logs/error.log'))) rmSync(join(out(), 'logs/error.log'));
  }
}

test('the nginx.conf reader follows nginx: quoting, escapes, and the errors of a broken file', () => {
  const conf = parseConf('http { server { location "/a\\"b;c{d}$e\\\\" { return 404; } } } # x\n');
  assert.equal(conf[0].block![0].block![0].args[0], '/a"b;c{d}$e\\');
  for (const bad of ['http { ', 'x "a"b;', 'x a"b;', '}', 'x;}', 'location "/a'])
    assert.throws(() => parseConf(bad), ConfError, bad);
});
