import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Diagnostic, Severity, SpecPath } from '../diagnostics/diagnostic.js';

/**
 * Turns `nginx -t` output into diagnostics: each `nginx: [emerg] MESSAGE in FILE:LINE` becomes
 * one at FILE:LINE, and where the rendered line lies in a block gwctl labelled with a comment
 * (`# spec upstream "orders"`, `# route -> upstream "orders"`, `# TLS profile for upstream(s): …`),
 * a second one (info) points at the spec field it was rendered from.
 */

/** One message from nginx's stderr. */
export interface NginxMessage {
  level: string;
  text: string;
  file?: string;
  line?: number;
}

const LINE = /^nginx: \[(emerg|alert|crit|error|warn|notice|info)\] (.*)$/;
/** nginx ends a message with ` in /abs/path/nginx.conf:LINE`; the message itself may say ` in ` too. */
const WHERE = /^(.*) in (\/.*?):(\d+)$/;

export function parseNginxOutput(output: string): NginxMessage[] {
  const out: NginxMessage[] = [];
  for (const raw of output.split(/\r?\n/)) {
    const m = LINE.exec(raw.trim());
    if (!m) continue;
    const w = WHERE.exec(m[2]);
    out.push(w ? { level: m[1], text: w[1], file: w[2], line: Number(w[3]) } : { level: m[1], text: m[2] });
  }
  return out;
}

export function severityOf(level: string): Severity {
  if (level === 'warn') return 'warning';
  if (level === 'notice' || level === 'info') return 'info';
  return 'error';
}

/** A block of the rendered nginx.conf that gwctl labelled with the spec object it came from. */
export interface LabelledBlock {
  kind: 'upstream' | 'route' | 'profile';
  /** Spec upstream names (a TLS profile may serve several). */
  upstreams: string[];
  /** Spec route indexes, when the label names them (`routes[3] -> orders`). */
  routes: number[];
  /** 1-based lines: the opening line (after the comment) and the line of its closing brace. */
  start: number;
  end: number;
  /** For routes: the location's path as written. */
  locationPath?: string;
  /** For upstream blocks: the nginx name of the upstream (`upstream up_orders {`). */
  nginxName?: string;
}

/**
 * The comments gwctl writes above the blocks it renders (templates/), in the forms they have
 * had: `# spec upstream "orders"`, `# TLS profile for upstream(s): a, b`, and for routes either
 * `# route -> upstream "orders"` or `# api.example.com: routes[1] -> status; other hosts: 404`.
 */
function label(line: string): Pick<LabelledBlock, 'kind' | 'upstreams' | 'routes'> | undefined {
  let m = /^\s*# spec upstream "([^"]+)"/.exec(line);
  if (m) return { kind: 'upstream', upstreams: [m[1]], routes: [] };
  m = /^\s*# TLS profile for upstream\(s\): (.+)$/.exec(line);
  if (m)
    return {
      kind: 'profile',
      upstreams: m[1]
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
      routes: [],
    };
  m = /^\s*# route -> upstream "([^"]+)"/.exec(line);
  if (m) return { kind: 'route', upstreams: [m[1]], routes: [] };
  const refs = [...line.matchAll(/routes\[(\d+)\] -> ([A-Za-z0-9_.-]+)/g)];
  if (/^\s*#/.test(line) && refs.length)
    return { kind: 'route', upstreams: refs.map((r) => r[2]), routes: refs.map((r) => Number(r[1])) };
  return undefined;
}

/** Finds gwctl's labelled blocks by matching braces (outside quotes and comments). */
export function labelledBlocks(conf: string): LabelledBlock[] {
  const lines = conf.split('\n');
  const depthAfter = braceDepths(lines);
  const blocks: LabelledBlock[] = [];
  for (let i = 0; i + 1 < lines.length; i++) {
    const l = label(lines[i]);
    if (!l) continue;
    const open = i + 1;
    if (depthAfter[open] <= depthAfter[i]) continue; // the next line opens no block
    const end = closingLine(depthAfter, open);
    const loc = l.kind === 'route' ? /^\s*location\s+(?:"((?:[^"\\]|\\.)*)"|(\S+))\s*\{/.exec(lines[open]) : null;
    const up = l.kind === 'upstream' ? /^\s*upstream\s+(\S+)\s*\{/.exec(lines[open]) : null;
    blocks.push({
      ...l,
      start: open + 1,
      end: end + 1,
      ...(loc ? { locationPath: unquote(loc[1] ?? loc[2]) } : {}),
      ...(up ? { nginxName: up[1] } : {}),
    });
  }
  return blocks;
}

/** 0-based index of the line closing the block opened on line `open`. */
function closingLine(depthAfter: number[], open: number): number {
  const base = open === 0 ? 0 : depthAfter[open - 1];
  let end = open;
  while (end < depthAfter.length - 1 && depthAfter[end] > base) end++;
  return end;
}

/** 0-based index of the line that opened the innermost block holding line `idx`, if any. */
function openerOf(depthAfter: number[], idx: number): number | undefined {
  const depth = idx === 0 ? 0 : depthAfter[idx - 1];
  for (let i = idx - 1; i >= 0; i--) {
    const before = i === 0 ? 0 : depthAfter[i - 1];
    if (before < depth && depthAfter[i] >= depth) return i;
  }
  return undefined;
}

function unquote(s: string): string {
  return s.replace(/\\(.)/g, '$1');
}

/** Brace depth at the end of each line. */
function braceDepths(lines: string[]): number[] {
  let depth = 0;
  return lines.map((line) => {
    let quote: string | null = null;
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (quote) {
        if (c === '\\') i++;
        else if (c === quote) quote = null;
        continue;
      }
      if (c === '#') break;
      if (c === '"' || c === "'") quote = c;
      else if (c === '{') depth++;
      else if (c === '}') depth--;
    }
    return depth;
  });
}

/** What the spec looks like, as far as tracing needs it. */
export interface SpecShape {
  routes?: { path?: unknown; upstream?: unknown }[];
  upstreams?: Record<string, { servers?: unknown[] } | undefined>;
}

/** Which spec field a directive inside a TLS profile comes from. */
const PROFILE_DIRECTIVES: Record<string, string> = {
  proxy_ssl_verify: 'verify',
  proxy_ssl_verify_depth: 'verifyDepth',
  proxy_ssl_trusted_certificate: 'trustStore',
  proxy_ssl_crl: 'trustStore',
  proxy_ssl_certificate: 'clientCertificate',
  proxy_ssl_certificate_key: 'clientCertificate',
  proxy_ssl_password_file: 'clientCertificate',
  proxy_ssl_protocols: 'protocols',
  proxy_ssl_ciphers: 'ciphers',
};

/** Per-upstream `map $gw_upstream $VAR` entries: which spec field each map's values come from. */
const UPSTREAM_MAPS: Record<string, string[]> = {
  gw_ssl_name: ['tls', 'serverName'],
};

export interface Trace {
  /** Where in the spec the rendered line comes from. */
  path: SpecPath;
  /** "upstream "orders" (tls.verifyDepth)", for messages. */
  what: string;
}

/** Traces a line of the rendered nginx.conf back to the spec, or undefined when it has no label. */
export function traceLine(conf: string, line: number, spec?: SpecShape): Trace | undefined {
  const lines = conf.split('\n');
  const blocks = labelledBlocks(conf);
  const block = blocks
    .filter((b) => line >= b.start && line <= b.end)
    .sort((a, b) => a.end - a.start - (b.end - b.start))[0];
  const directive = /^\s*([a-z_]+)/.exec(lines[line - 1] ?? '')?.[1];
  if (!block) return mapEntry(lines, line, blocks);
  const upstream = block.upstreams[0];
  if (block.kind === 'profile') {
    const field = directive ? PROFILE_DIRECTIVES[directive] : undefined;
    const names = block.upstreams.map((u) => `"${u}"`).join(', ');
    return {
      path: ['upstreams', upstream, 'tls', ...(field ? [field] : [])],
      what: `the TLS settings of upstream ${names}${field ? ` (tls.${field})` : ''}`,
    };
  }
  if (block.kind === 'upstream') {
    if (directive === 'server') {
      const index = lines.slice(block.start, line - 1).filter((l) => /^\s*server\s/.test(l)).length;
      return { path: ['upstreams', upstream, 'servers', index], what: `upstream "${upstream}" (servers[${index}])` };
    }
    return { path: ['upstreams', upstream], what: `upstream "${upstream}"` };
  }
  const onLocation = line === block.start;
  let index = block.routes[0] ?? -1;
  if (index < 0) {
    const routes = spec?.routes ?? [];
    index = routes.findIndex((r) => r.upstream === upstream && r.path === block.locationPath);
    if (index < 0) index = routes.findIndex((r) => r.upstream === upstream);
  }
  if (index < 0) return { path: ['upstreams', upstream], what: `a route to upstream "${upstream}"` };
  return {
    path: ['routes', index, ...(onLocation ? ['path'] : [])],
    what: `routes[${index}] (${block.locationPath ?? ''} -> "${upstream}")`,
  };
}

/** A `map $gw_upstream $VAR { up_orders ...; }` entry: the upstream it is keyed by. */
function mapEntry(lines: string[], line: number, blocks: LabelledBlock[]): Trace | undefined {
  const depthAfter = braceDepths(lines);
  const opener = openerOf(depthAfter, line - 1);
  if (opener === undefined) return undefined;
  const map = /^\s*map\s+\$gw_upstream\s+\$(\w+)\s*\{/.exec(lines[opener]);
  if (!map) return undefined;
  const key = /^\s*(\S+)\s/.exec(lines[line - 1] ?? '')?.[1];
  const up = blocks.find((b) => b.kind === 'upstream' && b.nginxName !== undefined && b.nginxName === key);
  if (!up) return undefined;
  const field = UPSTREAM_MAPS[map[1]] ?? [];
  return {
    path: ['upstreams', up.upstreams[0], ...field],
    what: `upstream "${up.upstreams[0]}"${field.length ? ` (${field.join('.')})` : ''}`,
  };
}

export interface MapOptions {
  /** The nginx prefix that was tested (absolute). */
  dir: string;
  /** Text of DIR/nginx.conf as it was tested. */
  conf: string;
  /** Paths in messages are shown relative to this. */
  cwd: string;
  /** The spec, when known: its data lets routes be found; positions are resolved by the caller. */
  spec?: { file: string; data: SpecShape };
}

/**
 * Diagnostics for nginx's messages. Spec pointers carry only a path (and the spec's file); the
 * caller positions them with the loaded YAML document.
 */
export function mapNginxMessages(messages: NginxMessage[], o: MapOptions): Diagnostic[] {
  const confFile = join(o.dir, 'nginx.conf');
  const out: Diagnostic[] = [];
  for (const m of messages) {
    const severity = severityOf(m.level);
    let file = m.file;
    let line = m.line;
    if (!file) {
      // No "in FILE:LINE": SSL file errors name the file instead; find the directive that names it.
      const found = lineNaming(m.text, o);
      if (found) ({ file, line } = { file: confFile, line: found });
    }
    const code = severity === 'error' ? 'nginx.rejected' : severity === 'warning' ? 'nginx.warning' : 'nginx.notice';
    out.push({
      code,
      severity,
      message: `nginx -t: ${m.text}`,
      path: [],
      file: file ?? confFile,
      line: line ?? 1,
      column: 1,
    });
    if (!o.spec || !line || !file || resolve(file) !== resolve(confFile)) continue;
    const trace = traceLine(o.conf, line, o.spec.data);
    if (!trace) continue;
    out.push({
      code: 'nginx.source',
      severity: 'info',
      path: trace.path,
      file: o.spec.file,
      message: `${display(confFile, o.cwd)}:${line}, rendered from ${trace.what}, fails nginx -t: ${m.text}`,
    });
  }
  return out;
}

/** The line of nginx.conf that names a file the message mentions (quoted or after "fopen("). */
function lineNaming(text: string, o: MapOptions): number | undefined {
  const candidates = [...text.matchAll(/"([^"]+)"/g)].map((m) => m[1]);
  const lines = o.conf.split('\n');
  for (const c of candidates) {
    const abs = isAbsolute(c) ? c : resolve(o.dir, c);
    const rel = relative(o.dir, abs).split(sep).join('/');
    for (const needle of [`"${rel}"`, `"${c}"`, `"${abs}"`]) {
      const i = lines.findIndex((l) => !l.trimStart().startsWith('#') && l.includes(needle));
      if (i >= 0) return i + 1;
    }
  }
  return undefined;
}

function display(file: string, cwd: string): string {
  const rel = relative(cwd, file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel.split(sep).join('/') : file;
}
