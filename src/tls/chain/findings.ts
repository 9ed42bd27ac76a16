import type { Fix, FixStep } from '../../diagnostics/fix.js';
import type { CertSource, ChainFinding } from '../verdict.js';
import { addIssuers, certRef, crlFix, fix, outsideSpec } from './fixes.js';
import { DEFAULT_SECURITY_LEVEL, describeLevel } from '../security-level.js';

import { asnTimeSeconds } from './time.js';

import { V, verifyErrorString } from './errors.js';
import { count, finding, isoDate, quoteName, storeLabel } from './describe.js';
import { sslServerPurposeProblem } from './purpose.js';
import { presentedNames } from './host.js';
import { OID } from './certificate.js';
import { sameName } from './name.js';
import { generalNameText } from './general-name.js';
import { purposeNames, sslServerTrust } from './trust.js';
import { signatureAlgorithm } from './algorithms.js';
import type { ChainCert, ChainCrl, SourceOf, TrustAux, VerifyOutcome } from './types.js';

export interface ExplainInput {
  outcome: VerifyOutcome;
  presented: ChainCert[];
  depth: number;
  /** Intermediates the anchored path needs, null when no anchor is reachable at any depth. */
  requiredDepth: number | null;
  storeName?: string;
  sourceOf: SourceOf;
  /** The CRLs of proxy_ssl_crl, null when there is none. */
  crls?: ChainCrl[] | null;
  crlSourceOf?: (c: ChainCrl) => CertSource | undefined;
  /** Aux trust settings of the store's TRUSTED CERTIFICATE blocks. */
  trustAux?: Map<ChainCert, TrustAux>;
  /** The SSL security level the auth level came from (default 2). */
  securityLevel?: number;
}

/** The other way out of a level error: the level comes from the upstream's ciphers. */
function levelFix(level: number): string {
  return level > DEFAULT_SECURITY_LEVEL
    ? ` (or lower the @SECLEVEL=${level} in the upstream's ciphers)`
    : level === DEFAULT_SECURITY_LEVEL
      ? ''
      : ` (the upstream's ciphers set @SECLEVEL=${level})`;
}

function logged(code: number): string {
  return `nginx will log (${code}:${verifyErrorString(code)})`;
}

/** Errors that only describe how path building stopped: explained by the depth analysis or by what follows them. */
const PATH_END_ERRORS = new Set<number>([
  V.CERT_CHAIN_TOO_LONG,
  V.UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
  V.UNABLE_TO_GET_ISSUER_CERT,
  V.UNABLE_TO_VERIFY_LEAF_SIGNATURE,
]);

/**
 * One actionable finding per problem OpenSSL met, in its order; the one nginx logs (the last)
 * says so. Fixing only that one is rarely enough: the earlier ones surface next.
 */
export function explainErrors(input: ExplainInput): ChainFinding[] {
  const { outcome, presented, depth, requiredDepth, storeName, sourceOf } = input;
  const chain = outcome.chain;
  const store = storeLabel(storeName);
  const out: ChainFinding[] = [];
  const depthProblem = !outcome.anchored && requiredDepth !== null && requiredDepth > depth;

  if (outcome.aborted) {
    out.push(
      finding(
        'error',
        'chain.unusable-certificate',
        `OpenSSL gives up on this chain: ${outcome.aborted}; the TLS handshake fails ("certificate verify failed") before nginx can log a verify error`,
      ),
    );
    out[out.length - 1].fix = outsideSpec(undefined, outcome.aborted);
  }
  if (depthProblem) {
    const needed = requiredDepth!;
    out.push(
      finding(
        'error',
        'chain.depth-exceeded',
        `verifyDepth ${depth} allows ${count(depth, 'intermediate')}, this chain has ${count(needed, 'intermediate')}: ${logged(outcome.error)}; set verifyDepth to ${needed} (proxy_ssl_verify_depth ${needed})`,
      ),
    );
    out[out.length - 1].fix = fix([{ kind: 'set-verify-depth', field: 'verifyDepth', value: needed }]);
  }
  const last = outcome.seen[outcome.seen.length - 1];
  const byKey = new Map<string, ChainFinding>();
  for (const { code, depth: at } of outcome.seen) {
    // 22 is always followed by the error that ends the path; with a depth problem that one is explained above.
    if (code === V.CERT_CHAIN_TOO_LONG || (depthProblem && PATH_END_ERRORS.has(code))) continue;
    const x = chain[at];
    const crlFinding = CRL_ERRORS.has(code) ? explainCrl(code, at, input) : null;
    const trustFinding =
      code === V.CERT_REJECTED || (code === V.INVALID_PURPOSE && at >= outcome.numUntrusted)
        ? explainTrust(x, input.trustAux?.get(x), store)
        : code === V.UNABLE_TO_GET_ISSUER_CERT_LOCALLY && x
          ? rejectedIssuer(x, input.trustAux, store)
          : null;
    const f =
      crlFinding ??
      trustFinding ??
      explainOne(code, at, x, chain, presented, store, input.securityLevel ?? DEFAULT_SECURITY_LEVEL);
    const isLogged = last.code === code && last.depth === at;
    const suffix = isLogged ? `; ${logged(code)}` : ` (OpenSSL error ${code}: ${verifyErrorString(code)})`;
    const key = `${f.code}\0${f.message}`;
    byKey.delete(key); // the same problem met twice (e.g. 20 then 21 for a lone leaf): keep the later one
    const where = crlFinding?.crl ? input.crlSourceOf?.(crlFinding.crl) : x ? sourceOf(x) : undefined;
    const found = finding('error', f.code, f.message + suffix, where);
    if ('fix' in f && f.fix) found.fix = f.fix;
    byKey.set(key, found);
  }
  return [...out, ...byKey.values()];
}

function explainOne(
  code: number,
  at: number,
  x: ChainCert | undefined,
  chain: ChainCert[],
  presented: ChainCert[],
  store: string,
  level: number,
): { code: string; message: string; fix?: Fix } {
  const r = explainOneText(code, at, x, chain, presented, store, level);
  if (r.fix) return r;
  // Everything without a spec-level fix is a property of a certificate: say so, and which one.
  const message = /reissue|renew/.test(r.message)
    ? r.message
    : `${r.message}: ${x ? `reissue ${quoteName(x)}` : 'reissue the certificate'} (nothing in the spec can make nginx accept it)`;
  return { ...r, message, fix: outsideSpec(x, r.message) };
}

/** What to do about one error: the words, and the fix when the spec can make it (else: reissue the certificate). */
function explainOneText(
  code: number,
  at: number,
  x: ChainCert | undefined,
  chain: ChainCert[],
  presented: ChainCert[],
  store: string,
  level: number,
): { code: string; message: string; fix?: Fix } {
  const name = x ? quoteName(x) : 'the certificate';
  const issuerName = x ? `'${x.issuerText}'` : 'its issuer';
  const issuer = chain[at + 1];
  const unmapped = x && !signatureAlgorithm(x.tbsSignatureOid);
  if (unmapped && (code === V.UNABLE_TO_GET_ISSUER_CERT_LOCALLY || code === V.UNABLE_TO_VERIFY_LEAF_SIGNATURE)) {
    return {
      code: 'chain.unsupported-signature-algorithm',
      message: `${name} (depth ${at}) is signed with ${x.tbsSignatureOid}, a signature algorithm OpenSSL 3.0 does not know (it has no digest/key mapping for it), so OpenSSL never finds its issuer: reissue it with SHA-256 (ECDSA, RSA PKCS#1 v1.5 or RSASSA-PSS)`,
    };
  }
  switch (code) {
    case V.UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case V.UNABLE_TO_VERIFY_LEAF_SIGNATURE:
      if (at === 0 || code === V.UNABLE_TO_VERIFY_LEAF_SIGNATURE) {
        const leaf = chain[0];
        const alone = presented.length === 1;
        // The issuer may itself be an intermediate under another: adding only it gives 20 (served)
        // or 2 (trusted without its root), so the advice names the whole way up.
        const rest = `'${leaf.issuerText}' and every intermediate CA above it (up to, not including, the self-signed root) to the chain it serves, after the leaf (best), or add them to ${store}, which must then also hold that root (nginx accepts no partial chains)`;
        return {
          code: 'chain.missing-intermediate',
          message: alone
            ? `the upstream serves only its leaf: add its issuer ${rest}`
            : `nothing in the upstream's chain or in ${store} issued its leaf ${quoteName(leaf)}: add its issuer ${rest}`,
          fix: fix([addIssuers(leaf, 'presentedChain')], [addIssuers(leaf, 'trustStore')]),
        };
      }
      if (x && presented.some((p) => !chain.includes(p) && sameName(p.subject, x.issuer))) {
        return {
          code: 'chain.untrusted-root',
          message: `${name} was issued by ${issuerName}, which the upstream serves beyond the verify depth, and ${store} holds no anchor within reach: trust the root of this chain in ${store}`,
          fix: fix([addIssuers(x, 'trustStore')]),
        };
      }
      return {
        code: 'chain.untrusted-root',
        message: `${name} was issued by ${issuerName}, which is neither in the upstream's chain nor in ${store}: add the CA certificate ${issuerName} (and every CA above it up to the self-signed root, if it is not that root) to ${store}`,
        fix: x ? fix([addIssuers(x, 'trustStore')]) : undefined,
      };
    case V.UNABLE_TO_GET_ISSUER_CERT: {
      // Name the issuer for what it is: the self-signed root only when it is one (it may be known from the chain).
      const known = x ? [...presented, ...chain].find((c) => sameName(c.subject, x.issuer) && c !== x) : undefined;
      const what =
        known === undefined
          ? `${issuerName} and, if that is not a self-signed root itself, every CA above it up to the self-signed root`
          : known.ex.selfSigned
            ? `the self-signed root ${issuerName}`
            : `${issuerName} (an intermediate, issued by '${known.issuerText}') and every CA above it up to the self-signed root`;
      return {
        code: 'chain.anchor-not-self-signed',
        message: `${store} holds ${name} but not ${issuerName}, which issued it; nginx accepts no partial chains, so the store must reach a self-signed root: add ${what} to ${store}`,
        fix: x ? fix([addIssuers(x, 'trustStore')]) : undefined,
      };
    }
    case V.DEPTH_ZERO_SELF_SIGNED_CERT:
      return {
        code: 'chain.self-signed-leaf',
        message: `the upstream's certificate ${name} is self-signed and not in ${store}: add that exact certificate to ${store}, or serve one issued by a CA the store trusts`,
        fix: x
          ? fix(
              [{ kind: 'add-certificate', field: 'trustStore', certificate: certRef(x) }],
              outsideSpec(x, 'serve a certificate issued by a CA the store trusts').steps,
            )
          : undefined,
      };
    case V.SELF_SIGNED_CERT_IN_CHAIN:
      return {
        code: 'chain.untrusted-root',
        message: `the upstream's chain ends in the self-signed ${name}, which ${store} does not hold: trust that root, or serve a chain to a root the store holds`,
        fix: x ? fix([{ kind: 'add-certificate', field: 'trustStore', certificate: certRef(x) }]) : undefined,
      };
    case V.CERT_CHAIN_TOO_LONG:
      return { code: 'chain.depth-exceeded', message: `the chain is longer than the verify depth allows` };
    case V.CERT_HAS_EXPIRED:
      return {
        code: 'chain.expired',
        message: `${name} (depth ${at}) expired at ${x ? isoDate(x.notAfter) : '?'}: it must be renewed (nothing in the spec changes that)`,
        fix: outsideSpec(x, 'expired', 'renew'),
      };
    case V.CERT_NOT_YET_VALID:
      return {
        code: 'chain.not-yet-valid',
        message: `${name} (depth ${at}) is not valid before ${x ? isoDate(x.notBefore) : '?'}: check the issuing CA's clock, or reissue it (nothing in the spec changes that)`,
        fix: outsideSpec(x, 'not yet valid'),
      };
    case V.ERROR_IN_CERT_NOT_BEFORE_FIELD:
    case V.ERROR_IN_CERT_NOT_AFTER_FIELD:
      return {
        code: 'chain.bad-validity',
        message: `${name} (depth ${at}) has a malformed ${code === V.ERROR_IN_CERT_NOT_BEFORE_FIELD ? 'notBefore' : 'notAfter'} time`,
      };
    case V.CERT_SIGNATURE_FAILURE: {
      const mixed = `the signature on ${name} (depth ${at}) does not verify with the key of ${issuer ? quoteName(issuer) : issuerName}: the chain mixes certificates of different keys or was altered`;
      if (!x || !issuer || issuer === x) return { code: 'chain.bad-signature', message: mixed };
      // A same-name twin of the real issuer (another key) took its place: swap it for the real one.
      const field = presented.includes(issuer) ? 'presentedChain' : 'trustStore';
      const where = field === 'presentedChain' ? 'the chain the upstream serves' : store;
      return {
        code: 'chain.bad-signature',
        message: `${mixed}; in ${where}, replace that ${quoteName(issuer)} by the certificate of ${issuerName} whose key signed ${name} (and the CAs above it${field === 'trustStore' ? ', up to the self-signed root' : ''}), or reissue ${name}`,
        fix: fix(
          [{ kind: 'remove-certificate', field, certificate: certRef(issuer) }, addIssuers(x, field)],
          outsideSpec(x, 'signed by another key than its issuer in the chain').steps,
        ),
      };
    }
    case V.UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY:
      return { code: 'chain.bad-issuer-key', message: `OpenSSL cannot use the public key of ${name} (depth ${at})` };
    case V.INVALID_CA:
      return {
        code: 'chain.issuer-not-ca',
        message: `${name} (depth ${at}) issues certificates but is not a CA certificate (it needs basicConstraints CA:TRUE${x?.ex.keyUsage !== null ? ' and keyUsage keyCertSign' : ''})`,
      };
    case V.INVALID_NON_CA:
      return { code: 'chain.proxy-issuer', message: `${name} (depth ${at}) must not be a CA here` };
    case V.PATH_LENGTH_EXCEEDED:
      return {
        code: 'chain.pathlen-exceeded',
        message: `${name} (depth ${at}) limits the path below it to pathlen ${x?.ex.pathlen}, but ${count(at - 1, 'CA')} follow${at - 1 === 1 ? 's' : ''} it`,
      };
    case V.INVALID_PURPOSE:
      return { code: 'chain.purpose', message: purposeMessage(x, at) };
    case V.KEYUSAGE_NO_CERTSIGN:
      return {
        code: 'chain.issuer-key-usage',
        message: `${name} (depth ${at}) has a keyUsage without keyCertSign, so it may not issue certificates`,
      };
    case V.UNHANDLED_CRITICAL_EXTENSION:
      return {
        code: 'chain.unhandled-critical-extension',
        message: `${name} (depth ${at}) has a critical extension OpenSSL does not understand (${x?.ex.unhandledCritical}); OpenSSL must reject it`,
      };
    case V.PROXY_CERTIFICATES_NOT_ALLOWED:
      return {
        code: 'chain.proxy-certificate',
        message: `${name} (depth ${at}) is a proxy certificate; nginx does not allow them`,
      };
    case V.PERMITTED_VIOLATION:
    case V.EXCLUDED_VIOLATION:
    case V.SUBTREE_MINMAX:
    case V.UNSUPPORTED_CONSTRAINT_TYPE:
    case V.UNSUPPORTED_NAME_SYNTAX:
      return {
        code: 'chain.name-constraints',
        message: `${name} (depth ${at}) violates the name constraints of ${constrainingCa(chain, at)} (${verifyErrorString(code)})`,
      };
    case V.EE_KEY_TOO_SMALL:
    case V.CA_KEY_TOO_SMALL:
      return {
        code: 'chain.key-too-small',
        message: `${name} (depth ${at}) has a ${x?.key ? `${x.key.sizeBits}-bit ${x.key.family.toUpperCase()} key (${x.key.securityBits}-bit strength)` : 'unusable key'}, below ${describeLevel(level)}${levelFix(level)}`,
      };
    case V.CA_MD_TOO_WEAK:
      return {
        code: 'chain.weak-signature',
        message: `${name} (depth ${at}) is signed with ${x?.signatureBits === null || x?.signatureBits === undefined ? 'an algorithm OpenSSL cannot rate' : `a digest of ${x.signatureBits}-bit strength`}, below ${describeLevel(level)}; reissue it with ${level >= 5 ? 'SHA-512' : level >= 4 ? 'SHA-384' : 'SHA-256'}${levelFix(level)}`,
      };
    case V.EC_KEY_EXPLICIT_PARAMS:
      return {
        code: 'chain.explicit-ec-parameters',
        message: `${name} (depth ${at}) has an EC key with explicit curve parameters, which OpenSSL 3 refuses in chains`,
      };
    case V.UNNESTED_RESOURCE:
      return {
        code: 'chain.rfc3779',
        message: x
          ? `${name} (depth ${at}) does not delegate the IP address blocks (RFC 3779 sbgp-ipAddrBlock) that the leaf ${quoteName(chain[0])} lists, or "inherits" them as the trust anchor: give the leaf only addresses its issuers hold, or drop the extension from the leaf`
          : `the trust anchor cannot "inherit" the IP address blocks (RFC 3779 sbgp-ipAddrBlock) that the leaf ${quoteName(chain[0])} lists: give the anchor explicit address blocks, or drop the extension from the leaf`,
      };
    case V.INVALID_EXTENSION:
      return {
        code: 'chain.rfc3779',
        message: `${name} (depth ${at}) has an RFC 3779 IP address extension that is not in canonical form (sorted, non-overlapping, prefixes written as prefixes), which OpenSSL rejects`,
      };
    case V.UNSPECIFIED:
      return {
        code: 'chain.unusable-certificate',
        message: `OpenSSL reports an unspecified error for ${name} (depth ${at})`,
      };
    default:
      return { code: 'chain.rejected', message: `OpenSSL rejects ${name} (depth ${at})` };
  }
}

/**
 * 28 from check_trust() and then 26 from check_purpose(), both for a store certificate whose aux
 * trust settings (a TRUSTED CERTIFICATE block) reject serverAuth: one finding (same text, so the
 * two merge and the later, logged, one is kept). Null when the aux settings are not the cause.
 */
function explainTrust(
  x: ChainCert | undefined,
  aux: TrustAux | undefined,
  store: string,
): { code: string; message: string; fix: Fix } | null {
  if (!x || !aux || sslServerTrust(x, aux, true) !== 'rejected') return null;
  const rejects = (aux.reject ?? []).filter((o) => o === OID.serverAuth || o === OID.anyExtendedKeyUsage);
  const why =
    rejects.length > 0
      ? `rejects ${purposeNames(rejects)} (reject settings, as \`openssl x509 -addreject\` writes them)`
      : `trusts it only for ${purposeNames(aux.trust ?? [])}, not serverAuth (trust settings, as \`openssl x509 -addtrust\` writes them)`;
  return {
    code: 'chain.trust-rejected',
    message: `${store} holds ${quoteName(x)} as a TRUSTED CERTIFICATE block that ${why}; nginx honours these settings, so OpenSSL refuses it for TLS servers: store it as a plain CERTIFICATE block (\`openssl x509 -in FILE -out FILE.pem\` drops them) or mark it \`-addtrust serverAuth\``,
    fix: fix([{ kind: 'drop-trust-settings', field: 'trustStore', certificate: certRef(x) }]),
  };
}

/** 20 because the store holds the issuer, but as a TRUSTED CERTIFICATE block that rejects serverAuth. */
function rejectedIssuer(
  x: ChainCert,
  trustAux: Map<ChainCert, TrustAux> | undefined,
  store: string,
): { code: string; message: string; fix: Fix } | null {
  for (const [c, aux] of trustAux ?? []) {
    if (!sameName(c.subject, x.issuer)) continue;
    const r = explainTrust(c, aux, store);
    if (r) return { ...r, message: `${quoteName(x)} was issued by ${quoteName(c)}, but ${r.message}` };
  }
  return null;
}

/** The CA(s) above `at` whose nameConstraints apply, with their DNS subtrees, for the message. */
function constrainingCa(chain: ChainCert[], at: number): string {
  const cas = chain.slice(at + 1).filter((c) => c.ex.nameConstraints);
  if (cas.length === 0) return 'a CA above it';
  return cas
    .map((c) => {
      const nc = c.ex.nameConstraints!;
      const list = (subs: typeof nc.permitted) => subs.map((s) => generalNameText(s.base)).join(', ');
      const parts = [
        nc.permitted.length ? `permitted ${list(nc.permitted)}` : '',
        nc.excluded.length ? `excluded ${list(nc.excluded)}` : '',
      ].filter(Boolean);
      return `${quoteName(c)}${parts.length ? ` (${parts.join('; ')})` : ''}`;
    })
    .join(' and ');
}

function purposeMessage(x: ChainCert | undefined, at: number): string {
  if (!x) return 'a certificate is not allowed for TLS server authentication';
  const problem = sslServerPurposeProblem(x, at > 0);
  const name = quoteName(x);
  switch (problem) {
    case 'eku':
      return `${name} (depth ${at}) has extendedKeyUsage without serverAuth (${x.ex.extKeyUsageOids.map(ekuName).join(', ')}), so it may not authenticate a TLS server`;
    case 'key-usage':
      return `${name} (depth ${at}) has a keyUsage allowing neither digitalSignature, keyEncipherment nor keyAgreement`;
    case 'ns-cert-type':
      return `${name} (depth ${at}) has a Netscape certificate type that excludes SSL server use`;
    case 'not-ca':
      return `${name} (depth ${at}) is not a CA certificate usable for TLS`;
    default:
      return `${name} (depth ${at}) is not allowed for TLS server authentication`;
  }
}

function ekuName(oid: string): string {
  return oid === OID.serverAuth
    ? 'serverAuth'
    : oid === OID.clientAuth
      ? 'clientAuth'
      : oid === OID.anyExtendedKeyUsage
        ? 'anyExtendedKeyUsage'
        : oid;
}

/** nginx compares proxy_ssl_name with X509_check_host(): DNS names (or CN), never IP SANs. */
export function explainHostMismatch(
  leaf: ChainCert,
  name: string,
  ipSan: boolean,
  sourceOf: SourceOf,
  configured = name,
): ChainFinding {
  const names = presentedNames(leaf);
  const reissue = outsideSpec(leaf, `reissue it for "${name}"`).steps;
  // Reissuing helps only for a DNS name nginx checks as configured (it never matches an IP, nor a name it cut).
  const dnsName = configured === name && !ipSan && !/^[0-9.]+$|:/.test(name);
  const fixed = (f: ChainFinding): ChainFinding => {
    const setName: FixStep = { kind: 'set-server-name', field: 'serverName', names };
    f.fix = names.length ? fix([setName], dnsName ? reissue : undefined) : fix(reissue);
    return f;
  };
  if (configured !== name) {
    // ngx_http_upstream_ssl_name() cut the configured name at its first ':'.
    const what = name === '' ? 'nothing, which never matches' : `"${name}"`;
    return fixed(
      finding(
        'error',
        'chain.host-mismatch',
        `nginx cuts proxy_ssl_name "${configured}" at its first ':' (to strip a port) and checks ${what}; the certificate ${quoteName(leaf)} does not match it. Set serverName to a DNS name in the certificate, without a port; nginx will log: upstream SSL certificate does not match "${name}"`,
        sourceOf(leaf),
      ),
    );
  }
  const has = names.length > 0 ? `it is valid for ${names.map((n) => `'${n}'`).join(', ')}` : 'it names no DNS host';
  const ipNote = ipSan
    ? `; nginx checks proxy_ssl_name as a DNS name and never matches IP addresses, even though the certificate has '${name}' as an IP SAN: set serverName to a DNS name in the certificate`
    : /^[0-9.]+$|:/.test(name)
      ? '; nginx never matches IP addresses (it only compares DNS names): set serverName to a DNS name in the certificate'
      : '';
  const advice =
    names.length === 0
      ? ': reissue the certificate with the DNS name in its subjectAltName'
      : ipNote
        ? ''
        : ': set serverName to a name the certificate holds, or reissue it for this name';
  return fixed(
    finding(
      'error',
      'chain.host-mismatch',
      `the certificate ${quoteName(leaf)} does not match "${name}": ${has}${ipNote}; nginx will log: upstream SSL certificate does not match "${name}"${advice}`,
      sourceOf(leaf),
    ),
  );
}

/** The errors check_revocation() reports (6 only there when a CRL was being checked). */
const CRL_ERRORS = new Set<number>([
  V.UNABLE_TO_GET_CRL,
  V.CRL_SIGNATURE_FAILURE,
  V.CRL_NOT_YET_VALID,
  V.CRL_HAS_EXPIRED,
  V.ERROR_IN_CRL_LAST_UPDATE_FIELD,
  V.ERROR_IN_CRL_NEXT_UPDATE_FIELD,
  V.CERT_REVOKED,
  V.KEYUSAGE_NO_CRL_SIGN,
  V.UNHANDLED_CRITICAL_CRL_EXTENSION,
  V.DIFFERENT_CRL_SCOPE,
]);

/** One finding for an error of check_revocation(), about the certificate at `at` and the CRL it was checked with. */
function explainCrl(
  code: number,
  at: number,
  input: ExplainInput,
): { code: string; message: string; crl: ChainCrl | null; fix?: Fix } {
  const chain = input.outcome.chain;
  const x = chain[at];
  const note = input.outcome.revocation?.find((n) => n.depth === at);
  const crl = note?.crl ?? null;
  const file = `the CRL file of ${storeLabel(input.storeName)}`;
  const name = x ? quoteName(x) : 'the certificate';
  const of = crl ? `the CRL of '${crl.issuerText}'` : 'its CRL';
  const issuer = `'${crl?.issuerText ?? x?.issuerText}'`;
  const rootNote =
    x && at === chain.length - 1 && x.ex.selfIssued
      ? ', the self-signed root included (it needs a CRL it signed itself)'
      : '';
  const onlyCa = '(only the CA can issue a CRL: fetch the one it publishes)';
  /** Replace the CRL by the CA's current one; the words end the message. */
  const replace = (why: string, code: string) => ({
    code,
    crl,
    message: `${why}: replace it in ${file} with the current CRL of ${issuer} ${onlyCa} and reload nginx, which does not re-read CRLs on its own`,
    fix: x ? crlFix(x, 'replace-crl') : undefined,
  });
  switch (code) {
    case V.UNABLE_TO_GET_CRL: {
      const sameName = (input.crls ?? []).filter((c) => x && c.issuer.canon.equals(x.issuer.canon));
      const why =
        sameName.length === 0
          ? `holds no CRL from '${x?.issuerText}'`
          : sameName.every((c) => c.delta)
            ? `holds only delta CRLs from '${x?.issuerText}', which nginx (OpenSSL 3.0) never uses`
            : sameName.some((c) => c.idpFlags !== 0)
              ? `holds CRLs from '${x?.issuerText}', but none nginx uses for this certificate (each is indirect, partitioned, or limited by its issuingDistributionPoint)`
              : `holds a CRL named '${x?.issuerText}' whose authorityKeyIdentifier does not match the key of the issuer in the chain (a CRL of another key or CA of the same name)`;
      return {
        code: 'chain.crl-missing',
        crl: null,
        message: `${file} ${why}, so ${name} (depth ${at}) cannot be checked; with proxy_ssl_crl nginx checks every certificate of the chain${rootNote}: add the current CRL of '${x?.issuerText}' to that file ${onlyCa}`,
        fix: x ? crlFix(x, 'add-crl') : undefined,
      };
    }
    case V.CERT_REVOKED:
      return {
        code: 'chain.revoked',
        crl,
        message: `${name} (depth ${at}, serial ${x ? hexSerial(x.serial) : '?'}) is revoked by ${of}: reissue ${name} and ${at === 0 ? 'have the upstream serve the new certificate' : 'have the upstream serve a chain through the new CA certificate'} (or, if the revocation is a mistake, the CA must issue a CRL without it); nothing in the spec can make nginx accept it`,
        fix: outsideSpec(x, 'the certificate is revoked'),
      };
    case V.CRL_NOT_YET_VALID:
      return replace(
        `${of} (checked for ${name}, depth ${at}) is not valid before its lastUpdate ${crl ? isoDate(crl.lastUpdate) : '?'}: nginx rejects the chain until then (check the CA's clock)`,
        'chain.crl-not-yet-valid',
      );
    case V.CRL_HAS_EXPIRED:
      return replace(
        `${of} (checked for ${name}, depth ${at}) expired at its nextUpdate ${crl?.nextUpdate ? isoDate(crl.nextUpdate) : '?'}`,
        'chain.crl-expired',
      );
    case V.ERROR_IN_CRL_LAST_UPDATE_FIELD:
    case V.ERROR_IN_CRL_NEXT_UPDATE_FIELD:
      return replace(
        `${of} (checked for ${name}, depth ${at}) has a malformed ${code === V.ERROR_IN_CRL_LAST_UPDATE_FIELD ? 'lastUpdate' : 'nextUpdate'} time`,
        'chain.crl-bad-time',
      );
    case V.CRL_SIGNATURE_FAILURE:
      if (note?.crlIssuer && x && note.crlIssuer === x && !x.ex.selfIssued && !input.outcome.anchored) {
        const needed = input.requiredDepth;
        if (needed !== null && needed > input.depth)
          // verifyDepth cut the chain below its root: the depth finding's fix is this one's too.
          return {
            code: 'chain.crl-bad-signature',
            crl,
            message: `verifyDepth ${input.depth} cuts the chain at ${name} (depth ${at}), so OpenSSL checks ${of} against ${name} itself, which fails: set verifyDepth to ${needed} so the chain reaches its root`,
            fix: fix([{ kind: 'set-verify-depth', field: 'verifyDepth', value: needed }]),
          };
        return {
          code: 'chain.crl-bad-signature',
          crl,
          message: `the chain does not reach a trusted root, so ${name} (depth ${at}) is its top and OpenSSL checks ${of} against ${name} itself, which fails: make the chain reach a root in ${storeLabel(input.storeName)} first (add '${x.issuerText}' and the CAs above it, up to the self-signed root)`,
          fix: fix([addIssuers(x, 'trustStore')]),
        };
      }
      return replace(
        `the signature on ${of} (checked for ${name}, depth ${at}) does not verify with the key of ${note?.crlIssuer ? quoteName(note.crlIssuer) : 'its issuer'} in the chain: it was signed by another key of the same name, or altered`,
        'chain.crl-bad-signature',
      );
    case V.KEYUSAGE_NO_CRL_SIGN: {
      const ca = note?.crlIssuer;
      return {
        code: 'chain.crl-issuer-key-usage',
        crl,
        message: `${ca ? quoteName(ca) : 'the CA'} signed ${of} (checked for ${name}, depth ${at}), but its keyUsage lacks cRLSign, so OpenSSL refuses its CRLs: reissue ${ca ? quoteName(ca) : 'that CA certificate'} with keyUsage cRLSign (nothing in the spec can make nginx accept its CRLs)`,
        fix: outsideSpec(ca ?? undefined, 'the CA certificate lacks keyUsage cRLSign'),
      };
    }
    case V.UNHANDLED_CRITICAL_CRL_EXTENSION:
      return replace(
        `${of} (checked for ${name}, depth ${at}) has a critical extension OpenSSL does not handle (${crl?.unhandledCritical}), so OpenSSL refuses to trust it; the CA must issue CRLs without it`,
        'chain.crl-unhandled-critical-extension',
      );
    case V.DIFFERENT_CRL_SCOPE:
      return {
        code: 'chain.crl-scope',
        crl,
        message: `${of} (checked for ${name}, depth ${at}) has an issuingDistributionPoint that excludes ${x?.ex.ca ? 'CA' : 'end-entity'} certificates: add the current CRL of '${x?.issuerText}' that covers them to ${file} ${onlyCa}`,
        fix: x ? crlFix(x, 'add-crl') : undefined,
      };
    default:
      return { code: 'chain.rejected', crl, message: `OpenSSL rejects ${name} (depth ${at})` };
  }
}

function hexSerial(n: bigint): string {
  const h = (n < 0n ? -n : n).toString(16).toUpperCase();
  return `${n < 0n ? '-' : ''}0x${h.length % 2 ? '0' : ''}${h}`;
}

/** chain.crl-expiring-soon: a CRL nginx checks now expires within warnDays (nginx never reloads it on its own). */
export function crlExpiryWarnings(
  outcome: VerifyOutcome,
  at: number,
  warnDays: number,
  storeName: string | undefined,
  crlSourceOf: (c: ChainCrl) => CertSource | undefined,
): ChainFinding[] {
  const out: ChainFinding[] = [];
  const seen = new Set<ChainCrl>();
  for (const n of outcome.revocation ?? []) {
    const crl = n.crl;
    if (!crl || seen.has(crl) || !crl.nextUpdate) continue;
    seen.add(crl);
    const next = asnTimeSeconds(crl.nextUpdate);
    if (next === null || next <= at || next > at + warnDays * 86400) continue;
    out.push(
      finding(
        'warning',
        'chain.crl-expiring-soon',
        `the CRL of '${crl.issuerText}' in the CRL file of ${storeLabel(storeName)} expires at ${isoDate(crl.nextUpdate)}, within ${warnDays} days; from then on nginx rejects every upstream of this trust store with (12:CRL has expired): publish and deploy a fresh CRL before that`,
        crlSourceOf(crl),
      ),
    );
  }
  return out;
}
