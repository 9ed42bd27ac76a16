import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { ENGINE_CODES } from './engine-codes.js';
import { healthStatusRequired, healthTimeoutNotBelowInterval, statusBadAddress, statusPortTaken } from './health.js';
import { keyMismatch } from './key-mismatch.js';
import { listenBadAddress, listenDuplicate } from './listen.js';
import { pathBad, pathUnrenderable } from './paths.js';
import { refUnknown, refUnused } from './references.js';
import { routeBadHost, routeBadPath, routeDuplicate } from './routes.js';
import { runtimeModulesMissing } from './runtime-modules.js';
import { tlsBadCiphers, tlsLowSecurityLevel } from './tls-ciphers.js';
import { tlsProtocolsLegacy, tlsProtocolsUnusable } from './tls-protocols.js';
import {
  tlsBadInsecureReason,
  tlsBadServerName,
  tlsInsecureWithoutReason,
  tlsIpServerName,
  tlsReasonUnused,
  tlsServerNameRequired,
  tlsTrustStoreRequired,
  tlsVerifyOff,
} from './tls-verification.js';
import { trustPublicBundle } from './trust-public-bundle.js';
import { TRAFFIC_CHECKS } from './traffic.js';
import type { Check, CheckContext, CodeInfo } from './types.js';
import {
  upstreamBadBasePath,
  upstreamBadHostHeader,
  upstreamBadServer,
  upstreamCaseCollision,
  upstreamOnlyBackup,
} from './upstreams.js';

export type { Check, CheckContext, CodeInfo, Finding, Scope } from './types.js';

/**
 * Every check of the spec, in the order they run. Adding a check: see src/checks/README.md
 * (a file here, an entry in this list, a fixture pair in test/checks/fixtures/).
 */
export const CHECKS: readonly Check[] = [
  pathBad,
  pathUnrenderable,
  listenBadAddress,
  listenDuplicate,
  upstreamCaseCollision,
  upstreamBadServer,
  upstreamOnlyBackup,
  upstreamBadHostHeader,
  upstreamBadBasePath,
  refUnknown,
  tlsTrustStoreRequired,
  tlsIpServerName,
  tlsBadServerName,
  tlsServerNameRequired,
  tlsBadCiphers,
  tlsLowSecurityLevel,
  tlsBadInsecureReason,
  tlsInsecureWithoutReason,
  tlsVerifyOff,
  tlsReasonUnused,
  tlsProtocolsUnusable,
  tlsProtocolsLegacy,
  routeBadPath,
  routeBadHost,
  routeDuplicate,
  refUnused,
  statusBadAddress,
  statusPortTaken,
  healthStatusRequired,
  healthTimeoutNotBelowInterval,
  runtimeModulesMissing,
  trustPublicBundle,
  keyMismatch,
  ...TRAFFIC_CHECKS,
];

/** Every diagnostic code gwctl can emit: the checks above, then what the loaders, the chain engine and the commands report. */
export const CODES: readonly CodeInfo[] = [...CHECKS, ...ENGINE_CODES];

const byCode = new Map(CODES.map((c) => [c.code, c]));

export function codeInfo(code: string): CodeInfo | undefined {
  return byCode.get(code);
}

/** Runs the checks that need `needs` on one spec; each finding becomes a diagnostic with its check's code and severity. */
export function runChecks(needs: Check['needs'], ctx: CheckContext): Diagnostic[] {
  return CHECKS.filter((c) => c.needs === needs).flatMap((c) =>
    c.run(ctx).map((f) => ({ code: c.code, severity: c.severity, message: f.message, path: f.path })),
  );
}
