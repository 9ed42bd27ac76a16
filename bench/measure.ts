import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

export interface Measurement {
  /** Wall-clock seconds. */
  seconds: number;
  /** Peak resident set size in MiB. */
  peakMiB: number;
  /** User + system CPU seconds of the command (GNU time; undefined without it): steadier than wall time on a busy machine. */
  cpuSeconds?: number;
  exitCode: number | null;
  /** Killed after the time limit. */
  timedOut: boolean;
  output: string;
}

const GNU_TIME = '/usr/bin/time';

/** Whether GNU time is there to report the peak RSS (wait4's ru_maxrss) of a child. */
export function hasGnuTime(): boolean {
  return existsSync(GNU_TIME) && spawnSync(GNU_TIME, ['-f', '%M', 'true'], { encoding: 'utf8' }).status === 0;
}

/**
 * Runs a command once and measures wall time and peak RSS: with GNU time when installed (exact),
 * otherwise by sampling /proc/<pid>/status VmHWM every few milliseconds (exact for processes
 * that live longer than a sample interval, a lower bound otherwise).
 */
export async function measure(
  cmd: string,
  args: string[],
  opts: { cwd?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<Measurement> {
  const useTime = hasGnuTimeCached();
  const argv = useTime ? [GNU_TIME, '-f', 'GWCTL_BENCH_MAXRSS_KB=%M %U %S', cmd, ...args] : [cmd, ...args];
  const start = process.hrtime.bigint();
  const child = spawn(argv[0], argv.slice(1), {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so a timeout kills the command too, not only GNU time around it.
    detached: true,
  });
  let output = '';
  child.stdout.on('data', (d) => {
    output += String(d);
  });
  child.stderr.on('data', (d) => {
    output += String(d);
  });
  let sampledKb = 0;
  const sample = () => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) sampledKb = Math.max(sampledKb, Number(m[1]));
    } catch {
      /* exited */
    }
  };
  const sampler = useTime ? undefined : setInterval(sample, 5);
  let timedOut = false;
  const timer = opts.timeoutMs
    ? setTimeout(() => {
        timedOut = true;
        try {
          process.kill(-(child.pid as number), 'SIGKILL');
        } catch {
          child.kill('SIGKILL');
        }
      }, opts.timeoutMs)
    : undefined;
  const exitCode = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (sampler) clearInterval(sampler);
  if (timer) clearTimeout(timer);
  let kb = sampledKb;
  const m = /GWCTL_BENCH_MAXRSS_KB=(\d+) ([\d.]+) ([\d.]+)/.exec(output);
  let cpuSeconds: number | undefined;
  if (m) {
    kb = Number(m[1]);
    cpuSeconds = Number(m[2]) + Number(m[3]);
    output = output.replace(/GWCTL_BENCH_MAXRSS_KB=[\d. ]+\n?/, '');
  }
  return { seconds, peakMiB: kb / 1024, cpuSeconds, exitCode, timedOut, output };
}

let gnuTime: boolean | undefined;
function hasGnuTimeCached(): boolean {
  gnuTime ??= hasGnuTime();
  return gnuTime;
}

/** Median of `runs` measurements (fast commands are noisy); stops early on failure. */
export async function measureMedian(
  runs: number,
  cmd: string,
  args: string[],
  opts: Parameters<typeof measure>[2] = {},
): Promise<Measurement> {
  const all: Measurement[] = [];
  for (let i = 0; i < runs; i++) {
    const m = await measure(cmd, args, opts);
    all.push(m);
    if (m.exitCode !== 0 || m.timedOut || m.seconds > 5) break;
  }
  all.sort((a, b) => a.seconds - b.seconds);
  const mid = all[Math.floor((all.length - 1) / 2)];
  return { ...mid, peakMiB: Math.max(...all.map((m) => m.peakMiB)) };
}
