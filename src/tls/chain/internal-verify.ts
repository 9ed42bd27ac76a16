import { report } from './context.js';
import { V } from './errors.js';
import { likelyIssued, signingAllowedError } from './issued.js';
import { cmpTime } from './time.js';
import type { ChainCert, VerifyContext } from './types.js';

const signatureCache = new WeakMap<ChainCert, Map<ChainCert, boolean>>();

/** X509_verify(subject, issuer key), memoised: the same pairs recur across upstreams. */
export function signatureValid(subject: ChainCert, issuer: ChainCert): boolean {
  let m = signatureCache.get(subject);
  if (!m) signatureCache.set(subject, (m = new Map()));
  const hit = m.get(issuer);
  if (hit !== undefined) return hit;
  let ok = false;
  try {
    ok = issuer.publicKey !== null && subject.x509.verify(issuer.publicKey);
  } catch {
    ok = false;
  }
  m.set(issuer, ok);
  return ok;
}

/** ossl_x509_check_cert_time(ctx, x, depth): reports 13/9 then 14/10. */
export function checkCertTime(ctx: VerifyContext, x: ChainCert, depth: number): void {
  const nb = cmpTime(x.notBefore, ctx.at);
  if (nb === 0) report(ctx, V.ERROR_IN_CERT_NOT_BEFORE_FIELD, depth);
  if (nb > 0) report(ctx, V.CERT_NOT_YET_VALID, depth);
  const na = cmpTime(x.notAfter, ctx.at);
  if (na === 0) report(ctx, V.ERROR_IN_CERT_NOT_AFTER_FIELD, depth);
  if (na < 0) report(ctx, V.CERT_HAS_EXPIRED, depth);
}

/**
 * internal_verify(): from the top down, the issuer's keyUsage, the signature, then validity.
 * A top certificate that is not self-issued is not itself checked (no issuer to check it with);
 * a chain of one such certificate is error 21.
 */
export function internalVerify(ctx: VerifyContext): void {
  let n = ctx.chain.length - 1;
  let xi = ctx.chain[n];
  let xs = xi;
  // Positions, not objects: the same certificate may sit in the store and in the peer's chain.
  let issuerAt = n;
  if (!likelyIssued(xi, xi)) {
    if (n > 0) {
      n--;
      xs = ctx.chain[n];
    } else {
      report(ctx, V.UNABLE_TO_VERIFY_LEAF_SIGNATURE, 0);
    }
  }
  while (n >= 0) {
    if (n !== issuerAt) {
      const ku = signingAllowedError(xi);
      if (ku !== V.OK) report(ctx, ku, n + 1);
      if (!xi.publicKey) report(ctx, V.UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY, n + 1);
      else if (!signatureValid(xs, xi)) report(ctx, V.CERT_SIGNATURE_FAILURE, n);
    }
    checkCertTime(ctx, xs, n);
    if (--n >= 0) {
      xi = xs;
      issuerAt = n + 1;
      xs = ctx.chain[n];
    }
  }
}
