import type { KeyObject } from 'node:crypto';
import { isEncryptedKey, openPrivateKey } from './private-key.js';
import { DEFAULT_SECURITY_LEVEL, describeLevel, securityBits } from './security-level.js';
import type { PemBlock } from './pem.js';
import type { CertSource, ChainFinding } from './verdict.js';
import {
  DEFAULT_WARN_DAYS,
  cmpTime,
  epochSeconds,
  expiresWithin,
  finding,
  isoDate,
  keyStrongEnough,
  likelyIssued,
  parseCertificate,
  quoteName,
  signatureStrongEnough,
  signatureValid,
  sslClientPurposeProblem,
  unofferedCurve,
  type ChainCert,
} from './chain/index.js';

/**
 * Checks an identity nginx presents to upstreams (proxy_ssl_certificate + _key): the key opens
 * and belongs to the leaf, the file is in order, the leaf may authenticate a TLS client, and it
 * is valid. Messages never contain key material.
 */
export interface ClientCertificateRequest {
  /** The certificate file's blocks: leaf first, then its intermediates. */
  certificates: CertSource[];
  /** The key file's private key blocks (the first one is used, as nginx does). */
  keys: PemBlock[];
  /** The key, when the caller already opened it (the spec loader does, trying every passphrase line). */
  key?: KeyObject;
  keyFile?: string;
  /** The key lives on the gateway host: everything but the key is checked. */
  keyOnHost?: boolean;
  /** Passphrase for an encrypted key (proxy_ssl_password_file). */
  passphrase?: string;
  at: Date;
  /** Warn when a certificate expires within this many days (default 30). */
  warnDays?: number;
  /** The strictest OpenSSL security level of the upstreams presenting it (their ciphers' @SECLEVEL); default 2. */
  securityLevel?: number;
}

export interface ClientCertificateReport {
  ok: boolean;
  /** Subject of the leaf, RFC 4514. */
  subject: string | null;
  findings: ChainFinding[];
}

export function checkClientCertificate(req: ClientCertificateRequest): ClientCertificateReport {
  const findings: ChainFinding[] = [];
  const certs: { cert: ChainCert; source: CertSource }[] = [];
  for (const source of req.certificates) {
    const r = parseCertificate(source.block.der);
    if ('error' in r)
      findings.push(
        finding(
          'error',
          'client.unparseable',
          `a certificate in the client certificate file cannot be used: ${r.error}`,
          source,
        ),
      );
    else certs.push({ cert: r.cert, source });
  }
  if (req.certificates.length === 0)
    findings.push(finding('error', 'client.no-certificate', 'the client certificate file holds no certificate'));
  const leaf = certs[0];

  const key = req.key ?? (req.keyOnHost ? null : openKey(req, findings));
  if (leaf && key) {
    let matches = false;
    try {
      matches = leaf.cert.x509.checkPrivateKey(key);
    } catch {
      matches = false;
    }
    if (!matches)
      findings.push(
        finding(
          'error',
          'client.key-mismatch',
          `the private key${req.keyFile ? ` in ${req.keyFile}` : ''} does not belong to the certificate ${quoteName(leaf.cert)}: nginx refuses to start ("key values mismatch")`,
          leaf.source,
        ),
      );
  }
  if (leaf) {
    checkOrder(certs, findings);
    checkPurpose(certs, findings);
    checkValidity(certs, epochSeconds(req.at), req.warnDays ?? DEFAULT_WARN_DAYS, findings);
    checkStrength(certs, findings, req.securityLevel ?? DEFAULT_SECURITY_LEVEL);
    checkCurve(leaf, findings);
  }
  return { ok: !findings.some((f) => f.severity === 'error'), subject: leaf ? leaf.cert.subjectText : null, findings };
}

function openKey(req: ClientCertificateRequest, findings: ChainFinding[]): KeyObject | null {
  const block = req.keys[0];
  const where = req.keyFile ? ` in ${req.keyFile}` : '';
  const at = (f: ChainFinding) => ({ ...f, ...(req.keyFile ? { file: req.keyFile, line: block?.line } : {}) });
  if (!block) {
    findings.push(finding('error', 'client.no-key', `no private key${where}`));
    return null;
  }
  if (req.keys.length > 1)
    findings.push(
      at(
        finding(
          'warning',
          'client.several-keys',
          `the key file${where} holds ${req.keys.length} private keys; nginx uses the first`,
        ),
      ),
    );
  const encrypted = isEncryptedKey(block);
  if (encrypted && req.passphrase === undefined) {
    findings.push(
      at(
        finding(
          'error',
          'client.key-encrypted',
          `the private key${where} is encrypted: give its passphrase in passwordFile (proxy_ssl_password_file)`,
        ),
      ),
    );
    return null;
  }
  const key = openPrivateKey(block, req.passphrase === undefined ? [] : [req.passphrase]);
  if (key) return key;
  findings.push(
    at(
      finding(
        'error',
        encrypted ? 'client.key-passphrase' : 'client.key-unreadable',
        encrypted
          ? `the private key${where} does not open with the passphrase from passwordFile`
          : `the private key${where} cannot be read`,
      ),
    ),
  );
  return null;
}

/** Each certificate must be issued by the next one, as TLS requires the chain in order. */
function checkOrder(certs: { cert: ChainCert; source: CertSource }[], findings: ChainFinding[]): void {
  for (let i = 0; i + 1 < certs.length; i++) {
    const subject = certs[i].cert;
    const next = certs[i + 1].cert;
    if (likelyIssued(next, subject) && signatureValid(subject, next)) continue;
    const real = certs.find((c, j) => j !== i && likelyIssued(c.cert, subject) && signatureValid(subject, c.cert));
    findings.push(
      real
        ? finding(
            'error',
            'client.chain-order',
            `the client certificate file is out of order: ${quoteName(subject)} is followed by ${quoteName(next)}, but was issued by ${quoteName(real.cert)}; put each certificate right before its issuer`,
            certs[i + 1].source,
          )
        : finding(
            'error',
            'client.chain-gap',
            `${quoteName(next)} did not issue ${quoteName(subject)}, and its issuer '${subject.issuerText}' is not in the file`,
            certs[i + 1].source,
          ),
    );
    return;
  }
  const top = certs[certs.length - 1].cert;
  if (certs.length > 1 && top.ex.selfSigned)
    findings.push(
      finding(
        'info',
        'client.root-included',
        `the file includes the root ${quoteName(top)}; upstreams need only the leaf and intermediates`,
        certs[certs.length - 1].source,
      ),
    );
}

function checkPurpose(certs: { cert: ChainCert; source: CertSource }[], findings: ChainFinding[]): void {
  certs.forEach(({ cert, source }, i) => {
    if (i > 0 && cert.ex.selfSigned) return;
    const problem = sslClientPurposeProblem(cert, i > 0);
    if (!problem) return;
    const why =
      problem === 'eku'
        ? 'its extendedKeyUsage lacks clientAuth'
        : problem === 'key-usage'
          ? 'its keyUsage allows neither digitalSignature nor keyAgreement'
          : problem === 'ns-cert-type'
            ? 'its Netscape certificate type excludes SSL client use'
            : 'it is not a CA';
    findings.push(
      finding(
        'error',
        'client.purpose',
        `${quoteName(cert)} may not authenticate a TLS client: ${why}; upstreams verifying it reject it ("unsupported certificate purpose")`,
        source,
      ),
    );
  });
}

function checkValidity(
  certs: { cert: ChainCert; source: CertSource }[],
  at: number,
  warnDays: number,
  findings: ChainFinding[],
): void {
  for (const { cert, source } of certs) {
    if (cmpTime(cert.notBefore, at) >= 0)
      findings.push(
        finding(
          'error',
          'client.not-yet-valid',
          `${quoteName(cert)} is not valid before ${isoDate(cert.notBefore)}`,
          source,
        ),
      );
    else if (cmpTime(cert.notAfter, at) <= 0)
      findings.push(
        finding('error', 'client.expired', `${quoteName(cert)} expired at ${isoDate(cert.notAfter)}`, source),
      );
    else {
      const days = expiresWithin(cert.notAfter, at, warnDays);
      if (days !== undefined)
        findings.push(
          finding(
            'warning',
            'client.expiring-soon',
            `${quoteName(cert)} expires at ${isoDate(cert.notAfter)}, in ${days} days`,
            source,
          ),
        );
    }
  }
}

/**
 * An ECDSA client key on a curve other than P-256, P-384 or P-521: TLS 1.3 has no signature
 * scheme for it, and an OpenSSL (or Node) upstream accepts TLS 1.2 client signatures only on its
 * own groups. Measured: the upstream aborts the handshake (alert 47, illegal parameter), nginx
 * answers 502 on every request.
 */
function checkCurve(leaf: { cert: ChainCert; source: CertSource }, findings: ChainFinding[]): void {
  const curve = unofferedCurve(leaf.cert.key);
  if (!curve) return;
  findings.push(
    finding(
      'error',
      'client.handshake-fails',
      `${quoteName(leaf.cert)} has its key on curve ${curve}: TLS 1.3 has no signature for it, and upstreams accept client ECDSA signatures only on P-256, P-384 and P-521, so the handshake fails (alert 47) and nginx answers 502. Reissue it on P-256 or P-384, or RSA 2048+`,
      leaf.source,
    ),
  );
}

/**
 * nginx loads the identity into each upstream's SSL context after applying its ciphers, so at that
 * context's security level (SSL_CTX_use_certificate(), SSL_CTX_add1_chain_cert()): a weak key or
 * digest stops nginx. A self-signed certificate's own signature is not rated.
 */
function checkStrength(
  certs: { cert: ChainCert; source: CertSource }[],
  findings: ChainFinding[],
  level: number,
): void {
  const bits = securityBits(level);
  const fix =
    level > DEFAULT_SECURITY_LEVEL ? ` (or lower the @SECLEVEL=${level} in the ciphers of the upstreams using it)` : '';
  certs.forEach(({ cert, source }, i) => {
    if (!keyStrongEnough(cert, bits))
      findings.push(
        finding(
          'error',
          'client.key-too-small',
          `${quoteName(cert)} has a ${cert.key ? `${cert.key.sizeBits}-bit ${cert.key.family.toUpperCase()} key (${cert.key.securityBits}-bit strength)` : 'key OpenSSL cannot rate'}, below ${describeLevel(level)}; nginx refuses to load it ("${i === 0 ? 'ee' : 'ca'} key too small")${fix}`,
          source,
        ),
      );
    if (!cert.ex.selfSigned && !signatureStrongEnough(cert, bits))
      findings.push(
        finding(
          'error',
          'client.weak-signature',
          `${quoteName(cert)} is signed with ${cert.signatureBits === null ? 'an algorithm OpenSSL cannot rate' : `a digest of ${cert.signatureBits}-bit strength`}, below ${describeLevel(level)}; nginx refuses to load it ("ca md too weak")${fix}`,
          source,
        ),
      );
  });
}
