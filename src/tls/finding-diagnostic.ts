import type { Diagnostic, SpecPath } from '../diagnostics/diagnostic.js';
import type { ChainFinding } from './verdict.js';

/**
 * The one place a finding of the chain engine or the client-certificate analysis becomes a
 * diagnostic. The engines' verdicts stay theirs (src/tls/verdict.ts); what is printed is this.
 */
export type FindingPlace =
  /** About a spec object (an upstream, a client certificate, a probed server): the message names it, the path points at the spec field; it is positioned with the rest of the spec's diagnostics. */
  | { subject: string; path: SpecPath; servedBy?: string }
  /** verify-chain --chain: at the certificate's file and line (the chain file when the finding names none). */
  | { file: string };

export function findingDiagnostic(f: ChainFinding, place: FindingPlace): Diagnostic {
  if ('file' in place)
    return {
      code: f.code,
      severity: f.severity,
      message: f.message,
      path: [],
      file: f.file ?? place.file,
      line: f.line ?? 1,
      column: 1,
      ...(f.fix ? { fix: f.fix } : {}),
    };
  // Where the certificate came from: a file and line, or (gwctl probe) its place in what a server sent.
  const where =
    place.servedBy !== undefined && f.file?.startsWith('served by ') && f.line
      ? ` (certificate ${f.line} served by ${place.servedBy})`
      : f.file
        ? ` (${f.file}${f.line ? `:${f.line}` : ''})`
        : '';
  return {
    code: f.code,
    severity: f.severity,
    message: `${place.subject}: ${f.message}${where}`,
    path: place.path,
    ...(f.fix ? { fix: f.fix } : {}),
  };
}
