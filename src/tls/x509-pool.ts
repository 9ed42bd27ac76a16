import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Batch, BatchResult } from './x509-worker.js';
import { derKey, hasVerdict, recordVerdict } from './x509-once.js';
import { packagePath } from '../package-root.js';

/** The compiled worker module: found from the package root, so the bundled CLI (dist/cli/) starts it too. */
export const WORKER_FILE = packagePath('dist', 'src', 'tls', 'x509-worker.js');

/**
 * Below this many certificates not yet decoded, OpenSSL's verdicts are left to the main thread
 * (x509-once.ts, on first use): starting workers costs tens of milliseconds, decoding a
 * certificate about 0.15 ms.
 */
export const POOL_MIN_CERTIFICATES = 2000;
/** Certificates per message: small enough to share the work evenly, large enough to cost little. */
const BATCH = 500;

/** What the pool did in this process (tests read it: the parallel path is taken, not timed). */
export const poolUse = { runs: 0, certificates: 0 };

export interface PoolOptions {
  /** Fewer undecoded certificates than this: nothing is done. */
  minimum: number;
  workers: number;
}

/** What the commands use; a test sets `minimum` to Infinity for the sequential path. */
export const poolDefaults: PoolOptions = { minimum: POOL_MIN_CERTIFICATES, workers: availableParallelism() };

/**
 * OpenSSL's verdict (x509-once.ts) on every DER, decoded by worker threads in parallel, before
 * the synchronous engine asks for them. Returns how many DERs the workers decoded (0 when there
 * were too few to be worth it). A worker that fails leaves its DERs to the main thread.
 */
export async function decodeVerdicts(ders: Iterable<Buffer>, opts: Partial<PoolOptions> = {}): Promise<number> {
  const keys: string[] = [];
  const todo: Buffer[] = [];
  const seen = new Set<string>();
  for (const der of ders) {
    const key = derKey(der);
    if (hasVerdict(key) || seen.has(key)) continue;
    seen.add(key);
    keys.push(key);
    todo.push(der);
  }
  if (todo.length === 0 || todo.length < (opts.minimum ?? poolDefaults.minimum)) return 0;
  const batches: Batch[] = [];
  const batchKeys: string[][] = [];
  for (let at = 0; at < todo.length; at += BATCH) {
    const slice = todo.slice(at, at + BATCH);
    const ends = new Uint32Array(slice.length);
    let size = 0;
    slice.forEach((der, i) => {
      size += der.length;
      ends[i] = size;
    });
    const bytes = new Uint8Array(size);
    slice.forEach((der, i) => bytes.set(der, i === 0 ? 0 : ends[i - 1]));
    batches.push({ id: batches.length, bytes: bytes.buffer, ends });
    batchKeys.push(keys.slice(at, at + BATCH));
  }
  const count = Math.max(1, Math.min(opts.workers ?? poolDefaults.workers, batches.length));
  let next = 0;
  let decoded = 0;
  const work = (): Promise<void> =>
    new Promise((resolve) => {
      // No execArgv of the main thread (an --input-type, say, would stop the worker from starting).
      const worker = new Worker(WORKER_FILE, { execArgv: [] });
      const send = (): void => {
        const batch = batches[next++];
        if (batch) worker.postMessage(batch, [batch.bytes, batch.ends.buffer as ArrayBuffer]);
        else void worker.terminate().then(() => resolve());
      };
      worker.on('message', ({ id, refused }: BatchResult) => {
        const mine = batchKeys[id];
        const why = new Map(refused);
        mine.forEach((k, i) => recordVerdict(k, why.get(i) ?? null));
        decoded += mine.length;
        send();
      });
      // The DERs it held are decoded on the main thread when used, as for a small store.
      worker.on('error', () => resolve());
      worker.on('exit', () => resolve());
      send();
    });
  await Promise.all(Array.from({ length: count }, work));
  poolUse.runs++;
  poolUse.certificates += decoded;
  return decoded;
}
