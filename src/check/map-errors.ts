import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Diagnostic, Severity, SpecPath } from '../diagnostics/diagnostic.js';
import { type RenderManifest, sourceOfLine } from '../output/manifest.js';
import { summarizeList } from '../plan/comment-text.js';

/**
 * Turns `nginx -t` output into diagnostics: each `nginx: [emerg] MESSAGE in FILE:LINE` becomes
 * one at FILE:LINE, and where the render manifest says which spec field the line was rendered
 * from, a second one (info) points at that field.
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

/** What the spec looks like, as far as tracing needs it. */
export interface SpecShape {
  routes?: { path?: unknown; upstream?: unknown }[];
  upstreams?: Record<string, { servers?: unknown[] } | undefined>;
}

export interface Trace {
  /** Where in the spec the rendered line comes from. */
  path: SpecPath;
  /** "upstream "orders" (tls.verifyDepth)", for messages. */
  what: string;
}

/**
 * Traces a line of the rendered nginx.conf back to the spec through the render manifest (which
 * lines came from which spec fields); undefined for lines no spec field produced.
 */
export function traceLine(manifest: RenderManifest, line: number, spec?: SpecShape): Trace | undefined {
  const source = sourceOfLine(manifest, line);
  if (!source?.from.length) return undefined;
  const path = source.from[0];
  const [, name, ...field] = path;
  if (source.kind === 'route') {
    const route = spec?.routes?.[name as number];
    return { path, what: `routes[${name}] (${String(route?.path ?? '')} -> "${String(route?.upstream ?? '')}")` };
  }
  if (source.kind === 'tls-profile') {
    const names = [...new Set(source.from.map((p) => `"${String(p[1])}"`))];
    const tlsField = field.slice(1);
    return {
      path,
      what: `the TLS settings of upstream ${summarizeList(names)}${tlsField.length ? ` (tls.${tlsField.join('.')})` : ''}`,
    };
  }
  if (source.kind === 'upstream' && field[0] === 'servers')
    return { path, what: `upstream "${String(name)}" (servers[${field[1]}])` };
  return { path, what: `upstream "${String(name)}"${field.length ? ` (${field.join('.')})` : ''}` };
}

export interface MapOptions {
  /** The nginx prefix that was tested (absolute). */
  dir: string;
  /** Text of DIR/nginx.conf as it was tested. */
  conf: string;
  /** DIR's render manifest, when it describes that nginx.conf: spec pointers come from it. */
  manifest?: RenderManifest;
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
    if (!o.spec || !o.manifest || !line || !file || resolve(file) !== resolve(confFile)) continue;
    const trace = traceLine(o.manifest, line, o.spec.data);
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
