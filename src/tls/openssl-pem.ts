import { createPrivateKey } from 'node:crypto';
import { DerArena } from './der-arena.js';
import { sha256, x509Verdict } from './x509-once.js';

/**
 * How OpenSSL 3.0 reads a PEM file of trusted certificates: X509_load_cert_crl_file() →
 * PEM_X509_INFO_read_bio() → PEM_read_bio_ex() (crypto/pem/pem_lib.c, pem_info.c) and
 * EVP_DecodeUpdate() (crypto/evp/encode.c). nginx loads proxy_ssl_trusted_certificate this way
 * and refuses to start when it fails, which it does on files gwctl's own reader forgives.
 */
export interface OpensslPemBlock {
  name: string;
  der: Buffer;
  /** 1-based line of the BEGIN line. */
  line: number;
}

export interface OpensslPemLoad {
  blocks: OpensslPemBlock[];
  /** Why SSL_CTX_load_verify_locations() fails, as OpenSSL words it, and where. */
  error?: { reason: string; line: number };
  /** Reading stopped at a line starting with a NUL byte (BIO_gets() sees an empty read): what follows is ignored. */
  stoppedAtLine?: number;
}

/**
 * BIO_gets(bp, buf, 255) on a file BIO: fgets() of up to 254 bytes, then strlen(). The line is
 * left as offsets into the file (no copy per line: a big bundle has hundreds of thousands).
 */
class Lines {
  private at = 0;
  /** The next NUL byte at or after `at` (Infinity: none), found once rather than per line. */
  private nul = -1;
  line = 1;
  /** The last line read: data[start, end), and whether it filled the 254-byte buffer. */
  start = 0;
  end = 0;
  partial = false;
  constructor(private readonly data: Buffer) {}
  next(): boolean {
    const { data } = this;
    if (this.at >= data.length) return false;
    const nl = data.indexOf(10, this.at);
    const end = Math.min(nl < 0 ? data.length : nl + 1, this.at + 254);
    this.start = this.at;
    this.at = end;
    if (data[end - 1] === 10) this.line++;
    if (this.nul < this.start) {
      const n = data.indexOf(0, this.start);
      this.nul = n < 0 ? Number.POSITIVE_INFINITY : n;
    }
    this.end = Math.min(end, this.nul);
    if (this.end === this.start) return false;
    this.partial = this.end - this.start === 254 && data[this.end - 1] !== 10;
    return true;
  }
  /** The last line ends with a newline (before any NUL). */
  get endsLine(): boolean {
    return this.data[this.end - 1] === 10;
  }
  get rest(): boolean {
    return this.at < this.data.length;
  }
}

/**
 * sanitize_line() with PEM_FLAG_EAY_COMPATIBLE: trailing bytes <= ' ' (signed char, so 0x80+ too)
 * go, and '\n' is added. Here: where the line's content (without that '\n') ends.
 */
function contentEnd(data: Buffer, from: number, end: number): number {
  let to = end;
  while (to > from && (data[to - 1] <= 0x20 || data[to - 1] >= 0x80)) to--;
  return to;
}

/** The UTF-8 byte order mark sanitize_line() drops from the first line of the file. */
function bomLength(data: Buffer, start: number, end: number): number {
  return end - start > 3 && data[start] === 0xef && data[start + 1] === 0xbb && data[start + 2] === 0xbf ? 3 : 0;
}

function hasColon(data: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (data[i] === 0x3a) return true;
  return false;
}

/** Per byte: 1 base64 (including '='), 2 whitespace EVP_DecodeUpdate() skips, 3 '-' (end of data), 0 anything else. */
const CLASS = new Uint8Array(256);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=') CLASS[c.charCodeAt(0)] = 1;
for (const c of ' \t\n\r') CLASS[c.charCodeAt(0)] = 2;
CLASS['-'.charCodeAt(0)] = 3;

/**
 * EVP_DecodeUpdate() and EVP_DecodeFinal() over data[ranges[0], ranges[1]), data[ranges[2],
 * ranges[3]) ... (the block's sanitised lines, each followed by the '\n' sanitize_line() adds,
 * which the decoder skips as it skips any whitespace). Decoding 64 characters at a time, OpenSSL
 * fails on a character outside base64 and whitespace, on data after '=' padding or more than two
 * '=', and at the end on characters that do not make whole groups of four; a '-' ends the data.
 * Nothing else can fail, so the characters are gathered and decoded at once.
 */
function evpDecodeRanges(data: Buffer, ranges: number[], arena: DerArena): Buffer | null {
  let size = 0;
  for (let r = 0; r < ranges.length; r += 2) size += ranges[r + 1] - ranges[r];
  if (scratch.length < size) scratch = Buffer.allocUnsafeSlow(Math.max(size, 2 * scratch.length));
  const chars = scratch;
  let n = 0;
  let eof = 0;
  scan: for (let r = 0; r < ranges.length; r += 2) {
    for (let i = ranges[r]; i < ranges[r + 1]; i++) {
      const code = data[i];
      const kind = CLASS[code];
      if (kind === 0) return null;
      if (code === 0x3d) eof++;
      else if (eof > 0 && kind === 1) return null; // data after padding
      if (eof > 2) return null;
      if (kind === 3) break scan;
      if (kind === 1) chars[n++] = code;
    }
  }
  // EVP_DecodeFinal(): what is left is not a whole number of quads.
  if (n % 4 !== 0) return null;
  return arena.base64(chars.toString('latin1', 0, n)).subarray(0, (n / 4) * 3 - eof);
}

/** evpDecodeRanges()'s gathered characters: one buffer for the run, not one per block. */
let scratch = Buffer.alloc(0);

const BEGIN = Buffer.from('-----BEGIN ', 'latin1');
const END = Buffer.from('-----END ', 'latin1');
const DASHES = Buffer.from('-----', 'latin1');

function startsWith(data: Buffer, from: number, to: number, prefix: Buffer): boolean {
  return to - from >= prefix.length && data.compare(prefix, 0, prefix.length, from, from + prefix.length) === 0;
}

interface RawBlock {
  name: string;
  header: string;
  /** The data lines, as offsets [from, to) pairs of their sanitised content. */
  data: number[];
  line: number;
}

/** PEM_read_bio_ex(): the next block, null at the end (no BEGIN line), or an error. */
function readBlock(lines: Lines, data: Buffer, first: { v: boolean }): RawBlock | null | { reason: string } {
  let name = '';
  let begin = 0;
  for (;;) {
    if (!lines.next()) return null;
    begin = lines.line - (lines.endsLine ? 1 : 0);
    const from = lines.start + (first.v ? bomLength(data, lines.start, lines.end) : 0);
    const to = contentEnd(data, from, lines.end);
    first.v = false;
    if (
      startsWith(data, from, to, BEGIN) &&
      data.compare(DASHES, 0, DASHES.length, to - DASHES.length, to) === 0 &&
      to - from >= BEGIN.length + DASHES.length
    ) {
      name = data.toString('latin1', from + BEGIN.length, to - DASHES.length);
      break;
    }
  }
  // The lines of each part, as [from, to) pairs of their content; each stands for that content and '\n'.
  let header: number[] = [];
  let body: number[] = [];
  let state: 'maybe' | 'in' | 'post' = 'maybe';
  let partial = false;
  let end = false;
  const endLine = Buffer.from(`-----END ${name}-----`, 'latin1');
  for (;;) {
    if (!lines.next()) return { reason: 'short header' };
    const prevPartial = partial;
    partial = lines.partial;
    if (state === 'maybe' && hasColon(data, lines.start, lines.end)) state = 'in';
    const from = lines.start;
    const to = contentEnd(data, from, lines.end);
    if (from === to) {
      if (!prevPartial) {
        if (state === 'post') return { reason: 'bad end line' };
        state = 'post';
      }
      continue;
    }
    if (startsWith(data, from, to, END)) {
      if (to - from !== endLine.length || data.compare(endLine, 0, endLine.length, from, to) !== 0)
        return { reason: 'bad end line' };
      if (state === 'maybe') [header, body] = [[], header];
      break;
    } else if (end) return { reason: 'bad end line' };
    if (state === 'post') {
      body.push(from, to);
      // With its '\n', a data line holds at most 65 characters; a shorter one is the last.
      if (to - from + 1 > 65) return { reason: 'bad end line' };
      if (to - from + 1 < 65) end = true;
    } else header.push(from, to);
  }
  let headerText = '';
  for (let i = 0; i < header.length; i += 2) headerText += `${data.toString('latin1', header[i], header[i + 1])}\n`;
  return { name, header: headerText, data: body, line: begin };
}

/** X509_load_cert_crl_file(): the blocks OpenSSL loads from a trusted-certificate file, or why it refuses it. */
export function opensslLoadTrustFile(
  data: Buffer,
  crlProblem: (der: Buffer) => string | null = () => null,
): OpensslPemLoad {
  return finishTrustFileScan(scanTrustFile(data), crlProblem);
}

/**
 * A trust file read as OpenSSL reads it, up to the DER decoding of its blocks: the blocks still
 * to be decoded, in order, and how the reading ends if they all decode. It needs no verdict of
 * OpenSSL's on a certificate, so it can be done while x509-pool.ts's workers decode them.
 */
export interface TrustFileScan {
  toDecode: OpensslPemBlock[];
  end: Omit<OpensslPemLoad, 'blocks'>;
}

/** The first block OpenSSL's d2i refuses ends the file's loading there (the blocks before it loaded). */
export function finishTrustFileScan(
  scan: TrustFileScan,
  crlProblem: (der: Buffer) => string | null = () => null,
): OpensslPemLoad {
  const blocks: OpensslPemBlock[] = [];
  for (const b of scan.toDecode) {
    const why = d2iProblem(b.name, b.der) ?? (b.name === 'X509 CRL' ? crlProblem(b.der) : null);
    if (why) return { blocks, error: { reason: why, line: b.line } };
    if (CERTIFICATE_BLOCKS.includes(b.name)) blocks.push(b);
  }
  return { blocks, ...scan.end };
}

const CERTIFICATE_BLOCKS = ['CERTIFICATE', 'X509 CERTIFICATE', 'TRUSTED CERTIFICATE'];

export function scanTrustFile(data: Buffer): TrustFileScan {
  const lines = new Lines(data);
  const arena = new DerArena(data.length);
  const toDecode: OpensslPemBlock[] = [];
  const done = (end: TrustFileScan['end']): TrustFileScan => ({ toDecode, end });
  const first = { v: true };
  // Certificates and CRLs read, if every block decodes (one that does not ends the loading first).
  let loaded = 0;
  for (;;) {
    const startLine = lines.line;
    const r = readBlock(lines, data, first);
    if (r === null) {
      const stoppedAtLine = lines.rest ? lines.line : undefined;
      if (loaded === 0)
        return done({ error: { reason: 'no certificate or crl found', line: startLine }, stoppedAtLine });
      return done({ stoppedAtLine });
    }
    if ('reason' in r) return done({ error: { reason: r.reason, line: lines.line } });
    const where = r.line;
    if (r.data.length === 0) return done({ error: { reason: `the ${r.name} block has no data`, line: where } });
    const der = evpDecodeRanges(data, r.data, arena);
    if (!der) return done({ error: { reason: 'bad base64 decode', line: where } });
    const cert = CERTIFICATE_BLOCKS.includes(r.name);
    const crl = r.name === 'X509 CRL';
    const key = r.name.includes('PRIVATE KEY');
    if (!cert && !crl && !key) continue; // unknown blocks are skipped, once their base64 decodes
    const raw = key && (r.header.length > 10 || r.name === 'ENCRYPTED PRIVATE KEY');
    // PEM_get_EVP_CIPHER_INFO(): any header must be "Proc-Type: 4,ENCRYPTED"; the loader has no password.
    if (r.header.length > 0 && r.header !== '\n') {
      if (!r.header.startsWith('Proc-Type: '))
        return done({
          error: {
            reason: `not proc type (inside the ${r.name} block, OpenSSL reads a line with ':' or the lines before a blank line as headers)`,
            line: where,
          },
        });
      if (!raw)
        return done({
          error: { reason: `an encrypted ${r.name} block, which the loader cannot decrypt`, line: where },
        });
    }
    if (raw) continue;
    toDecode.push({ name: r.name, der, line: where });
    if (cert || crl) loaded++;
  }
}

/**
 * Whether OpenSSL's d2i for the block's type reads its DER (d2i ignores bytes after the value).
 * CRLs are only told apart from non-SEQUENCEs here: the caller passes the CRL reader it has.
 */
function d2iProblem(name: string, der: Buffer): string | null {
  try {
    if (name === 'X509 CRL') {
      if (der[0] !== 0x30) throw new Error('bad object header');
      return null; // the structure itself is checked by the CRL reader (parseCrl) where CRLs are used
    }
    if (name.includes('PRIVATE KEY')) {
      const type = name === 'RSA PRIVATE KEY' ? 'pkcs1' : name === 'EC PRIVATE KEY' ? 'sec1' : 'pkcs8';
      createPrivateKey({ key: der, format: 'der', type });
      return null;
    }
    if (name === 'TRUSTED CERTIFICATE') return null; // d2i_X509_AUX: checked by the trust settings reader
    const refused = x509Verdict(der, sha256(der));
    return refused === null ? null : `ASN1 lib (the ${name} block does not decode: ${refused})`;
  } catch (e) {
    return `ASN1 lib (the ${name} block does not decode: ${(e as Error).message})`;
  }
}
