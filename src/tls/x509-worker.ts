import { X509Certificate } from 'node:crypto';

/**
 * A worker process of x509-pool.ts: OpenSSL's verdict on each DER of a batch (the bytes packed
 * one after another, `ends` the end offset of each). Only refusals travel back; the objects stay
 * here and are dropped, so the main process builds one only for a certificate it really uses.
 * A process rather than a thread: OpenSSL 3.0 decoding in two threads of one process is slower
 * than in one (its locks), in two processes twice as fast (docs/benchmark.md).
 */
export interface Batch {
  id: number;
  bytes: Uint8Array;
  ends: Uint32Array;
}

export interface BatchResult {
  id: number;
  /** [index in the batch, OpenSSL's message] for each DER it refuses. */
  refused: [number, string][];
}

function decodeBatch({ id, bytes, ends }: Batch): BatchResult {
  const refused: [number, string][] = [];
  const all = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let start = 0;
  for (let i = 0; i < ends.length; i++) {
    try {
      new X509Certificate(all.subarray(start, ends[i]));
    } catch (e) {
      refused.push([i, e instanceof Error ? e.message : String(e)]);
    }
    start = ends[i];
  }
  return { id, refused };
}

// Started by fork() (an IPC channel): answer each batch; the channel's end is this process's end.
// Batches are taken off the pipe as they come and decoded one per turn of the event loop, so the
// sender's writes complete while the previous batch is still being decoded.
if (process.send) {
  const waiting: Batch[] = [];
  const decodeOne = (): void => {
    const batch = waiting.shift();
    if (!batch) return;
    process.send!(decodeBatch(batch));
    if (waiting.length) setImmediate(decodeOne);
  };
  process.on('message', (batch: Batch) => {
    if (waiting.push(batch) === 1) setImmediate(decodeOne);
  });
}
