import { createSecureContext } from 'node:tls';
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
