import { isIP } from 'node:net';
import { createSecureContext } from 'node:tls';
import { error, warning, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { FileRef, GatewaySpec } from '../load/spec-types.js';
import { isHostFile } from '../load/file-ref.js';
import { routePathProblem } from './route-path.js';
import {
  isDnsName,
  isHostPattern,
  isListenAddress,
  normalizeRouteHost,
  numericHostProblem,
  parseHostPort,
  unixSocketProblem,
} from './addresses.js';
import { hasUnsafeCharacters, show } from './show.js';
import { suggest } from './suggest.js';

/** Checks what the schema cannot: references, names, addresses, and settings that only make sense together. */
export function validateReferences(spec: GatewaySpec): Diagnostic[] {
  const out: Diagnostic[] = [];
  const trustStores = Object.keys(spec.trustStores ?? {});
  const clientCerts = Object.keys(spec.clientCertificates ?? {});
  const upstreams = Object.keys(spec.upstreams ?? {});
  const usedStores = new Set<string>();
  const usedClients = new Set<string>();
  const usedUpstreams = new Set<string>();

  const missing = (kind: string, name: string, known: string[], path: (string | number)[]) => {
    const hint = suggest(name, known);
    out.push(
      error(
        'ref.unknown',
        `no ${kind} named "${name}"${hint ? `: did you mean "${hint}"?` : known.length ? ` (declared: ${known.join(', ')})` : ` (none declared)`}`,
        path,
      ),
    );
  };

  /**
   * File paths. Every path must be openable (no NUL). Paths nginx.conf names verbatim (keys,
   * password files, the modules directory) must also survive nginx quoting: no control
   * characters, and no "$", which nginx would expand as a variable in these directives.
   */
  const checkPath = (p: string, path: (string | number)[], rendered: boolean) => {
    if (p.includes('\u0000'))
      out.push(error('path.bad', `${show(p)} contains a NUL byte; no file can have that name`, path));
    else if (rendered && hasUnsafeCharacters(p))
      out.push(
        error(
          'path.unrenderable',
          `${show(p)} contains a control or invisible character; nginx.conf names this file, so its path must be plain text`,
          path,
        ),
      );
    else if (rendered && p.includes('$'))
      out.push(
        error(
          'path.unrenderable',
          `${show(p)} contains "$": nginx.conf names this file and nginx would read "$" as the start of a variable; rename the file or its directory`,
          path,
        ),
      );
  };
  /** Keys and password files: nginx.conf names them, whether they are read here or live on the host. */
  const checkRef = (ref: FileRef, path: (string | number)[]) =>
    isHostFile(ref) ? checkPath(ref.hostPath, [...path, 'hostPath'], true) : checkPath(ref, path, true);
  if (spec.runtime?.modulesPath !== undefined) checkPath(spec.runtime.modulesPath, ['runtime', 'modulesPath'], true);
  for (const [name, ts] of Object.entries(spec.trustStores ?? {})) {
    ts.certificates.forEach((p, i) => checkPath(p, ['trustStores', name, 'certificates', i], false));
    if (ts.crl !== undefined) checkPath(ts.crl, ['trustStores', name, 'crl'], false);
  }
  for (const [name, cc] of Object.entries(spec.clientCertificates ?? {})) {
    checkPath(cc.certificate, ['clientCertificates', name, 'certificate'], false);
    checkRef(cc.key, ['clientCertificates', name, 'key']);
    if (cc.passwordFile !== undefined) checkRef(cc.passwordFile, ['clientCertificates', name, 'passwordFile']);
  }

  const ports = new Map<string, number>();
  spec.listen.forEach((l, i) => {
    if (l.address !== undefined && !isListenAddress(l.address))
      out.push(
        error(
          'listen.bad-address',
          `${show(l.address)} ${unixSocketProblem(l.address) ?? numericHostProblem(l.address) ?? 'is not an IPv4 address, [IPv6] address or host name'}`,
          ['listen', i, 'address'],
        ),
      );
    if (l.tls) {
      checkPath(l.tls.certificate, ['listen', i, 'tls', 'certificate'], false);
      checkRef(l.tls.key, ['listen', i, 'tls', 'key']);
      if (l.tls.passwordFile !== undefined) checkRef(l.tls.passwordFile, ['listen', i, 'tls', 'passwordFile']);
    }
    const key = `${l.address ?? '*'}:${l.port}`;
    if (ports.has(key))
      out.push(
        error('listen.duplicate', `port ${l.port} is already listened on by listen[${ports.get(key)}]`, [
          'listen',
          i,
          'port',
        ]),
      );
    ports.set(key, i);
  });

  const lowerNames = new Map<string, string>();
  for (const name of upstreams) {
    const other = lowerNames.get(name.toLowerCase());
    if (other !== undefined)
      out.push(
        error(
          'upstream.case-collision',
          `upstream "${name}" differs from "${other}" only in case; nginx treats upstream names case-insensitively`,
          ['upstreams', name],
        ),
      );
    lowerNames.set(name.toLowerCase(), name);
  }

  for (const [name, up] of Object.entries(spec.upstreams ?? {})) {
    const base = ['upstreams', name];
    up.servers.forEach((s, i) => {
      const address = typeof s === 'string' ? s : s.address;
      const path = typeof s === 'string' ? [...base, 'servers', i] : [...base, 'servers', i, 'address'];
      if (!parseHostPort(address))
        out.push(
          error(
            'upstream.bad-server',
            `${show(address)} ${unixSocketProblem(address.replace(/:\d*$/, '')) ?? hostWhy(address.replace(/:\d*$/, '')) ?? 'is not host:port (a DNS name, IPv4 address or [IPv6] address, then a port 1-65535)'}`,
            path,
          ),
        );
    });
    if (up.servers.length > 0 && up.servers.every((s) => typeof s !== 'string' && s.backup === true))
      out.push(
        error(
          'upstream.only-backup',
          'every server is a backup: nginx needs at least one primary server in an upstream ("no servers in upstream") and would not start',
          [...base, 'servers'],
        ),
      );
    if (up.hostHeader !== undefined && !isHostHeader(up.hostHeader))
      out.push(
        error(
          'upstream.bad-host-header',
          `${show(up.hostHeader)} ${hostWhy(up.hostHeader.replace(/:\d*$/, '')) ?? 'is not a host name (optionally with :port)'}`,
          [...base, 'hostHeader'],
        ),
      );
    const tls = up.tls;
    if (!tls) continue;
    if (tls.presentedChain !== undefined) checkPath(tls.presentedChain, [...base, 'tls', 'presentedChain'], false);
    const verify = tls.verify ?? true;
    if (tls.trustStore !== undefined) {
      usedStores.add(tls.trustStore);
      if (!trustStores.includes(tls.trustStore))
        missing('trust store', tls.trustStore, trustStores, [...base, 'tls', 'trustStore']);
    } else if (verify) {
      out.push(
        error(
          'tls.trust-store-required',
          "verification is on, so a trustStore is required: name the CAs that sign this upstream's certificate (or set verify: false with an insecureReason)",
          [...base, 'tls'],
        ),
      );
    }
    if (tls.clientCertificate !== undefined) {
      usedClients.add(tls.clientCertificate);
      if (!clientCerts.includes(tls.clientCertificate))
        missing('client certificate', tls.clientCertificate, clientCerts, [...base, 'tls', 'clientCertificate']);
    }
    if (tls.serverName !== undefined) {
      if (isIP(tls.serverName.replace(/^\[|\]$/g, ''))) {
        out.push(
          error(
            'tls.ip-server-name',
            `serverName ${show(tls.serverName)} is an IP address: nginx checks the name with X509_check_host, which matches DNS names only, so an IP never matches, even when the certificate lists it as an IP SAN. Use a DNS name from the certificate's subjectAltName`,
            [...base, 'tls', 'serverName'],
          ),
        );
      } else if (!isDnsName(tls.serverName)) {
        out.push(
          error(
            'tls.bad-server-name',
            `serverName ${show(tls.serverName)} ${hostWhy(tls.serverName) ?? 'is not a DNS name'}`,
            [...base, 'tls', 'serverName'],
          ),
        );
      }
    } else if (verify) {
      out.push(
        error(
          'tls.server-name-required',
          'verification is on, so serverName is required: nginx would otherwise check the certificate against the internal upstream name, which never matches',
          [...base, 'tls'],
        ),
      );
    }
    if (tls.ciphers !== undefined && !selectsCiphers(tls.ciphers))
      out.push(
        error(
          'tls.bad-ciphers',
          `ciphers ${show(tls.ciphers)} selects no cipher OpenSSL knows, so nginx would refuse to start (SSL_CTX_set_cipher_list failed); see \`openssl ciphers -v '...'\``,
          [...base, 'tls', 'ciphers'],
        ),
      );
    const badReason = tls.insecureReason !== undefined && hasUnsafeCharacters(tls.insecureReason);
    if (badReason)
      out.push(
        error(
          'tls.bad-insecure-reason',
          `insecureReason ${show(tls.insecureReason)} must be one line of plain text (no newlines or control characters): it is written into nginx.conf as a comment and printed on every run`,
          [...base, 'tls', 'insecureReason'],
        ),
      );
    if (!verify && tls.insecureReason === undefined)
      out.push(
        error(
          'tls.insecure-without-reason',
          'verify: false turns certificate checks off (as curl -k would); it needs an insecureReason saying why',
          [...base, 'tls', 'verify'],
        ),
      );
    if (!verify && tls.insecureReason !== undefined && !badReason)
      out.push(
        warning('tls.verify-off', `certificate verification is OFF for upstream "${name}": ${tls.insecureReason}`, [
          ...base,
          'tls',
          'verify',
        ]),
      );
    if (verify && tls.insecureReason !== undefined)
      out.push(
        warning('tls.reason-unused', 'insecureReason is set but verification is on; remove it', [
          ...base,
          'tls',
          'insecureReason',
        ]),
      );
    out.push(...checkProtocols(tls.protocols, [...base, 'tls', 'protocols']));
  }

  const seenRoutes = new Map<string, number>();
  (spec.routes ?? []).forEach((r, i) => {
    const base = ['routes', i];
    usedUpstreams.add(r.upstream);
    if (!upstreams.includes(r.upstream)) missing('upstream', r.upstream, upstreams, [...base, 'upstream']);
    const pathProblem = routePathProblem(r.path);
    if (pathProblem) out.push(error('route.bad-path', `path ${show(r.path)} ${pathProblem}`, [...base, 'path']));
    if (r.host !== undefined && !isHostPattern(r.host))
      out.push(
        error(
          'route.bad-host',
          `host ${show(r.host)} ${hostWhy(r.host.replace(/^\*\./, '')) ?? 'is not a DNS name or *.wildcard'}`,
          [...base, 'host'],
        ),
      );
    const key = `${r.host === undefined ? '*' : normalizeRouteHost(r.host)} ${r.path}`;
    const first = seenRoutes.get(key);
    if (first !== undefined)
      out.push(
        error('route.duplicate', `routes[${first}] already routes ${r.host ?? 'any host'} ${r.path}`, [
          ...base,
          'path',
        ]),
      );
    else seenRoutes.set(key, i);
  });

  for (const name of trustStores)
    if (!usedStores.has(name))
      out.push(warning('ref.unused', `trust store "${name}" is not used by any upstream`, ['trustStores', name]));
  for (const name of clientCerts)
    if (!usedClients.has(name))
      out.push(
        warning('ref.unused', `client certificate "${name}" is not used by any upstream`, ['clientCertificates', name]),
      );
  for (const name of upstreams)
    if (!usedUpstreams.has(name))
      out.push(warning('ref.unused', `upstream "${name}" is not used by any route`, ['upstreams', name]));
  return out;
}

/** What SSL_CTX_set_cipher_list (which nginx calls) accepts: a list that selects at least one cipher. */
function selectsCiphers(list: string): boolean {
  try {
    createSecureContext({ ciphers: list });
    return true;
  } catch {
    return false;
  }
}

/** The numeric-host reason, only for text that is otherwise a well-formed name (so "a;b" keeps the general message). */
function hostWhy(host: string): string | undefined {
  return /^[A-Za-z0-9_.-]+$/.test(host) ? numericHostProblem(host) : undefined;
}

function isHostHeader(s: string): boolean {
  const m = /^(.*?)(?::(\d{1,5}))?$/.exec(s);
  return !!m && isDnsName(m[1]) && (m[2] === undefined || Number(m[2]) <= 65535);
}

/** TLS versions OpenSSL 3 still negotiates at security level 1 and above (nginx's, on Debian 2). */
const MODERN_PROTOCOLS = ['TLSv1.2', 'TLSv1.3'];

/**
 * OpenSSL 3 refuses TLSv1 and TLSv1.1 at security level 1 and up ("legacy sigalg disallowed"),
 * measured with Debian's OpenSSL 3.0 against a server that offers them.
 */
function checkProtocols(protocols: string[] | undefined, path: (string | number)[]): Diagnostic[] {
  if (!protocols) return [];
  const legacy = protocols.filter((p) => !MODERN_PROTOCOLS.includes(p));
  if (legacy.length === 0) return [];
  if (legacy.length === protocols.length) {
    return [
      error(
        'tls.protocols-unusable',
        `protocols ${legacy.join(', ')} only: OpenSSL 3 (nginx's) refuses TLS versions below 1.2 at its default security level, so every handshake with this upstream fails; allow TLSv1.2 and TLSv1.3`,
        path,
      ),
    ];
  }
  return [
    warning(
      'tls.protocols-legacy',
      `${legacy.join(', ')} will never be negotiated: OpenSSL 3 (nginx's) refuses TLS versions below 1.2 at its default security level; remove them`,
      path,
    ),
  ];
}
