import type { ChainCert } from './certificate.js';
import type { TrustStore } from './store.js';
import { V } from './errors.js';
import type { ChainCrl } from './crl.js';
import type { RevocationNote } from './revocation.js';

/** One call of the verify callback with ok=0: what nginx's callback sees (and ignores). */
export interface SeenError {
  code: number;
  depth: number;
}

/** The X509_STORE_CTX state the model carries through the stages of X509_verify_cert(). */
export interface VerifyContext {
  chain: ChainCert[];
  /** ctx->num_untrusted: how many chain certificates came from the peer. */
  numUntrusted: number;
  /** ctx->error: sticky, the last error wins. */
  error: number;
  seen: SeenError[];
  /** Verification time, seconds since the epoch. */
  at: number;
  /** X509_VERIFY_PARAM depth (proxy_ssl_verify_depth). */
  depth: number;
  store: TrustStore;
  /** The certificates the peer sent (leaf included, as libssl passes them). */
  presented: ChainCert[];
  /** The chain ends in a trust anchor (build_chain() returned "trusted"). */
  anchored: boolean;
  /** The store's CRLs when nginx sets X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL (proxy_ssl_crl); null: no CRL checks. */
  crls: ChainCrl[] | null;
  /** What check_revocation() found for each certificate, for the findings. */
  revocation?: RevocationNote[];
}

/** verify_cb_cert(): record the error (V.OK re-reports the current one); nginx's callback always continues. */
export function report(ctx: VerifyContext, code: number, depth: number): void {
  if (code !== V.OK) ctx.error = code;
  ctx.seen.push({ code: ctx.error, depth });
}

/** Raised where X509_verify_cert() gives up without the callback (internal errors). */
export class VerifyAbort extends Error {
  constructor(
    readonly code: number,
    why: string,
  ) {
    super(why);
  }
}
