import { KU } from './certificate.js';
import { report } from './context.js';
import { CRL_REASON_REMOVE_FROM_CRL, IDP, crlSignatureValid } from './crl.js';
import { V } from './errors.js';
import { akidMatches } from './extensions.js';
import { sameName } from './name.js';
import { asnTimeSeconds, cmpTime } from './time.js';
import type { ChainCert, ChainCrl, RevocationNote, VerifyContext } from './types.js';

/** CRL score bits of crypto/x509/x509_vfy.c. */
const SCORE = {
  NOCRITICAL: 0x100,
  SCOPE: 0x080,
  TIME: 0x040,
  ISSUER_NAME: 0x020,
  ISSUER_CERT: 0x018,
  SAME_PATH: 0x008,
  AKID: 0x004,
} as const;

/**
 * check_revocation() of OpenSSL 3.0 with nginx's proxy_ssl_crl flags, X509_V_FLAG_CRL_CHECK |
 * X509_V_FLAG_CRL_CHECK_ALL: every certificate of the chain, the self-signed root included, is
 * checked against a CRL from the store (ctx->crls is unset, so lookup_crls() by issuer name).
 * No X509_V_FLAG_EXTENDED_CRL_SUPPORT: indirect and reason-partitioned CRLs are never used, and
 * delta CRLs are never used either (see getCrlScore()).
 */
export function checkRevocation(ctx: VerifyContext): void {
  if (!ctx.crls) return;
  ctx.revocation = [];
  for (let i = 0; i < ctx.chain.length; i++) checkCert(ctx, i);
}

/** check_cert() for chain[depth]; the callback always continues, so one CRL round is all there is. */
function checkCert(ctx: VerifyContext, depth: number): void {
  const x = ctx.chain[depth];
  const note: RevocationNote = { depth, crl: null, crlIssuer: null };
  ctx.revocation!.push(note);
  if (x.ex.proxy) return;
  const found = getCrl(ctx, depth);
  if (!found) {
    report(ctx, V.UNABLE_TO_GET_CRL, depth);
    return;
  }
  note.crl = found.crl;
  note.crlIssuer = found.issuer;
  checkCrl(ctx, depth, found.crl, found.issuer, found.score);
  certCrl(ctx, depth, found.crl, x);
  // check_cert() loops until the CRLs cover all reasons. A CRL in scope covers them all (IDP reasons
  // are never used, see getCrlScore()); one out of scope covers none, and the next round finds no
  // new CRL: "If reasons not updated we won't get anywhere by another iteration" (error 3).
  if (!(found.score & SCORE.SCOPE)) report(ctx, V.UNABLE_TO_GET_CRL, depth);
}

/**
 * get_crl_delta() → get_crl_sk() over X509_STORE_CTX_get1_crls(issuer name): the CRL with the best
 * score, a newer lastUpdate breaking ties; any CRL with a non-zero score is used, valid or not.
 */
function getCrl(ctx: VerifyContext, depth: number): { crl: ChainCrl; issuer: ChainCert; score: number } | null {
  const x = ctx.chain[depth];
  let best: { crl: ChainCrl; issuer: ChainCert; score: number } | null = null;
  for (const crl of ctx.crls!) {
    if (!sameName(crl.issuer, x.issuer)) continue; // the store lookup by name
    const scored = getCrlScore(ctx, depth, crl);
    if (!scored || scored.score === 0) continue;
    if (best && scored.score < best.score) continue;
    if (best && scored.score === best.score) {
      const a = asnTimeSeconds(best.crl.lastUpdate);
      const b = asnTimeSeconds(crl.lastUpdate);
      if (a === null || b === null || b <= a) continue;
    }
    best = { crl, issuer: scored.issuer, score: scored.score };
  }
  return best;
}

function getCrlScore(ctx: VerifyContext, depth: number, crl: ChainCrl): { score: number; issuer: ChainCert } | null {
  const x = ctx.chain[depth];
  if (crl.idpFlags & IDP.INVALID) return null;
  if (crl.idpFlags & (IDP.INDIRECT | IDP.REASONS)) return null; // needs extended CRL support
  // "Don't process deltas at this stage": current OpenSSL 3.0 releases (3.0.22 here, measured on
  // nginx) skip a delta CRL whatever the flags. Older 3.0 builds had this test in the else-branch
  // of the extended-support check and used a delta like a full CRL; see docs/chain-engine.md.
  if (crl.delta) return null;
  if (!sameName(x.issuer, crl.issuer)) return null; // an indirect CRL would be needed
  let score = SCORE.ISSUER_NAME;
  if (crl.unhandledCritical === null) score |= SCORE.NOCRITICAL;
  if (crlTimeOk(crl, ctx.at)) score |= SCORE.TIME;
  const issuer = crlAkidCheck(
    ctx,
    depth,
    crl,
    () => {
      score |= SCORE.AKID | SCORE.ISSUER_CERT;
    },
    () => {
      score |= SCORE.AKID | SCORE.SAME_PATH;
    },
  );
  if (!(score & SCORE.AKID) || !issuer) return null;
  if (crlInScope(x, crl)) score |= SCORE.SCOPE;
  return { score, issuer };
}

/**
 * crl_akid_check(): the certificate above x in the chain (x itself at the top) when its key
 * matches the CRL's AKID; else a higher certificate named like the CRL issuer whose key does.
 */
function crlAkidCheck(
  ctx: VerifyContext,
  depth: number,
  crl: ChainCrl,
  direct: () => void,
  samePath: () => void,
): ChainCert | null {
  let cidx = depth === ctx.chain.length - 1 ? depth : depth + 1;
  const first = ctx.chain[cidx];
  if (akidMatches(first, first.ex.skid, crl.akid)) {
    direct();
    return first;
  }
  for (cidx++; cidx < ctx.chain.length; cidx++) {
    const c = ctx.chain[cidx];
    if (!sameName(c.subject, crl.issuer)) continue;
    if (akidMatches(c, c.ex.skid, crl.akid)) {
      samePath();
      return c;
    }
  }
  return null;
}

/** crl_crldp_check() for a CRL without a distributionPoint name (see crl.ts): the IDP's "only" flags. */
function crlInScope(x: ChainCert, crl: ChainCrl): boolean {
  if (crl.idpFlags & IDP.ONLYATTR) return false;
  if (x.ex.ca ? crl.idpFlags & IDP.ONLYUSER : crl.idpFlags & IDP.ONLYCA) return false;
  return true;
}

/** check_crl_time(ctx, crl, 0). */
function crlTimeOk(crl: ChainCrl, at: number): boolean {
  if (cmpTime(crl.lastUpdate, at) >= 0) return false;
  return crl.nextUpdate === null || cmpTime(crl.nextUpdate, at) > 0;
}

/** check_crl(): the issuer's cRLSign, scope, the CRL's times (15/11, 16/12), the issuer key, the signature. */
function checkCrl(ctx: VerifyContext, depth: number, crl: ChainCrl, issuer: ChainCert, score: number): void {
  if (issuer.ex.keyUsage !== null && (issuer.ex.keyUsage & KU.CRL_SIGN) === 0)
    report(ctx, V.KEYUSAGE_NO_CRL_SIGN, depth);
  if (!(score & SCORE.SCOPE)) report(ctx, V.DIFFERENT_CRL_SCOPE, depth);
  // CRL_SCORE_SAME_PATH is always set here: the issuer comes from the chain itself.
  if (!(score & SCORE.TIME)) {
    const last = cmpTime(crl.lastUpdate, ctx.at);
    if (last === 0) report(ctx, V.ERROR_IN_CRL_LAST_UPDATE_FIELD, depth);
    if (last > 0) report(ctx, V.CRL_NOT_YET_VALID, depth);
    if (crl.nextUpdate) {
      const next = cmpTime(crl.nextUpdate, ctx.at);
      if (next === 0) report(ctx, V.ERROR_IN_CRL_NEXT_UPDATE_FIELD, depth);
      if (next < 0) report(ctx, V.CRL_HAS_EXPIRED, depth);
    }
  }
  if (!issuer.publicKey) report(ctx, V.UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY, depth);
  else if (!crlSignatureValid(crl, issuer.publicKey, issuer.key?.family ?? null))
    report(ctx, V.CRL_SIGNATURE_FAILURE, depth);
}

/** cert_crl(): unhandled critical CRL extensions (36), then the serial (23 unless removeFromCRL). */
function certCrl(ctx: VerifyContext, depth: number, crl: ChainCrl, x: ChainCert): void {
  if (crl.unhandledCritical !== null) report(ctx, V.UNHANDLED_CRITICAL_CRL_EXTENSION, depth);
  const reason = crl.revoked.get(x.serial);
  if (reason !== undefined && reason !== CRL_REASON_REMOVE_FROM_CRL) report(ctx, V.CERT_REVOKED, depth);
}
