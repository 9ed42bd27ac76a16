import { DerArena } from './der-arena.js';

/** Largest PEM file gwctl reads: a big public CA bundle is ~250 KB. */
export const MAX_PEM_BYTES = 16 * 1024 * 1024;

export type PemKind = 'certificate' | 'key' | 'crl';

export interface PemBlock {
  label: string;
  der: Buffer;
  /** 1-based line of the BEGIN marker in its file. */
  line: number;
  /** The block's own text, normalised to LF (used to hand keys to OpenSSL untouched). */
  text: string;
}

/** A block of another kind than the one asked for (kept so callers can flag, say, a key in a CA bundle). */
export interface OtherBlock {
  label: string;
  line: number;
}

export interface PemProblem {
  code: string;
  message: string;
  line?: number;
}

const LABELS: Record<PemKind, RegExp> = {
  certificate: /^(CERTIFICATE|TRUSTED CERTIFICATE|X509 CERTIFICATE)$/,
  key: /^(PRIVATE KEY|ENCRYPTED PRIVATE KEY|RSA PRIVATE KEY|EC PRIVATE KEY|DSA PRIVATE KEY)$/,
  crl: /^X509 CRL$/,
};

const KIND_WORDS: Record<PemKind, string> = { certificate: 'a certificate', key: 'a private key', crl: 'a CRL' };

/** Reads a file and returns its PEM blocks of the wanted kind, or the one problem that stops it. */
export function parsePem(
  data: Buffer,
  kind: PemKind,
): { blocks: PemBlock[]; others?: OtherBlock[] } | { problem: PemProblem } {
  if (data.length === 0)
    return { problem: { code: 'pem.empty', message: `is empty; expected ${KIND_WORDS[kind]} in PEM format` } };
  // DER starts with an ASN.1 SEQUENCE tag; never echo binary content back to the user.
  if (data[0] === 0x30 && !data.includes('-----BEGIN')) {
    const hint =
      kind === 'certificate'
        ? 'openssl x509 -inform der -in FILE -out FILE.pem'
        : kind === 'crl'
          ? 'openssl crl -inform der -in FILE -out FILE.pem'
          : 'openssl pkey -inform der -in FILE -out FILE.pem';
    return {
      problem: {
        code: 'pem.der',
        message: `is DER (binary), not PEM; nginx reads PEM only: convert it with \`${hint}\``,
      },
    };
  }
  const text = data.toString('latin1').replace(/\r\n?/g, '\n');
  const blocks: PemBlock[] = [];
  const others: OtherBlock[] = [];
  const begin = /^-----BEGIN ([A-Z0-9 ]+)-----[ \t]*$/gm;
  let m: RegExpExecArray | null;
  const lineOf = lineCounter(text);
  const arena = new DerArena(text.length);
  while ((m = begin.exec(text))) {
    const label = m[1];
    const line = lineOf(m.index);
    const endMarker = `-----END ${label}-----`;
    const endAt = text.indexOf(endMarker, m.index);
    const nextBegin = text.indexOf('-----BEGIN ', m.index + m[0].length);
    if (endAt < 0 || (nextBegin >= 0 && nextBegin < endAt)) {
      return {
        problem: {
          code: 'pem.truncated',
          message: `has a "BEGIN ${label}" at line ${line} with no matching END: the file is truncated or corrupt`,
          line,
        },
      };
    }
    if (!LABELS[kind].test(label)) {
      others.push({ label, line });
      begin.lastIndex = endAt + endMarker.length;
      continue;
    }
    const body = text.slice(m.index + m[0].length, endAt);
    const base64 = base64Of(body);
    if (base64 === null) {
      return {
        problem: {
          code: 'pem.bad-base64',
          message: `has a "BEGIN ${label}" block at line ${line} that is not valid base64`,
          line,
        },
      };
    }
    // The decoder skips the line breaks, spaces and tabs base64Of() left in.
    const der = arena.base64(base64);
    const trailing = kind === 'key' ? 0 : trailingBytes(der, label);
    if (trailing > 0)
      return {
        problem: {
          code: 'pem.trailing-data',
          message: `has a "BEGIN ${label}" block at line ${line} whose data goes on for ${trailing} byte(s) after the ${kind === 'crl' ? 'CRL' : 'certificate'} ends (another object, a private key, say, hidden inside it): OpenSSL ignores them, but a block must hold exactly one ${kind === 'crl' ? 'CRL' : 'certificate'}; re-export it (\`openssl ${kind === 'crl' ? 'crl' : 'x509'} -in FILE -out FILE.pem\`)`,
          line,
        },
      };
    blocks.push({ label, der, line, text: text.slice(m.index, endAt + endMarker.length) + '\n' });
    begin.lastIndex = endAt + endMarker.length;
  }
  if (blocks.length === 0) {
    if (others.length > 0) {
      const found = [...new Set(others.map((o) => o.label.toLowerCase()))].join(', ');
      return { problem: { code: 'pem.wrong-kind', message: `holds ${found} PEM block(s), not ${KIND_WORDS[kind]}` } };
    }
    return {
      problem: {
        code: 'pem.none',
        message: `holds no PEM ${kind === 'key' ? 'private key' : kind === 'crl' ? 'CRL' : 'certificate'} (no "-----BEGIN" line)`,
      },
    };
  }
  return others.length ? { blocks, others } : { blocks };
}

/**
 * Bytes after the DER object a certificate or CRL block holds (0 when none, or when its length
 * cannot be read: the parsers then report the block). A TRUSTED CERTIFICATE block legitimately
 * carries one more object, its trust settings (X509_CERT_AUX), and nothing after that. Without
 * this, bytes after the object (which OpenSSL's d2i ignores) would be re-encoded into tls/.
 */
function trailingBytes(der: Buffer, label: string): number {
  // An indefinite (BER) length leaves the end to a parse gwctl does not do: no certificate needs one.
  if (der.length >= 2 && der[1] === 0x80) return der.length;
  let end = derElementEnd(der, 0);
  if (end === undefined) return 0;
  if (label === 'TRUSTED CERTIFICATE' && end < der.length) end = derElementEnd(der, end) ?? der.length;
  return der.length - end;
}

/** The offset just past the DER element at `at` (definite lengths only), or undefined. */
export function derElementEnd(der: Buffer, at: number): number | undefined {
  if (at + 2 > der.length || (der[at] & 0x1f) === 0x1f) return undefined; // multi-byte tags: none in these objects
  const first = der[at + 1];
  if (first < 0x80) return at + 2 + first;
  const n = first & 0x7f;
  if (n === 0 || n > 4 || at + 2 + n > der.length) return undefined; // indefinite (BER) or absurd
  let length = 0;
  for (let i = 0; i < n; i++) length = length * 256 + der[at + 2 + i];
  const end = at + 2 + n + length;
  return end <= der.length ? end : undefined;
}

/**
 * A block's base64, or null when it is not base64: '=' padding only at the end (at most two),
 * spaces, tabs and line breaks anywhere (returned as they are: Buffer.from() skips them), no
 * data at all is not base64. Lines of encapsulated headers (Proc-Type/DEK-Info, legacy encrypted
 * keys) are dropped first; a body without ':' has none and is checked in one pass, not per line.
 */
function base64Of(body: string): string | null {
  const base64 = body.includes(':')
    ? body
        .split('\n')
        .filter((l) => !/^[A-Za-z-]+:/.test(l))
        .join('\n')
    : body;
  return /^[A-Za-z0-9+/ \t\n]*(?:=[ \t\n]*){0,2}$/.test(base64) && /[^ \t\n]/.test(base64) ? base64 : null;
}

/** Line numbers for increasing offsets, counted incrementally (bundles hold hundreds of blocks). */
function lineCounter(text: string): (offset: number) => number {
  let line = 1;
  let at = 0;
  return (offset) => {
    for (let nl = text.indexOf('\n', at); nl >= 0 && nl < offset; nl = text.indexOf('\n', nl + 1)) line++;
    at = Math.max(at, offset);
    return line;
  };
}
