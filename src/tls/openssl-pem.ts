import { createPrivateKey } from 'node:crypto';
import { x509Of } from './x509-once.js';

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

/** BIO_gets(bp, buf, 255) on a file BIO: fgets() of up to 254 bytes, then strlen(). */
class Lines {
  private at = 0;
  line = 1;
  constructor(private readonly data: Buffer) {}
  next(): { text: Buffer; partial: boolean } | null {
    if (this.at >= this.data.length) return null;
    const nl = this.data.indexOf(10, this.at);
    const end = Math.min(nl < 0 ? this.data.length : nl + 1, this.at + 254);
    const chunk = this.data.subarray(this.at, end);
    this.at = end;
    if (chunk[chunk.length - 1] === 10) this.line++;
    const nul = chunk.indexOf(0);
    const text = nul < 0 ? chunk : chunk.subarray(0, nul);
    if (text.length === 0) return null;
    return { text, partial: text.length === 254 && text[253] !== 10 };
  }
  get rest(): boolean {
    return this.at < this.data.length;
  }
}

/** sanitize_line() with PEM_FLAG_EAY_COMPATIBLE: trailing bytes <= ' ' (signed char, so 0x80+ too) go, '\n' is added. */
function sanitize(b: Buffer, first: boolean): string {
  if (first && b.length > 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) b = b.subarray(3);
  let n = b.length;
  while (n > 0 && (b[n - 1] <= 0x20 || b[n - 1] >= 0x80)) n--;
  return b.subarray(0, n).toString('latin1') + '\n';
}

/** Per byte: 1 base64 (including '='), 2 whitespace EVP_DecodeUpdate() skips, 3 '-' (end of data), 0 anything else. */
const CLASS = new Uint8Array(256);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=') CLASS[c.charCodeAt(0)] = 1;
for (const c of ' \t\n\r') CLASS[c.charCodeAt(0)] = 2;
CLASS['-'.charCodeAt(0)] = 3;

/** EVP_DecodeUpdate() over the whole body, then EVP_DecodeFinal(); null where OpenSSL fails. */
export function evpDecode(body: string): Buffer | null {
  const out: Buffer[] = [];
  let block = '';
  let eof = 0;
  let seof = false;
  const flush = (): boolean => {
    const bytes = Buffer.from(block, 'base64');
    const decoded = (block.length / 4) * 3;
    if (eof > decoded) return false;
    out.push(bytes.subarray(0, decoded - eof));
    block = '';
    return true;
  };
  for (let i = 0; i < body.length; i++) {
    const code = body.charCodeAt(i);
    const kind = code < 256 ? CLASS[code] : 0;
    if (kind === 0) return null;
    if (code === 0x3d) eof++;
    else if (eof > 0 && kind === 1) return null; // data after padding
    if (eof > 2) return null;
    if (kind === 3) {
      seof = true;
      break;
    }
    if (kind !== 1) continue;
    block += body[i];
    if (block.length === 64 && !flush()) return null;
  }
  if (block.length > 0) {
    if (block.length % 4 === 0) {
      if (!flush()) return null;
    } else if (seof) return null;
  }
  // EVP_DecodeFinal(): what is left is not a whole number of quads.
  if (block.length % 4 !== 0) return null;
  return Buffer.concat(out);
}

/** PEM_read_bio_ex(): the next block, null at the end (no BEGIN line), or an error. */
function readBlock(
  lines: Lines,
  first: { v: boolean },
): { name: string; header: string; data: string; line: number } | null | { reason: string } {
  let name = '';
  let begin = 0;
  for (;;) {
    const l = lines.next();
    if (!l) return null;
    begin = lines.line - (l.text[l.text.length - 1] === 10 ? 1 : 0);
    const s = sanitize(l.text, first.v);
    first.v = false;
    if (s.startsWith('-----BEGIN ') && s.length >= 6 && s.endsWith('-----\n')) {
      name = s.slice(11, s.length - 6);
      break;
    }
  }
  let header = '';
  let data = '';
  let state: 'maybe' | 'in' | 'post' = 'maybe';
  let partial = false;
  let end = false;
  for (;;) {
    const l = lines.next();
    if (!l) return { reason: 'short header' };
    const prevPartial = partial;
    partial = l.partial;
    if (state === 'maybe' && l.text.includes(0x3a)) state = 'in';
    const s = sanitize(l.text, false);
    if (s === '\n') {
      if (!prevPartial) {
        if (state === 'post') return { reason: 'bad end line' };
        state = 'post';
      }
      continue;
    }
    if (s.startsWith('-----END ')) {
      if (!s.slice(9).startsWith(name) || !s.slice(9 + name.length).startsWith('-----\n'))
        return { reason: 'bad end line' };
      if (state === 'maybe') [header, data] = ['', header];
      break;
    } else if (end) return { reason: 'bad end line' };
    if (state === 'post') {
      data += s;
      if (s.length > 65) return { reason: 'bad end line' };
      if (s.length < 65) end = true;
    } else header += s;
  }
  return { name, header, data, line: begin };
}

/** X509_load_cert_crl_file(): the blocks OpenSSL loads from a trusted-certificate file, or why it refuses it. */
export function opensslLoadTrustFile(
  data: Buffer,
  crlProblem: (der: Buffer) => string | null = () => null,
): OpensslPemLoad {
  const lines = new Lines(data);
  const blocks: OpensslPemBlock[] = [];
  const first = { v: true };
  let loaded = 0;
  for (;;) {
    const startLine = lines.line;
    const r = readBlock(lines, first);
    if (r === null) {
      const stoppedAtLine = lines.rest ? lines.line : undefined;
      if (loaded === 0)
        return { blocks, error: { reason: 'no certificate or crl found', line: startLine }, stoppedAtLine };
      return { blocks, stoppedAtLine };
    }
    if ('reason' in r) return { blocks, error: { reason: r.reason, line: lines.line } };
    const where = r.line;
    if (r.data.length === 0) return { blocks, error: { reason: `the ${r.name} block has no data`, line: where } };
    const der = evpDecode(r.data);
    if (!der) return { blocks, error: { reason: 'bad base64 decode', line: where } };
    const cert = ['CERTIFICATE', 'X509 CERTIFICATE', 'TRUSTED CERTIFICATE'].includes(r.name);
    const crl = r.name === 'X509 CRL';
    const key = r.name.includes('PRIVATE KEY');
    if (!cert && !crl && !key) continue; // unknown blocks are skipped, once their base64 decodes
    const raw = key && (r.header.length > 10 || r.name === 'ENCRYPTED PRIVATE KEY');
    // PEM_get_EVP_CIPHER_INFO(): any header must be "Proc-Type: 4,ENCRYPTED"; the loader has no password.
    if (r.header.length > 0 && r.header !== '\n') {
      if (!r.header.startsWith('Proc-Type: '))
        return {
          blocks,
          error: {
            reason: `not proc type (inside the ${r.name} block, OpenSSL reads a line with ':' or the lines before a blank line as headers)`,
            line: where,
          },
        };
      if (!raw)
        return {
          blocks,
          error: { reason: `an encrypted ${r.name} block, which the loader cannot decrypt`, line: where },
        };
    }
    if (raw) continue;
    const why = d2iProblem(r.name, der) ?? (crl ? crlProblem(der) : null);
    if (why) return { blocks, error: { reason: why, line: where } };
    if (cert || crl) loaded++;
    if (cert) blocks.push({ name: r.name, der, line: where });
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
    const x509 = x509Of(der);
    if (x509 instanceof Error) throw x509;
    return null;
  } catch (e) {
    return `ASN1 lib (the ${name} block does not decode: ${(e as Error).message})`;
  }
}
