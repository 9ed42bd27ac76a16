import { accessSync, constants, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { verifyUpstreamChain } from '../analyze/analyze-tls.js';
import { FatalError, hasFailures, type Diagnostic, type SpecPath } from '../diagnostics/diagnostic.js';
import type { GatewaySpec, UpstreamSpec } from '../load/spec-types.js';
import { checkSpec } from '../pipeline/check-spec.js';
import { NGINX_DEFAULT_VERIFY_DEPTH } from '../load/spec-defaults.js';
import { alertAdvice } from '../tls/alerts.js';
import { securityLevelOf } from '../tls/security-level.js';
import { MAX_CERT_LIST } from '../tls/chain/index.js';
import { nginxDefaultProtocols } from '../load/nginx-version.js';
import { nginxSslName } from '../tls/chain/index.js';
import { PemFiles } from '../tls/pem-files.js';
import { findingDiagnostic } from '../tls/finding-diagnostic.js';
import { parseSClient, type ProbeObservation } from '../tls/probe/parse-s-client.js';
import { MissingOpenssl, runSClient, type ProbeTarget } from '../tls/probe/s-client.js';
import { saveChain, type SaveOutcome } from '../tls/probe/save-chain.js';
import type { CertSource, ChainVerdict } from '../tls/verdict.js';
import type { Fix } from '../diagnostics/fix.js';
import { resolvePath } from '../tls/material.js';
import { parseHostPort } from '../text/addresses.js';
import { isIP } from 'node:net';
import type { CommandContext } from './context.js';
import { readTrustFile, reportOutput, type UpstreamReport } from './chain-report.js';

export interface ProbeCommonOptions {
  timeoutSeconds: number;
  at?: Date;
  warnDays: number;
  save?: boolean | string;
  force?: boolean;
}

export interface ProbeHostOptions extends ProbeCommonOptions {
  serverName?: string;
  ca: string[];
  depth?: number;
  clientCert?: string;
  clientKey?: string;
  save?: string;
}

export interface ProbeSpecOptions extends ProbeCommonOptions {
  upstream?: string;
  save?: boolean;
}

const DEFAULT_TIMEOUT_SECONDS = 10;
export { DEFAULT_TIMEOUT_SECONDS as PROBE_DEFAULT_TIMEOUT_SECONDS };

/** HOST:PORT rather than a spec: it parses as one, and no file of that name exists. */
export function isHostPort(target: string, cwd: string): boolean {
  return parseHostPort(target) !== undefined && !existsSync(resolve(cwd, target));
}

/** `gwctl probe HOST:PORT`: one server, settings from the command line. */
export async function probeHostCommand(hostPort: string, opts: ProbeHostOptions, ctx: CommandContext) {
  const hp = parseHostPort(hostPort);
  if (!hp) throw new FatalError(`${hostPort}: expected HOST:PORT, such as orders.internal:8443 or [::1]:8443`);
  if ((opts.clientCert === undefined) !== (opts.clientKey === undefined))
    throw new FatalError('--client-cert and --client-key go together');
  const files = new PemFiles();
  const trusted = opts.ca.flatMap((ca) => readTrustFile(files, resolve(ctx.cwd, ca)).certs);
  // nginx's proxy_ssl_name defaults to the host of proxy_pass; it sends SNI only for a DNS name.
  const name = opts.serverName ?? hp.host;
  const target: ProbeTarget = {
    host: hp.host,
    port: hp.port,
    sni: sniFor(name),
    clientCert:
      opts.clientCert !== undefined
        ? { certFile: resolve(ctx.cwd, opts.clientCert), keyFile: resolve(ctx.cwd, opts.clientKey!) }
        : undefined,
  };
  const server = hp.text;
  const observation = await probeOnce(target, opts, ctx);
  const findings: Diagnostic[] = connectionFindings(observation, server, [], !!target.clientCert);
  const depth = opts.depth ?? NGINX_DEFAULT_VERIFY_DEPTH;
  let verdict: ChainVerdict | null = null;
  let notChecked: string | undefined;
  if (observation.certs.length && trusted.length) {
    verdict = verifyUpstreamChain(
      {
        presented: served(observation, server),
        trusted,
        name,
        at: opts.at ?? ctx.now,
        warnDays: opts.warnDays,
        protocols: observation.protocol ? [observation.protocol] : undefined,
      },
      depth,
    ).verdict;
    findings.push(...verdict.findings.map((f) => chainDiagnostic(f, server, [])));
  } else if (observation.certs.length) {
    notChecked = 'no --ca given: the served chain was not verified';
    findings.push(
      info('probe.no-ca', `${server}: no --ca given, so the served chain was not verified; add --ca ROOT.pem`, []),
    );
  } else notChecked = 'the server sent no certificate';
  const report: UpstreamReport = {
    name: server,
    server,
    serverName: name,
    verifyDepth: depth,
    verdict,
    ...(notChecked ? { notChecked } : {}),
    findings,
    notes: notesOf(observation),
  };
  const general: Diagnostic[] = [];
  if (opts.save !== undefined) {
    const to = resolve(ctx.cwd, opts.save);
    general.push(
      saveDiagnostic(saveChain(to, observation.certs, [server], { force: !!opts.force, now: ctx.now }), to, ctx.cwd),
    );
  }
  return reportOutput(ctx, [report], general);
}

/** `gwctl probe SPEC`: every server of every TLS upstream (or of --upstream), with its settings. */
export async function probeSpecCommand(specPath: string, opts: ProbeSpecOptions, ctx: CommandContext) {
  const files = new PemFiles();
  const checked = checkSpec(specPath, ctx.cwd, files);
  // A presentedChain that does not exist yet is what --save is about to write: not a reason to stop.
  const blocking = checked.diagnostics.filter(
    (d) => d.severity === 'error' && !(d.path[0] === 'upstreams' && d.path[3] === 'presentedChain'),
  );
  if (!checked.spec || !checked.material || hasFailures(blocking))
    return reportOutput(ctx, [], checked.diagnostics, [], checked.loaded);
  const spec = checked.spec;
  if (opts.upstream !== undefined && !spec.upstreams?.[opts.upstream]?.tls)
    throw new FatalError(`--upstream ${opts.upstream}: no TLS upstream of that name in ${specPath}`);
  const specDir = checked.loaded.dir;
  const reports: UpstreamReport[] = [];
  const general: Diagnostic[] = [];
  for (const [name, up] of Object.entries(spec.upstreams ?? {})) {
    const tls = up.tls;
    if (!tls || (opts.upstream !== undefined && opts.upstream !== name)) continue;
    const path: SpecPath = ['upstreams', name, 'tls'];
    const client = clientCertFor(spec, up, checked.material, specDir);
    const upstreamReports: UpstreamReport[] = [];
    const observed: { server: string; certs: Buffer[] }[] = [];
    for (const s of up.servers) {
      const hp = parseHostPort(typeof s === 'string' ? s : s.address)!;
      const server = hp.text;
      ctx.progress?.(`probing ${name} at ${server}`);
      // As rendered: proxy_ssl_name is the serverName, else the first server's host; SNI is on.
      const sslName = nginxSslName(tls.serverName ?? firstHost(up));
      const target: ProbeTarget = {
        host: hp.host,
        port: hp.port,
        sni: sniFor(sslName),
        protocols: tls.protocols ?? nginxDefaultProtocols(spec.runtime?.nginxVersion),
        ciphers: tls.ciphers,
        clientCert: client.files,
      };
      const obs = await probeOnce(target, opts, ctx);
      const findings = [
        ...client.findings,
        ...connectionFindings(obs, server, path, !!client.files, tls.clientCertificate),
      ];
      let verdict: ChainVerdict | null = null;
      let notChecked: string | undefined;
      let verifyDepth = tls.verifyDepth ?? NGINX_DEFAULT_VERIFY_DEPTH;
      const trusted = tls.trustStore !== undefined ? checked.material.trustStores.get(tls.trustStore) : undefined;
      if ((tls.verify ?? true) === false) notChecked = 'verify is false: nginx does not verify this upstream';
      else if (!obs.certs.length) notChecked = 'the server sent no certificate';
      else if (!trusted) notChecked = `trust store "${tls.trustStore}" could not be read`;
      else {
        const crls = tls.trustStore !== undefined ? checked.material.crls.get(tls.trustStore) : undefined;
        const result = verifyUpstreamChain(
          {
            presented: served(obs, server),
            trusted,
            crls,
            name: tls.serverName,
            at: opts.at ?? ctx.now,
            trustStoreName: tls.trustStore,
            warnDays: opts.warnDays,
            securityLevel: securityLevelOf(tls.ciphers),
            protocols: obs.protocol ? [obs.protocol] : target.protocols,
          },
          tls.verifyDepth,
        );
        verdict = result.verdict;
        verifyDepth = result.verifyDepth;
        findings.push(...verdict.findings.map((f) => chainDiagnostic(f, server, [...path, 'presentedChain'])));
        findings.push(
          ...staleSpecFindings(name, tls.presentedChain, tls.verifyDepth, obs, checked.material, verdict, path),
        );
      }
      observed.push({ server, certs: obs.certs });
      upstreamReports.push({
        name,
        server,
        serverName: tls.serverName,
        verifyDepth,
        verdict,
        ...(notChecked ? { notChecked } : {}),
        findings,
        notes: notesOf(obs),
      });
    }
    reports.push(...upstreamReports);
    if (opts.save) general.push(...saveUpstream(name, tls.presentedChain, observed, specDir, specPath, opts, ctx));
  }
  return reportOutput(
    ctx,
    reports,
    [...checked.diagnostics.filter((d) => !blocking.includes(d) && !(d.severity === 'error')), ...general],
    [],
    checked.loaded,
  );
}

async function probeOnce(
  target: ProbeTarget,
  opts: ProbeCommonOptions,
  ctx: CommandContext,
): Promise<ProbeObservation> {
  const openssl = ctx.env?.GWCTL_OPENSSL || 'openssl';
  try {
    const run = await runSClient(target, { openssl, timeoutMs: opts.timeoutSeconds * 1000 });
    return parseSClient(run);
  } catch (e) {
    if (e instanceof MissingOpenssl) throw new FatalError(e.message);
    throw e;
  }
}

/** nginx sends SNI only for a DNS name: never for an IP address (ngx_http_upstream_ssl_name()). */
function sniFor(name: string): string | undefined {
  if (name === '' || name.startsWith('[') || isIP(name) !== 0) return undefined;
  return name;
}

function firstHost(up: UpstreamSpec): string {
  const s = up.servers[0];
  return parseHostPort(typeof s === 'string' ? s : s.address)!.host;
}

/** The served certificates as the engine's input: each named by the server and its place in the message. */
function served(obs: ProbeObservation, server: string): CertSource[] {
  return obs.certs.map((der, i) => ({
    block: { label: 'CERTIFICATE', der, line: i + 1, text: pemOf(der) },
    file: `served by ${server}, certificate`,
  }));
}

export function pemOf(der: Buffer): string {
  const b64 = der.toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN CERTIFICATE-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END CERTIFICATE-----\n`;
}

function chainDiagnostic(
  f: { code: string; severity: Diagnostic['severity']; message: string; file?: string; line?: number; fix?: Fix },
  server: string,
  path: SpecPath,
): Diagnostic {
  return findingDiagnostic(f, { subject: server, path, servedBy: server });
}

const info = (code: string, message: string, path: SpecPath): Diagnostic => ({ code, severity: 'info', message, path });
const err = (code: string, message: string, path: SpecPath): Diagnostic => ({ code, severity: 'error', message, path });
const warn = (code: string, message: string, path: SpecPath): Diagnostic => ({
  code,
  severity: 'warning',
  message,
  path,
});

/** Why the connection did not give a usable TLS session, as nginx will meet it. */
export function connectionFindings(
  obs: ProbeObservation,
  server: string,
  path: SpecPath,
  presentedClientCert: boolean,
  clientCertificateName?: string,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const detail = obs.detail ? ` (OpenSSL: ${obs.detail})` : '';
  switch (obs.failure) {
    case 'timeout':
      out.push(
        err(
          'probe.timeout',
          `${server}: no TLS answer in time: the server accepts nothing, or a firewall drops the packets; nginx waits proxy_connect_timeout (60s by default), logs "upstream timed out" and answers 504`,
          path,
        ),
      );
      break;
    case 'refused':
      out.push(
        err(
          'probe.refused',
          `${server}: connection refused: nothing listens there; nginx logs "connect() failed (111: Connection refused) while connecting to upstream" and answers 502.${path.length ? ` Check the server's address and port in upstreams.${path[1]}.servers` : ''}`,
          path,
        ),
      );
      break;
    case 'unreachable':
      out.push(err('probe.unreachable', `${server}: cannot connect${detail}; nginx cannot either (502)`, path));
      break;
    case 'not-tls':
      out.push(
        err(
          'probe.not-tls',
          `${server} does not speak TLS: it answered nginx's ClientHello with something else (a plain http port?)${detail}; nginx logs "SSL_do_handshake() failed (SSL: error:0A00010B:SSL routines::wrong version number)" and answers 502. Use the server's TLS port, or drop tls for a plain http upstream`,
          path,
        ),
      );
      break;
    case 'closed':
      out.push(
        err(
          'probe.closed',
          `${server} closed the connection during the TLS handshake${detail}; nginx logs "peer closed connection in SSL handshake" and answers 502. Likely: the server requires a TLS version or SNI name nginx does not send, or it is not a TLS server`,
          path,
        ),
      );
      break;
    case 'cert-list-too-large':
      out.push(
        err(
          'chain.cert-list-too-large',
          `${server} sends a Certificate message larger than the ${MAX_CERT_LIST} bytes (100 KiB, SSL_MAX_CERT_LIST_DEFAULT) OpenSSL's client accepts${detail}: nginx's handshake stops the same way, it logs "SSL_do_handshake() failed (SSL: error:0A000098:SSL routines::excessive message size)" and answers 502; nginx cannot raise the limit. The probe cannot read the chain past it either. Serve only the leaf and the intermediates up to (not including) the root, and reissue oversized certificates (huge subjectAltName lists, embedded data)`,
          path,
        ),
      );
      break;
    case 'alert':
    case 'other':
      break;
  }
  if (obs.alert) {
    const a = alertAdvice(obs.alert.number);
    const requiredButMissing =
      !presentedClientCert &&
      (obs.alert.number === 116 || (obs.clientCertRequested && [40, 42].includes(obs.alert.number)));
    if (requiredButMissing)
      out.push(
        err(
          'probe.client-certificate-required',
          `${server} demands a client certificate and ${clientCertificateName ? `the client certificate "${clientCertificateName}" could not be presented` : 'the upstream has no tls.clientCertificate'}: it ended the handshake with alert ${obs.alert.number} (${a.name}). ${a.fix}`,
          path,
        ),
      );
    else if (presentedClientCert && [42, 43, 44, 45, 46, 48, 49, 116].includes(obs.alert.number))
      out.push(
        err(
          'probe.client-certificate-rejected',
          `${server} rejected the client certificate: alert ${obs.alert.number} (${a.name}): ${a.cause}. Likely: ${a.reasons.join('; or ')}. Fix: ${a.fix}`,
          path,
        ),
      );
    else
      out.push(
        err(
          'probe.handshake-alert',
          `${server} ended the handshake with alert ${obs.alert.number} (${a.name}): ${a.cause}; nginx logs "SSL_do_handshake() failed (... SSL alert number ${obs.alert.number})" and answers 502. Likely: ${a.reasons.join('; or ')}. Fix: ${a.fix}`,
          path,
        ),
      );
  } else if (obs.failure === 'other') {
    out.push(
      err(
        'probe.handshake-failed',
        `${server}: the TLS handshake failed${detail}; nginx logs "SSL_do_handshake() failed" and answers 502`,
        path,
      ),
    );
  } else if (
    !presentedClientCert &&
    obs.httpStatus &&
    /^HTTP\/\S+ 400/.test(obs.httpStatus) &&
    obs.clientCertRequested
  ) {
    out.push(
      err(
        'probe.client-certificate-required',
        `${server} asked for a client certificate and answered "${obs.httpStatus}" without one (nginx upstreams log "client sent no required SSL certificate" and answer 400); the gateway passes that 400 on. Add tls.clientCertificate`,
        path,
      ),
    );
  }
  return out;
}

/** The client certificate the upstream presents, as files s_client can read, or why it cannot. */
function clientCertFor(
  spec: GatewaySpec,
  up: UpstreamSpec,
  material: NonNullable<ReturnType<typeof checkSpec>['material']>,
  specDir: string,
): { files?: ProbeTarget['clientCert']; findings: Diagnostic[] } {
  const name = up.tls?.clientCertificate;
  if (name === undefined) return { findings: [] };
  const declared = spec.clientCertificates?.[name] as
    | { certificate: string; key: unknown; passwordFile?: unknown }
    | undefined;
  const path: SpecPath = ['clientCertificates', name, 'key'];
  if (!declared) return { findings: [] };
  const keyPath = hostOrLocal(declared.key, specDir);
  const passPath = declared.passwordFile !== undefined ? hostOrLocal(declared.passwordFile, specDir) : undefined;
  const why = unreadable(keyPath.path) ?? (passPath ? unreadable(passPath.path) : undefined);
  if (why) {
    const where = keyPath.hostPath ? `hostPath ${keyPath.path}` : keyPath.path;
    return {
      findings: [
        warn(
          'probe.client-key-unavailable',
          `client certificate "${name}": its key (${where}) ${why} here, so the probe connects without a client certificate; nginx on the gateway host will present it. A server that demands one is reported as such. Run the probe on the gateway host to include it`,
          path,
        ),
      ],
    };
  }
  const certs = material.clientCertificates.get(name)?.certs ?? [];
  const certFile = resolvePath(specDir, declared.certificate);
  let chainFile: string | undefined;
  if (certs.length > 1) {
    const dir = mkdtempSync(join(tmpdir(), 'gwctl-probe-'));
    chainFile = join(dir, 'chain.pem');
    writeFileSync(
      chainFile,
      certs
        .slice(1)
        .map((c) => pemOf(c.block.der))
        .join(''),
    );
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return { files: { certFile, keyFile: keyPath.path, passwordFile: passPath?.path, chainFile }, findings: [] };
}

function hostOrLocal(v: unknown, specDir: string): { path: string; hostPath: boolean } {
  if (v && typeof v === 'object' && 'hostPath' in v)
    return { path: String((v as { hostPath: string }).hostPath), hostPath: true };
  return { path: resolvePath(specDir, String(v)), hostPath: false };
}

function unreadable(file: string): string | undefined {
  if (!existsSync(file)) return 'does not exist';
  try {
    accessSync(file, constants.R_OK);
    return undefined;
  } catch {
    return 'is not readable by this user';
  }
}

/** What differs between the spec and what the server really serves. */
function staleSpecFindings(
  name: string,
  presentedChain: string | undefined,
  declaredDepth: number | undefined,
  obs: ProbeObservation,
  material: NonNullable<ReturnType<typeof checkSpec>['material']>,
  verdict: ChainVerdict,
  path: SpecPath,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const onFile = material.presentedChains.get(name);
  if (
    presentedChain !== undefined &&
    onFile &&
    !sameChain(
      onFile.map((c) => c.block.der),
      obs.certs,
    )
  )
    out.push(
      warn(
        'probe.chain-differs',
        `upstream "${name}": the server serves another chain than presentedChain ${presentedChain} (${obs.certs.length} certificate(s) served, ${onFile.length} in the file): offline checks judge the file, nginx the served chain. Run gwctl probe with --save to update the file`,
        [...path, 'presentedChain'],
      ),
    );
  if (
    presentedChain === undefined &&
    declaredDepth === undefined &&
    verdict.requiredDepth !== null &&
    verdict.requiredDepth > NGINX_DEFAULT_VERIFY_DEPTH
  )
    out.push(
      warn(
        'probe.depth-not-derived',
        `upstream "${name}": as the spec stands (no presentedChain, no verifyDepth) render writes proxy_ssl_verify_depth ${NGINX_DEFAULT_VERIFY_DEPTH}, and nginx would log (20:unable to get local issuer certificate) for this chain, which needs ${verdict.requiredDepth}. Save the chain (--save) so gwctl derives verifyDepth ${verdict.requiredDepth}, or set verifyDepth: ${verdict.requiredDepth}`,
        path,
      ),
    );
  return out;
}

function sameChain(a: readonly Buffer[], b: readonly Buffer[]): boolean {
  return a.length === b.length && a.every((d, i) => d.equals(b[i]));
}

function saveUpstream(
  name: string,
  presentedChain: string | undefined,
  observed: { server: string; certs: Buffer[] }[],
  specDir: string,
  specPath: string,
  opts: ProbeSpecOptions,
  ctx: CommandContext,
): Diagnostic[] {
  const path: SpecPath = ['upstreams', name, 'tls'];
  const withChain = observed.filter((o) => o.certs.length);
  if (!withChain.length)
    return [err('probe.not-saved', `upstream "${name}": nothing saved: no server sent a certificate`, path)];
  const first = withChain[0];
  const differ = withChain.filter((o) => !sameChain(o.certs, first.certs));
  if (differ.length) {
    const groups = new Map<string, string[]>();
    for (const o of withChain) {
      const key = o.certs.map((c) => c.toString('base64')).join(',');
      groups.set(key, [...(groups.get(key) ?? []), o.server]);
    }
    const described = [...groups.values()].map((servers, i) => `chain ${i + 1}: ${servers.join(', ')}`).join('; ');
    return [
      err(
        'probe.peers-differ',
        `upstream "${name}": nothing saved: its servers serve different chains (${described}); make every server serve the same chain, then probe again`,
        path,
      ),
    ];
  }
  const rel = presentedChain ?? `chains/${name}.pem`;
  const to = resolvePath(specDir, rel);
  const outcome = saveChain(
    to,
    first.certs,
    withChain.map((o) => o.server),
    { force: !!opts.force, now: ctx.now },
  );
  const d = saveDiagnostic(outcome, to, ctx.cwd);
  const out = [{ ...d, path }];
  if (presentedChain === undefined && (outcome.kind === 'written' || outcome.kind === 'unchanged'))
    out.push(
      info(
        'probe.add-presented-chain',
        `upstream "${name}": add this line to upstreams.${name}.tls in ${specPath} so that verify-chain and render use the saved chain: presentedChain: ${rel}`,
        path,
      ),
    );
  const missing = observed.filter((o) => !o.certs.length).map((o) => o.server);
  if (missing.length)
    out.push(
      warn(
        'probe.saved-partial',
        `upstream "${name}": saved from ${withChain.map((o) => o.server).join(', ')}; ${missing.join(', ')} sent no certificate and could not be compared`,
        path,
      ),
    );
  return out;
}

function saveDiagnostic(outcome: SaveOutcome, to: string, cwd: string): Diagnostic {
  const shown = isAbsolute(to) && !relative(cwd, to).startsWith('..') ? relative(cwd, to) || to : to;
  switch (outcome.kind) {
    case 'written':
      return info(
        'probe.saved',
        `wrote ${shown}: ${outcome.count} certificate(s) as served, leaf first${outcome.backup ? `; the file it replaced is kept as ${outcome.backup}` : ''}`,
        [],
      );
    case 'unchanged':
      return info('probe.saved', `${shown} already holds exactly the served chain: left unchanged`, []);
    case 'refused':
      return err(
        'probe.save-refused',
        `not saved: ${shown} exists and was not written by gwctl probe; add --force to replace it (its content is then kept as ${shown}.bak)`,
        [],
      );
    case 'empty':
      return err('probe.not-saved', `not saved: the server sent no certificate`, []);
  }
}

function notesOf(obs: ProbeObservation): string[] {
  const notes: string[] = [];
  if (obs.protocol) notes.push(`served: ${obs.protocol}, ${obs.cipher}, ${obs.certs.length} certificate(s)`);
  if (obs.clientCertRequested) notes.push('the server asked for a client certificate');
  if (obs.httpStatus) notes.push(`HEAD / answered: ${obs.httpStatus}`);
  return notes;
}
