import { X509Certificate } from 'node:crypto';
import { parentPort } from 'node:worker_threads';

/**
 * A worker of x509-pool.ts: OpenSSL's verdict on each DER of a batch (the bytes packed one after
 * another, `ends` the end offset of each). Only refusals travel back; the objects stay here and
 * are dropped, so the main thread builds one only for a certificate it really uses.
 */
export interface Batch {
  id: number;
  bytes: ArrayBuffer;
  ends: Uint32Array;
}

export interface BatchResult {
  id: number;
  /** [index in the batch, OpenSSL's message] for each DER it refuses. */
  refused: [number, string][];
}

parentPort?.on('message', ({ id, bytes, ends }: Batch) => {
  const refused: [number, string][] = [];
  let start = 0;
  for (let i = 0; i < ends.length; i++) {
    try {
      new X509Certificate(Buffer.from(bytes, start, ends[i] - start));
    } catch (e) {
      refused.push([i, e instanceof Error ? e.message : String(e)]);
    }
    start = ends[i];
  }
  parentPort!.postMessage({ id, refused } satisfies BatchResult);
});
