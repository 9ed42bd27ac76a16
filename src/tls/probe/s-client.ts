import { execa } from 'execa';

/**
 * How nginx will connect to one upstream server. Each field maps to one proxy_ssl_* directive
 * gwctl renders, so the probe offers what nginx offers.
 */
export interface ProbeTarget {
  host: string;
  port: number;
  /** proxy_ssl_name as nginx sends it in SNI; undefined: no SNI (nginx sends none for an IP). */
  sni?: string;
  /** proxy_ssl_protocols; undefined: OpenSSL's defaults, as nginx then uses. */
  protocols?: readonly string[];
  /** proxy_ssl_ciphers (TLS 1.2 and below). */
  ciphers?: string;
  /** proxy_ssl_certificate / _key / _password_file. */
  clientCert?: { certFile: string; chainFile?: string; keyFile: string; passwordFile?: string };
}

export interface SClientRun {
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

const PROTOCOL_FLAGS: Record<string, string> = {
  TLSv1: '-no_tls1',
  'TLSv1.1': '-no_tls1_1',
  'TLSv1.2': '-no_tls1_2',
  'TLSv1.3': '-no_tls1_3',
};

/** The `openssl s_client` arguments that make it connect as nginx will. */
export function sClientArgs(t: ProbeTarget): string[] {
  const host = t.host.includes(':') ? `[${t.host}]` : t.host;
  const args = ['s_client', '-connect', `${host}:${t.port}`, '-showcerts', '-ign_eof'];
  args.push(...(t.sni !== undefined ? ['-servername', t.sni] : ['-noservername']));
  if (t.protocols)
    for (const [p, flag] of Object.entries(PROTOCOL_FLAGS)) if (!t.protocols.includes(p)) args.push(flag);
  if (t.ciphers !== undefined) args.push('-cipher', t.ciphers);
  if (t.clientCert) {
    args.push('-cert', t.clientCert.certFile, '-key', t.clientCert.keyFile);
    if (t.clientCert.chainFile) args.push('-cert_chain', t.clientCert.chainFile);
    if (t.clientCert.passwordFile) args.push('-pass', `file:${t.clientCert.passwordFile}`);
  }
  return args;
}

/**
 * Runs `openssl s_client` (Debian's libssl, the library nginx links) against one server. It
 * prints the certificates exactly as the server sent them, in order, TLS 1.3 included (it
 * decrypts its own handshake); node's getPeerCertificate(true) rebuilds the chain by issuer
 * instead, dropping duplicates and extras and fixing the order. After the handshake it sends one
 * HEAD request, so that a server demanding a client certificate says so (TLS 1.3 alert 116, or
 * nginx's 400 "No required SSL certificate was sent").
 */
export async function runSClient(t: ProbeTarget, opts: { openssl: string; timeoutMs: number }): Promise<SClientRun> {
  const name = t.sni ?? t.host;
  const request = `HEAD / HTTP/1.1\r\nHost: ${name}\r\nUser-Agent: gwctl-probe\r\nConnection: close\r\n\r\n`;
  const r = await execa(opts.openssl, sClientArgs(t), {
    input: request,
    reject: false,
    timeout: opts.timeoutMs,
    encoding: 'utf8',
    env: { OPENSSL_CONF: process.env.OPENSSL_CONF },
    extendEnv: true,
  });
  if ((r as { code?: string }).code === 'ENOENT' || /ENOENT/.test(String(r.message ?? '')))
    throw new MissingOpenssl(opts.openssl);
  return { stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? ''), timedOut: Boolean(r.timedOut) };
}

export class MissingOpenssl extends Error {
  constructor(readonly binary: string) {
    super(`cannot run ${binary}: gwctl probe needs the openssl command (set GWCTL_OPENSSL to its path)`);
  }
}
