import type { KeyObject, X509Certificate } from 'node:crypto';
import type { CertSource } from '../verdict.js';
import type { KeyInfo } from './algorithms.js';
import type { GeneralName } from './general-name.js';
import type { X509Name } from './name.js';

/**
 * The chain engine's data model, in one module that imports no engine code: the parsed
 * certificate and CRL, the trust store, the X509_STORE_CTX state and the outcome. Every engine
 * file imports its types from here, so type imports never tie implementation files into a cycle.
 */

/** A BIT STRING as OpenSSL's c2i_ASN1_BIT_STRING() leaves it: bytes, unused bits cleared. */
export interface Bits {
  bytes: Buffer;
  unused: number;
}

export type AddressOrRange = { prefix: Bits } | { min: Bits; max: Bits };

/** ASN.1 time as stored: its tag and its characters; interpretation happens at check time, as in OpenSSL. */
export interface AsnTime {
  tag: number;
  text: string;
}

export interface ChainCert {
  der: Buffer;
  /** node's X509Certificate, i.e. OpenSSL's X509: signatures, checkHost, checkPrivateKey, the public key. */
  x509: X509Certificate;
  version: number;
  serial: bigint;
  /** The TBSCertificate's signature AlgorithmIdentifier (what check_sig_alg_match() reads). */
  tbsSignatureOid: string;
  /** Its parameters' DER; null for an explicit NULL, undefined when absent. */
  tbsSignatureParams: ArrayBuffer | null | undefined;
  issuer: X509Name;
  subject: X509Name;
  subjectText: string;
  issuerText: string;
  notBefore: AsnTime;
  notAfter: AsnTime;
  publicKey: KeyObject | null;
  key: KeyInfo | null;
  /** Security bits of the signature algorithm, null when OpenSSL cannot rate it. */
  signatureBits: number | null;
  /** The extensions in certificate order; `der` is the whole Extension, `value` the extnValue octets. */
  extensions: { oid: string; critical: boolean; value: Buffer; der: Buffer }[];
  ex: ExtensionFacts;
}

/** `openssl`: OpenSSL itself refuses the DER; `gwctl`: OpenSSL accepts it but gwctl's certificate reader cannot decode it. */
export type ParseResult = { cert: ChainCert } | { error: string; by: 'openssl' | 'gwctl' };

/**
 * The extensions of a certificate as ossl_x509v3_cache_extensions() (crypto/x509/v3_purp.c)
 * digests them into x->ex_flags and friends, including when it marks a certificate invalid.
 */
export interface AuthorityKeyId {
  keyId: Buffer | null;
  /** The first directoryName of authorityCertIssuer (the only one X509_check_akid() looks at). */
  issuerName: X509Name | null;
  serial: bigint | null;
}

export interface GeneralSubtree {
  base: GeneralName;
  /** minimum present and non-zero, or maximum present: OpenSSL refuses such subtrees (SUBTREE_MINMAX). */
  minMaxInvalid: boolean;
}

export interface NameConstraints {
  permitted: GeneralSubtree[];
  excluded: GeneralSubtree[];
}

/**
 * What ossl_x509v3_cache_extensions() derives from a certificate (x->ex_flags and friends).
 * `invalid` is EXFLAG_INVALID: OpenSSL then treats the certificate as broken in many places
 * (X509_check_ca() == 0, X509_self_signed() < 0, ...).
 */
export interface ExtensionFacts {
  invalid: boolean;
  v1: boolean;
  /** basicConstraints present. */
  bcons: boolean;
  ca: boolean;
  /** pathLenConstraint, -1 when absent. */
  pathlen: number;
  proxy: boolean;
  /** keyUsage bits as OpenSSL packs them (first byte | second byte << 8), null when absent. */
  keyUsage: number | null;
  /** XKU_* bits, null when extendedKeyUsage is absent. */
  extKeyUsage: number | null;
  /** The extendedKeyUsage OIDs, for messages. */
  extKeyUsageOids: string[];
  nsCertType: number | null;
  skid: Buffer | null;
  akid: AuthorityKeyId | null;
  /** EXFLAG_SI: subject == issuer. */
  selfIssued: boolean;
  /** EXFLAG_SS: self-issued, AKID consistent with own SKID, own key fits own signature algorithm. */
  selfSigned: boolean;
  /** EXFLAG_CRITICAL: a critical extension OpenSSL does not handle. */
  unhandledCritical: string | null;
  altNames: GeneralName[] | null;
  nameConstraints: NameConstraints | null;
  /** RFC 3779 sbgp-ipAddrBlock, decoded (null when absent). */
  ipAddrBlocks: IpAddressFamily[] | null;
  /** RFC 3779 sbgp-autonomousSysNum is present (its path check is not modelled). */
  asIdentifiers: boolean;
  /** Human reasons for `invalid`. */
  invalidReasons: string[];
}

export interface IpAddressFamily {
  /** addressFamily: AFI (two octets) and optional SAFI. */
  family: Buffer;
  /** null: inherit. */
  ranges: AddressOrRange[] | null;
}

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
  /** The auth level's minimum security bits (SSL security level, 0 = none): check_key_level(), check_sig_level(). */
  authBits: number;
  /** What check_revocation() found for each certificate, for the findings. */
  revocation?: RevocationNote[];
}

/** A trust store as X509_STORE holds it: parsed once, duplicates dropped, looked up by subject. */
export interface TrustStore {
  /** Every certificate fully parsed (costly for a big store: the engine itself uses `size` and lookups). */
  readonly certs: ChainCert[];
  /** Certificates held, duplicates dropped. */
  size: number;
  /** Source of each certificate parsed so far. */
  sources: Map<ChainCert, CertSource>;
  /**
   * Certificates nginx would fail to load (the whole file is then refused), and certificates the
   * ASN.1 library cannot decode; the latter are found when a lookup first parses them.
   */
  problems: { source: CertSource; message: string; by: 'openssl' | 'gwctl' }[];
  /** By canonical subject (hex), in load order. */
  bySubject: Map<string, StoreEntry[]>;
  /** The aux trust settings of certificates loaded from TRUSTED CERTIFICATE blocks (the copy the store kept). */
  aux: Map<ChainCert, TrustAux>;
}

/** A trust store's certificate: OpenSSL has decoded it; the engine's parse is done on first lookup. */
export interface StoreEntry {
  der: Buffer;
  /** derKey(der). */
  key: string;
  source: CertSource;
  aux: TrustAux | null;
  /** The full parse once done; null when the ASN.1 library cannot decode it. */
  cert?: ChainCert | null;
}

/**
 * The auxiliary trust settings of a `TRUSTED CERTIFICATE` PEM block (X509_CERT_AUX, written by
 * `openssl x509 -addtrust/-addreject ... -trustout`):
 *
 *   X509_CERT_AUX ::= SEQUENCE {
 *     trust   SEQUENCE OF OBJECT IDENTIFIER OPTIONAL,
 *     reject  [0] IMPLICIT SEQUENCE OF OBJECT IDENTIFIER OPTIONAL,
 *     alias UTF8String OPTIONAL, keyid OCTET STRING OPTIONAL, other [1] ... OPTIONAL }
 *
 * nginx keeps them: SSL_CTX_load_verify_locations() → X509_load_cert_crl_file() →
 * PEM_X509_INFO_read_bio() reads such blocks with d2i_X509_AUX().
 */
export interface TrustAux {
  /** Trusted purposes (OIDs); null when the list is absent (an empty list is not absent: it trusts nothing). */
  trust: string[] | null;
  /** Rejected purposes (OIDs); null when absent. */
  reject: string[] | null;
}

/** X509_TRUST_* results. */
export type TrustResult = 'trusted' | 'rejected' | 'untrusted';

/**
 * A CRL as OpenSSL 3.0 keeps it after d2i (crl_cb() in crypto/x509/x_crl.c): issuer, the two
 * times as written, the revoked serials, the AKID, the issuing distribution point flags, and
 * EXFLAG_CRITICAL. The structure comes from @peculiar/asn1-x509's CertificateList schema; the
 * issuer name and the times from the asn1js elements, for the same reasons as in certificates.
 */
export interface ChainCrl {
  der: Buffer;
  issuer: X509Name;
  issuerText: string;
  lastUpdate: AsnTime;
  nextUpdate: AsnTime | null;
  /** Revoked serials and their reason code (-1 when absent, CRL_REASON_NONE). */
  revoked: Map<bigint, number>;
  akid: AuthorityKeyId | null;
  /** crl->flags & EXFLAG_CRITICAL: a critical CRL or entry extension OpenSSL does not handle. */
  unhandledCritical: string | null;
  /** IDP_* flags (IDP_PRESENT etc.); 0 without an issuingDistributionPoint. */
  idpFlags: number;
  /** crl->base_crl_number is set: a delta CRL (deltaCRLIndicator present). */
  delta: boolean;
  /** The TBSCertList bytes, the outer signature algorithm and the signature, for X509_CRL_verify(). */
  tbs: Buffer;
  sigOid: string;
  sigParams: ArrayBuffer | null | undefined;
  signature: Buffer;
}

export type CrlParse = { crl: ChainCrl } | { error: string; by: 'openssl' | 'gwctl' };

/** What check_cert() decided for one certificate of the chain, for the findings. */
export interface RevocationNote {
  depth: number;
  crl: ChainCrl | null;
  /** The certificate check_crl() verified the CRL with. */
  crlIssuer: ChainCert | null;
}

export interface VerifyOutcome {
  /** ctx->error after X509_verify_cert(): what SSL_get_verify_result() returns to nginx. */
  error: number;
  /** Every error the callback saw, in order, with its depth. */
  seen: SeenError[];
  chain: ChainCert[];
  /** ctx->num_untrusted: chain[numUntrusted..] came from the trust store. */
  numUntrusted: number;
  /** The built chain ends in a trust anchor from the store. */
  anchored: boolean;
  /** X509_verify_cert() gave up (returned <= 0 without the callback): the handshake itself fails. */
  aborted: string | null;
  /** check_revocation()'s view of each certificate; absent without CRLs. */
  revocation?: RevocationNote[];
}

/** Where a certificate came from, for findings that point at a file and line. */
export type SourceOf = (c: ChainCert) => CertSource | undefined;
