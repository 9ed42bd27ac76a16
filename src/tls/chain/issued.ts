import { signatureAlgorithm, keyFitsSignature } from './algorithms.js';
import { akidMatches, KU } from './certificate.js';
import { sameName } from './name.js';
import { V } from './errors.js';
import type { ChainCert } from './types.js';

/**
 * ossl_x509_likely_issued(issuer, subject): names chain, the subject's AKID agrees with the
 * issuer, and the issuer's key type fits the subject's signature algorithm. No signature check:
 * that happens later, in internal_verify, as in OpenSSL.
 */
export function likelyIssued(issuer: ChainCert, subject: ChainCert): boolean {
  if (!sameName(issuer.subject, subject.issuer)) return false;
  // ossl_x509v3_cache_extensions() failing on either side means "not issued".
  if (issuer.ex.invalid || subject.ex.invalid) return false;
  if (!akidMatches(issuer, issuer.ex.skid, subject.ex.akid)) return false;
  const alg = signatureAlgorithm(subject.tbsSignatureOid);
  return !!alg && keyFitsSignature(issuer.key?.family ?? null, alg);
}

/** ossl_x509_signing_allowed(): a present keyUsage must allow keyCertSign. */
export function signingAllowedError(issuer: ChainCert): number {
  if (issuer.ex.keyUsage !== null && (issuer.ex.keyUsage & KU.KEY_CERT_SIGN) === 0) return V.KEYUSAGE_NO_CERTSIGN;
  return V.OK;
}

/** X509_self_signed(x, 0): 1, 0, or -1 when OpenSSL cannot evaluate the certificate (invalid extensions, no key). */
export function selfSigned(c: ChainCert): -1 | 0 | 1 {
  if (!c.publicKey || c.ex.invalid) return -1;
  return c.ex.selfSigned ? 1 : 0;
}

/** X509_cmp() == 0: the same certificate. */
export function sameCert(a: ChainCert, b: ChainCert): boolean {
  return a === b || a.der.equals(b.der);
}
