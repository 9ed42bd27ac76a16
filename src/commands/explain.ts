import { createReadStream, existsSync, statSync } from 'node:fs';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { analyzeTls } from '../analyze/analyze-tls.js';
import { probeCommand } from '../analyze/probe-command.js';
import { FatalError, hasFailures } from '../diagnostics/diagnostic.js';
import { formatJson } from '../format/json.js';
import { positionAll } from '../load/load-spec.js';
import type { GatewaySpec } from '../load/spec-types.js';
import { checkSpec, type CheckedSpec } from '../pipeline/check-spec.js';
import { DEFAULT_WARN_DAYS } from '../load/spec-defaults.js';
import { recognise, type Recognised } from '../tls/explain/recognise.js';
import { parseHostPort } from '../text/addresses.js';
import { escapeUnsafe } from '../text/show.js';
import { emitDiagnostics, type CommandContext, type CommandResult } from './context.js';

export interface ExplainOptions {
  line?: string;
  log?: string;
  spec?: string;
  /** Standard input, when neither a LINE nor --log is given. */
  stdin?: Readable & { isTTY?: boolean };
}

export interface Explanation extends Recognised {
  line: string;
  lineNumber: number;
  count: number;
  upstream: string | null;
  server: string | null;
  /** gwctl's own verdict on the upstream's presentedChain, when the spec has one. */
  verdict?: { nginx: { code: number; reason: string; name?: string } | null; agrees: boolean; findings: string[] };
}

/** Longest lines read from a log: nginx's own error lines are at most NGX_MAX_ERROR_STR (2048) bytes. */
const MAX_LINE = 64 * 1024;

/** `gwctl explain [LINE] [--log FILE] [--spec SPEC]`. */
export async function explainCommand(opts: ExplainOptions, ctx: CommandContext): Promise<CommandResult> {
  if (opts.line !== undefined && opts.log !== undefined) throw new FatalError('give a LINE or --log FILE, not both');
  let checked: CheckedSpec | undefined;
  if (opts.spec !== undefined) {
    checked = checkSpec(opts.spec, ctx.cwd);
    if (!checked.spec || !checked.material || hasFailures(checked.diagnostics))
      return { exitCode: 1, ...emitDiagnostics(ctx, positionAll(checked.loaded, checked.diagnostics)) };
  }
  const groups = new Map<string, Explanation>();
  let total = 0;
  const take = (line: string, n: number) => {
    total++;
    if (line.length > MAX_LINE) return;
    const r = recognise(line);
    if (!r) return;
    const key = [
      r.kind,
      r.nginx?.code,
      r.nginx?.name,
      r.alert,
      r.address?.host,
      r.address?.port,
      r.request?.path,
      r.file,
    ].join('|');
    const seen = groups.get(key);
    if (seen) seen.count++;
    else groups.set(key, { ...r, line, lineNumber: n, count: 1, upstream: null, server: null });
  };
  if (opts.line !== undefined) opts.line.split(/\r?\n/).forEach((l, i) => take(l, i + 1));
  else {
    let input: Readable;
    if (opts.log !== undefined) {
      const file = resolve(ctx.cwd, opts.log);
      if (!existsSync(file) || !statSync(file).isFile()) throw new FatalError(`--log ${opts.log}: no such file`);
      input = createReadStream(file);
    } else {
      if (!opts.stdin || opts.stdin.isTTY)
        throw new FatalError('give an error-log LINE, --log FILE, or pipe lines on standard input');
      input = opts.stdin;
    }
    let n = 0;
    // Streamed line by line: a log of any size is read in constant memory (groups stay small).
    for await (const l of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) take(l, ++n);
  }
  const explanations = [...groups.values()];
  if (checked?.spec) for (const e of explanations) await placeInSpec(e, checked, opts.spec!, ctx);
  for (const e of explanations) e.fields = e.fields.map((f) => fillField(f, e, checked?.spec));
  const exitCode = opts.line !== undefined && explanations.length === 0 ? 1 : 0;
  if (ctx.format === 'json')
    return {
      exitCode,
      stdout: formatJson({ explanations: explanations.map(explanationJson), lines: total }),
      stderr: '',
    };
  return { exitCode, stdout: human(explanations, total), stderr: '' };
}

function explanationJson(e: Explanation) {
  return {
    line: e.line,
    lineNumber: e.lineNumber,
    count: e.count,
    kind: e.kind,
    upstream: e.upstream,
    server: e.server,
    address: e.address
      ? `${e.address.host.includes(':') ? `[${e.address.host}]` : e.address.host}:${e.address.port}`
      : null,
    nginx: e.nginx,
    ...(e.alert !== undefined ? { alert: e.alert } : {}),
    cause: e.cause,
    reasons: e.reasons,
    fix: e.fix,
    fields: e.fields,
    ...(e.verdict ? { verdict: e.verdict } : {}),
  };
}

/** Which spec upstream and server the line is about: the route that sent the request, then the address nginx connected to. */
async function placeInSpec(e: Explanation, checked: CheckedSpec, specArg: string, ctx: CommandContext): Promise<void> {
  const spec = checked.spec!;
  const upstreams = Object.entries(spec.upstreams ?? {}).filter(([, u]) => u.tls);
  const routed = e.request ? routeUpstream(spec, e.request.path, e.request.host) : undefined;
  const candidates = routed !== undefined ? upstreams.filter(([n]) => n === routed) : upstreams;
  if (e.address) {
    const hits: [string, string][] = [];
    for (const [name, up] of candidates)
      for (const s of up.servers) {
        const text = typeof s === 'string' ? s : s.address;
        const hp = parseHostPort(text);
        if (hp && hp.port === e.address.port && (await resolvesTo(hp.host, e.address.host))) hits.push([name, text]);
      }
    if (hits.length === 1 || (hits.length > 1 && hits.every(([n]) => n === hits[0][0]))) {
      [e.upstream, e.server] = hits[0];
    } else if (routed !== undefined) e.upstream = routed;
  } else if (routed !== undefined) e.upstream = routed;
  if (e.upstream === null) return;
  const tls = spec.upstreams![e.upstream].tls!;
  if (
    (e.kind === 'verify-error' || e.kind === 'name-mismatch') &&
    tls.presentedChain !== undefined &&
    checked.material
  ) {
    const a = analyzeTls(spec, checked.material, {
      at: ctx.now,
      warnDays: DEFAULT_WARN_DAYS,
      only: e.upstream,
      specArg,
    });
    const v = a.upstreams.find((u) => u.name === e.upstream)?.verdict;
    if (v) {
      const agrees = (v.nginx?.code ?? null) === (e.nginx?.code ?? null);
      const findings = v.findings.filter((f) => f.severity === 'error').map((f) => f.message);
      e.verdict = { nginx: v.nginx, agrees, findings };
      e.fix = agrees
        ? `${findings.join(' ')}${findings.length ? ' ' : ''}(gwctl's verdict on presentedChain ${tls.presentedChain} agrees with this line)`
        : `presentedChain ${tls.presentedChain} is not what the upstream serves: gwctl predicts ${v.nginx ? `(${v.nginx.code}:${v.nginx.reason})` : 'success'} for it, nginx logged (${e.nginx?.code}:${e.nginx?.reason}). Fetch the served chain: ${probeCommand(specArg, e.upstream)}; then: ${e.fix}`;
    }
  }
}

/** The route nginx chose for this request: longest path prefix, on the route's host when it names one. */
function routeUpstream(spec: GatewaySpec, path: string, host?: string): string | undefined {
  const bare = host?.replace(/:\d+$/, '').toLowerCase();
  let best: { len: number; upstream: string } | undefined;
  for (const r of spec.routes ?? []) {
    const route = r as { path: string; upstream: string; host?: string };
    if (route.host !== undefined && route.host.toLowerCase() !== bare) continue;
    if (!path.startsWith(route.path)) continue;
    if (!best || route.path.length > best.len) best = { len: route.path.length, upstream: route.upstream };
  }
  return best?.upstream;
}

async function resolvesTo(host: string, address: string): Promise<boolean> {
  if (host.toLowerCase() === address.toLowerCase()) return true;
  if (isIP(host) !== 0) return false;
  try {
    const all = await lookup(host, { all: true });
    return all.some((a) => a.address.toLowerCase() === address.toLowerCase());
  } catch {
    return false;
  }
}

function fillField(f: string, e: Explanation, spec: GatewaySpec | undefined): string {
  const tls = e.upstream !== null ? spec?.upstreams?.[e.upstream]?.tls : undefined;
  return f
    .replace('UPSTREAM', e.upstream ?? 'UPSTREAM')
    .replace('STORE', tls?.trustStore ?? 'STORE')
    .replace('CLIENT', tls?.clientCertificate ?? 'CLIENT');
}

/** The part of the line that says what happened (nginx's prefix and context cut). */
function message(line: string): string {
  const m = /(?:\*\d+ |\[emerg\] \d+#\d+: |\[emerg\] )(.*?)(?:, client: |$)/.exec(line);
  return (m?.[1] ?? line).replace(/^nginx: \[emerg\] /, '');
}

function human(explanations: Explanation[], total: number): string {
  const e = (s: string) => escapeUnsafe(s);
  if (!explanations.length)
    return `no upstream TLS line recognised among ${total} line(s) (gwctl explain reads nginx error-log lines such as "upstream SSL certificate verify error: (20:...)")\n`;
  const out: string[] = [];
  for (const x of explanations) {
    out.push(`${x.count > 1 ? `[${x.count}x] ` : ''}${e(message(x.line))}`);
    if (x.upstream !== null || x.address)
      out.push(
        `  upstream: ${x.upstream !== null ? `"${e(x.upstream)}"` : 'not in the spec'}${x.server ? `, server ${e(x.server)}` : ''}${x.address ? ` (nginx connected to ${e(x.address.host)}:${x.address.port})` : ''}`,
      );
    out.push(`  cause: ${e(x.cause)}`);
    out.push('  likely reasons, most likely first:');
    x.reasons.forEach((r, i) => out.push(`    ${i + 1}. ${e(r)}`));
    out.push(`  fix: ${e(x.fix)}`);
    if (x.fields.length) out.push(`  in the spec: ${x.fields.map(e).join(', ')}`);
    out.push('');
  }
  return `${out.join('\n')}`;
}
