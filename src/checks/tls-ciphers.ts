import { createSecureContext } from 'node:tls';
import { DEFAULT_SECURITY_LEVEL, describeLevel, securityLevelOf } from '../tls/security-level.js';
import { show } from '../text/show.js';
import { tlsUpstreams } from './spec-walk.js';
import type { Check } from './types.js';

/** What SSL_CTX_set_cipher_list (which nginx calls) accepts: a list that selects at least one cipher. */
function selectsCiphers(list: string): boolean {
  try {
    createSecureContext({ ciphers: list });
    return true;
  } catch {
    return false;
  }
}

export const tlsBadCiphers: Check = {
  code: 'tls.bad-ciphers',
  severity: 'error',
  scope: 'upstream-tls',
  needs: 'spec',
  summary: 'The cipher list selects no cipher OpenSSL knows',
  help: "nginx would refuse to start (SSL_CTX_set_cipher_list failed). Check the list with `openssl ciphers -v 'LIST'`.",
  run: ({ spec }) =>
    tlsUpstreams(spec)
      .filter((u) => u.tls.ciphers !== undefined && !selectsCiphers(u.tls.ciphers))
      .map((u) => ({
        path: [...u.path, 'ciphers'],
        message: `ciphers ${show(u.tls.ciphers)} selects no cipher OpenSSL knows, so nginx would refuse to start (SSL_CTX_set_cipher_list failed); see \`openssl ciphers -v '...'\``,
      })),
};

/**
 * A spec (a pull request) can lower its own upstream's OpenSSL security level: nginx then accepts
 * keys and signatures its default refuses (RSA 1024 at 1, SHA-1 and anything at 0). The verdict
 * follows the level; this says that the level was lowered, so a review sees it.
 */
export const tlsLowSecurityLevel: Check = {
  code: 'tls.low-security-level',
  severity: 'warning',
  scope: 'upstream-tls',
  needs: 'spec',
  summary: "The ciphers lower OpenSSL's security level below nginx's default (2)",
  help: "Below level 2 nginx accepts RSA-1024 keys (level 1) or any key and SHA-1 signatures (level 0) from the upstream. Reissue the upstream's certificates instead, and remove the @SECLEVEL.",
  run: ({ spec }) =>
    tlsUpstreams(spec)
      .filter((u) => securityLevelOf(u.tls.ciphers) < DEFAULT_SECURITY_LEVEL)
      .map((u) => {
        const level = securityLevelOf(u.tls.ciphers);
        return {
          path: [...u.path, 'ciphers'],
          message: `ciphers ${show(u.tls.ciphers)} set ${describeLevel(level)}, below nginx's default level ${DEFAULT_SECURITY_LEVEL}: nginx then accepts ${level === 0 ? 'any key size and SHA-1 or MD5 signatures' : 'RSA keys of 1024 bits'} from this upstream (and loads such a client certificate). Reissue the weak certificates and remove the @SECLEVEL`,
        };
      }),
};
