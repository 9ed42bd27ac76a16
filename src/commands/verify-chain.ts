import { basename, resolve } from 'node:path';
import { analyzeTls, type UpstreamTlsAnalysis } from '../analyze/analyze-tls.js';
import { FatalError, hasFailures, type Diagnostic, type Fatal } from '../diagnostics/diagnostic.js';
import { diagnosticJson, formatJson } from '../format/json.js';
import { positionDiagnostics } from '../load/load-spec.js';
import { checkSpec } from '../pipeline/check-spec.js';
import type { PemKind } from '../tls/pem.js';
import { PemFiles } from '../tls/pem-files.js';
import type { CertSource, ChainFinding, ChainVerdict } from '../tls/verdict.js';
import { probeCommand } from '../analyze/probe-command.js';
import { verifyChain, parseCrl } from '../tls/chain/index.js';
import { NGINX_DEFAULT_VERIFY_DEPTH } from '../plan/plan.js';
import { escapeUnsafe } from '../validate/show.js';
import { emitDiagnostics, exitFor, fatalJson, fatalLines, type CommandContext, type CommandResult } from './context.js';

export interface VerifyChainOptions {
  upstream?: string;
  at?: Date;
  warnDays: number;
}

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
  /** Findings as positioned diagnostics. */
  findings: Diagnostic[];
}

/** `gwctl verify-chain SPEC...`: every upstream's presentedChain against its trust store, depth and name. */
export function verifyChainSpecCommand(
  specPaths: string | readonly string[],
  opts: VerifyChainOptions,
  ctx: CommandContext,
): CommandResult {
  const specs = typeof specPaths === 'string' ? [specPaths] : specPaths;
  if (specs.length > 1 && opts.upstream !== undefined) throw new FatalError('--upstream goes with a single spec');
  const reports: UpstreamReport[] = [];
  const general: Diagnostic[] = [];
  const files = new PemFiles();
  const fatal: Fatal[] = [];
  for (const specPath of specs) {
    let one: ReturnType<typeof verifySpec>;
    try {
      one = verifySpec(specPath, opts, ctx, files);
    } catch (e) {
      // One unreadable spec of several: reported beside the others' verdicts, exit 2.
      if (!(e instanceof FatalError)) throw e;
      fatal.push({ message: e.message, spec: specPath });
      continue;
    }
    reports.push(...one.reports.map((r) => (specs.length > 1 ? { ...r, spec: specPath } : r)));
    general.push(...one.general);
  }
  return reportOutput(ctx, reports, general, fatal);
}

function verifySpec(
  specPath: string,
  opts: VerifyChainOptions,
  ctx: CommandContext,
  files: PemFiles,
): { reports: UpstreamReport[]; general: Diagnostic[] } {
  const checked = checkSpec(specPath, ctx.cwd, files);
  if (!checked.spec || !checked.material || hasFailures(checked.diagnostics))
    return { reports: [], general: checked.diagnostics };
  if (opts.upstream !== undefined && !checked.spec.upstreams?.[opts.upstream]?.tls) {
    throw new FatalError(`--upstream ${opts.upstream}: no TLS upstream of that name in ${specPath}`);
  }
  ctx.progress?.(`verifying ${opts.upstream ?? `the upstream chains of ${specPath}`}`);
  const analysis = analyzeTls(checked.spec, checked.material, {
    at: opts.at ?? ctx.now,
    warnDays: opts.warnDays,
    only: opts.upstream,
    specArg: specPath,
  });
  const positioned = positionDiagnostics(checked.loaded, analysis.diagnostics);
  // Every TLS upstream gets an entry: one without a verdict says why and how to get one.
  const reports = analysis.upstreams.map(
    (u: UpstreamTlsAnalysis): UpstreamReport => ({
      name: u.name,
      serverName: checked.spec!.upstreams![u.name].tls?.serverName,
      verifyDepth: u.verifyDepth,
      verdict: u.verdict ?? null,
      ...(u.notChecked !== undefined ? { notChecked: u.notChecked } : {}),
      ...(u.notChecked === 'no presentedChain' ? { probe: probeCommand(specPath, u.name) } : {}),
      findings: positioned.filter(
        (d) =>
          d.path[0] === 'upstreams' &&
          d.path[1] === u.name &&
          (d.path[3] === 'presentedChain' || (d.path.length === 3 && d.code === 'chain.not-checked')),
      ),
    }),
  );
  const general = [...checked.diagnostics, ...positioned.filter((d) => !reports.some((r) => r.findings.includes(d)))];
  return { reports, general };
}

export interface ChainFilesOptions {
  chain: string;
  ca: string[];
  /** proxy_ssl_crl files: revocation is then checked for every certificate, as nginx does. */
  crl?: string[];
  name?: string;
  depth?: number;
  at?: Date;
  warnDays: number;
}

/** `gwctl verify-chain --chain FILE --ca FILE`: the same check with no spec. */
export function verifyChainFilesCommand(opts: ChainFilesOptions, ctx: CommandContext): CommandResult {
  const files = new PemFiles();
  const presented = readPemOrFail(files, resolve(ctx.cwd, opts.chain), 'certificate', '--chain');
  const trustFiles = opts.ca.map((ca) => readTrustFile(files, resolve(ctx.cwd, ca)));
  const trusted = trustFiles.flatMap((t) => t.certs);
  const trustFileProblems = trustFiles.flatMap((t) => (t.problem ? [t.problem] : []));
  const verifyDepth = opts.depth ?? NGINX_DEFAULT_VERIFY_DEPTH;
  const crls = opts.crl?.flatMap((f) => readPemOrFail(files, resolve(ctx.cwd, f), 'crl', '--crl'));
  const verdict = verifyChain({
    presented,
    trusted,
    crls,
    depth: verifyDepth,
    name: opts.name,
    at: opts.at ?? ctx.now,
    warnDays: opts.warnDays,
    trustFileProblems,
  });
  const file = resolve(ctx.cwd, opts.chain);
  if (opts.name === undefined) verdict.findings.push(nameNotChecked());
  const findings: Diagnostic[] = verdict.findings.map((f) => ({
    code: f.code,
    severity: f.severity,
    message: f.message,
    path: [],
    file: f.file ?? file,
    line: f.line ?? 1,
    column: 1,
  }));
  return reportOutput(ctx, [{ name: basename(opts.chain), serverName: opts.name, verifyDepth, verdict, findings }], []);
}

/** Without --name nothing checked the certificate's names, which nginx always does. */
function nameNotChecked(): ChainFinding {
  return {
    severity: 'info',
    code: 'chain.name-not-checked',
    message:
      'no name was checked (no --name): nginx checks proxy_ssl_name (by default the host of proxy_pass) against the certificate and logs `upstream SSL certificate does not match "NAME"` when it fails; add --name DNS to check it',
  };
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
  const load = files.opensslLoad(file, (der) => {
    const r = parseCrl(der);
    return 'error' in r && r.by === 'openssl' ? `ASN1 lib (the X509 CRL block ${r.error})` : null;
  })!;
  if (load.error) return { certs, problem: { file, ...load.error } };
  // Only what OpenSSL read counts (a NUL byte ends its reading early).
  const loaded = new Set(load.blocks.map((b) => b.der.toString('base64')));
  return { certs: certs.filter((c) => loaded.has(c.block.der.toString('base64'))) };
}

function readPemOrFail(files: PemFiles, file: string, kind: PemKind, flag: string): CertSource[] {
  const r = files.read(file, kind);
  if ('problem' in r) throw new FatalError(`${flag} ${file}: ${r.problem.message}`);
  return r.blocks.map((block) => ({ block, file }));
}

/** verify-chain's output for any list of upstream reports (gwctl probe prints the same shape). */
export function reportOutput(
  ctx: CommandContext,
  reports: UpstreamReport[],
  general: Diagnostic[],
  fatal: readonly Fatal[] = [],
): CommandResult {
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
        diagnostics: general.map(diagnosticJson),
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
