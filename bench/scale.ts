/**
 * `npm run bench:scale`: how gwctl and nginx scale with routes, upstreams, hosts and large trust
 * stores. A benchmark, not a test: it prints a markdown table and writes it, with the machine it
 * ran on, into docs/scale.md (between the bench markers). Options:
 *   --quick       only the small cases
 *   --no-docs     do not touch docs/scale.md
 *   --keep        keep the generated specs and configs (path printed)
 *   --only TEXT   only the cases whose name contains TEXT (docs not written)
 */
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nginxBinary } from '../test/support/nginx.js';
import { generateCase, makeBenchPki, type BenchCase } from './cases.js';
import { writeLayout, type Layout } from './layouts.js';
import { describeMachine } from './machine.js';
import { hasGnuTime, measureMedian, type Measurement } from './measure.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(REPO, 'bin/gwctl.js');
const DOC = join(REPO, 'docs/scale.md');
const BEGIN = '<!-- bench:begin (written by npm run bench:scale) -->';
const END = '<!-- bench:end -->';
/** Naive TLS costs ~20 ms and ~0.85 MiB per route with a 145-certificate store: beyond this it is skipped. */
const NAIVE_TLS_MAX_ROUTES = 2000;
const NGINX_TIMEOUT_MS = 240_000;

const CASES: BenchCase[] = [
  { name: '100 routes', routes: 100, upstreams: 10, stores: 5, hosts: 0, naiveTls: true },
  { name: '1,000 routes, 10 hosts', routes: 1000, upstreams: 100, stores: 5, hosts: 10, naiveTls: true },
  {
    name: '2,000 routes (target case)',
    routes: 2000,
    upstreams: 50,
    stores: 5,
    hosts: 0,
    naiveTls: true,
    target: true,
  },
  {
    name: '2,000 routes, 10 hosts',
    routes: 2000,
    upstreams: 50,
    stores: 5,
    hosts: 10,
    naiveTls: false,
    naiveNote: 'see the case without hosts',
  },
  {
    name: '10,000 routes, 20 hosts',
    routes: 10000,
    upstreams: 1000,
    stores: 5,
    hosts: 20,
    naiveTls: false,
    naiveNote: `skipped: > ${NAIVE_TLS_MAX_ROUTES} routes (est. 10,000 × 20 ms, 8 GiB)`,
  },
];

interface Row {
  c: BenchCase;
  validate: Measurement;
  verify: Measurement;
  render: Measurement;
  nginx: Partial<Record<'gwctl' | Layout, Measurement & { contexts: number }>>;
  withoutLua: Partial<Record<'gwctl' | 'plain-http', Measurement>>;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const args = new Set(argv);
  const only = argv.includes('--only') ? (argv[argv.indexOf('--only') + 1] ?? '') : undefined;
  const cases =
    only !== undefined ? CASES.filter((c) => c.name.includes(only)) : args.has('--quick') ? CASES.slice(0, 2) : CASES;
  const nginx = nginxBinary();
  const rssMethod = hasGnuTime()
    ? 'GNU time (wait4 ru_maxrss)'
    : '/proc/<pid>/status VmHWM sampled every 5 ms (install `time` for exact numbers)';
  const machine = describeMachine(nginx, rssMethod);
  const base = mkdtempSync(join(tmpdir(), 'gwctl-bench-'));
  chmodSync(base, 0o755);
  log(
    `bench dir ${base}; ${machine.nproc} × ${machine.cpu}, ${machine.memoryGiB} GiB, nginx ${machine.nginx}, ${machine.openssl}`,
  );
  const pkis = await makeBenchPki(join(base, 'pki'), Math.max(...cases.map((c) => c.stores)));

  const rows: Row[] = [];
  try {
    for (const c of cases) {
      log(`${c.name}: generating`);
      const g = generateCase(base, c, pkis);
      const gw = (...a: string[]) => measureMedian(3, process.execPath, [BIN, ...a], { cwd: g.dir });
      log(`${c.name}: gwctl validate / verify-chain / render`);
      const validate = await gw('validate', 'gateway.yaml');
      const verify = await gw('verify-chain', 'gateway.yaml');
      const render = await gw('render', 'gateway.yaml', '--out', 'gwctl');
      for (const [what, m] of [
        ['validate', validate],
        ['verify-chain', verify],
        ['render', render],
      ] as const) {
        if (m.exitCode !== 0)
          throw new Error(`gwctl ${what} failed (exit ${m.exitCode}) on ${c.name}:\n${m.output.slice(0, 2000)}`);
      }
      const row: Row = { c, validate, verify, render, nginx: {}, withoutLua: {} };
      const layouts: ('gwctl' | Layout)[] = [
        'gwctl',
        'plain-http',
        'per-host-servers',
        ...(c.naiveTls && c.routes <= NAIVE_TLS_MAX_ROUTES ? ['naive-tls' as const] : []),
      ];
      for (const layout of layouts) {
        const dir = layout === 'gwctl' ? join(g.dir, 'gwctl') : writeLayout(g, layout);
        log(`${c.name}: nginx -t ${layout}`);
        const m = await measureMedian(5, nginx, ['-p', dir, '-c', 'nginx.conf', '-e', 'logs/error.log', '-t'], {
          timeoutMs: NGINX_TIMEOUT_MS,
        });
        if (m.exitCode !== 0 && !m.timedOut)
          throw new Error(`nginx -t failed on ${layout} for ${c.name}:\n${m.output.slice(-2000)}`);
        const contexts = (readFileSync(join(dir, 'nginx.conf'), 'utf8').match(/proxy_ssl_trusted_certificate /g) ?? [])
          .length;
        row.nginx[layout] = { ...m, contexts };
      }
      if (c.target) {
        // The same two configurations without the Lua module gwctl loads for flavor: nginx, whose
        // per-location cost is large: shows the TLS overhead against a leaner baseline.
        for (const layout of ['gwctl', 'plain-http'] as const) {
          const from = layout === 'gwctl' ? join(g.dir, 'gwctl') : join(g.dir, layout);
          const dir = `${from}-without-lua`;
          cpSync(from, dir, { recursive: true });
          writeFileSync(
            join(dir, 'nginx.conf'),
            readFileSync(join(dir, 'nginx.conf'), 'utf8').replace(/^load_module .*\n/gm, ''),
          );
          log(`${c.name}: nginx -t ${layout} without the Lua module`);
          row.withoutLua[layout] = await measureMedian(
            5,
            nginx,
            ['-p', dir, '-c', 'nginx.conf', '-e', 'logs/error.log', '-t'],
            { timeoutMs: NGINX_TIMEOUT_MS },
          );
        }
      }
      rows.push(row);
      log(`${c.name}: done`);
    }
  } finally {
    if (!args.has('--keep')) rmSync(base, { recursive: true, force: true });
  }

  const report = format(rows, machine);
  process.stdout.write(`\n${report}\n`);
  if (!args.has('--no-docs') && !args.has('--quick') && only === undefined) writeDoc(report);
}

function cell(m: Measurement | undefined, note?: string): string {
  if (!m) return note ?? 'n/a';
  if (m.timedOut) return `> ${NGINX_TIMEOUT_MS / 1000} s (killed)`;
  return `${m.seconds < 10 ? m.seconds.toFixed(2) : m.seconds.toFixed(0)} s / ${m.peakMiB.toFixed(0)} MiB`;
}

function nginxCell(m: (Measurement & { contexts: number }) | undefined, note?: string): string {
  return m ? `${cell(m)} (${m.contexts})` : (note ?? 'n/a');
}

function format(rows: Row[], machine: ReturnType<typeof describeMachine>): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const lines = [
    `Machine: ${machine.nproc} × ${machine.cpu}, ${machine.memoryGiB} GiB RAM; nginx ${machine.nginx} with ${machine.openssl}; Node.js ${machine.node}; load average before the run ${machine.load}. Peak RSS: ${machine.peakRss}. Times are the median of 3 runs for gwctl and 5 for nginx -t (a single run above 5 s).`,
    '',
    "Each trust store is Debian's system bundle (/etc/ssl/certs/ca-certificates.crt) plus the root that signs its upstreams. Every route and upstream is TLS; 5 trust stores give 5 TLS profiles. Listeners: one plain and one TLS port. `nginx -t` cells: wall time / peak RSS (number of SSL contexts that load a trust store).",
    '',
    '| case | routes | upstreams | hosts | gwctl validate | gwctl verify-chain | gwctl render | nginx -t: gwctl output | nginx -t: plain http | nginx -t: previous layout (server per host) | nginx -t: naive TLS (location per route) |',
    '| --- | ---: | ---: | ---: | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.c.name} | ${n(r.c.routes)} | ${n(r.c.upstreams)} | ${r.c.hosts} | ${cell(r.validate)} | ${cell(r.verify)} | ${cell(r.render)} | ${nginxCell(r.nginx.gwctl)} | ${cell(r.nginx['plain-http'])} | ${nginxCell(r.nginx['per-host-servers'])} | ${nginxCell(r.nginx['naive-tls'], r.c.naiveNote)} |`,
    ),
    '',
  ];
  for (const r of rows) {
    const gw = r.nginx.gwctl!;
    const plain = r.nginx['plain-http']!;
    const time = gw.seconds / plain.seconds;
    const memory = gw.peakMiB / plain.peakMiB;
    lines.push(
      `- ${r.c.name}: nginx -t on gwctl's output takes ${time.toFixed(2)}× the time and ${memory.toFixed(2)}× the peak memory of plain http; verify-chain ${((r.verify.seconds * 1000) / r.c.upstreams).toFixed(1)} ms per upstream (whole process); render ${r.render.seconds.toFixed(2)} s.`,
    );
    if (r.c.target) {
      const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
      lines.push(
        `  Target (nginx -t within 1.5× the time and peak memory of plain http; render under 2 s): time ${verdict(time <= 1.5)}, memory ${verdict(memory <= 1.5)}, render ${verdict(r.render.seconds < 2)}.`,
      );
      const a = r.withoutLua.gwctl;
      const b = r.withoutLua['plain-http'];
      if (a && b)
        lines.push(
          `  Without the Lua module (e.g. flavor openresty rendered for stock nginx): gwctl output ${cell(a)}, plain http ${cell(b)}: ${(a.seconds / b.seconds).toFixed(2)}× the time, ${(a.peakMiB / b.peakMiB).toFixed(2)}× the memory.`,
        );
    }
  }
  return lines.join('\n');
}

function writeDoc(report: string): void {
  if (!existsSync(DOC)) {
    log(`${DOC} does not exist: not written`);
    return;
  }
  const doc = readFileSync(DOC, 'utf8');
  const a = doc.indexOf(BEGIN);
  const b = doc.indexOf(END);
  if (a < 0 || b < a) {
    log(`${DOC} has no bench markers: not written`);
    return;
  }
  writeFileSync(DOC, `${doc.slice(0, a + BEGIN.length)}\n${report}\n${doc.slice(b)}`);
  log(`wrote the results into ${DOC}`);
}

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`[bench] failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
