import { realpathSync } from 'node:fs';
import { readRegularFile } from '../load/read-file.js';
import { MAX_PEM_BYTES, parsePem, readPem, type OtherBlock, type PemBlock, type PemKind, type PemProblem } from './pem.js';

/**
 * All the PEM one run reads (certificates, keys, CRLs, over every spec of the run). Files are
 * small; this bound only stops a spec that names a big bundle many times, or many big bundles,
 * from taking minutes and gigabytes.
 */
export const MAX_PEM_TOTAL_BYTES = 32 * 1024 * 1024;

export type PemResult = { blocks: PemBlock[]; others?: OtherBlock[] } | { problem: PemProblem };

/**
 * PEM files for one run: each file (by its real path, so `a.pem`, `./a.pem` and a symlink are
 * one file) is read and parsed once, and every reference shares the same blocks.
 */
export class PemFiles {
  private readonly parsed = new Map<string, PemResult>();
  private bytesRead = 0;

  constructor(private readonly maxTotalBytes = MAX_PEM_TOTAL_BYTES) {}

  read(file: string, kind: PemKind): PemResult {
    let real: string;
    try {
      real = realpathSync(file);
    } catch {
      return readPem(file, kind); // missing or unreadable: readPem says which
    }
    const key = `${kind}\u0000${real}`;
    const hit = this.parsed.get(key);
    if (hit) return hit;
    const result = this.readNew(real, kind);
    this.parsed.set(key, result);
    return result;
  }

  private readNew(file: string, kind: PemKind): PemResult {
    const left = this.maxTotalBytes - this.bytesRead;
    const r = readRegularFile(file, Math.min(MAX_PEM_BYTES, left));
    if ('data' in r) {
      this.bytesRead += r.data.length;
      return parsePem(r.data, kind);
    }
    const { code, message, size } = r.problem;
    if (code === 'file.too-large' && size !== undefined && size <= MAX_PEM_BYTES) {
      return { problem: { code: 'file.total-too-large', message: `is ${size} bytes, which would take the PEM files this run reads over ${this.maxTotalBytes} bytes (${this.bytesRead} read already): trust only the CAs the upstreams need` } };
    }
    return { problem: { code, message } };
  }
}
