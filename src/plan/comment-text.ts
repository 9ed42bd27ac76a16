/**
 * Lists written into nginx.conf comments. nginx reads a comment as one token, and a token longer
 * than its 4 KiB read buffer stops it ("too long parameter"), so comments name the first few
 * items and count the rest.
 */
export const COMMENT_LIST_MAX = 8;

export function summarizeList(items: readonly string[], separator = ', ', max = COMMENT_LIST_MAX): string {
  if (items.length <= max) return items.join(separator);
  return `${items.slice(0, max).join(separator)}${separator}… and ${items.length - max} more`;
}
