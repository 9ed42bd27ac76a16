/**
 * The DERs decoded from one file, written one after another into a few large buffers instead of
 * a small allocation each: Node's 8 KiB buffer pool costs tens of microseconds per refill, and a
 * 50,000-certificate store refilled it thousands of times (docs/benchmark.md).
 */
export class DerArena {
  private buf: Buffer | undefined;
  private at = 0;

  /** `sizeHint`: the file's length, so a small file takes a small buffer. */
  constructor(private readonly sizeHint: number) {}

  /** What Buffer.from(text, 'base64') gives (the same decoder: whitespace skipped), as a view into the arena. */
  base64(text: string): Buffer {
    const most = Math.ceil(text.length / 4) * 3;
    if (!this.buf || this.at + most > this.buf.length) {
      this.buf = Buffer.allocUnsafeSlow(Math.max(most, Math.min(this.sizeHint, 1 << 20)));
      this.at = 0;
    }
    const n = this.buf.write(text, this.at, 'base64');
    const der = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return der;
  }
}
