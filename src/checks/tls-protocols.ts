import { tlsUpstreams } from './spec-walk.js';
import type { Check } from './types.js';

/**
 * TLS versions OpenSSL 3 still negotiates at security level 1 and above (nginx's, on Debian 2).
 * It refuses TLSv1 and TLSv1.1 ("legacy sigalg disallowed"), measured with Debian's OpenSSL 3.0
 * against a server that offers them.
 */
const MODERN_PROTOCOLS = ['TLSv1.2', 'TLSv1.3'];

const legacy = (protocols: string[] | undefined) => (protocols ?? []).filter((p) => !MODERN_PROTOCOLS.includes(p));

export const tlsProtocolsUnusable: Check = {
  code: 'tls.protocols-unusable',
  severity: 'error',
  scope: 'upstream-tls',
  needs: 'spec',
  summary: 'Only TLS versions OpenSSL 3 refuses are allowed',
  help: 'Every handshake with this upstream would fail: allow TLSv1.2 and TLSv1.3.',
  run: ({ spec }) =>
    tlsUpstreams(spec)
      .filter(
        (u) => u.tls.protocols && legacy(u.tls.protocols).length === u.tls.protocols.length && u.tls.protocols.length,
      )
      .map((u) => ({
        path: [...u.path, 'protocols'],
        message: `protocols ${legacy(u.tls.protocols).join(', ')} only: OpenSSL 3 (nginx's) refuses TLS versions below 1.2 at its default security level, so every handshake with this upstream fails; allow TLSv1.2 and TLSv1.3`,
      })),
};

export const tlsProtocolsLegacy: Check = {
  code: 'tls.protocols-legacy',
  severity: 'warning',
  scope: 'upstream-tls',
  needs: 'spec',
  summary: 'Upstream TLS versions OpenSSL 3 never negotiates are listed',
  help: "TLSv1 and TLSv1.1 are refused at OpenSSL 3's default security level: remove them from `protocols`.",
  run: ({ spec }) =>
    tlsUpstreams(spec)
      .filter((u) => {
        const old = legacy(u.tls.protocols);
        return old.length > 0 && old.length < u.tls.protocols!.length;
      })
      .map((u) => ({
        path: [...u.path, 'protocols'],
        message: `${legacy(u.tls.protocols).join(', ')} will never be negotiated: OpenSSL 3 (nginx's) refuses TLS versions below 1.2 at its default security level; remove them`,
      })),
};
