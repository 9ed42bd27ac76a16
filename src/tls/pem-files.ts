import { realpathSync } from 'node:fs';
import { readRegularFile } from '../load/read-file.js';
import { MAX_PEM_BYTES, parsePem, type OtherBlock, type PemBlock, type PemKind, type PemProblem } from './pem.js';
import { finishTrustFileScan, scanTrustFile, type OpensslPemLoad, type TrustFileScan } from './openssl-pem.js';

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
  /**
   * Files read (and parsed as certificates) by readAhead(), not yet counted against the budget:
   * they count when read() first asks for them, in the order the loaders read, so reading ahead
   * never changes which file takes a run over it.
   */
  private readonly ahead = new Map<string, { data: Buffer; certificates?: PemResult }>();
  /** scanAhead()'s work, per real path, for the bytes it was done on. */
  private readonly scans = new Map<string, { data: Buffer; scan: TrustFileScan }>();
  private aheadBytes = 0;
  private bytesRead = 0;

  constructor(private readonly maxTotalBytes = MAX_PEM_TOTAL_BYTES) {}

  read(file: string, kind: PemKind): PemResult {
    const real = realPath(file);
    const key = `${kind}\u0000${real}`;
    let result = this.parsed.get(key);
    if (!result) {
      const early = this.ahead.get(real);
      const r = this.bytes(real);
      result =
        'data' in r
          ? kind === 'certificate' && early?.data === r.data && early.certificates
            ? early.certificates
            : parsePem(r.data, kind)
          : r;
      this.parsed.set(key, result);
    }
    return result;
  }

  /**
   * The certificate blocks of a file the run is about to read, for work done before the loaders
   * run (x509-pool.ts decoding a big store in parallel). Undefined when the file cannot be read
   * now or would take the bytes read ahead over the budget: the loaders then read it as usual.
   */
  readAhead(file: string): PemResult | undefined {
    const real = realPath(file);
    const known = this.parsed.get(`certificate\u0000${real}`);
    if (known) return known;
    let early = this.ahead.get(real);
    if (!early) {
      if (this.raw.has(real)) return this.read(file, 'certificate');
      const r = readRegularFile(real, Math.min(MAX_PEM_BYTES, this.maxTotalBytes - this.aheadBytes));
      if (!('data' in r)) return undefined;
      this.aheadBytes += r.data.length;
      early = { data: r.data };
      this.ahead.set(real, early);
    }
    early.certificates ??= parsePem(early.data, 'certificate');
    return early.certificates;
  }

  /**
   * The file as nginx's OpenSSL loads a trusted-certificate file (see openssl-pem.ts), from the
   * bytes already read; undefined when the file cannot be read at all (read() says why).
   * `crlProblem` checks CRL blocks (verify-chain passes the CRL reader; validate does not load it).
   */
  opensslLoad(file: string, crlProblem?: (der: Buffer) => string | null): OpensslPemLoad | undefined {
    const real = realPath(file);
    const kind = crlProblem ? 'crl' : '';
    const key = `${kind}\u0000${real}`;
    if (!this.openssl.has(key)) {
      const r = this.bytes(real);
      const early = this.scans.get(real);
      const scan = 'data' in r && early?.data === r.data ? early.scan : undefined;
      this.openssl.set(key, 'data' in r ? finishTrustFileScan(scan ?? scanTrustFile(r.data), crlProblem) : undefined);
    }
    return this.openssl.get(key);
  }

  /**
   * The part of opensslLoad() that needs no verdict of OpenSSL's on a certificate, for a file read
   * ahead: done now, while x509-pool.ts's workers decode, and kept for opensslLoad(), which still
   * counts the file's bytes when the loaders ask for it.
   */
  scanAhead(file: string): void {
    const real = realPath(file);
    const early = this.ahead.get(real);
    if (early && !this.scans.has(real)) this.scans.set(real, { data: early.data, scan: scanTrustFile(early.data) });
  }

  private bytes(file: string): { data: Buffer } | { problem: PemProblem } {
    let r = this.raw.get(file);
    if (!r) {
      const early = this.ahead.get(file);
      this.ahead.delete(file);
      if (early && early.data.length <= this.maxTotalBytes - this.bytesRead) {
        this.bytesRead += early.data.length;
        r = { data: early.data };
      } else r = this.readNew(file);
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
