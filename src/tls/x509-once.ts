import { X509Certificate, createHash } from 'node:crypto';

/**
 * node:crypto's X509Certificate (OpenSSL's d2i_X509()) for some DER, once per run: the PEM
 * loaders, the trust-file replay (openssl-pem.ts) and the chain engine all need OpenSSL's reading
 * of the same certificates, and decoding one costs OpenSSL 3.0 about 0.1-0.3 ms (its key
 * decoders), the largest per-certificate cost of a big trust store. Keyed by the DER's SHA-256,
 * so copies of the same bytes (one file read two ways) share one decoding.
 */
const decoded = new Map<string, X509Certificate | Error>();

export function derKey(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('base64');
}

/** The certificate, or the Error OpenSSL refused it with. */
export function x509Of(der: Buffer, key = derKey(der)): X509Certificate | Error {
  let r = decoded.get(key);
  if (r === undefined) {
    try {
      r = new X509Certificate(der);
    } catch (e) {
      r = e instanceof Error ? e : new Error(String(e));
    }
    decoded.set(key, r);
  }
  return r;
}
