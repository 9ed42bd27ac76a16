/**
 * `npm run bench`: what gwctl's commands cost against their comparisons (issue 14), measured
 * interleaved in one run: every round runs every command once, so a busy moment of the machine
 * slows both sides of a ratio. Prints min and median and the ratios the targets are set on.
 * Inputs are generated once into .bench/cache/ (gitignored). Everything runs locally; nothing
 * is sent over any network. Options:
 *   --rounds N      rounds (default 5; the slow cases run fewer, see `rounds` below)
 *   --only TEXT     only the commands whose id contains TEXT (and node -e 0); no docs written
 *   --no-naive      skip nginx -t of the per-location layout (about 40 s)
 *   --profile       also run each gwctl command once under node --cpu-prof and summarise it
 *   --profile-only  only that (with --write-docs: only the profiles section is rewritten)
 *   --write-docs    write the figures (and profiles) into docs/benchmark.md
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nginxBinary } from '../test/support/nginx.js';
import { describeMachine } from './machine.js';
import { hasGnuTime, measure, type Measurement } from './measure.js';
import { summariseProfile } from './profile.js';
import { CHAINS, STORE_CERTS, type SpeedInputs, speedInputs } from './speed-inputs.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(REPO, 'bin/gwctl.js');
/** The same CLI from dist/src, for profiles that name modules (bench/unbundled-cli.ts). */
const UNBUNDLED = fileURLToPath(new URL('./unbundled-cli.js', import.meta.url));
const EXAMPLE = join(REPO, 'examples/mtls-upstream/gateway.yaml');
const DOC = join(REPO, 'docs/benchmark.md');
const RUN = join(REPO, '.bench/run');

interface Command {
  id: string;
  label: string;
  argv: string[];
  /** At most this many rounds (slow cases). */
  rounds?: number;
  /** Stop repeating once one run took longer than this. */
  repeatUnderS?: number;
  timeoutMs?: number;
  /** Run under node --cpu-prof with --profile. */
  profile?: boolean;
}

interface Samples {
  cmd: Command;
  runs: Measurement[];
}

interface Comparison {
  what: string;
  /** Ratio of a's time over b's (or b's over a's when `inverse`: a rate). */
  a: string;
  b: string;
  target?: { op: '<=' | '>='; value: number };
  inverse?: boolean;
  note?: string;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function commands(inp: SpeedInputs, nginx: string): Command[] {
  const node = process.execPath;
  const gw = (...a: string[]) => [node, BIN, ...a];
  const nginxT = (dir: string) => [nginx, '-p', dir, '-c', 'nginx.conf', '-e', 'logs/error.log', '-t'];
  return [
    { id: 'node', label: 'node -e 0', argv: [node, '-e', '0'] },
    { id: 'validate', label: 'gwctl validate (example)', argv: gw('validate', EXAMPLE), profile: true },
    { id: 'verify', label: 'gwctl verify-chain (example)', argv: gw('verify-chain', EXAMPLE), profile: true },
    {
      id: 'render-2k',
      label: 'gwctl render, 2,000 routes, 50 TLS upstreams, 5 × 145-CA stores',
      argv: gw('render', inp.tls2k.spec, '--out', join(RUN, 'render-2k')),
      profile: true,
    },
    {
      id: 'render-plain-2k',
      label: 'gwctl render, the same routes over plain http',
      argv: gw('render', inp.plain2k.spec, '--out', join(RUN, 'render-plain-2k')),
    },
    {
      id: 'render-10k',
      label: 'gwctl render, 10,000 routes (same upstreams and stores)',
      argv: gw('render', inp.tls10k.spec, '--out', join(RUN, 'render-10k')),
      rounds: 3,
    },
    {
      id: 'render-20k',
      label: 'gwctl render, 20,000 routes (same upstreams and stores)',
      argv: gw('render', inp.tls20k.spec, '--out', join(RUN, 'render-20k')),
      rounds: 3,
      profile: true,
    },
    {
      id: 'verify-1k',
      label: `gwctl verify-chain, ${CHAINS.toLocaleString('en-US')} upstreams (leaf + intermediate each)`,
      argv: gw('verify-chain', inp.chains.spec),
      rounds: 3,
      profile: true,
    },
    {
      id: 'openssl-1k',
      label: `openssl verify, the same ${CHAINS.toLocaleString('en-US')} leaves in one process`,
      argv: [
        'openssl',
        'verify',
        '-CAfile',
        inp.chains.roots,
        '-untrusted',
        inp.chains.intermediates,
        '-purpose',
        'sslserver',
        ...inp.chains.leaves,
      ],
      rounds: 3,
    },
    {
      id: 'validate-50k',
      label: `gwctl validate, trust store of ${STORE_CERTS.toLocaleString('en-US')} certificates`,
      argv: gw('validate', inp.store.spec),
      rounds: 3,
      repeatUnderS: 30,
      timeoutMs: 180_000,
      profile: true,
    },
    {
      id: 'verify-50k',
      label: `gwctl verify-chain against ${STORE_CERTS.toLocaleString('en-US')} certificates`,
      argv: gw('verify-chain', inp.store.spec),
      rounds: 3,
      repeatUnderS: 30,
      timeoutMs: 180_000,
      profile: true,
    },
    {
      id: 'nginx-gwctl',
      label: "nginx -t, gwctl's output at 2,000 TLS routes",
      argv: nginxT(join(RUN, 'nginx-gwctl')),
    },
    { id: 'nginx-plain', label: 'nginx -t, the same routes over plain http', argv: nginxT(inp.nginxPlainDir) },
    ...(process.argv.includes('--no-naive')
      ? []
      : [
          {
            id: 'nginx-naive',
            label: 'nginx -t, per-location TLS layout (a location with proxy_ssl_* per route)',
            argv: nginxT(inp.nginxNaiveDir),
            rounds: 1,
            timeoutMs: 300_000,
          },
        ]),
  ];
}

const COMPARISONS: Comparison[] = [
  { what: 'validate (example) / node -e 0', a: 'validate', b: 'node', target: { op: '<=', value: 2 } },
  { what: 'verify-chain (example) / node -e 0', a: 'verify', b: 'node', target: { op: '<=', value: 2.5 } },
  { what: 'render 2,000 TLS routes / node -e 0', a: 'render-2k', b: 'node', target: { op: '<=', value: 7 } },
  {
    what: 'render 2,000 TLS routes / same routes over plain http',
    a: 'render-2k',
    b: 'render-plain-2k',
    target: { op: '<=', value: 1.5 },
  },
  {
    what: 'render 20,000 routes / 2,000 routes (10× the routes)',
    a: 'render-20k',
    b: 'render-2k',
    target: { op: '<=', value: 10 },
    note: 'linear: at most 10×',
  },
  {
    what: 'render 10,000 routes / 2,000 routes (5× the routes)',
    a: 'render-10k',
    b: 'render-2k',
    note: 'linear: at most 5×',
  },
  {
    what: `chain verification rate: gwctl / openssl verify (${CHAINS.toLocaleString('en-US')} chains, one process each)`,
    a: 'verify-1k',
    b: 'openssl-1k',
    inverse: true,
    target: { op: '>=', value: 1 },
  },
  { what: "nginx -t: gwctl's output / plain http (2,000 routes)", a: 'nginx-gwctl', b: 'nginx-plain' },
  { what: 'nginx -t: per-location layout / plain http (2,000 routes)', a: 'nginx-naive', b: 'nginx-plain' },
];

function median(values: number[]): number {
  const s = [...values].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function stats(runs: Measurement[]): { min: number; median: number; cpu?: number; peakMiB: number } {
  const cpu = runs.flatMap((r) => (r.cpuSeconds === undefined ? [] : [r.cpuSeconds]));
  return {
    min: Math.min(...runs.map((r) => r.seconds)),
    median: median(runs.map((r) => r.seconds)),
    cpu: cpu.length ? median(cpu) : undefined,
    peakMiB: Math.max(...runs.map((r) => r.peakMiB)),
  };
}

async function main(): Promise<void> {
  const rounds = Number(arg('--rounds') ?? 5);
  const only = arg('--only');
  const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);
  const nginx = nginxBinary();
  const inputs = await speedInputs(REPO, log);
  rmSync(RUN, { recursive: true, force: true });
  mkdirSync(RUN, { recursive: true });
  const render = spawnSync(process.execPath, [BIN, 'render', inputs.tls2k.spec, '--out', join(RUN, 'nginx-gwctl')], {
    encoding: 'utf8',
  });
  if (render.status !== 0) throw new Error(`render of the 2,000-route spec failed:\n${render.stderr}`);
  const machine = describeMachine(nginx, hasGnuTime() ? 'GNU time (wait4 ru_maxrss)' : '/proc VmHWM sampled');
  const all = commands(inputs, nginx).filter((c) => !only || c.id === 'node' || c.id.includes(only));
  if (process.argv.includes('--profile-only')) {
    const profiles = profileAll(all, log);
    if (process.argv.includes('--write-docs') && !only) writeSection('profiles', profiles);
    return;
  }
  const samples: Samples[] = all.map((cmd) => ({ cmd, runs: [] }));
  const loads: number[] = [loadavg()[0]];
  for (let round = 0; round < rounds; round++) {
    // Rotate the order each round so no command always follows the same one.
    const order = samples.map((_, i) => samples[(i + round) % samples.length]);
    for (const s of order) {
      if (s.runs.length >= (s.cmd.rounds ?? rounds)) continue;
      if (s.runs.some((r) => r.timedOut || r.seconds > (s.cmd.repeatUnderS ?? Number.POSITIVE_INFINITY))) continue;
      const m = await measure(s.cmd.argv[0], s.cmd.argv.slice(1), { cwd: REPO, timeoutMs: s.cmd.timeoutMs ?? 120_000 });
      if (m.exitCode !== 0 && !m.timedOut)
        throw new Error(`${s.cmd.label} exited with ${m.exitCode}:\n${m.output.slice(-3000)}`);
      s.runs.push(m);
    }
    loads.push(loadavg()[0]);
    log(`round ${round + 1}/${rounds} done (load ${loadavg()[0].toFixed(2)})`);
  }

  const byId = new Map(samples.map((s) => [s.cmd.id, s]));
  const fmt = (s: number) => (s < 10 ? s.toFixed(3) : s.toFixed(1));
  const lines: string[] = [
    `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machine.nproc} × ${machine.cpu}, ${machine.memoryGiB} GiB; Node.js ${machine.node}, nginx ${machine.nginx}, ${machine.openssl}. ${rounds} rounds, each command once per round, interleaved (slow cases fewer rounds). Peak memory: ${machine.peakRss}. 1-minute load average during the run: ${loads.map((l) => l.toFixed(1)).join(', ')} (the machine was shared with other jobs: ratios and minimums are the figures to read).`,
    '',
    '| comparison | wall time: ratio of medians | wall time: ratio of minimums | CPU time (user + system): ratio of medians | target | verdict (wall medians) |',
    '| --- | ---: | ---: | ---: | --- | --- |',
  ];
  for (const c of COMPARISONS) {
    const a = byId.get(c.a);
    const b = byId.get(c.b);
    if (!a?.runs.length || !b?.runs.length) continue;
    const sa = stats(a.runs);
    const sb = stats(b.runs);
    const timedOut = a.runs.some((r) => r.timedOut);
    const ratio = (x: number, y: number) => (c.inverse ? y / x : x / y);
    const rm = ratio(sa.median, sb.median);
    const rmin = ratio(sa.min, sb.min);
    const rcpu = sa.cpu !== undefined && sb.cpu ? `${ratio(sa.cpu, sb.cpu).toFixed(2)}×` : '';
    const met =
      c.target && !timedOut ? (c.target.op === '<=' ? rm <= c.target.value : rm >= c.target.value) : undefined;
    lines.push(
      `| ${c.what} | ${timedOut ? 'timed out' : `${rm.toFixed(2)}×`} | ${timedOut ? '' : `${rmin.toFixed(2)}×`} | ${timedOut ? '' : rcpu} | ${c.target ? `${c.target.op === '<=' ? '≤' : '≥'} ${c.target.value}×` : (c.note ?? '')} | ${met === undefined ? '' : met ? 'met' : '**not met**'} |`,
    );
  }
  const absolute = (id: string, limitS: number, what: string) => {
    const s = byId.get(id);
    if (!s?.runs.length) return;
    const st = stats(s.runs);
    const timedOut = s.runs.some((r) => r.timedOut);
    lines.push(
      `| ${what} | ${timedOut ? 'timed out' : `${fmt(st.median)} s`} | ${timedOut ? '' : `${fmt(st.min)} s`} | ${st.cpu === undefined || timedOut ? '' : `${fmt(st.cpu)} s CPU`} | < ${limitS} s | ${!timedOut && st.median < limitS ? 'met' : '**not met**'} |`,
    );
  };
  absolute(
    'validate-50k',
    5,
    `validate with a ${STORE_CERTS.toLocaleString('en-US')}-certificate trust store (${(inputs.store.bytes / 2 ** 20).toFixed(1)} MiB)`,
  );
  absolute('verify-50k', 5, `verify-chain against the ${STORE_CERTS.toLocaleString('en-US')}-certificate trust store`);
  const r20 = byId.get('render-20k');
  if (r20?.runs.length) {
    const peak = stats(r20.runs).peakMiB;
    lines.push(
      `| peak memory of render at 20,000 routes | ${peak.toFixed(0)} MiB | | | ≤ 250 MB (238 MiB) | ${peak <= 250e6 / 2 ** 20 ? 'met' : '**not met**'} |`,
    );
  }
  lines.push(
    '',
    '| command | runs | min s | median s | median CPU s | peak MiB |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const s of samples) {
    if (!s.runs.length) continue;
    const st = stats(s.runs);
    const timedOut = s.runs.some((r) => r.timedOut);
    lines.push(
      `| ${s.cmd.label} | ${s.runs.length} | ${fmt(st.min)} | ${timedOut ? `> ${(s.cmd.timeoutMs ?? 0) / 1000} (killed)` : fmt(st.median)} | ${st.cpu === undefined ? '' : fmt(st.cpu)} | ${st.peakMiB.toFixed(0)} |`,
    );
  }
  const figures = lines.join('\n');
  process.stdout.write(`\n${figures}\n`);

  let profiles: string | undefined;
  if (process.argv.includes('--profile')) profiles = profileAll(all, log);
  if (process.argv.includes('--write-docs') && !only) {
    writeSection('figures', figures);
    if (profiles) writeSection('profiles', profiles);
    log(`wrote ${DOC}`);
  }
}

/** Each gwctl command once under node --cpu-prof: self time by package and by function. */
function profileAll(cmds: Command[], log: (m: string) => void): string {
  const out: string[] = [];
  for (const c of cmds.filter((x) => x.profile)) {
    const dir = join(RUN, 'profiles', c.id);
    rmSync(dir, { recursive: true, force: true });
    log(`profiling ${c.label}`);
    const argv = c.argv.map((a) => (a === BIN ? UNBUNDLED : a));
    const r = spawnSync(argv[0], ['--cpu-prof', '--cpu-prof-dir', dir, ...argv.slice(1)], {
      cwd: REPO,
      stdio: 'ignore',
      timeout: c.timeoutMs ?? 120_000,
    });
    const file = existsSync(dir) ? readdirSync(dir).find((f) => f.endsWith('.cpuprofile')) : undefined;
    if (r.status !== 0 || !file) {
      out.push(`### ${c.label}`, '', `no profile (exit ${r.status}${r.signal ? `, ${r.signal}` : ''})`, '');
      continue;
    }
    const p = summariseProfile(join(dir, file), REPO);
    const row = ([k, ms]: [string, number]) =>
      `| ${ms.toFixed(1)} | ${((ms / p.totalMs) * 100).toFixed(0)}% | \`${k}\` |`;
    out.push(
      `### ${c.label}`,
      '',
      `${p.totalMs.toFixed(0)} ms sampled. Self time by where the code lives:`,
      '',
      '| ms | share | where |',
      '| ---: | ---: | --- |',
      ...p.groups.slice(0, 8).map(row),
      '',
      'Top functions by self time:',
      '',
      '| ms | share | function |',
      '| ---: | ---: | --- |',
      ...p.functions.slice(0, 10).map(row),
      '',
    );
  }
  const text = out.join('\n');
  process.stdout.write(`\n${text}\n`);
  return text;
}

function writeSection(name: string, text: string): void {
  const begin = `<!-- bench:${name}:begin (written by npm run bench -- --write-docs) -->`;
  const end = `<!-- bench:${name}:end -->`;
  const doc = readFileSync(DOC, 'utf8');
  const a = doc.indexOf(begin);
  const b = doc.indexOf(end);
  if (a < 0 || b < a) throw new Error(`${DOC}: markers ${begin} … ${end} not found`);
  writeFileSync(DOC, `${doc.slice(0, a + begin.length)}\n${text}\n${doc.slice(b)}`);
}

main().catch((e: unknown) => {
  process.stderr.write(`[bench] failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
