import { alertAdvice } from '../alerts.js';
import { verifyAdvice } from './verify-errors.js';

/** One nginx error-log line about upstream TLS, understood. */
export interface Recognised {
  /** What kind of line it is (stable: tests and JSON use it). */
  kind:
    | 'verify-error'
    | 'name-mismatch'
    | 'handshake-alert'
    | 'not-tls'
    | 'handshake-failed'
    | 'peer-closed'
    | 'handshake-timeout'
    | 'client-certificate-missing'
    | 'client-certificate-rejected'
    | 'cannot-load';
  nginx: { code: number; reason: string; name?: string } | null;
  alert?: number;
  cause: string;
  reasons: string[];
  fix: string;
  /** Spec fields to change (UPSTREAM, STORE and CLIENT filled in once the upstream is known). */
  fields: string[];
  /** `upstream: "https://HOST:PORT/..."`: the address nginx connected to. */
  address?: { host: string; port: number };
  /** `request: "GET /path HTTP/1.1"` and `host: "..."`: which route sent it there. */
  request?: { path: string; host?: string };
  /** The file nginx could not load (cannot-load). */
  file?: string;
}

const UPSTREAM = /\bupstream: "https?:\/\/(\[[^\]]+\]|[^/:"]+):(\d+)[^"]*"/;
const REQUEST = /\brequest: "[A-Z]+ ([^ "]+)[^"]*"/;
const HOST = /\bhost: "([^"]*)"/;

/** Recognises one line, or returns null when it is not about upstream TLS. */
export function recognise(line: string): Recognised | null {
  const r = recogniseMessage(line);
  if (!r) return null;
  const up = UPSTREAM.exec(line);
  if (up) r.address = { host: up[1].replace(/^\[|\]$/g, ''), port: Number(up[2]) };
  const req = REQUEST.exec(line);
  if (req) r.request = { path: req[1], host: HOST.exec(line)?.[1] };
  return r;
}

function recogniseMessage(line: string): Recognised | null {
  let m = /upstream SSL certificate verify error: \((\d+):([^)]*)\)/.exec(line);
  if (m) {
    const code = Number(m[1]);
    const a = verifyAdvice(code, m[2]);
    return { kind: 'verify-error', nginx: { code, reason: m[2] }, ...a };
  }
  m = /upstream SSL certificate does not match "([^"]*)"/.exec(line);
  if (m) {
    const a = verifyAdvice(62, 'hostname mismatch');
    const cause =
      m[1] === ''
        ? 'nginx checked an empty name: proxy_ssl_name was cut at its first ":" (an IPv6 address or a name with a port), which never matches'
        : `the certificate is valid but does not hold the name nginx checks, "${m[1]}"`;
    return { kind: 'name-mismatch', nginx: { code: 62, reason: 'hostname mismatch', name: m[1] }, ...a, cause };
  }
  m = /(?:SSL_do_handshake|SSL_read|SSL_write)\(\) failed \(SSL: [^)]*?SSL alert number (\d+)\)/.exec(line);
  if (m) {
    const n = Number(m[1]);
    const a = alertAdvice(n);
    return {
      kind: 'handshake-alert',
      nginx: null,
      alert: n,
      cause: `the upstream sent TLS alert ${n} (${a.name}): ${a.cause}`,
      reasons: a.reasons,
      fix: a.fix,
      fields: alertFields(n),
    };
  }
  if (
    /SSL_do_handshake\(\) failed \(SSL: [^)]*(wrong version number|packet length too long|record layer failure)/.test(
      line,
    )
  )
    return {
      kind: 'not-tls',
      nginx: null,
      cause: "the upstream answered nginx's ClientHello with something that is not TLS",
      reasons: [
        'the server address points at a plain http port',
        'the upstream needs no TLS at all (it is a plain http upstream)',
        'a proxy or load balancer in between speaks another protocol',
      ],
      fix: "point upstreams.UPSTREAM.servers at the upstream's TLS port, or remove upstreams.UPSTREAM.tls for a plain http upstream (`gwctl probe` shows what the port speaks)",
      fields: ['upstreams.UPSTREAM.servers', 'upstreams.UPSTREAM.tls'],
    };
  if (/SSL_do_handshake\(\) failed \(SSL: [^)]*excessive message size/.test(line))
    return {
      kind: 'handshake-failed',
      nginx: null,
      cause:
        "the upstream's Certificate message is over the 102400 bytes (100 KiB) OpenSSL's client accepts; nginx cannot raise the limit",
      reasons: [
        'the upstream serves more certificates than it needs (its root, unrelated or cross-signed CAs)',
        'a certificate it serves is huge (thousands of subjectAltNames, embedded data)',
      ],
      fix: 'serve only the leaf and its intermediates up to (not including) the root; `gwctl verify-chain` on the presentedChain reports the size (chain.cert-list-too-large)',
      fields: ['upstreams.UPSTREAM.tls.presentedChain'],
    };
  if (/SSL_do_handshake\(\) failed/.test(line)) {
    const noProtocol = /unsupported protocol|no protocols available|tlsv1 alert protocol version/.test(line);
    return {
      kind: 'handshake-failed',
      nginx: null,
      cause: noProtocol
        ? 'nginx and the upstream have no TLS version in common'
        : 'the TLS handshake with the upstream failed before any certificate was verified',
      reasons: noProtocol
        ? [
            'tls.protocols leaves out every version the upstream speaks',
            'the upstream speaks only TLS 1.0/1.1, which OpenSSL 3 refuses at its default security level',
          ]
        : [
            'the upstream offered nothing nginx accepts (protocol, cipher, signature algorithm, curve)',
            "the upstream's certificate key cannot be used for the handshake (DSA, an ECDSA curve other than P-256/P-384/P-521, or under TLS 1.2 an ECDSA/EdDSA key whose keyUsage lacks digitalSignature)",
          ],
      fix: noProtocol
        ? 'set tls.protocols to include a version the upstream supports'
        : "run `gwctl probe` against the upstream: it repeats nginx's handshake and says what fails",
      fields: ['upstreams.UPSTREAM.tls.protocols', 'upstreams.UPSTREAM.tls.ciphers'],
    };
  }
  if (/peer closed connection in SSL handshake/.test(line))
    return {
      kind: 'peer-closed',
      nginx: null,
      cause: 'the upstream closed the connection in the middle of the TLS handshake, without a TLS alert',
      reasons: [
        'the upstream does not serve the SNI name nginx sent (tls.serverName) and drops such connections',
        'the upstream refused the TLS version or ciphers offered (some servers close instead of sending an alert)',
        'the upstream demands a client certificate and closes without one',
        'the port belongs to something that is not a TLS server',
      ],
      fix: 'run `gwctl probe SPEC --upstream UPSTREAM`: it connects as nginx does and shows where the upstream stops; then fix tls.serverName, tls.protocols or tls.clientCertificate',
      fields: [
        'upstreams.UPSTREAM.tls.serverName',
        'upstreams.UPSTREAM.tls.protocols',
        'upstreams.UPSTREAM.tls.clientCertificate',
      ],
    };
  if (/upstream timed out \(110: [^)]*\) while SSL handshaking to upstream/.test(line))
    return {
      kind: 'handshake-timeout',
      nginx: null,
      cause: 'the upstream accepted the connection but did not complete the TLS handshake in time',
      reasons: ['the port is not a TLS server and waits for the client to speak first', 'the upstream is overloaded'],
      fix: "check the upstream's port with `gwctl probe`; raise upstreams.UPSTREAM.timeouts.connect only if the upstream is slow",
      fields: ['upstreams.UPSTREAM.servers'],
    };
  if (/client sent no required SSL certificate/.test(line))
    return {
      kind: 'client-certificate-missing',
      nginx: null,
      cause:
        'this is the upstream\'s own log (an nginx upstream with ssl_verify_client on): the gateway connected without a client certificate, so the upstream answered 400 "No required SSL certificate was sent", which the gateway passes on to its client',
      reasons: [
        'the upstream has no tls.clientCertificate',
        'the gateway runs a render from before the client certificate was added',
      ],
      fix: 'add the identity the upstream trusts: clientCertificates.NAME { certificate, key } and upstreams.UPSTREAM.tls.clientCertificate: NAME; then render and reload',
      fields: ['upstreams.UPSTREAM.tls.clientCertificate', 'clientCertificates'],
    };
  m = /client SSL certificate verify error: \((\d+):([^)]*)\)/.exec(line);
  if (m)
    return {
      kind: 'client-certificate-rejected',
      nginx: { code: Number(m[1]), reason: m[2] },
      cause: `this is the upstream's own log: it could not verify the client certificate the gateway presented (${m[1]}:${m[2]}), and answered 400 "The SSL certificate error"`,
      reasons: [
        'the client certificate was issued by a CA the upstream does not trust',
        'the client certificate file lacks its intermediate (leaf first, then intermediates)',
        'the client certificate expired',
      ],
      fix: "present a client certificate issued by the CA in the upstream's ssl_client_certificate, leaf first with its intermediates",
      fields: ['clientCertificates.CLIENT.certificate'],
    };
  m = /cannot load (certificate key|certificate) "([^"]*)": (.*)$/.exec(line);
  if (m) {
    const key = m[1] === 'certificate key';
    const missing = /No such file|BIO_new_file\(\) failed/.test(m[3]);
    const badPass = /bad decrypt|bad password|PEM_def_callback/.test(m[3]);
    return {
      kind: 'cannot-load',
      nginx: null,
      file: m[2],
      cause: `nginx -t cannot load the ${key ? 'private key' : 'certificate'} file "${m[2]}"${missing ? ': the file does not exist (or is not readable) where nginx runs' : badPass ? ': the key is encrypted and the password file does not open it' : ': it is not a PEM file OpenSSL reads'}`,
      reasons: missing
        ? [
            'the rendered output was copied without the files it references',
            'a hostPath names a file that is not on this host',
          ]
        : badPass
          ? ['passwordFile holds another passphrase', 'passwordFile is missing']
          : ['the file is not PEM (DER, PKCS#12, a key where a certificate belongs)', 'the PEM is damaged'],
      fix: missing
        ? 'render again into the directory nginx runs from (`gwctl render SPEC --out DIR`), or put the key at its hostPath on the gateway host; `gwctl test DIR` checks every file'
        : 'fix the file the spec names, then `gwctl validate` (it opens every certificate and key as nginx does)',
      fields: key
        ? ['clientCertificates.CLIENT.key', 'listen[].tls.key']
        : ['clientCertificates.CLIENT.certificate', 'listen[].tls.certificate', 'trustStores.STORE.certificates'],
    };
  }
  m = /(SSL_CTX_load_verify_locations|X509_LOOKUP_load_file)\("([^"]*)"\) failed \((.*)\)/.exec(line);
  if (m) {
    const crl = m[1] === 'X509_LOOKUP_load_file';
    const missing = /No such file|no such file/.test(m[3]);
    return {
      kind: 'cannot-load',
      nginx: null,
      file: m[2],
      cause: `nginx -t cannot load the ${crl ? 'CRL file (proxy_ssl_crl)' : 'trusted-certificate file (proxy_ssl_trusted_certificate)'} "${m[2]}"${missing ? ': the file does not exist where nginx runs' : ': OpenSSL cannot read it'}`,
      reasons: missing
        ? [
            'the rendered output was copied without its tls/ directory',
            'nginx runs with another prefix than the one rendered',
          ]
        : ['a block in the file is not valid PEM (gwctl validate reports pem.openssl-unreadable)'],
      fix: missing
        ? 'render again into the directory nginx runs from (`gwctl render SPEC --out DIR`); `gwctl test DIR` checks every file'
        : 'rewrite the file as plain PEM blocks; `gwctl validate` names the line OpenSSL stops at',
      fields: [crl ? 'trustStores.STORE.crl' : 'trustStores.STORE.certificates'],
    };
  }
  return null;
}

function alertFields(n: number): string[] {
  if ([42, 43, 44, 45, 46, 48, 49, 51].includes(n))
    return ['clientCertificates.CLIENT.certificate', 'clientCertificates.CLIENT.key'];
  if (n === 116) return ['upstreams.UPSTREAM.tls.clientCertificate'];
  if (n === 112) return ['upstreams.UPSTREAM.tls.serverName'];
  if (n === 70 || n === 71) return ['upstreams.UPSTREAM.tls.protocols', 'upstreams.UPSTREAM.tls.ciphers'];
  return [
    'upstreams.UPSTREAM.tls.clientCertificate',
    'upstreams.UPSTREAM.tls.protocols',
    'upstreams.UPSTREAM.tls.ciphers',
  ];
}
