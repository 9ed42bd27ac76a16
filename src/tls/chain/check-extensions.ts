import { report } from './context.js';
import { V } from './errors.js';
import { checkCa, sslServerPurposeProblem } from './purpose.js';
import { sslServerTrust } from './trust.js';
import type { VerifyContext } from './types.js';

/**
 * check_extensions() without X509_STRICT: unhandled critical extensions, proxy certificates,
 * CA-ness of issuers, explicit EC parameters, the ssl_server purpose, and path lengths.
 */
export function checkExtensions(ctx: VerifyContext): void {
  const num = ctx.chain.length;
  let mustBeCa = -1;
  let plen = 0;
  for (let i = 0; i < num; i++) {
    const x = ctx.chain[i];
    if (x.ex.unhandledCritical) report(ctx, V.UNHANDLED_CRITICAL_EXTENSION, i);
    if (x.ex.proxy) report(ctx, V.PROXY_CERTIFICATES_NOT_ALLOWED, i);
    const ca = checkCa(x);
    if (mustBeCa === 0 && ca !== 0) report(ctx, V.INVALID_NON_CA, i);
    // An intermediate must be a CA by basicConstraints; the top may also be a v1 root etc.
    if (mustBeCa === 1 && (ca === 0 || (i + 1 < num && ca !== 1))) report(ctx, V.INVALID_CA, i);
    if (num > 1) {
      if (!x.publicKey) report(ctx, V.UNSPECIFIED, i);
      else if (x.key?.explicitCurve) report(ctx, V.EC_KEY_EXPLICIT_PARAMS, i);
    }
    // check_purpose(): for a certificate from the store, aux trust settings override the purpose check.
    const trust = i >= ctx.numUntrusted ? sslServerTrust(x, ctx.store.aux.get(x), true) : 'untrusted';
    if (trust === 'rejected' || (trust === 'untrusted' && sslServerPurposeProblem(x, mustBeCa > 0) !== null))
      report(ctx, V.INVALID_PURPOSE, i);
    if (i > 1 && x.ex.pathlen !== -1 && plen > x.ex.pathlen) report(ctx, V.PATH_LENGTH_EXCEEDED, i);
    if (i > 0 && !x.ex.selfIssued) plen++;
    mustBeCa = x.ex.proxy ? 0 : 1;
  }
}

/** OpenSSL security level 2 (Debian's default): 112 bits for keys and signatures. */
export const AUTH_LEVEL_BITS = 112;

/** check_key_level(): at level 0 (bits 0) nothing is checked, not even that there is a key. */
export function keyStrongEnough(x: VerifyContext['chain'][number], bits = AUTH_LEVEL_BITS): boolean {
  return bits <= 0 || (x.key !== null && x.key.securityBits >= bits);
}

/** check_sig_level(). */
export function signatureStrongEnough(x: VerifyContext['chain'][number], bits = AUTH_LEVEL_BITS): boolean {
  return bits <= 0 || (x.signatureBits !== null && x.signatureBits >= bits);
}

/** check_auth_level(): issuer keys (the leaf's was checked first thing) and every signature but the top's. */
export function checkAuthLevel(ctx: VerifyContext): void {
  const num = ctx.chain.length;
  for (let i = 0; i < num; i++) {
    const x = ctx.chain[i];
    if (i > 0 && !keyStrongEnough(x, ctx.authBits)) report(ctx, V.CA_KEY_TOO_SMALL, i);
    if (i < num - 1 && !signatureStrongEnough(x, ctx.authBits)) report(ctx, V.CA_MD_TOO_WEAK, i);
  }
}
