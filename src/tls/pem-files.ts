import { realpathSync } from 'node:fs';
import { readRegularFile } from '../load/read-file.js';
import { MAX_PEM_BYTES, parsePem, type OtherBlock, type PemBlock, type PemKind, type PemProblem } from './pem.js';
import { opensslLoadTrustFile, type OpensslPemLoad } from './openssl-pem.js';

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
  /** Bytes (or why they could not be read) per real path: a file is read once, whatever it is read as. */
  private readonly raw = new Map<string, { data: Buffer } | { problem: PemProblem }>();
  private readonly parsed = new Map<string, PemResult>();
  private readonly openssl = new Map<string, OpensslPemLoad | undefined>();
  private bytesRead = 0;

  constructor(private readonly maxTotalBytes = MAX_PEM_TOTAL_BYTES) {}

  read(file: string, kind: PemKind): PemResult {
    const real = realPath(file);
    const key = `${kind}\u0000${real}`;
    let result = this.parsed.get(key);
    if (!result) {
      const r = this.bytes(real);
      result = 'data' in r ? parsePem(r.data, kind) : r;
      this.parsed.set(key, result);
    }
    return result;
  }

  /**
   * The file as nginx's OpenSSL loads a trusted-certificate file (see openssl-pem.ts), from the
   * bytes already read; undefined when the file cannot be read at all (read() says why).
   * `crlProblem` checks CRL blocks (verify-chain passes the CRL reader; validate does not load it).
   */
  opensslLoad(file: string, crlProblem?: (der: Buffer) => string | null): OpensslPemLoad | undefined {
    const real = realPath(file);
    const key = `${crlProblem ? 'crl' : ''}\u0000${real}`;
    if (!this.openssl.has(key)) {
      const r = this.bytes(real);
      this.openssl.set(key, 'data' in r ? opensslLoadTrustFile(r.data, crlProblem) : undefined);
    }
    return this.openssl.get(key);
  }

  private bytes(file: string): { data: Buffer } | { problem: PemProblem } {
    let r = this.raw.get(file);
    if (!r) {
      r = this.readNew(file);
      this.raw.set(file, r);
    }
    return r;
  }

  private readNew(file: string): { data: Buffer } | { problem: PemProblem } {
    const left = this.maxTotalBytes - this.bytesRead;
    const r = readRegularFile(file, Math.min(MAX_PEM_BYTES, left));
    if ('data' in r) {
      this.bytesRead += r.data.length;
      return r;
    }
    const { code, message, size } = r.problem;
    if (code === 'file.too-large' && size !== undefined && size <= MAX_PEM_BYTES) {
      return {
        problem: {
          code: 'file.total-too-large',
          message: `is ${size} bytes, which would take the PEM files this run reads over ${this.maxTotalBytes} bytes (${this.bytesRead} read already): trust only the CAs the upstreams need`,
        },
      };
    }
    return { problem: { code, message } };
  }
}

/** The real path, so that `a.pem`, `./a.pem` and a link to it are one file; the path itself when it does not resolve (reading it then says why). */
function realPath(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}
