/**
 * The certificate, key and password file each TLS context of a rendered nginx.conf names
 * (`ssl_*` in a server block, `proxy_ssl_*` in a profile location), with their lines. The file is
 * gwctl's own output: one directive per line, values quoted by src/render/quote.ts.
 */
export interface ConfValue {
  value: string;
  /** 1-based line in nginx.conf. */
  line: number;
}

export interface KeyUse {
  certificate?: ConfValue;
  key: ConfValue;
  passwordFile?: ConfValue;
}

const DIRECTIVE =
  /^\s*(?:proxy_)?ssl_(certificate|certificate_key|password_file)\s+("(?:[^"\\]|\\.)*"|[^\s;]+)\s*;\s*$/;

export function keyUses(conf: string): KeyUse[] {
  const blocks = new Map<number, Partial<KeyUse>>();
  const open: number[] = [-1];
  conf.split('\n').forEach((text, i) => {
    const trimmed = text.trim();
    if (trimmed.startsWith('#')) return;
    const m = DIRECTIVE.exec(text);
    if (m) {
      const use = blocks.get(open[open.length - 1]) ?? {};
      const value = { value: unquote(m[2]), line: i + 1 };
      if (m[1] === 'certificate') use.certificate = value;
      else if (m[1] === 'certificate_key') use.key = value;
      else use.passwordFile = value;
      blocks.set(open[open.length - 1], use);
      return;
    }
    if (trimmed.endsWith('{')) open.push(i);
    else if (trimmed === '}' && open.length > 1) open.pop();
  });
  return [...blocks.values()].filter((u): u is KeyUse => u.key !== undefined);
}

/** A value as src/render/quote.ts wrote it. */
export function unquote(token: string): string {
  if (!token.startsWith('"')) return token;
  return token.slice(1, -1).replace(/\\(.)/g, '$1');
}
