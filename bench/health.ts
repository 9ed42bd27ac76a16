/**
 * `npm run bench:health`: what active health checks cost the gateway. 200 TLS upstreams × 3 peers
 * (600 real TLS servers on loopback, verified with a trust store, checked every second), against
 * the same gateway without health checks. Measures, over a window after warm-up, the CPU time of
 * nginx's worker processes (utime + stime from /proc) and their resident memory, and counts the
 * checks the peers received. Options:
 *   --upstreams N   (default 200)   --peers N (default 3)   --seconds N (window, default 20)
 *   --timeout-ms N  the checks' timeout (default 500)   --warmup N (seconds before the window, default 15)
 *   --write-docs    also write the table into docs/health-checks-benchmark.md
 */
import { readFileSync, readdirSync, writeFileSync, mkdtempSync } from 'node:fs';
import { fork, type ChildProcess } from 'node:child_process';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main as gwctl } from '../src/cli.js';
import { nginxBinary, startNginx } from '../test/support/nginx.js';
import { freePort } from '../test/support/ports.js';
import { makePki } from '../test/support/pki.js';
import { describeMachine } from './machine.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const DOC = join(REPO, 'docs/health-checks-benchmark.md');
const BEGIN = '<!-- bench:health:begin (written by npm run bench:health -- --write-docs) -->';
const END = '<!-- bench:health:end -->';
const TICK = 100; // clock ticks per second of /proc/PID/stat times on Linux

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

/** The worker processes of an nginx master. */
function workers(master: number): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        return Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]) === master;
      } catch {
        return false;
      }
    })
    .map(Number);
}

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICK; // utime, stime
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

interface Result {
  mode: string;
  workerCpuPercent: number;
  workerRssMiB: number;
  checksPerSecond: number;
  handshakesPerSecond: number;
}

async function measure(
  mode: string,
  dir: string,
  spec: string,
  count: () => { checks: number; handshakes: number },
  seconds: number,
  warmup: number,
): Promise<Result> {
  writeFileSync(join(dir, `${mode}.yaml`), spec);
  const r = await gwctl(['render', `${mode}.yaml`, '--out', mode], { cwd: dir, color: false });
  if (r.exitCode !== 0) throw new Error(`render ${mode}: ${r.stderr}`);
  const port = Number(/port: (\d+)/.exec(spec)![1]);
  const nginx = await startNginx(join(dir, mode), port);
  try {
    const master = Number(readFileSync(join(dir, mode, 'logs/nginx.pid'), 'utf8'));
    await new Promise((resolve) => setTimeout(resolve, warmup * 1000));
    const pids = workers(master);
    const cpu0 = pids.reduce((s, p) => s + cpuSeconds(p), 0);
    const count0 = count();
    const t0 = Date.now();
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    const elapsed = (Date.now() - t0) / 1000;
    const cpu = pids.reduce((s, p) => s + cpuSeconds(p), 0) - cpu0;
    return {
      mode,
      workerCpuPercent: (cpu / elapsed) * 100,
      workerRssMiB: pids.reduce((s, p) => s + rssMiB(p), 0),
      checksPerSecond: (count().checks - count0.checks) / elapsed,
      handshakesPerSecond: (count().handshakes - count0.handshakes) / elapsed,
    };
  } finally {
    await nginx.stop();
  }
}

async function main(): Promise<void> {
  const upstreams = arg('--upstreams', 200);
  const peers = arg('--peers', 3);
  const seconds = arg('--seconds', 20);
  const timeout = `${arg('--timeout-ms', 500)}ms`;
  const dir = mkdtempSync(join(tmpdir(), 'gwctl-bench-health-'));
  const pki = await makePki(join(dir, 'pki'));
  const root = pki.root('Bench Root CA');
  const issuing = pki.intermediate(root, 'Bench Issuing CA');
  // ECDSA keys: the 600 peers share one Node process, whose RSA handshakes would be the bottleneck
  const leaf = pki.leaf(issuing, { cn: 'peers.internal', dns: ['peers.internal'], key: 'ec-p256' });

  // Peers in child processes (bench/health-peers.ts), so their handshakes use every core.
  const totals = new Map<number, { checks: number; handshakes: number }>();
  const ports: number[] = [];
  for (let i = 0; i < upstreams * peers; i++) ports.push(await freePort());
  const processes = Math.max(1, cpus().length * 2);
  const children: ChildProcess[] = [];
  for (let k = 0; k < processes; k++) {
    const mine = ports.filter((_, i) => i % processes === k);
    const child = fork(fileURLToPath(new URL('./health-peers.js', import.meta.url)), [
      leaf.chain,
      leaf.key,
      ...mine.map(String),
    ]);
    child.on('message', (m) => totals.set(k, m as { checks: number; handshakes: number }));
    children.push(child);
  }
  const count = () => {
    let checks = 0;
    let handshakes = 0;
    for (const t of totals.values()) {
      checks += t.checks;
      handshakes += t.handshakes;
    }
    return { checks, handshakes };
  };
  await new Promise((resolve) => setTimeout(resolve, 1000));

  const spec = (withChecks: boolean, gateway: number, status: number) => {
    const lines = [
      'version: 1',
      'runtime: { flavor: nginx }',
      `listen: [{ port: ${gateway}, address: 127.0.0.1 }]`,
      ...(withChecks ? [`status: { port: ${status} }`] : []),
      `trustStores: { internal: { certificates: ["${root.cert}"] } }`,
      'upstreams:',
    ];
    for (let u = 0; u < upstreams; u++) {
      const own = ports.slice(u * peers, (u + 1) * peers).map((p) => `"127.0.0.1:${p}"`);
      lines.push(`  u${u}:`, `    servers: [${own.join(', ')}]`);
      if (withChecks) lines.push(`    healthCheck: { path: /healthz, interval: 1s, timeout: ${timeout} }`);
      lines.push('    tls: { trustStore: internal, serverName: peers.internal, verifyDepth: 1 }');
    }
    lines.push('routes:');
    for (let u = 0; u < upstreams; u++) lines.push(`  - { path: /u${u}/, upstream: u${u} }`);
    return `${lines.join('\n')}\n`;
  };

  const results: Result[] = [];
  try {
    results.push(
      await measure('without', dir, spec(false, await freePort(), 0), count, seconds, 3),
      await measure('with', dir, spec(true, await freePort(), await freePort()), count, seconds, arg('--warmup', 15)),
    );
  } finally {
    for (const c of children) c.kill();
  }

  const peak = (process.resourceUsage().maxRSS / 1024).toFixed(0);
  const machine = describeMachine(nginxBinary(), `${peak} MiB (bench process)`);
  const [without, withChecks] = results;
  const table = [
    `${upstreams} TLS upstreams × ${peers} peers (${upstreams * peers} checks per second due: interval 1s, timeout ${timeout}, verify on), ${seconds} s window:`,
    '',
    '| gateway | worker CPU (% of one core) | worker RSS (MiB, all workers) | checks/s received by the peers | TLS handshakes/s |',
    '| --- | --- | --- | --- | --- |',
    ...results.map(
      (r) =>
        `| ${r.mode} health checks | ${r.workerCpuPercent.toFixed(1)} | ${r.workerRssMiB.toFixed(1)} | ${r.checksPerSecond.toFixed(0)} | ${r.handshakesPerSecond.toFixed(0)} |`,
    ),
    '',
    `Health checks add ${(withChecks.workerCpuPercent - without.workerCpuPercent).toFixed(1)} percentage points of one core and ${(withChecks.workerRssMiB - without.workerRssMiB).toFixed(1)} MiB of worker memory; per check ${(((withChecks.workerCpuPercent - without.workerCpuPercent) / 100 / Math.max(withChecks.checksPerSecond, 1)) * 1e6).toFixed(0)} µs of worker CPU.`,
    '',
    `Machine: ${machine.nproc} CPUs (${machine.cpu}), ${machine.memoryGiB} GiB, nginx ${machine.nginx}, ${machine.openssl}, Node ${machine.node}, load average ${machine.load} at start.`,
  ].join('\n');
  console.log(table);
  if (process.argv.includes('--write-docs')) {
    const doc = readFileSync(DOC, 'utf8');
    const a = doc.indexOf(BEGIN);
    const b = doc.indexOf(END);
    if (a < 0 || b < a) throw new Error(`${DOC} has no bench markers`);
    writeFileSync(DOC, `${doc.slice(0, a + BEGIN.length)}\n${table}\n${doc.slice(b)}`);
  }
}

await main();
