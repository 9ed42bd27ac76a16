import type { Fix } from '../diagnostics/fix.js';
import type { PemBlock } from './pem.js';

/**
 * The contract between the chain engine and the rest of gwctl. The engine answers one question:
 * "what will nginx (OpenSSL 3 under proxy_ssl_verify on) decide for this upstream?"
 */

/** A certificate as it appears in a file: where it came from plus its DER bytes. */
export interface CertSource {
  block: PemBlock;
  file: string;
}

export interface ChainRequest {
  /** The chain the upstream serves, leaf first, as sent in the TLS handshake. */
  presented: CertSource[];
  /** Everything in proxy_ssl_trusted_certificate (the trust store's files, concatenated). */
  trusted: CertSource[];
  /** proxy_ssl_verify_depth. */
  depth: number;
  /** proxy_ssl_name; undefined skips the host check. */
  name?: string;
  /** Evaluation time. */
  at: Date;
  /**
   * proxy_ssl_crl: the PEM `X509 CRL` blocks of the trust store's CRL file. When present (even
   * empty), nginx checks every certificate of the chain against a CRL from its issuer.
   */
  crls?: CertSource[];
  /** The OpenSSL security level of the upstream's SSL context (from proxy_ssl_ciphers' @SECLEVEL); default 2. */
  securityLevel?: number;
  /** proxy_ssl_protocols as nginx will use them; undefined: unknown (TLS 1.2 or 1.3 may be negotiated). */
  protocols?: readonly string[];
}

export interface NginxError {
  /** OpenSSL X509_V_ERR_* number; 62 for a host name mismatch. */
  code: number;
  reason: string;
  /** For 62: the name nginx checked and logs (`does not match "NAME"`): proxy_ssl_name cut at its first ':'. */
  name?: string;
}

export interface ChainFinding {
  severity: 'error' | 'warning' | 'info';
  /** Stable code such as `chain.depth-exceeded`. */
  code: string;
  message: string;
  /** Certificate the finding is about, when there is one. */
  file?: string;
  line?: number;
  /** The advised change in machine-readable form (errors only); the message says the same in words. */
  fix?: Fix;
}

export interface ChainVerdict {
  ok: boolean;
  /** Subjects of the path OpenSSL builds, leaf first (RFC 4514 strings, e.g. "CN=orders.internal"). */
  chain: string[];
  /** Smallest proxy_ssl_verify_depth that the built path needs; null when no path to an anchor exists. */
  requiredDepth: number | null;
  /** What nginx logs; null when the upstream will verify (or when the handshake fails first). */
  nginx: NginxError | null;
  /**
   * What certificate verification and the host check decide, had the handshake got that far:
   * equal to `nginx` except when a finding `chain.handshake-fails` says the handshake fails first.
   */
  verified?: NginxError | null;
  findings: ChainFinding[];
}
