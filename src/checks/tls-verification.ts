import { hostWhy, isDnsName, isIP } from '../text/addresses.js';
import { hasUnsafeCharacters, show } from '../text/show.js';
import { tlsUpstreams } from './spec-walk.js';
import type { Check } from './types.js';

/** What upstream TLS needs before nginx can verify a peer: a trust store, a name, or a stated reason not to. */

export const tlsTrustStoreRequired: Check = {
  code: 'tls.trust-store-required',
  severity: 'error',
  scope: 'upstream-tls',
  needs: 'spec',
  summary: 'Verification is on but no trust store is named',
  help: "Name the trust store holding the CAs that sign this upstream's certificate (`trustStore`), or set `verify: false` with an `insecureReason`.",
  run: ({ spec }) =>
    tlsUpstreams(spec)
      .filter((u) => u.tls.trustStore === undefined && u.verify)
      .map((u) => ({
        path: u.path,
        message:
          "verification is on, so a trustStore is required: name the CAs that sign this upstream's certificate (or set verify: false with an insecureReason)",
      })),
};

export const tlsServerNameRequired: Check = {
  code: 'tls.server-name-required',
  severity: 'error',
  scope: 'upstream-tls',
  needs: 'spec',
  summary: 'Verification is on but no serverName is given',
  help: "Set `serverName` to a DNS name in the upstream certificate's subjectAltName: without it nginx checks the internal upstream name, which never matches.",
  run: ({ spec }) =>
    tlsUpstreams(spec)
      .filter((u) => u.tls.serverName === undefined && u.verify)
      .map((u) => ({
        path: u.path,
        message:
          'verification is on, so serverName is required: nginx would otherwise check the certificate against the internal upstream name, which never matches',
      })),
};

const isIpName = (name: string) => isIP(name.replace(/^\[|\]$/g, '')) !== 0;

export const tlsIpServerName: Check = {
  code: 'tls.ip-server-name',
  severity: 'error',
  scope: 'upstream-tls',
  needs: 'spec',
  summary: 'serverName is an IP address, which nginx never matches',
  help: "nginx checks the name with X509_check_host, which matches DNS names only: use a DNS name from the certificate's subjectAltName.",
  run: ({ spec }) =>
    tlsUpstreams(spec)
      .filter((u) => u.tls.serverName !== undefined && isIpName(u.tls.serverName))
      .map((u) => ({
        path: [...u.path, 'serverName'],
        message: `serverName ${show(u.tls.serverName)} is an IP address: nginx checks the name with X509_check_host, which matches DNS names only, so an IP never matches, even when the certificate lists it as an IP SAN. Use a DNS name from the certificate's subjectAltName`,
      })),
};

export const tlsBadServerName: Check = {
  code: 'tls.bad-server-name',
  severity: 'error',
  scope: 'upstream-tls',
  needs: 'spec',
  summary: 'serverName is not a DNS name',
  help: "Write the DNS name the upstream's certificate is issued for; it is also sent as SNI.",
  run: ({ spec }) =>
    tlsUpstreams(spec)
      .filter((u) => u.tls.serverName !== undefined && !isIpName(u.tls.serverName) && !isDnsName(u.tls.serverName))
      .map((u) => ({
        path: [...u.path, 'serverName'],
        message: `serverName ${show(u.tls.serverName)} ${hostWhy(u.tls.serverName!) ?? 'is not a DNS name'}`,
      })),
};

const badReason = (reason: string | undefined) => reason !== undefined && hasUnsafeCharacters(reason);

export const tlsBadInsecureReason: Check = {
  code: 'tls.bad-insecure-reason',
  severity: 'error',
  scope: 'upstream-tls',
  needs: 'spec',
  summary: 'insecureReason is not one line of plain text',
  help: 'insecureReason is written into nginx.conf as a comment and printed on every run: keep it to one line without control characters.',
  run: ({ spec }) =>
    tlsUpstreams(spec)
      .filter((u) => badReason(u.tls.insecureReason))
      .map((u) => ({
        path: [...u.path, 'insecureReason'],
        message: `insecureReason ${show(u.tls.insecureReason)} must be one line of plain text (no newlines or control characters): it is written into nginx.conf as a comment and printed on every run`,
      })),
};

export const tlsInsecureWithoutReason: Check = {
  code: 'tls.insecure-without-reason',
  severity: 'error',
  scope: 'upstream-tls',
  needs: 'spec',
  summary: 'verify: false without an insecureReason',
  help: 'Turning certificate checks off needs a stated reason (`insecureReason`), reported on every run; better, give the trust store and serverName so nginx can verify.',
  run: ({ spec }) =>
    tlsUpstreams(spec)
      .filter((u) => !u.verify && u.tls.insecureReason === undefined)
      .map((u) => ({
        path: [...u.path, 'verify'],
        message: 'verify: false turns certificate checks off (as curl -k would); it needs an insecureReason saying why',
      })),
};

export const tlsVerifyOff: Check = {
  code: 'tls.verify-off',
  severity: 'warning',
  scope: 'upstream-tls',
  needs: 'spec',
  summary: 'Certificate verification is off for an upstream',
  help: 'Reported on every run while `verify: false` stands, with its insecureReason. Give the upstream a trust store and serverName to turn verification back on.',
  run: ({ spec }) =>
    tlsUpstreams(spec)
      .filter((u) => !u.verify && u.tls.insecureReason !== undefined && !badReason(u.tls.insecureReason))
      .map((u) => ({
        path: [...u.path, 'verify'],
        message: `certificate verification is OFF for upstream "${u.name}": ${u.tls.insecureReason}`,
      })),
};

export const tlsReasonUnused: Check = {
  code: 'tls.reason-unused',
  severity: 'warning',
  scope: 'upstream-tls',
  needs: 'spec',
  summary: 'insecureReason is set while verification is on',
  help: 'Remove insecureReason: it only explains `verify: false`.',
  run: ({ spec }) =>
    tlsUpstreams(spec)
      .filter((u) => u.verify && u.tls.insecureReason !== undefined)
      .map((u) => ({
        path: [...u.path, 'insecureReason'],
        message: 'insecureReason is set but verification is on; remove it',
      })),
};
