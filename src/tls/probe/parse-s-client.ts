import type { SClientRun } from './s-client.js';

/** What one connection showed: the certificates as served, and how the connection ended. */
export interface ProbeObservation {
  /** DER of each certificate in the server's Certificate message, in the order sent. */
  certs: Buffer[];
  protocol?: string;
  cipher?: string;
  /** The server sent a CertificateRequest (TLS 1.2), or rejected the lack of one. */
  clientCertRequested: boolean;
  /** A TLS alert the server sent (RFC 8446 §6 numbers). */
  alert?: { number: number; text: string };
  /** The HTTP status line the server answered the probe's HEAD request with. */
  httpStatus?: string;
  /** Why no TLS session came up, when none did. */
  failure?: 'timeout' | 'refused' | 'unreachable' | 'not-tls' | 'closed' | 'alert' | 'cert-list-too-large' | 'other';
  /** OpenSSL's own words for the failure (its last error line), for the report. */
  detail?: string;
}

const PEM = /-----BEGIN CERTIFICATE-----\n([A-Za-z0-9+/=\n]+?)-----END CERTIFICATE-----/g;

export function parseSClient(run: SClientRun): ProbeObservation {
  const out = run.stdout.replace(/\r\n/g, '\n');
  const err = run.stderr.replace(/\r\n/g, '\n');
  // Only the "Certificate chain" section holds what the server sent; nothing else is PEM.
  const section = /\nCertificate chain\n([\s\S]*?)\n---\n/.exec(out)?.[1] ?? '';
  const certs = [...section.matchAll(PEM)].map((m) => Buffer.from(m[1].replace(/\n/g, ''), 'base64'));
  const session = /\nNew, (TLSv[\d.]+|SSLv3), Cipher is (\S+)/.exec(out);
  const alertMatch = /alert ([a-z0-9 ]+?):[^\n]*SSL alert number (\d+)/.exec(err);
  const alert = alertMatch ? { number: Number(alertMatch[2]), text: alertMatch[1].trim() } : undefined;
  const httpStatus = /^(HTTP\/\d(?:\.\d)? \d{3}[^\n]*)$/m.exec(out)?.[1]?.trim();
  const clientCertRequested =
    /\nClient Certificate Types:|\nAcceptable client certificate CA names/.test(out) ||
    alert?.number === 116 ||
    (httpStatus !== undefined && /^HTTP\/\S+ 400/.test(httpStatus) && /No required SSL certificate/i.test(out));
  const lastError = err
    .split('\n')
    .filter((l) => /:error:/.test(l))
    .pop();
  const detail = lastError
    ? lastError.replace(/^[0-9A-F]+:error:[0-9A-F]+:/, '').replace(/:\.\.\/[^:]+:\d+:?/, ':')
    : undefined;
  const obs: ProbeObservation = {
    certs,
    protocol: session?.[1],
    cipher: session?.[2],
    clientCertRequested,
    ...(alert ? { alert } : {}),
    ...(httpStatus ? { httpStatus } : {}),
  };
  if (run.timedOut && !session) return { ...obs, failure: 'timeout', detail: 'no answer in time' };
  if (/connect:errno=111|Connection refused/.test(err)) return { ...obs, failure: 'refused', detail };
  if (/connect:errno=\d+|BIO_connect|getaddrinfo|gethostbyname|No route to host/.test(err) && !session)
    return { ...obs, failure: 'unreachable', detail };
  // s_client has nginx's limit on the Certificate message (max_cert_list, 100 KiB) and stops where
  // nginx stops; in TLS 1.3 it still prints "New, TLSv1.3, Cipher is ..." from the ServerHello.
  if (/excessive message size/.test(err)) return { ...obs, certs: [], failure: 'cert-list-too-large', detail };
  if (!session) {
    if (/wrong version number|packet length too long|http request|record layer failure/.test(err))
      return { ...obs, failure: 'not-tls', detail };
    if (alert) return { ...obs, failure: 'alert', detail };
    if (/unexpected eof|errno=104|Connection reset|write:errno/.test(err) || certs.length === 0)
      return { ...obs, failure: 'closed', detail };
    return { ...obs, failure: 'other', detail };
  }
  return obs;
}
