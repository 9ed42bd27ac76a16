import { report, VerifyAbort } from './context.js';
import { V } from './errors.js';
import { likelyIssued, sameCert, selfSigned } from './issued.js';
import { trustedIssuer } from './store.js';
import { laterThan, validAt } from './time.js';
import { sslServerTrust } from './trust.js';
import type { ChainCert, VerifyContext } from './types.js';

const INT_MAX_HALF = 1073741823;

/**
 * check_trust() without DANE or partial chains, from depth `from` up (the certificates the store
 * just added): X509_check_trust(x, X509_TRUST_SSL_SERVER, 0) of each. A certificate whose aux
 * settings trust serverAuth anchors the chain even when it is not self-signed; one they reject
 * stops the scan with 28 (nginx's callback continues, so OpenSSL carries on as if untrusted);
 * without aux settings a valid self-signed certificate anchors it.
 */
function checkTrust(ctx: VerifyContext, from: number): boolean {
  for (let i = from; i < ctx.chain.length; i++) {
    const x = ctx.chain[i];
    const t = sslServerTrust(x, ctx.store.aux.get(x), false);
    if (t === 'trusted') return true;
    if (t === 'rejected') {
      report(ctx, V.CERT_REJECTED, i);
      return false;
    }
  }
  return false;
}

/**
 * find_issuer(): among the peer's certificates, the first that likely issued x and is valid now,
 * else the one expiring last; never one already in the chain (except for a self-issued leaf).
 */
function findUntrustedIssuer(ctx: VerifyContext, pool: ChainCert[], x: ChainCert): ChainCert | null {
  let best: ChainCert | null = null;
  for (const c of pool) {
    if (!likelyIssued(c, x)) continue;
    const allowDup = x.ex.selfIssued && ctx.chain.length === 1;
    if (!allowDup && ctx.chain.some((y) => sameCert(y, c))) continue;
    if (validAt(c, ctx.at)) return c;
    if (best === null || laterThan(c.notAfter, best.notAfter)) best = c;
  }
  return best;
}

function selfSignedOrAbort(c: ChainCert): boolean {
  const s = selfSigned(c);
  if (s < 0)
    throw new VerifyAbort(
      V.UNSPECIFIED,
      `OpenSSL cannot evaluate ${c.subjectText} (${c.ex.invalidReasons.join('; ') || 'unusable public key'})`,
    );
  return s === 1;
}

/**
 * build_chain() of OpenSSL 3.0 under libssl's defaults: trusted-first, peer certificates as the
 * untrusted pool, no DANE, no alternate chains (trusted-first makes them unnecessary), no
 * partial chains. Reports the chain errors (22, 18, 19, 2, 20) through the callback.
 */
export function buildChain(ctx: VerifyContext): void {
  const S_UNTRUSTED = 1;
  const S_TRUSTED = 2;
  let search = S_UNTRUSTED | S_TRUSTED;
  const pool = [...ctx.presented];
  const depth = Math.min(ctx.depth, INT_MAX_HALF);
  const maxDepth = depth + 1;
  let trusted = false;

  while (search !== 0) {
    let num = ctx.chain.length;
    if (search & S_TRUSTED) {
      const curr = ctx.chain[num - 1];
      const issuer = num > maxDepth ? null : trustedIssuer(ctx.store, curr, ctx.at);
      let ok = issuer !== null;
      if (issuer) {
        let ss = selfSignedOrAbort(curr);
        if (!ss) {
          ctx.chain.push(issuer);
          ss = selfSignedOrAbort(issuer);
        } else if (!sameCert(curr, issuer)) {
          ok = false; // a self-signed look-alike of a trust anchor
        } else {
          ctx.chain[num - 1] = issuer;
          ctx.numUntrusted = --num;
        }
        if (ok) {
          search &= ~S_UNTRUSTED;
          if (checkTrust(ctx, num)) {
            trusted = true;
            break;
          }
          if (!ss) continue;
        }
      }
      if ((search & S_UNTRUSTED) === 0) break;
    }
    if (search & S_UNTRUSTED) {
      num = ctx.chain.length;
      const curr = ctx.chain[num - 1];
      const issuer = selfSigned(curr) > 0 || num > maxDepth ? null : findUntrustedIssuer(ctx, pool, curr);
      if (!issuer) {
        search = (search & ~S_UNTRUSTED) | S_TRUSTED;
        continue;
      }
      pool.splice(pool.indexOf(issuer), 1);
      ctx.chain.push(issuer);
      ctx.numUntrusted++;
    }
  }

  const num = ctx.chain.length;
  // Last chance (direct leaf trust) needs partial chains, which nginx does not enable.
  ctx.anchored = trusted;
  if (trusted) return;
  if (ctx.error !== V.OK) {
    // A preliminary error (the leaf key check) becomes final and is re-reported at the top.
    report(ctx, V.OK, num - 1);
    return;
  }
  if (num > maxDepth) report(ctx, V.CERT_CHAIN_TOO_LONG, num - 1);
  if (selfSigned(ctx.chain[num - 1]) > 0) {
    report(ctx, num === 1 ? V.DEPTH_ZERO_SELF_SIGNED_CERT : V.SELF_SIGNED_CERT_IN_CHAIN, num - 1);
    return;
  }
  report(ctx, ctx.numUntrusted < num ? V.UNABLE_TO_GET_ISSUER_CERT : V.UNABLE_TO_GET_ISSUER_CERT_LOCALLY, num - 1);
}
