import type { CertSource, ChainFinding, ChainRequest, ChainVerdict } from '../verdict.js';
import { parseCertificate } from './certificate.js';
import { finding, quoteName, storeLabel } from './describe.js';
import { V, verifyErrorString } from './errors.js';
import { crlExpiryWarnings, explainErrors, explainHostMismatch } from './findings.js';
import { handshakeProblem, securityLevelHandshakeProblem } from './handshake.js';
import { certRef, fix, leafFirstOrder, outsideSpec } from './fixes.js';
import { certListProblem, formatsFor } from './cert-list-size.js';
import { DEFAULT_SECURITY_LEVEL, securityBits } from '../security-level.js';
import { hasIpSan, hostMatches, nginxSslName } from './host.js';
import { trustStoreOf } from './store.js';
import { parseCrl } from './crl.js';
import { epochSeconds } from './time.js';
import { x509VerifyCert } from './verify.js';
import { expiryWarnings, ipNameWarning, strictnessWarnings, trustStoreWarnings } from './warnings.js';
import type { ChainCert, ChainCrl, TrustStore } from './types.js';

/** ChainRequest plus the optional context the engine uses for messages and warnings. */
export interface ChainEngineRequest extends ChainRequest {
  /** The trust store's name in the spec, for messages ("add it to trust store 'internal'"). */
  trustStoreName?: string;
  /** Warn when a certificate of the path expires within this many days (default 30). */
  warnDays?: number;
  /** Why OpenSSL refuses to load the trusted-certificate file(s) (src/tls/openssl-pem.ts): nginx then refuses to start. */
  trustFileProblems?: { file: string; line: number; reason: string }[];
}

import { DEFAULT_WARN_DAYS } from '../../load/spec-defaults.js';

export { DEFAULT_WARN_DAYS };
/** Depth used to find out how many intermediates the path needs, whatever depth is configured. */
const DISCOVERY_DEPTH = 100;

/**
 * Predicts what nginx (OpenSSL 3.0 with proxy_ssl_verify on) decides for one upstream: the path
 * OpenSSL builds, the verify result nginx logs, and the host name check that follows it.
 */
export function verifyChain(req: ChainEngineRequest): ChainVerdict {
  const findings: ChainFinding[] = [];
  const level = req.securityLevel ?? DEFAULT_SECURITY_LEVEL;
  const authBits = securityBits(level);
  const tooLarge = certListProblem(
    req.presented.map((s) => s.block.der.length),
    req.protocols,
  );
  if (tooLarge)
    findings.push(finding('error', 'chain.cert-list-too-large', `${tooLarge}. ${shrinkAdvice(req.presented)}`));
  const presented: ChainCert[] = [];
  const sources = new Map<ChainCert, CertSource>();
  for (const source of req.presented) {
    const r = parseCertificate(source.block.der);
    if ('error' in r) {
      findings.push(
        r.by === 'openssl'
          ? finding(
              'error',
              'chain.unparseable',
              `a certificate the upstream serves cannot be used: ${r.error}; the TLS handshake fails`,
              source,
            )
          : finding(
              'error',
              'chain.unsupported-certificate',
              `a certificate the upstream serves is beyond gwctl: ${r.error}`,
              source,
            ),
      );
      continue;
    }
    presented.push(r.cert);
    if (!sources.has(r.cert)) sources.set(r.cert, source);
  }
  const store = trustStoreOf(req.trusted);
  const problemsAt = findings.length;
  const problemsKnown = store.problems.length;
  const problemFinding = (p: TrustStore['problems'][number]): ChainFinding =>
    p.by === 'openssl'
      ? finding(
          'error',
          'chain.trust-store-unreadable',
          `${storeLabel(req.trustStoreName)} holds a certificate nginx cannot load (${p.message}); nginx refuses to start`,
          p.source,
        )
      : finding(
          'error',
          'chain.unsupported-certificate',
          `${storeLabel(req.trustStoreName)} holds a certificate beyond gwctl: ${p.message}`,
          p.source,
        );
  findings.push(...store.problems.map(problemFinding));
  for (const p of req.trustFileProblems ?? []) {
    findings.push({
      severity: 'error',
      code: 'chain.trust-store-unloadable',
      file: p.file,
      line: p.line,
      message: `${storeLabel(req.trustStoreName)}: OpenSSL cannot load ${p.file} (${p.reason}, line ${p.line}): SSL_CTX_load_verify_locations() fails and nginx refuses to start. Rewrite the file as plain PEM blocks (BEGIN line, base64 lines with their '=' padding, END line, nothing else inside a block)`,
    });
  }
  if (req.trusted.length === 0)
    findings.push(
      finding(
        'error',
        'chain.trust-store-empty',
        `${storeLabel(req.trustStoreName)} is empty: nginx refuses a trusted certificate file without certificates`,
      ),
    );
  const sourceOf = (c: ChainCert) => sources.get(c) ?? store.sources.get(c);
  // proxy_ssl_crl: the CRLs join the store (X509_STORE_add_crl() ignores duplicates).
  let crls: ChainCrl[] | null = null;
  const crlSources = new Map<ChainCrl, CertSource>();
  if (req.crls) {
    crls = [];
    const seenCrls = new Set<string>();
    for (const source of req.crls) {
      const r = parseCrl(source.block.der);
      if ('error' in r) {
        findings.push(
          r.by === 'openssl'
            ? finding(
                'error',
                'chain.crl-unreadable',
                `the CRL file of ${storeLabel(req.trustStoreName)} holds a block that ${r.error}: nginx cannot load its proxy_ssl_crl file and refuses to start`,
                source,
              )
            : finding(
                'error',
                'chain.unsupported-crl',
                `the CRL file of ${storeLabel(req.trustStoreName)} holds a CRL beyond gwctl: ${r.error}`,
                source,
              ),
        );
        continue;
      }
      const key = r.crl.der.toString('base64');
      if (seenCrls.has(key)) continue;
      seenCrls.add(key);
      crls.push(r.crl);
      crlSources.set(r.crl, source);
    }
  }

  if (
    presented.length === 0 ||
    findings.some((f) =>
      ['chain.unparseable', 'chain.unsupported-certificate', 'chain.crl-unreadable', 'chain.unsupported-crl'].includes(
        f.code,
      ),
    )
  ) {
    if (req.presented.length === 0)
      findings.push(finding('error', 'chain.empty', 'the presented chain holds no certificate'));
    return { ok: false, chain: presented.map((c) => c.subjectText), requiredDepth: null, nginx: null, findings };
  }

  const at = epochSeconds(req.at);
  const sslName = req.name === undefined ? undefined : nginxSslName(req.name);
  const outcome = x509VerifyCert(presented, store, req.depth, at, crls, authBits);
  const discovery =
    outcome.anchored || req.depth >= DISCOVERY_DEPTH
      ? outcome
      : x509VerifyCert(presented, store, DISCOVERY_DEPTH, at, crls, authBits);
  // A trusted certificate first parsed by these lookups that the ASN.1 library cannot decode:
  // reported where the store's problems go, and no verdict, as if found when the store was built.
  if (store.problems.length > problemsKnown) {
    findings.splice(problemsAt + problemsKnown, 0, ...store.problems.slice(problemsKnown).map(problemFinding));
    return { ok: false, chain: presented.map((c) => c.subjectText), requiredDepth: null, nginx: null, findings };
  }
  const requiredDepth = discovery.anchored ? Math.max(0, discovery.chain.length - 2) : null;

  // X509v3_asid_validate_path() starts from the leaf's AS numbers: not modelled, so no verdict.
  if (presented[0].ex.asIdentifiers) {
    findings.push(
      finding(
        'error',
        'chain.unsupported-rfc3779',
        `the leaf ${quoteName(presented[0])} carries RFC 3779 autonomous system numbers (sbgp-autonomousSysNum), whose path check gwctl does not model: it cannot predict nginx's verdict`,
        sourceOf(presented[0]),
      ),
    );
    return { ok: false, chain: outcome.chain.map((c) => c.subjectText), requiredDepth, nginx: null, findings };
  }

  // What X509_verify_cert() and nginx's host check decide (the layer libcrypto is compared on)...
  let verified: ChainVerdict['nginx'] = null;
  const verifyFindings: ChainFinding[] = [];
  if (outcome.error !== V.OK) {
    verified = { code: outcome.error, reason: verifyErrorString(outcome.error) };
    verifyFindings.push(
      ...explainErrors({
        outcome,
        presented,
        depth: req.depth,
        requiredDepth,
        storeName: req.trustStoreName,
        sourceOf,
        crls,
        crlSourceOf: (c) => crlSources.get(c),
        trustAux: store.aux,
        securityLevel: level,
      }),
    );
  } else if (sslName !== undefined && !hostMatches(presented[0], sslName)) {
    verified = { code: V.HOSTNAME_MISMATCH, reason: verifyErrorString(V.HOSTNAME_MISMATCH), name: sslName };
    verifyFindings.push(
      explainHostMismatch(presented[0], sslName, hasIpSan(presented[0], sslName), sourceOf, req.name),
    );
  }
  // A file given CA first (a server always sends its own certificate first): the order is the
  // problem, not the CA's keyUsage or purpose as a leaf.
  const leafAt = notLeafFirst(presented);
  if (leafAt !== null) {
    const order = leafFirstOrder(presented, leafAt);
    findings.push(
      finding(
        'error',
        'chain.not-leaf-first',
        `the chain starts with the CA certificate ${quoteName(presented[0])}, but a server sends its own certificate first: the leaf ${quoteName(presented[leafAt])} is certificate ${leafAt + 1} of ${presented.length}. Reorder the chain leaf first, each certificate followed by the one that issued it: ${order.map(quoteName).join(', then ')}`,
        sourceOf(presented[0]),
      ),
    );
    findings[findings.length - 1].fix = fix([
      { kind: 'reorder-chain', field: 'presentedChain', order: order.map(certRef) },
    ]);
    return {
      ok: false,
      chain: outcome.chain.map((c) => c.subjectText),
      requiredDepth,
      nginx: tooLarge ? null : verified,
      verified,
      findings,
    };
  }
  // ...unless the server cannot present this leaf at all: then nothing is verified and nginx logs a handshake failure.
  const levelProblem = securityLevelHandshakeProblem(presented[0], level, authBits, formatsFor(req.protocols).tls13);
  const handshake =
    handshakeProblem(presented[0], req.protocols) ??
    (levelProblem === null ? null : { reason: levelProblem, tls13Helps: false });
  const nginx = handshake || tooLarge ? null : verified;
  // An oversized Certificate message is refused before anything about the server is looked at.
  if (handshake && !tooLarge) {
    findings.push(
      finding(
        'error',
        'chain.handshake-fails',
        `nginx cannot complete the TLS handshake with the upstream serving ${quoteName(presented[0])}: ${handshake.reason}; nginx logs "SSL_do_handshake() failed" instead of a verify error`,
        sourceOf(presented[0]),
      ),
    );
    const reissue = outsideSpec(presented[0], handshake.reason);
    findings[findings.length - 1].fix = handshake.tls13Helps
      ? fix([{ kind: 'add-protocol', field: 'protocols', value: 'TLSv1.3' }], reissue.steps)
      : reissue;
  } else if (!tooLarge) findings.push(...verifyFindings);
  findings.push(...ipNameWarning(req.name));
  if (outcome.anchored) {
    findings.push(...expiryWarnings(outcome.chain, at, req.warnDays ?? DEFAULT_WARN_DAYS, sourceOf));
    findings.push(
      ...crlExpiryWarnings(outcome, at, req.warnDays ?? DEFAULT_WARN_DAYS, req.trustStoreName, (c) =>
        crlSources.get(c),
      ),
    );
    if (nginx === null && !handshake && !tooLarge)
      findings.push(...strictnessWarnings(outcome.chain, req.name, sourceOf));
  }
  findings.push(...trustStoreWarnings(store.size, req.trustStoreName));
  const usable = store.problems.length === 0 && req.trusted.length > 0 && !req.trustFileProblems?.length;
  return {
    ok: nginx === null && usable && !handshake && !tooLarge,
    chain: outcome.chain.map((c) => c.subjectText),
    requiredDepth,
    nginx,
    verified,
    findings,
  };
}

/** Which certificates to drop or shrink: the largest ones, by where they are in the served file. */
function shrinkAdvice(presented: CertSource[]): string {
  const largest = presented
    .map((s, i) => ({ i, size: s.block.der.length, s }))
    .sort((a, b) => b.size - a.size || a.i - b.i)
    .slice(0, 3)
    .map((c) => `certificate ${c.i + 1}${c.s.block.line ? ` (${c.s.file}:${c.s.block.line})` : ''}, ${c.size} bytes`);
  return `Serve less: only the leaf and the intermediates up to (not including) the root, which the trust store holds; reissue oversized certificates (huge subjectAltName lists, embedded data). Largest: ${largest.join('; ')}`;
}

/** Where the leaf is when the chain starts with a CA (basicConstraints CA:TRUE) and holds a non-CA later; else null. */
function notLeafFirst(presented: ChainCert[]): number | null {
  if (presented.length < 2 || !presented[0].ex.ca) return null;
  const at = presented.findIndex((c) => !c.ex.ca);
  return at > 0 ? at : null;
}

export { parseCertificate } from './certificate.js';
export { handshakeProblem } from './handshake.js';
export type { ChainCert, ChainCrl, VerifyOutcome } from './types.js';
export { x509VerifyCert } from './verify.js';
export { trustStoreOf } from './store.js';
export { parseCrl } from './crl.js';

// What the client-certificate analysis (src/tls/client-certificate.ts) uses of the engine: the
// same parsing, strength, purpose, signature and time rules as the server chain.
export { finding, isoDate, quoteName } from './describe.js';
export { keyStrongEnough, signatureStrongEnough } from './check-extensions.js';
export { likelyIssued } from './issued.js';
export { signatureValid } from './internal-verify.js';
export { sslClientPurposeProblem } from './purpose.js';
export { asnTimeSeconds, cmpTime, epochSeconds } from './time.js';
export { expiresWithin } from './warnings.js';
export { unofferedCurve } from './handshake.js';
// gwctl probe sends the SNI nginx would.
export { nginxSslName } from './host.js';
// probe reports the same limit when s_client (the same libssl) stops at it.
export { MAX_CERT_LIST } from './cert-list-size.js';
