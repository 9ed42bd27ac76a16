import { availableParallelism } from 'node:os';
import { type ChildProcess, fork } from 'node:child_process';
import type { Batch, BatchResult } from './x509-worker.js';
import { derKey, hasVerdict, recordVerdict } from './x509-once.js';
import { packagePath } from '../package-root.js';

/** The compiled worker module: found from the package root, so the bundled CLI (dist/cli/) starts it too. */
export const WORKER_FILE = packagePath('dist', 'src', 'tls', 'x509-worker.js');

/**
 * Below this many certificates not yet decoded, OpenSSL's verdicts are left to the main process
 * (x509-once.ts, on first use): starting a worker process costs some 50 ms, decoding a
 * certificate about 0.13 ms.
 */
export const POOL_MIN_CERTIFICATES = 2000;
/** Certificates per message: small enough to share the work evenly, large enough to cost little. */
const BATCH = 500;
/**
 * Batches each worker holds, sent and written to its pipe: about half a second of work, so that
 * it goes on decoding while this process reads a big file or runs `meanwhile` (no message
 * moves while this process's JavaScript runs).
 */
const DEPTH = 8;

/** What the pool did in this process (tests read it: the parallel path is taken, not timed). */
export const poolUse = { runs: 0, certificates: 0, workers: 0 };

export interface PoolOptions {
  /** Fewer undecoded certificates than this: nothing is done. */
  minimum: number;
  workers: number;
}

/** What the commands use; a test sets `minimum` to Infinity for the sequential path. */
export const poolDefaults: PoolOptions = { minimum: POOL_MIN_CERTIFICATES, workers: availableParallelism() };

/**
 * OpenSSL's verdict (x509-once.ts) on every DER, decoded by worker processes in parallel, before
 * the synchronous engine asks for them. Processes, not threads: OpenSSL 3.0's locks make two
 * threads of one process decode slower than one (docs/benchmark.md). The DERs are sent as they
 * are read (`ders` may read files lazily), so the workers decode the first file while this
 * process reads the next. Returns how many DERs the workers decoded (0 when there were fewer
 * than `minimum`: nothing is started). A worker that fails leaves its DERs to this process,
 * which decodes each when it is used, as for a small store. `meanwhile`: work of this process
 * that needs no verdict, done while the workers decode.
 */
export async function decodeVerdicts(
  ders: Iterable<Buffer>,
  opts: Partial<PoolOptions> = {},
  meanwhile?: () => void,
): Promise<number> {
  const minimum = opts.minimum ?? poolDefaults.minimum;
  const workerCount = Math.max(1, opts.workers ?? poolDefaults.workers);
  const seen = new Set<string>();
  // Undecoded DERs not yet in a batch: held back until there are `minimum` of them.
  let held: { der: Buffer; key: string }[] = [];
  let total = 0;
  const queue: { batch?: Batch; keys: string[] }[] = [];
  let pool: Pool | undefined;
  const flush = (): void => {
    for (let at = 0; at < held.length; at += BATCH) queue.push(batchOf(held.slice(at, at + BATCH), queue.length));
    held = [];
  };
  try {
    for (const der of ders) {
      const key = derKey(der);
      if (hasVerdict(key) || seen.has(key)) continue;
      seen.add(key);
      held.push({ der, key });
      total++;
      if (total >= minimum && held.length >= BATCH) {
        flush();
        pool ??= new Pool(workerCount, queue);
        void pool.feed();
        // Let the pipes carry the batches while the next DERs are read.
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    if (total === 0 || total < minimum) return 0;
    flush();
    pool ??= new Pool(workerCount, queue);
    pool.ended = true;
    if (meanwhile) {
      // Every worker holds its batches before this process's JavaScript stops the pipes.
      await pool.feed();
      meanwhile();
    }
    const decoded = await pool.finish();
    poolUse.runs++;
    poolUse.certificates += decoded;
    return decoded;
  } catch (e) {
    // The workers must not outlive a failed read: their channels would keep this process alive.
    pool?.stop();
    throw e;
  }
}

function batchOf(items: { der: Buffer; key: string }[], id: number): { batch: Batch; keys: string[] } {
  const ends = new Uint32Array(items.length);
  let size = 0;
  items.forEach(({ der }, i) => {
    size += der.length;
    ends[i] = size;
  });
  const bytes = new Uint8Array(size);
  items.forEach(({ der }, i) => bytes.set(der, i === 0 ? 0 : ends[i - 1]));
  return { batch: { id, bytes, ends }, keys: items.map((i) => i.key) };
}

/** At most this many worker processes, whatever the machine's cores (each is a Node.js of some 40 MB). */
const MAX_WORKERS = 8;
/** A worker that holds batches and answers none for this long is stopped; its DERs are decoded here. */
const STALL_MS = 60_000;

interface Worker {
  process: ChildProcess;
  inFlight: number;
  gone: boolean;
  stall?: NodeJS.Timeout;
}

/**
 * Worker processes taking batches from a queue that may still grow, DEPTH in flight each; no more
 * workers than batches so far. A worker that cannot start, fails or stalls is let go: what it held
 * unanswered gets no verdict here and is decoded in this process when used.
 */
class Pool {
  private next = 0;
  /** The queue is final: a worker with nothing left in flight is let go. */
  ended = false;
  decoded = 0;
  private writing: Promise<void>[] = [];
  private readonly workers: Worker[] = [];
  private readonly done: Promise<void>[] = [];
  private readonly count: number;

  constructor(
    count: number,
    private readonly queue: { batch?: Batch; keys: string[] }[],
  ) {
    this.count = Math.min(count, MAX_WORKERS);
  }

  private start(): void {
    const worker: Worker = { process: undefined as unknown as ChildProcess, inFlight: 0, gone: true };
    this.workers.push(worker);
    let child: ChildProcess;
    try {
      // The same Node.js, hence the same OpenSSL; none of this process's flags (an --input-type or
      // --cpu-prof would change what the worker does). Its stderr is not gwctl's output.
      child = fork(WORKER_FILE, [], {
        execArgv: [],
        serialization: 'advanced',
        stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
      });
    } catch {
      return;
    }
    worker.process = child;
    // Out of file descriptors, fork() returns a process without a channel, and says why in an
    // 'error' event.
    if (typeof child.send !== 'function') {
      child.on('error', () => {});
      kill(child);
      return;
    }
    poolUse.workers++;
    worker.gone = false;
    child.on('message', ({ id, refused }: BatchResult) => {
      const keys = this.queue[id].keys;
      const why = new Map(refused);
      keys.forEach((k, i) => recordVerdict(k, why.get(i) ?? null));
      this.decoded += keys.length;
      worker.inFlight--;
      this.watch(worker, true);
      void this.feed();
    });
    this.done.push(
      new Promise((resolve) => {
        const gone = () => {
          worker.gone = true;
          clearTimeout(worker.stall);
          resolve();
        };
        child.on('error', gone);
        child.on('exit', gone);
      }),
    );
  }

  /** A worker with batches in flight must answer within STALL_MS of its last answer (`answered`: it just did). */
  private watch(worker: Worker, answered: boolean): void {
    if (answered || worker.inFlight === 0) {
      clearTimeout(worker.stall);
      worker.stall = undefined;
    }
    if (worker.inFlight > 0 && !worker.gone && !worker.stall) {
      worker.stall = setTimeout(() => kill(worker.process), STALL_MS);
      worker.stall.unref();
    }
  }

  /**
   * Gives each worker batches up to DEPTH in flight; once the queue is final and empty, lets
   * them end. Resolves when what was sent is written to the pipes.
   */
  feed(): Promise<void> {
    while (this.workers.length < this.count && this.workers.length < this.queue.length) this.start();
    for (const w of this.workers) {
      if (w.gone) continue;
      while (w.inFlight < DEPTH && this.next < this.queue.length) {
        const item = this.queue[this.next++];
        const batch = item.batch!;
        item.batch = undefined; // its bytes are the worker's now
        w.inFlight++;
        // A failed write is the worker's end ('exit' or 'error'), seen above.
        this.writing.push(
          new Promise((resolve) => {
            try {
              w.process.send(batch, () => resolve());
            } catch {
              kill(w.process);
              resolve();
            }
          }),
        );
      }
      this.watch(w, false);
      if (this.ended && w.inFlight === 0 && w.process.connected) w.process.disconnect();
    }
    const written = Promise.all(this.writing).then(() => undefined);
    this.writing = [];
    return written;
  }

  async finish(): Promise<number> {
    void this.feed();
    await Promise.all(this.done);
    return this.decoded;
  }

  /** Ends every worker now (the run failed). */
  stop(): void {
    for (const w of this.workers) if (!w.gone) kill(w.process);
  }
}

/**
 * SIGKILL to a worker that started. A process that never started has no pid, and killing it
 * would signal pid 0: this process's whole group.
 */
function kill(child: ChildProcess): void {
  if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}
