import * as crypto from 'node:crypto';
import { X509Certificate } from 'node:crypto';

/**
 * node:crypto's X509Certificate (OpenSSL's d2i_X509()) for some DER, once per run: the PEM
 * loaders, the trust-file replay (openssl-pem.ts) and the chain engine all need OpenSSL's reading
 * of the same certificates, and decoding one costs OpenSSL 3.0 about 0.1-0.3 ms (its key
 * decoders), the largest per-certificate cost of a big trust store. Keyed by the DER's SHA-256,
 * so copies of the same bytes (one file read two ways) share one decoding.
 *
 * Most callers only need OpenSSL's verdict (accepted, or the error it refuses the DER with), not
 * the object: a big store's verdicts come from x509-pool.ts (workers decode in parallel) and the
 * object is built here only for the certificates really used (chain candidates, leaves).
 */
const decoded = new Map<string, X509Certificate | Error>();
/** OpenSSL's verdict per DER key: null when it accepts the DER, else the message it refuses it with. */
const verdicts = new Map<string, string | null>();
/** derKey() per Buffer: the same block is keyed by the store, the checks and the loaders. */
const keyOf = new WeakMap<Uint8Array, string>();

/** crypto.hash() (Node 20.12+): one call, no Hash object per certificate. */
const oneShot = (crypto as unknown as { hash?: (alg: string, data: Uint8Array, enc: 'base64') => string }).hash;

export function derKey(der: Uint8Array): string {
  let key = keyOf.get(der);
  if (key === undefined) {
    key = sha256(der);
    keyOf.set(der, key);
  }
  return key;
}

/** derKey() of bytes looked up once (the trust-file replay's copies): not remembered per buffer. */
export function sha256(der: Uint8Array): string {
  return oneShot ? oneShot('sha256', der, 'base64') : crypto.createHash('sha256').update(der).digest('base64');
}

/** The certificate, or the Error OpenSSL refused it with. */
export function x509Of(der: Buffer, key = derKey(der)): X509Certificate | Error {
  let r = decoded.get(key);
  if (r === undefined) {
    const known = verdicts.get(key);
    if (typeof known === 'string') r = new Error(known);
    else {
      try {
        r = new X509Certificate(der);
      } catch (e) {
        r = e instanceof Error ? e : new Error(String(e));
      }
      verdicts.set(key, r instanceof Error ? r.message : null);
    }
    decoded.set(key, r);
  }
  return r;
}

/** Whether OpenSSL reads the DER as a certificate: null when it does, else its error message. */
export function x509Verdict(der: Buffer, key = derKey(der)): string | null {
  const known = verdicts.get(key);
  if (known !== undefined) return known;
  const r = x509Of(der, key);
  return r instanceof Error ? r.message : null;
}

/** Whether the verdict for this key is known already (so a pre-pass can skip it). */
export function hasVerdict(key: string): boolean {
  return verdicts.has(key);
}

/** Verdicts decoded elsewhere (x509-pool.ts's workers, by the same OpenSSL). */
export function recordVerdict(key: string, verdict: string | null): void {
  verdicts.set(key, verdict);
}
