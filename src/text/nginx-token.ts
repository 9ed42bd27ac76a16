/**
 * The longest token nginx reads, in bytes as written in nginx.conf (quotes and escaping
 * backslashes included): its reader holds a token in a 4 KiB buffer and refuses one that fills it
 * ("too long parameter"); measured on nginx 1.22.1: 4095 bytes pass, 4096 fail.
 */
export const NGINX_TOKEN_MAX_BYTES = 4095;

/** Bytes of a value as nginx.conf holds it double-quoted, `"` and `\` escaped (UTF-8). */
export function quotedBytes(s: string): number {
  return Buffer.byteLength(s.replace(/[\\"]/g, '\\$&')) + 2;
}
