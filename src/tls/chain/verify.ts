import { buildChain } from './build.js';
import { AUTH_LEVEL_BITS, checkAuthLevel, checkExtensions, keyStrongEnough } from './check-extensions.js';
import { report, VerifyAbort } from './context.js';
import { V } from './errors.js';
import { internalVerify } from './internal-verify.js';
import { checkNameConstraints } from './name-constraints.js';
import { checkIpAddrBlocks } from './rfc3779.js';

import { checkRevocation } from './revocation.js';
import type { ChainCert, ChainCrl, TrustStore, VerifyContext, VerifyOutcome } from './types.js';

/**
 * X509_verify_cert() → verify_chain() of OpenSSL 3.0 as libssl runs it for nginx's upstream
 * connections, stage by stage and in OpenSSL's order, with a callback that always continues:
 * the last error set is the one nginx logs.
 */
export function x509VerifyCert(
  presented: ChainCert[],
  store: TrustStore,
  depth: number,
  at: number,
  crls: ChainCrl[] | null = null,
  authBits = AUTH_LEVEL_BITS,
): VerifyOutcome {
  const ctx: VerifyContext = {
    chain: [presented[0]],
    numUntrusted: 1,
    error: V.OK,
    seen: [],
    at,
    depth,
    store,
    presented,
    anchored: false,
    crls,
    authBits,
  };
  let aborted: string | null = null;
  try {
    if (!keyStrongEnough(presented[0], authBits)) report(ctx, V.EE_KEY_TOO_SMALL, 0);
    buildChain(ctx);
    checkExtensions(ctx);
    checkAuthLevel(ctx);
    // check_id(): nothing, nginx checks the host name itself afterwards.
    // check_revocation(): only with proxy_ssl_crl, which sets X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL.
    checkRevocation(ctx);
    internalVerify(ctx);
    checkNameConstraints(ctx);
    // X509v3_asid_validate_path() would come here: not modelled (verifyChain() reports it).
    checkIpAddrBlocks(ctx);
  } catch (e) {
    if (!(e instanceof VerifyAbort)) throw e;
    aborted = e.message;
    if (ctx.error === V.OK) ctx.error = e.code;
  }
  return {
    error: ctx.error,
    seen: ctx.seen,
    chain: ctx.chain,
    numUntrusted: ctx.numUntrusted,
    anchored: ctx.anchored,
    aborted,
    revocation: ctx.revocation,
  };
}
