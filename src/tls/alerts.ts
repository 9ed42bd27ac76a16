/**
 * TLS alerts an upstream sends to nginx (the client) during the handshake, as nginx logs them:
 * `SSL_do_handshake() failed (SSL: error:...:SSL routines::tlsv1 alert unknown ca:SSL alert number 48)`.
 * For each: what the server is saying, the likely reasons in order, and the fix in the spec.
 * Alerts about the client certificate come from servers that verify it inside the handshake
 * (OpenSSL s_server, Go, Java, Envoy); an nginx upstream instead completes the handshake and
 * answers 400 (see explain's rules for "client sent no required SSL certificate").
 */
export interface AlertAdvice {
  name: string;
  cause: string;
  reasons: string[];
  fix: string;
}

const CLIENT_CERT_FIX =
  "give the upstream tls.clientCertificate a certificate issued by a CA the upstream trusts, leaf first with its intermediates, with extendedKeyUsage clientAuth (or none), valid now; ask the upstream's owner which CA it trusts";

export const ALERTS: Record<number, AlertAdvice> = {
  40: {
    name: 'handshake_failure',
    cause: 'the upstream found nothing it could agree on with nginx and ended the handshake',
    reasons: [
      'the upstream demands a client certificate (TLS 1.2) and nginx sent none: the upstream has no tls.clientCertificate',
      'no TLS version, cipher or signature algorithm in common (tls.protocols / tls.ciphers too narrow for the upstream, or its own settings)',
      "the upstream's certificate cannot be used with what nginx offers: a DSA key, an ECDSA key off P-256/P-384/P-521, or (TLS 1.2) an ECDSA/EdDSA key whose keyUsage lacks digitalSignature",
    ],
    fix: 'run `gwctl probe` against the upstream: it shows whether a client certificate is requested and which protocol and cipher it agrees to; add tls.clientCertificate, widen tls.protocols/tls.ciphers, or have the upstream reissue its certificate (RSA 2048+ or ECDSA P-256/P-384 with digitalSignature)',
  },
  42: {
    name: 'bad_certificate',
    cause: 'the upstream rejected the client certificate nginx presented (proxy_ssl_certificate)',
    reasons: [
      'the certificate is corrupt, its signature does not verify, or it is not a certificate the upstream can parse',
      'the upstream does not trust it (some servers say 42 instead of 48)',
      'in TLS 1.2, some servers send 42 when no certificate was sent at all',
    ],
    fix: CLIENT_CERT_FIX,
  },
  43: {
    name: 'unsupported_certificate',
    cause: 'the upstream cannot use the client certificate nginx presented for client authentication',
    reasons: [
      'its extendedKeyUsage lacks clientAuth (a server certificate used as client certificate)',
      'its key type is one the upstream does not accept',
    ],
    fix: CLIENT_CERT_FIX,
  },
  44: {
    name: 'certificate_revoked',
    cause: "the upstream found nginx's client certificate revoked",
    reasons: ["the client certificate (or one of its CAs) is on the issuer's CRL"],
    fix: 'issue a new client certificate and point clientCertificates.NAME.certificate/key at it',
  },
  45: {
    name: 'certificate_expired',
    cause: "the upstream found nginx's client certificate (or one of its CAs) expired or not yet valid",
    reasons: ['the client certificate expired', 'an intermediate of it expired', "the upstream's clock is wrong"],
    fix: 'renew the client certificate and point clientCertificates.NAME.certificate/key at it (gwctl verify-chain warns before expiry)',
  },
  46: {
    name: 'certificate_unknown',
    cause: "the upstream could not accept nginx's client certificate for a reason it does not name",
    reasons: [
      'the upstream does not trust the CA that issued it',
      'its extendedKeyUsage lacks clientAuth',
      'the client certificate file lacks its intermediate',
    ],
    fix: CLIENT_CERT_FIX,
  },
  48: {
    name: 'unknown_ca',
    cause: "the upstream could not chain nginx's client certificate to a CA it trusts",
    reasons: [
      'the client certificate was issued by a CA the upstream does not trust',
      'the client certificate file lacks the intermediate between it and the CA the upstream trusts (put the leaf first, then its intermediates)',
      "the upstream's own verify depth is too small for the client certificate's chain",
    ],
    fix: CLIENT_CERT_FIX,
  },
  49: {
    name: 'access_denied',
    cause: "the upstream verified nginx's client certificate and then refused it by policy",
    reasons: ["the certificate is valid but not on the upstream's allow list (subject, SAN or pinned key)"],
    fix: "ask the upstream's owner to allow the gateway's client certificate, or present the one it allows",
  },
  51: {
    name: 'decrypt_error',
    cause: 'a handshake signature or Finished message did not verify',
    reasons: [
      "the client certificate's key does not belong to it (proxy_ssl_certificate_key is another key)",
      'a middlebox altered the handshake',
    ],
    fix: 'check that clientCertificates.NAME.key belongs to its certificate (`gwctl validate` checks it)',
  },
  70: {
    name: 'protocol_version',
    cause: 'the upstream supports none of the TLS versions nginx offered',
    reasons: [
      "tls.protocols leaves out the version the upstream speaks (an old upstream: TLSv1/TLSv1.1, which OpenSSL 3's default security level refuses too)",
      'the upstream only speaks TLS 1.3 and tls.protocols lists only TLSv1.2, or the reverse',
      'the upstream only speaks TLS 1.3 and nginx is older than 1.23.4, whose default protocols lack it, while the spec declares no runtime.nginxVersion (gwctl adds TLSv1.3 for a declared older version)',
    ],
    fix: 'set tls.protocols to include a version the upstream supports (`gwctl probe` shows what it agrees to), or declare runtime.nginxVersion (`nginx -v`)',
  },
  71: {
    name: 'insufficient_security',
    cause: 'the upstream wants stronger cipher suites than nginx offered',
    reasons: ['tls.ciphers lists only suites the upstream considers too weak'],
    fix: "remove tls.ciphers (nginx then offers OpenSSL's DEFAULT list) or add the suites the upstream accepts",
  },
  80: {
    name: 'internal_error',
    cause: 'the upstream failed internally during the handshake',
    reasons: ['a problem on the upstream itself (its key, its configuration, its resources)'],
    fix: "look at the upstream's own logs",
  },
  112: {
    name: 'unrecognized_name',
    cause: 'the upstream does not serve the name nginx sent in SNI',
    reasons: [
      'tls.serverName (proxy_ssl_name, sent as SNI) is not a name the upstream is configured for',
      "tls.serverName is absent and nginx sent the upstream block's host, which the upstream does not know",
    ],
    fix: 'set upstreams.NAME.tls.serverName to a name the upstream serves (its certificate must hold it too)',
  },
  116: {
    name: 'certificate_required',
    cause: 'the upstream (TLS 1.3) demands a client certificate and nginx sent none',
    reasons: [
      'the upstream has no tls.clientCertificate',
      "the client certificate's CA is not among those the upstream asked for, so OpenSSL sent none (nginx sends it anyway; other clients may not)",
    ],
    fix: 'add a client certificate the upstream trusts: clientCertificates.NAME { certificate, key } and upstreams.UPSTREAM.tls.clientCertificate: NAME',
  },
};

export function alertAdvice(n: number): AlertAdvice {
  return (
    ALERTS[n] ?? {
      name: `alert ${n}`,
      cause: `the upstream ended the handshake with TLS alert ${n}`,
      reasons: ['a problem the upstream reports in its own logs'],
      fix: "look at the upstream's own logs for the handshake with the gateway; `gwctl probe` repeats the handshake nginx makes",
    }
  );
}
