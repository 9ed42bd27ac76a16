import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';

export interface Machine {
  nproc: number;
  cpu: string;
  memoryGiB: number;
  nginx: string;
  openssl: string;
  node: string;
  peakRss: string;
  /** 1-minute load average when the bench started: other work on the machine skews the numbers. */
  load: string;
}

export function describeMachine(nginx: string, peakRss: string): Machine {
  const v = spawnSync(nginx, ['-V'], { encoding: 'utf8' });
  const text = `${v.stdout}${v.stderr}`;
  let cpu = cpus()[0]?.model ?? 'unknown';
  try {
    const m = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpu = m[1].trim();
  } catch {
    /* not Linux */
  }
  return {
    nproc: Number(spawnSync('nproc', { encoding: 'utf8' }).stdout.trim()) || cpus().length,
    cpu,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    nginx: /nginx version: (\S+)/.exec(text)?.[1] ?? 'unknown',
    openssl:
      /running with (OpenSSL [^)\s]+)/.exec(text)?.[1] ?? /built with (OpenSSL \S+)/.exec(text)?.[1] ?? 'unknown',
    node: process.version,
    peakRss,
    load: loadavg()[0].toFixed(2),
  };
}
