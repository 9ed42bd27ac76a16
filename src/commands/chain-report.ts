import { FatalError, type Diagnostic, type Fatal } from '../diagnostics/diagnostic.js';
import { diagnosticJson, diagnosticsJson, formatJson } from '../format/json.js';
import type { PemKind } from '../tls/pem.js';
import type { PemFiles } from '../tls/pem-files.js';
import { derKey } from '../tls/x509-once.js';
import type { CertSource, ChainVerdict } from '../tls/verdict.js';
import { parseCrl } from '../tls/chain/index.js';
import { positionAll, type LoadedSpec } from '../load/load-spec.js';
import { escapeUnsafe } from '../text/show.js';
import { emitDiagnostics, exitFor, fatalJson, fatalLines, type CommandContext, type CommandResult } from './context.js';

/** What verify-chain and probe share: the trust file as nginx loads it, and the report of upstream verdicts. */

export interface UpstreamReport {
  name: string;
  /** The spec it came from, when several were checked at once. */
  spec?: string;
  /** proxy_ssl_name checked by nginx. */
  serverName?: string;
  verifyDepth: number;
  /** null: not checked (see notChecked). */
  verdict: ChainVerdict | null;
  /** Why the upstream was not checked (no presentedChain, verify off). */
  notChecked?: string;
  /** The command that fetches the served chain, for an upstream not checked for want of one. */
  probe?: string;
  /** gwctl probe: the HOST:PORT whose served chain this is. */
  server?: string;
  /** gwctl probe: what the connection showed (protocol, cipher, ...), human output only. */
  notes?: string[];
  /** Findings as diagnostics (positioned by `reportOutput`, or by the command that merges several specs). */
  findings: Diagnostic[];
}

/**
 * A --ca file as nginx loads it (X509_load_cert_crl_file()): the certificates OpenSSL reads, and
 * why it refuses the file, if it does. gwctl's own reader is more forgiving, so a file it reads
 * may still stop nginx from starting.
 */
export function readTrustFile(
  files: PemFiles,
  file: string,
): { certs: CertSource[]; problem?: { file: string; line: number; reason: string } } {
  const certs = readPemOrFail(files, file, 'certificate', '--ca');
  // Read by readPemOrFail already: the same bytes, now as OpenSSL reads them.
  const load = files.opensslLoad(file, crlBlockProblem)!;
  if (load.error) return { certs, problem: { file, ...load.error } };
  // Only what OpenSSL read counts (a NUL byte ends its reading early).
  const loaded = new Set(load.blocks.map((b) => derKey(b.der)));
  return { certs: certs.filter((c) => loaded.has(derKey(c.block.der))) };
}

/** Why OpenSSL refuses a CRL block of a --ca file (it reads CRLs there too), or null. */
function crlBlockProblem(der: Buffer): string | null {
  const r = parseCrl(der);
  return 'error' in r && r.by === 'openssl' ? `ASN1 lib (the X509 CRL block ${r.error})` : null;
}

export function readPemOrFail(files: PemFiles, file: string, kind: PemKind, flag: string): CertSource[] {
  const r = files.read(file, kind);
  if ('problem' in r) throw new FatalError(`${flag} ${file}: ${r.problem.message}`);
  return r.blocks.map((block) => ({ block, file }));
}

/**
 * verify-chain's output for any list of upstream reports (gwctl probe prints the same shape).
 * `spec`: the document the findings' spec paths point into; they are positioned here, once.
 */
export function reportOutput(
  ctx: CommandContext,
  found: UpstreamReport[],
  foundGeneral: Diagnostic[],
  fatal: readonly Fatal[] = [],
  spec?: LoadedSpec,
): CommandResult {
  const reports = spec ? found.map((r) => ({ ...r, findings: positionAll(spec, r.findings) })) : found;
  const general = positionAll(spec, foundGeneral);
  const all = [...general, ...reports.flatMap((r) => r.findings)];
  const failed = reports.some((r) => r.verdict !== null && !r.verdict.ok);
  const exitCode = fatal.length ? 2 : failed || exitFor(all, ctx) ? 1 : 0;
  if (ctx.format === 'json') {
    return {
      exitCode,
      stdout: formatJson({
        ok: exitCode === 0,
        upstreams: reports.map(upstreamJson),
        ...fatalJson(fatal),
        ...diagnosticsJson(general),
      }),
      stderr: fatalLines(fatal),
    };
  }
  if (ctx.format === 'github' || ctx.format === 'sarif') {
    return { exitCode, ...emitDiagnostics(ctx, [...general, ...reports.flatMap(verdictDiagnostics)], fatal) };
  }
  // Subjects come from certificates and names from the command line: each part is escaped
  // before the lines are joined, so none of them can start a line of its own.
  const e = (s: string) => escapeUnsafe(s);
  const lines: string[] = [];
  for (const r of reports) {
    const head = `${r.spec !== undefined ? `${e(r.spec)}: ` : ''}${e(r.name)}${r.server !== undefined && r.server !== r.name ? ` (${e(r.server)})` : ''}`;
    if (r.verdict === null) {
      lines.push(`${head}: not checked: ${e(r.notChecked ?? 'no verdict')}`);
      lines.push(`  depth: nginx will use proxy_ssl_verify_depth ${r.verifyDepth}`);
      if (r.probe) lines.push(`  check it: ${e(r.probe)}`);
      for (const n of r.notes ?? []) lines.push(`  ${e(n)}`);
      for (const f of r.findings)
        if (f.code !== 'chain.not-checked') lines.push(`  ${f.severity}: ${e(f.message)} [${e(f.code)}]`);
      continue;
    }
    const mark = r.verdict.ok ? 'ok' : 'FAIL';
    lines.push(
      `${head}: ${mark}${r.verdict.nginx ? `: nginx will log: ${e(nginxLogLine(r.verdict, r.serverName))}` : ''}`,
    );
    for (const n of r.notes ?? []) lines.push(`  ${e(n)}`);
    if (r.verdict.chain.length) lines.push(`  chain: ${r.verdict.chain.map(e).join('  <-  ')}`);
    lines.push(`  depth: chain needs ${r.verdict.requiredDepth ?? 'n/a'}, proxy_ssl_verify_depth ${r.verifyDepth}`);
    for (const f of r.findings) lines.push(`  ${f.severity}: ${e(f.message)} [${e(f.code)}]`);
  }
  const body = lines.length ? `${lines.join('\n')}\n` : '';
  return { exitCode, stdout: body, stderr: emitDiagnostics(ctx, general, fatal).stderr };
}

/** One upstream in the contract's JSON shape; one not checked has checked: false and null verdict fields. */
export function upstreamJson(r: UpstreamReport): Record<string, unknown> {
  return {
    name: r.name,
    ...(r.spec !== undefined ? { spec: r.spec } : {}),
    ...(r.server !== undefined ? { server: r.server } : {}),
    checked: r.verdict !== null,
    ...(r.notChecked !== undefined ? { reason: r.notChecked } : {}),
    ok: r.verdict?.ok ?? null,
    requiredDepth: r.verdict?.requiredDepth ?? null,
    verifyDepth: r.verifyDepth,
    chain: r.verdict?.chain ?? [],
    nginx: r.verdict?.nginx ?? null,
    ...(r.probe !== undefined ? { probe: r.probe } : {}),
    findings: r.findings.map(diagnosticJson),
  };
}

/** An upstream's findings as annotations; a rejected chain always shows up as an error, findings or not. */
function verdictDiagnostics(r: UpstreamReport): Diagnostic[] {
  if (r.verdict === null || r.verdict.ok || r.findings.some((f) => f.severity === 'error')) return r.findings;
  const at = r.findings[0];
  return [
    ...r.findings,
    {
      code: 'chain.rejected',
      severity: 'error',
      path: at?.path ?? [],
      file: at?.file,
      line: at?.line,
      column: at?.column,
      message: `upstream "${r.name}": nginx will log: ${nginxLogLine(r.verdict, r.serverName)}`,
    },
  ];
}

/** The line nginx writes to its error log for this verdict. */
export function nginxLogLine(v: ChainVerdict, name: string | undefined): string {
  if (!v.nginx) return '';
  if (v.nginx.code === HOSTNAME_MISMATCH)
    return `upstream SSL certificate does not match "${v.nginx.name ?? name ?? ''}"`;
  return `upstream SSL certificate verify error: (${v.nginx.code}:${v.nginx.reason})`;
}

/** X509_V_ERR_HOSTNAME_MISMATCH: the contract's code for nginx's own host check failing. */
const HOSTNAME_MISMATCH = 62;
