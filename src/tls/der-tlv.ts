/**
 * The smallest DER reading: one element at a time, plain case only (a low tag number and a
 * definite length of at most four octets), null on anything else. The readers that must not
 * load the chain engine's BER reader (subject-key.ts for the trust store's index, der-names.ts
 * for validate) use it and give up where it does.
 */
export interface Tlv {
  tag: number;
  start: number;
  content: number;
  end: number;
}

/** One element with a low tag number and a definite length inside [pos, limit); null otherwise. */
export function tlv(b: Buffer, pos: number, limit: number): Tlv | null {
  if (pos + 2 > limit) return null;
  const tag = b[pos];
  if ((tag & 0x1f) === 0x1f) return null;
  let len = b[pos + 1];
  let content = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || content + n > limit) return null;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[content + i];
    content += n;
  }
  const end = content + len;
  return end <= limit ? { tag, start: pos, content, end } : null;
}

/** The elements in [from, to), or null when one of them is beyond tlv(). */
export function elements(b: Buffer, from: number, to: number): Tlv[] | null {
  const out: Tlv[] = [];
  for (let pos = from; pos < to; ) {
    const t = tlv(b, pos, to);
    if (!t) return null;
    out.push(t);
    pos = t.end;
  }
  return out;
}
