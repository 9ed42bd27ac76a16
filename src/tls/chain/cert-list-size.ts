/**
 * The Certificate handshake message nginx's OpenSSL client reads, and the limit it puts on it.
 *
 * OpenSSL's client refuses a Certificate message whose body (the 4-byte handshake header not
 * counted) exceeds SSL_CTX's max_cert_list, SSL_MAX_CERT_LIST_DEFAULT = 100 KiB; nginx never
 * raises it. The handshake then fails before any verification ("excessive message size") and
 * nginx answers 502. Measured on nginx 1.22.1 / OpenSSL 3.0 to the byte, both sides of the limit,
 * with one and with two certificates served (test/e2e/cert-list-limit.test.ts):
 *
 *   TLS 1.2 (and 1.0/1.1): 3-byte list length + per certificate (3-byte length + DER)
 *   TLS 1.3: 1-byte request context length (empty from a server) + 3-byte list length
 *            + per certificate (3-byte length + DER + 2-byte extensions length, no extensions:
 *            nginx asks for neither OCSP stapling nor SCTs from upstreams)
 */
export const MAX_CERT_LIST = 100 * 1024;

export function certificateMessageBody(derLengths: readonly number[], tls13: boolean): number {
  const perCert = tls13 ? 5 : 3;
  return (tls13 ? 4 : 3) + derLengths.reduce((sum, n) => sum + perCert + n, 0);
}

/** Which message formats nginx may use with these proxy_ssl_protocols (undefined: either). */
export function formatsFor(protocols: readonly string[] | undefined): { tls12: boolean; tls13: boolean } {
  if (protocols === undefined) return { tls12: true, tls13: true };
  return { tls12: protocols.some((p) => p !== 'TLSv1.3'), tls13: protocols.includes('TLSv1.3') };
}

/** Why the served list is too large for nginx, or null. */
export function certListProblem(
  derLengths: readonly number[],
  protocols: readonly string[] | undefined,
): string | null {
  const { tls12, tls13 } = formatsFor(protocols);
  const size12 = certificateMessageBody(derLengths, false);
  const size13 = certificateMessageBody(derLengths, true);
  const over12 = tls12 && size12 > MAX_CERT_LIST;
  const over13 = tls13 && size13 > MAX_CERT_LIST;
  if (!over12 && !over13) return null;
  const sizes = over12
    ? `${size12} bytes in TLS 1.2${tls13 ? ` (${size13} in TLS 1.3)` : ''}`
    : `${size13} bytes when TLS 1.3 is negotiated (${size12} in TLS 1.2, which would fit)`;
  return `the upstream's Certificate message (${derLengths.length} certificate${derLengths.length === 1 ? '' : 's'}, ${derLengths.reduce((a, b) => a + b, 0)} bytes of DER) is ${sizes}, over the ${MAX_CERT_LIST} bytes (100 KiB, SSL_MAX_CERT_LIST_DEFAULT) OpenSSL's client accepts; nginx cannot raise that limit, so the handshake fails before verification: nginx logs "SSL_do_handshake() failed (SSL: error:0A000098:SSL routines::excessive message size)" and answers 502`;
}
