/**
 * A small reader for the nginx.conf gwctl renders, for tests that must know what nginx will do
 * with it rather than what the template meant: a tokenizer that follows ngx_conf_read_token
 * (quotes, backslash escapes, comments, `;`, `{`, `}`), and an interpreter for the subset gwctl
 * uses (server_name and listen selection, prefix and named locations, `set`, `map` with
 * `hostnames` and regexes, `error_page 418 = …; return 418`, `proxy_pass` to upstream blocks).
 */

export interface Directive {
  name: string;
  args: string[];
  block?: Directive[];
  line: number;
}

export class ConfError extends Error {}

/** Parses nginx.conf text into directives, or throws ConfError where nginx's parser would. */
export function parseConf(text: string): Directive[] {
  let i = 0;
  let line = 1;
  const n = text.length;

  const word = (): { value: string; quoted: boolean } | { punct: ';' | '{' | '}' } | undefined => {
    for (;;) {
      while (i < n && /\s/.test(text[i])) {
        if (text[i] === '\n') line++;
        i++;
      }
      if (i >= n) return undefined;
      if (text[i] === '#') {
        while (i < n && text[i] !== '\n') i++;
        continue;
      }
      break;
    }
    const c = text[i];
    if (c === ';' || c === '{' || c === '}') {
      i++;
      return { punct: c };
    }
    if (c === '"' || c === "'") {
      let raw = '';
      i++;
      while (i < n && text[i] !== c) {
        if (text[i] === '\\' && i + 1 < n) {
          raw += text[i] + text[i + 1];
          if (text[i + 1] === '\n') line++;
          i += 2;
          continue;
        }
        if (text[i] === '\n') line++;
        raw += text[i++];
      }
      if (i >= n) throw new ConfError(`line ${line}: unterminated quoted string`);
      i++;
      if (i < n && !/[\s;{}]/.test(text[i]))
        throw new ConfError(`line ${line}: unexpected "${text[i]}" after a quoted string`);
      return { value: unescapeNginx(raw), quoted: true };
    }
    let raw = '';
    while (i < n && !/[\s;{}]/.test(text[i])) {
      if (text[i] === '"' || text[i] === "'") throw new ConfError(`line ${line}: unexpected quote inside a token`);
      if (text[i] === '\\' && i + 1 < n) {
        raw += text[i] + text[i + 1];
        i += 2;
        continue;
      }
      raw += text[i++];
    }
    return { value: unescapeNginx(raw), quoted: false };
  };

  const parseBlock = (top: boolean): Directive[] => {
    const out: Directive[] = [];
    let current: Directive | undefined;
    for (;;) {
      const w = word();
      if (!w) {
        if (current) throw new ConfError(`line ${line}: unexpected end of file, expecting ";" or "}"`);
        if (!top) throw new ConfError(`line ${line}: unexpected end of file, expecting "}"`);
        return out;
      }
      if ('punct' in w) {
        if (w.punct === '}') {
          if (current) throw new ConfError(`line ${line}: unexpected "}"`);
          if (top) throw new ConfError(`line ${line}: unexpected "}"`);
          return out;
        }
        if (!current) throw new ConfError(`line ${line}: unexpected "${w.punct}"`);
        if (w.punct === '{') current.block = parseBlock(false);
        out.push(current);
        current = undefined;
        continue;
      }
      if (!current) current = { name: w.value, args: [], line };
      else current.args.push(w.value);
    }
  };
  return parseBlock(true);
}

/** ngx_conf_read_token's unescaping: \" \' \\ and \t \r \n; any other backslash stays. */
function unescapeNginx(raw: string): string {
  let out = '';
  for (let k = 0; k < raw.length; k++) {
    if (raw[k] === '\\' && k + 1 < raw.length) {
      const next = raw[k + 1];
      if (next === '"' || next === "'" || next === '\\') {
        out += next;
        k++;
        continue;
      }
      if (next === 't') {
        out += '\t';
        k++;
        continue;
      }
      if (next === 'r') {
        out += '\r';
        k++;
        continue;
      }
      if (next === 'n') {
        out += '\n';
        k++;
        continue;
      }
    }
    out += raw[k];
  }
  return out;
}

export const find = (ds: Directive[] | undefined, name: string) => (ds ?? []).filter((d) => d.name === name);
export const one = (ds: Directive[] | undefined, name: string): Directive | undefined => {
  const all = find(ds, name);
  if (all.length > 1) throw new ConfError(`"${name}" appears ${all.length} times in one block (line ${all[1].line})`);
  return all[0];
};

interface MapDef {
  source: string;
  hostnames: boolean;
  def?: string;
  exact: Map<string, string>;
  wildcards: { suffix: string; bare: boolean; value: string }[];
  regexes: { re: RegExp; value: string }[];
}

export interface Upstream {
  name: string;
  servers: string[][];
  keepalive?: string;
}

export interface Resolved {
  status?: number;
  scheme?: string;
  upstream?: Upstream;
  /** The final location's directives (the TLS profile, for https). */
  location?: Directive[];
  vars: Map<string, string>;
  /** Evaluates a directive argument in the request's variables. */
  value(s: string): string;
}

/** The http{} of a parsed nginx.conf, with what a request needs to be routed. */
export class Gateway {
  readonly http: Directive[];
  readonly upstreams = new Map<string, Upstream>();
  readonly maps = new Map<string, MapDef>();
  readonly servers: Directive[];

  constructor(readonly conf: Directive[]) {
    const http = one(conf, 'http');
    if (!http?.block) throw new ConfError('no http{} block');
    this.http = http.block;
    for (const u of find(this.http, 'upstream')) {
      if (u.args.length !== 1 || !u.block) throw new ConfError(`bad upstream at line ${u.line}`);
      const key = u.args[0].toLowerCase();
      if (this.upstreams.has(key)) throw new ConfError(`duplicate upstream "${u.args[0]}"`);
      this.upstreams.set(key, {
        name: u.args[0],
        servers: find(u.block, 'server').map((s) => s.args),
        keepalive: one(u.block, 'keepalive')?.args[0],
      });
    }
    for (const m of find(this.http, 'map')) {
      if (m.args.length !== 2 || !m.block) throw new ConfError(`bad map at line ${m.line}`);
      const def: MapDef = { source: m.args[0], hostnames: false, exact: new Map(), wildcards: [], regexes: [] };
      for (const e of m.block) {
        if (e.name === 'hostnames' && e.args.length === 0) {
          def.hostnames = true;
          continue;
        }
        if (e.args.length !== 1) throw new ConfError(`bad map entry "${e.name}" at line ${e.line}`);
        if (e.name === 'default') {
          def.def = e.args[0];
          continue;
        }
        // Regexes (PCRE, here as JS RegExp: gwctl uses only syntax both share) on the value as is.
        if (e.name.startsWith('~')) {
          def.regexes.push({
            re: new RegExp(e.name.replace(/^~\*?/, ''), e.name.startsWith('~*') ? 'i' : ''),
            value: e.args[0],
          });
          continue;
        }
        let key = e.name.startsWith('\\') ? e.name.slice(1) : e.name;
        key = key.toLowerCase();
        // "*.example.com" matches subdomains only; ".example.com" the name itself too.
        if (def.hostnames && (key.startsWith('*.') || key.startsWith('.')))
          def.wildcards.push({
            suffix: key.startsWith('*') ? key.slice(1) : key,
            bare: key.startsWith('.'),
            value: e.args[0],
          });
        else {
          if (def.exact.has(key)) throw new ConfError(`duplicate map key "${key}" at line ${e.line}`);
          def.exact.set(key, e.args[0]);
        }
      }
      const dest = m.args[1];
      if (!dest.startsWith('$')) throw new ConfError(`map destination ${dest} is not a variable`);
      if (this.maps.has(dest.slice(1))) throw new ConfError(`duplicate map for ${dest}`);
      this.maps.set(dest.slice(1), def);
    }
    this.servers = find(this.http, 'server').map((s) => {
      if (!s.block) throw new ConfError(`server without a block at line ${s.line}`);
      return s;
    });
  }

  /** Routes a request for `host` and `uri` arriving on the server block `server`. */
  resolve(server: Directive, host: string, uri: string): Resolved {
    const vars = new Map<string, string>([
      ['host', host.toLowerCase()],
      ['http_host', host],
      ['scheme', 'http'],
      ['uri', uri],
      ['request_method', 'GET'],
      ['http_upgrade', ''],
    ]);
    const value = (s: string, depth = 0): string => {
      if (depth > 20) throw new ConfError(`variable loop evaluating ${s}`);
      return s.replace(/\$(\w+)/g, (_m, name: string) => this.variable(name, vars, (x) => value(x, depth + 1)));
    };
    const locations = find(server.block, 'location');
    let location = this.longestPrefix(locations, uri);
    if (!location) return { status: 404, vars, value };
    for (let hops = 0; hops < 5; hops++) {
      const body = location.block ?? [];
      for (const s of find(body, 'set')) {
        if (s.args.length !== 2 || !s.args[0].startsWith('$')) throw new ConfError(`bad set at line ${s.line}`);
        vars.set(s.args[0].slice(1), value(s.args[1]));
      }
      const ret = one(body, 'return');
      const pass = one(body, 'proxy_pass');
      if (ret) {
        const code = Number(ret.args[0]);
        const handler = find(body, 'error_page').find((e) => e.args.slice(0, -1).includes(String(code)));
        if (!handler) return { status: code, vars, value, location: body };
        const target = value(handler.args[handler.args.length - 1]);
        const named = locations.find((l) => l.args.length === 1 && l.args[0] === target);
        if (!named) throw new ConfError(`error_page target ${target} is not a named location of this server`);
        location = named;
        continue;
      }
      if (!pass) throw new ConfError(`location at line ${location.line} neither returns nor proxies`);
      const m = /^(https?):\/\/(.+)$/.exec(value(pass.args[0]));
      if (!m) throw new ConfError(`proxy_pass ${pass.args[0]} is not http(s)://upstream`);
      const upstream = this.upstreams.get(m[2].toLowerCase());
      if (!upstream)
        throw new ConfError(
          `proxy_pass to "${m[2]}", which is no upstream block (nginx would resolve it as a host name)`,
        );
      return { scheme: m[1], upstream, location: body, vars, value };
    }
    throw new ConfError('too many internal redirects');
  }

  /** The server block nginx picks for `host` among those listening on `listen`. */
  serverFor(listen: string, host: string): Directive {
    const candidates = this.servers.filter((s) => find(s.block, 'listen').some((l) => l.args[0] === listen));
    if (!candidates.length) throw new ConfError(`no server listens on ${listen}`);
    const h = host.toLowerCase();
    const names = (s: Directive) => find(s.block, 'server_name').flatMap((d) => d.args.map((a) => a.toLowerCase()));
    const exact = candidates.find((s) => names(s).includes(h));
    if (exact) return exact;
    let best: Directive | undefined;
    let bestLen = -1;
    for (const s of candidates)
      for (const n of names(s))
        if (n.startsWith('*.') && h.endsWith(n.slice(1)) && n.length > bestLen) {
          best = s;
          bestLen = n.length;
        }
    if (best) return best;
    return (
      candidates.find((s) =>
        find(s.block, 'listen').some((l) => l.args[0] === listen && l.args.includes('default_server')),
      ) ?? candidates[0]
    );
  }

  private longestPrefix(locations: Directive[], uri: string): Directive | undefined {
    let best: Directive | undefined;
    for (const l of locations) {
      if (l.args.length !== 1) throw new ConfError(`location with modifiers at line ${l.line}: ${l.args.join(' ')}`);
      const p = l.args[0];
      if (p.startsWith('@')) continue;
      if (uri.startsWith(p) && (!best || p.length > best.args[0].length)) best = l;
    }
    return best;
  }

  private variable(name: string, vars: Map<string, string>, value: (s: string) => string): string {
    if (vars.has(name)) return vars.get(name)!;
    const map = this.maps.get(name);
    if (!map) {
      if (['proxy_add_x_forwarded_for', 'remote_addr'].includes(name)) return `$${name}`;
      throw new ConfError(`undefined variable $${name}`);
    }
    const raw = value(map.source);
    // nginx looks strings up lowercased; regexes see the value as it is.
    let source = raw.toLowerCase();
    if (map.hostnames && source.endsWith('.')) source = source.slice(0, -1);
    let result = map.exact.get(source);
    if (result === undefined && map.hostnames) {
      let bestLen = -1;
      for (const w of map.wildcards) {
        const ok = source.endsWith(w.suffix) || (w.bare && `.${source}` === w.suffix);
        if (ok && w.suffix.length > bestLen) {
          result = w.value;
          bestLen = w.suffix.length;
        }
      }
    }
    if (result === undefined) result = map.regexes.find((r) => r.re.test(raw))?.value;
    const out = value(result ?? map.def ?? '');
    vars.set(name, out);
    return out;
  }
}

/**
 * Directives gwctl may render, per context. Anything else in a rendered nginx.conf is either a
 * new template feature (add it here, deliberately) or something a spec value smuggled in.
 */
export const ALLOWED: Record<string, string[]> = {
  main: ['load_module', 'worker_processes', 'pid', 'error_log', 'events', 'http', 'pcre_jit', 'worker_rlimit_nofile'],
  events: ['worker_connections'],
  http: [
    'access_log',
    'client_body_temp_path',
    'proxy_temp_path',
    'fastcgi_temp_path',
    'uwsgi_temp_path',
    'scgi_temp_path',
    'default_type',
    'server_tokens',
    'client_max_body_size',
    'variables_hash_max_size',
    'variables_hash_bucket_size',
    'map_hash_max_size',
    'map_hash_bucket_size',
    'server_names_hash_max_size',
    'server_names_hash_bucket_size',
    'upstream',
    'server',
    'map',
    'lua_package_path',
  ],
  upstream: ['server', 'keepalive', 'keepalive_timeout', 'keepalive_requests', 'zone'],
  server: [
    'listen',
    'server_name',
    'ssl_certificate',
    'ssl_certificate_key',
    'ssl_password_file',
    'ssl_protocols',
    'location',
  ],
  location: [
    'set',
    'error_page',
    'return',
    'proxy_pass',
    'proxy_http_version',
    'proxy_set_header',
    'proxy_ssl_name',
    'proxy_ssl_server_name',
    'proxy_ssl_verify',
    'proxy_ssl_trusted_certificate',
    'proxy_ssl_verify_depth',
    'proxy_ssl_crl',
    'proxy_ssl_certificate',
    'proxy_ssl_certificate_key',
    'proxy_ssl_password_file',
    'proxy_ssl_protocols',
    'proxy_ssl_ciphers',
    'proxy_ssl_session_reuse',
    'proxy_next_upstream',
    'proxy_next_upstream_tries',
    'proxy_next_upstream_timeout',
    'proxy_connect_timeout',
    'proxy_read_timeout',
    'proxy_send_timeout',
    'client_max_body_size',
    'proxy_request_buffering',
    'proxy_buffering',
    // Lua bodies are gwctl's own code (templates/partials/proxy-location.hbs), never spec text.
    'rewrite_by_lua_block',
    'proxy_ignore_headers',
    'internal',
  ],
};

/** Directives outside the allow-lists, as "context: name (line)". Map bodies are key/value pairs and are checked by Gateway. */
export function unexpectedDirectives(conf: Directive[]): string[] {
  const out: string[] = [];
  const walk = (ds: Directive[], context: string) => {
    for (const d of ds) {
      if (!ALLOWED[context]?.includes(d.name)) out.push(`${context}: ${d.name} (line ${d.line})`);
      if (!d.block) continue;
      if (d.name === 'map' || d.name.endsWith('_by_lua_block')) continue;
      const inner =
        d.name === 'http' ||
        d.name === 'events' ||
        d.name === 'upstream' ||
        d.name === 'server' ||
        d.name === 'location'
          ? d.name
          : `${d.name}?`;
      walk(d.block, inner);
    }
  };
  walk(conf, 'main');
  return out;
}
