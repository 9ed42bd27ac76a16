import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The test oracle: the system's libcrypto (OpenSSL 3.0 on Debian 12, nginx's runtime) run with
 * nginx's upstream verification profile by the small C program beside this file. Compiled with
 * `cc ... -lcrypto` on first use into a cache directory keyed by the source's hash.
 */

export interface ReferenceResult {
  /** Set when OpenSSL refused to load the trusted file or the chain (nginx would not start / the handshake would fail). */
  loadError?: 'trusted' | 'chain' | 'crl';
  /** X509_verify_cert()'s return value. */
  ret: number;
  /** X509_STORE_CTX_get_error(): what nginx logs as (CODE:REASON). */
  error: number;
  reason: string;
  errorDepth: number;
  /** Every (error, depth) the verify callback saw, in order. */
  seen: [number, number][];
  /** Subjects of the built chain, RFC 2253. */
  chain: string[];
  /** SHA-256 fingerprints of the built chain. */
  fingerprints: string[];
  /** X509_check_host() result when error == 0 and a name was given; -99 when not run. */
  host: number;
}

/** The repository root: the nearest directory above this file holding package.json. */
export function repoRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'package.json'))) {
    const up = dirname(d);
    if (up === d)
      throw new Error('cannot find the repository root (package.json) above ' + fileURLToPath(import.meta.url));
    d = up;
  }
  return d;
}

let binary: string | undefined;

/** Path of the compiled reference program, compiling it if needed. */
export function referenceBinary(): string {
  if (binary) return binary;
  const source = join(repoRoot(), 'test', 'support', 'openssl-reference.c');
  const hash = createHash('sha256').update(readFileSync(source)).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), 'gwctl-openssl-reference');
  const out = join(dir, `openssl-reference-${hash}`);
  if (!existsSync(out)) {
    if (!existsSync('/usr/include/openssl/x509_vfy.h')) {
      throw new Error('the OpenSSL reference needs the OpenSSL headers: apt-get install -y libssl-dev');
    }
    mkdirSync(dir, { recursive: true });
    const tmp = `${out}.${process.pid}.tmp`;
    execFileSync('cc', ['-O1', '-o', tmp, source, '-lcrypto'], { stdio: ['ignore', 'pipe', 'pipe'] });
    renameSync(tmp, out); // atomic: parallel test files may compile at the same time
  }
  binary = out;
  return out;
}

export interface ReferenceRequest {
  /** PEM file with the trusted certificates (proxy_ssl_trusted_certificate). */
  trusted: string;
  /** PEM file with the presented chain, leaf first. */
  chain: string;
  depth: number;
  at: Date;
  name?: string;
  /** PEM file of CRLs (proxy_ssl_crl): loaded into the store with nginx's CRL_CHECK | CRL_CHECK_ALL flags. */
  crl?: string;
}

export function opensslVerify(r: ReferenceRequest): ReferenceResult {
  const args = [
    ...(r.crl !== undefined ? ['--crl', r.crl] : []),
    r.trusted,
    r.chain,
    String(r.depth),
    String(Math.floor(r.at.getTime() / 1000)),
  ];
  if (r.name !== undefined) args.push(r.name);
  return JSON.parse(execFileSync(referenceBinary(), args, { encoding: 'utf8' })) as ReferenceResult;
}

/** What nginx ends up with: null when the upstream verifies, else the code it logs (62 for a name mismatch). */
export function nginxCode(r: ReferenceResult): number | null | 'load-error' {
  if (r.loadError) return 'load-error';
  if (r.error !== 0) return r.error;
  return r.host === 1 || r.host === -99 ? null : 62;
}

/** X509_verify_cert_error_string() for every code, straight from libcrypto. */
export function opensslErrorStrings(): Record<string, string> {
  return JSON.parse(execFileSync(referenceBinary(), ['--strings'], { encoding: 'utf8' })) as Record<string, string>;
}

/** RSA_security_bits() for every modulus size from..to, from libcrypto. */
export function opensslRsaSecurityBits(from: number, to: number): Record<string, number> {
  return JSON.parse(
    execFileSync(referenceBinary(), ['--rsa-bits', String(from), String(to)], { encoding: 'utf8' }),
  ) as Record<string, number>;
}

/** OBJ_find_sigid_algs()' whole table: signature OID, digest and pkey short names. */
export function opensslSigids(): { oid: string; md: string; pk: string }[] {
  return JSON.parse(execFileSync(referenceBinary(), ['--sigids'], { encoding: 'utf8' })) as {
    oid: string;
    md: string;
    pk: string;
  }[];
}

/** X509_get_signature_info()'s security bits for each certificate of a PEM file (-1: cannot rate). */
export function opensslSignatureBits(file: string): number[] {
  return JSON.parse(execFileSync(referenceBinary(), ['--siginfo', file], { encoding: 'utf8' })) as number[];
}
