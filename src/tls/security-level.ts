/**
 * OpenSSL's security level in nginx's upstream SSL context. It decides which keys and signature
 * digests X509_verify_cert() accepts from the upstream (verify errors 66, 67, 68), which
 * signature algorithms nginx offers in the handshake, and whether proxy_ssl_certificate loads.
 *
 * Measured on Debian 12's nginx 1.22.1 / OpenSSL 3.0 (docs/nginx-behaviour.md): Debian builds
 * libssl with OPENSSL_TLS_SECURITY_LEVEL=2 and its /etc/ssl/openssl.cnf sets no CipherString,
 * so a context starts at level 2; proxy_ssl_ciphers (default DEFAULT) changes the level only
 * through an `@SECLEVEL=N` element, the last one winning, and nginx applies the cipher list
 * before it loads proxy_ssl_certificate.
 */
export const DEFAULT_SECURITY_LEVEL = 2;

/** minbits_table of crypto/x509/x509_vfy.c and ssl/t1_lib.c, by level (0: no minimum). */
const MIN_BITS = [0, 80, 112, 128, 192, 256] as const;

/** What each level asks for, in the key sizes people choose. */
const EXAMPLES = [
  'no minimum',
  'RSA 1024, EC P-160 or larger; SHA-1 and MD5 signatures refused',
  'RSA 2048, EC P-224 or larger; SHA-1 and MD5 signatures refused',
  'RSA 3072, EC P-256 or larger; SHA-256 or stronger signatures',
  'RSA 7680, EC P-384 or larger; SHA-384 or stronger signatures',
  'RSA 15360, EC P-521; SHA-512 signatures',
] as const;

/** Security bits a key or signature needs at this level (0 at level 0: nothing is checked). */
export function securityBits(level: number): number {
  return MIN_BITS[Math.max(0, Math.min(5, level))];
}

/**
 * The level a cipher list leaves: SSL_CTX_set_cipher_list() sets it for each `@SECLEVEL=N`
 * element (exactly one digit 0-5; anything else makes nginx refuse the list, which
 * tls.bad-ciphers reports), the last one winning; without one the level stays as it was.
 */
export function securityLevelOf(ciphers: string | undefined): number {
  let level = DEFAULT_SECURITY_LEVEL;
  for (const m of (ciphers ?? '').matchAll(/@([A-Za-z0-9.=-]*)/g)) {
    const n = /^SECLEVEL=([0-5])$/.exec(m[1]);
    if (n) level = Number(n[1]);
  }
  return level;
}

/** "security level 3 (128-bit strength: RSA 3072, ...)" for messages. */
export function describeLevel(level: number): string {
  const bits = securityBits(level);
  const detail = `${bits ? `${bits}-bit strength: ` : ''}${EXAMPLES[level] ?? EXAMPLES[5]}`;
  return `OpenSSL security level ${level} (${level === DEFAULT_SECURITY_LEVEL ? "nginx's default; " : ''}${detail})`;
}
