/**
 * StreamReader: the read side of a connection or a child's pipe (asyncio.StreamReader).
 *
 * Every read is cancel-safe: a read waits for data without touching the buffer, and takes its
 * bytes synchronously once they are all there, in the same step that returns them. A read
 * cancelled (or timed out) while it waits has consumed nothing, and the next read sees the bytes
 * in order. (asyncio's `read(-1)` reads block by block and loses what it read when cancelled; this
 * one waits for EOF first.)
 *
 * One task reads at a time: a read started while another is waiting for data throws, as in asyncio.
 *
 * Flow control: when more than `2 * limit` bytes are buffered and no read is waiting, the source
 * (a socket, a pipe) is paused; it resumes once a read brings the buffer down to `limit`, or a
 * read needs more data.
 *
 * Buffer memory is never rewritten once a read returned part of it: reads return views of the
 * buffer (no copy), and the buffer grows or compacts into fresh memory.
 */
import { inspect } from "node:util";
import { checkSignal, runningTask, type WaitOptions } from "../kernel/waiting.js";
import { describe } from "../kernel/validate.js";
import { Parked, PROCEED, refusal, WAITING, type ParkKind } from "../sync/parked.js";
import { IncompleteReadError, LimitOverrunError } from "./errors.js";

/** The default `limit`: 64 KiB, as in asyncio. */
export const DEFAULT_LIMIT = 2 ** 16;

const EMPTY = Buffer.alloc(0);
const NEWLINE = Buffer.from("\n");

/** What a reader pauses and resumes when its buffer fills up (a socket, a pipe). */
export interface FlowSource {
  pause(): unknown;
  resume(): unknown;
}

/** Options of `new StreamReader()`. */
export interface StreamReaderOptions {
  /** Buffer limit in bytes (default 64 KiB): `readuntil()`/`readline()` fail beyond it, and flow control pauses the source at twice it. */
  limit?: number;
}

function consumeData(node: Parked): void {
  if (!node.settle()) throw node._error;
}

const KINDS = new Map<string, ParkKind>();
function kindFor(op: string): ParkKind {
  let kind = KINDS.get(op);
  if (kind === undefined) {
    kind = { op: `StreamReader.${op}()`, consume: consumeData };
    KINDS.set(op, kind);
  }
  return kind;
}

/**
 * Every read is a library await, even one the buffer satisfies at once: a cancellation pending for
 * the task (or an aborted signal) is delivered here, as at any primitive's door.
 */
function door(signal: AbortSignal | undefined): void {
  const refused = refusal(runningTask(), signal);
  if (refused !== PROCEED) throw refused;
}

/** Checks a limit option: a positive integer. */
export function checkLimit(where: string, limit: unknown): number {
  if (limit === undefined) return DEFAULT_LIMIT;
  if (typeof limit !== "number" || !Number.isInteger(limit) || limit <= 0) {
    throw new RangeError(`${where} expects options.limit to be a positive integer number of bytes: received ${describe(limit)}`);
  }
  return limit;
}

function toSeparators(where: string, separator: unknown): Buffer[] {
  const one = (s: unknown): Buffer => {
    if (typeof s === "string") return Buffer.from(s);
    if (s instanceof Uint8Array) return Buffer.from(s.buffer, s.byteOffset, s.byteLength);
    throw new TypeError(`${where} expects a separator (a string, a Uint8Array, or an array of them): received ${describe(s)}`);
  };
  const list = Array.isArray(separator) ? separator.map(one) : [one(separator)];
  if (list.length === 0) throw new RangeError(`${where} expects at least one separator: received an empty array`);
  for (const s of list) if (s.length === 0) throw new RangeError(`${where} expects a non-empty separator`);
  // Longest first (asyncio 3.13): of two separators ending at the same place, the longer one wins.
  return list.sort((a, b) => b.length - a.length);
}

export class StreamReader implements AsyncIterable<Buffer> {
  /** The buffer limit, in bytes. */
  readonly limit: number;
  private buf: Buffer = EMPTY;
  private start = 0;
  private end = 0;
  private eof = false;
  private error: { value: unknown } | null = null;
  private waiter: Parked | null = null;
  private waitingOp = "";
  private paused = false;
  /** @internal What flow control pauses; set by whoever feeds the reader. */
  _source: FlowSource | null = null;

  constructor(options: StreamReaderOptions = {}) {
    if (typeof options !== "object" || options === null) {
      throw new TypeError(`StreamReader expects an options object: received ${describe(options)}`);
    }
    this.limit = checkLimit("StreamReader", options.limit);
  }

  // ---- the feeding side (public, as in asyncio: tests and custom transports feed readers) ----

  /** Appends bytes to the buffer and wakes a read waiting for data. */
  feedData(data: Uint8Array | string): void {
    if (this.eof) throw new Error("StreamReader.feedData() after feedEof()");
    const chunk: Buffer = typeof data === "string" ? Buffer.from(data) : Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const n = chunk.length;
    if (n === 0) return;
    if (this.start === this.end) {
      // Empty: adopt the chunk itself (no copy).
      this.buf = chunk;
      this.start = 0;
      this.end = n;
    } else {
      const used = this.end - this.start;
      if (this.end + n > this.buf.length || this.buf === chunk) {
        // Fresh memory: what reads returned earlier may still be in the user's hands.
        const grown = Buffer.allocUnsafe(Math.max(2 * (used + n), 256));
        this.buf.copy(grown, 0, this.start, this.end);
        this.buf = grown;
        this.start = 0;
        this.end = used;
      }
      chunk.copy(this.buf, this.end);
      this.end += n;
    }
    this.wakeWaiter();
    if (this.waiter === null && !this.paused && this.end - this.start > 2 * this.limit && this._source !== null) {
      this.paused = true;
      this._source.pause();
    }
  }

  /** Marks the end of the stream: reads return what is left, then empty buffers. */
  feedEof(): void {
    this.eof = true;
    this.wakeWaiter();
  }

  /** Makes every read throw `error` (a connection reset); wakes a waiting read with it. */
  setException(error: unknown): void {
    this.error = { value: error };
    const waiter = this.waiter;
    if (waiter !== null && waiter._state === WAITING) waiter.fail(error);
  }

  /** The error set by `setException()`, or null. */
  exception(): unknown {
    return this.error === null ? null : this.error.value;
  }

  /** True when the stream ended and every byte was read. */
  atEof(): boolean {
    return this.eof && this.start === this.end;
  }

  /** Bytes buffered and not yet read. */
  get buffered(): number {
    return this.end - this.start;
  }

  // ---- reads ----

  /**
   * Reads up to `n` bytes (at least one, unless at EOF); with `n < 0` (the default), everything
   * until EOF. Resolves to an empty buffer at EOF or for `n === 0`.
   * @throws TypeError if `n` is not an integer.
   */
  async read(n = -1, options?: WaitOptions): Promise<Buffer> {
    if (typeof n !== "number" || !Number.isInteger(n)) throw new TypeError(`StreamReader.read() expects an integer byte count: received ${describe(n)}`);
    const signal = checkSignal("StreamReader.read()", options);
    door(signal);
    if (this.error !== null) throw this.error.value;
    if (n === 0) return EMPTY;
    if (n < 0) {
      while (!this.eof) await this.waitForData("read", signal);
      return this.take(this.end - this.start);
    }
    while (this.start === this.end && !this.eof) await this.waitForData("read", signal);
    return this.take(Math.min(n, this.end - this.start));
  }

  /**
   * Reads exactly `n` bytes.
   * @throws IncompleteReadError if the stream ends first (its `partial` holds the bytes read).
   * @throws RangeError if `n` is negative or not an integer.
   */
  async readexactly(n: number, options?: WaitOptions): Promise<Buffer> {
    if (typeof n !== "number" || !Number.isInteger(n) || n < 0) {
      throw new RangeError(`StreamReader.readexactly() expects a byte count >= 0: received ${describe(n)}`);
    }
    const signal = checkSignal("StreamReader.readexactly()", options);
    door(signal);
    if (this.error !== null) throw this.error.value;
    while (this.end - this.start < n) {
      if (this.eof) throw new IncompleteReadError(this.take(this.end - this.start), n);
      await this.waitForData("readexactly", signal);
    }
    return this.take(n);
  }

  /**
   * Reads up to and including `separator` (default `"\n"`; a string, bytes, or an array of them:
   * the first found ends the read). Nothing is consumed when it throws LimitOverrunError.
   * @throws IncompleteReadError at EOF without the separator (consuming what was left).
   * @throws LimitOverrunError if more than `limit` bytes come before the separator.
   */
  async readuntil(separator: string | Uint8Array | readonly (string | Uint8Array)[] = NEWLINE, options?: WaitOptions): Promise<Buffer> {
    const seps = toSeparators("StreamReader.readuntil()", separator);
    const signal = checkSignal("StreamReader.readuntil()", options);
    return this.readUntil(seps, signal);
  }

  /**
   * Reads one line, `"\n"` included; at EOF the last, unterminated line, then an empty buffer.
   * @throws LimitOverrunError if the line is longer than `limit` (the line is discarded, as asyncio does).
   */
  async readline(options?: WaitOptions): Promise<Buffer> {
    const signal = checkSignal("StreamReader.readline()", options);
    try {
      return await this.readUntil([NEWLINE], signal);
    } catch (error) {
      if (error instanceof IncompleteReadError) return error.partial;
      if (error instanceof LimitOverrunError) {
        const sepAt = this.start + error.consumed;
        if (this.buf[sepAt] === 0x0a && sepAt < this.end) this.take(error.consumed + 1);
        else this.take(this.end - this.start);
      }
      throw error;
    }
  }

  /** `for await (const line of reader)`: lines until EOF (readline() semantics). */
  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    for (;;) {
      const line = await this.readline();
      if (line.length === 0) return;
      yield line;
    }
  }

  [inspect.custom](): string {
    const parts = [`${this.end - this.start} bytes`];
    if (this.eof) parts.push("eof");
    if (this.limit !== DEFAULT_LIMIT) parts.push(`limit=${this.limit}`);
    if (this.waiter !== null) parts.push(`waiter=${this.waitingOp}()`);
    if (this.error !== null) parts.push(`exception=${inspect(this.error.value, { depth: 0 })}`);
    if (this.paused) parts.push("paused");
    return `<StreamReader ${parts.join(" ")}>`;
  }

  // ---- internals ----

  private async readUntil(seps: Buffer[], signal: AbortSignal | undefined): Promise<Buffer> {
    door(signal);
    if (this.error !== null) throw this.error.value;
    const shortest = (seps[seps.length - 1] as Buffer).length;
    let offset = 0; // bytes already searched, relative to start
    for (;;) {
      const buflen = this.end - this.start;
      if (buflen - offset >= shortest) {
        const found = this.find(seps, offset);
        if (found !== null) {
          if (found.at > this.limit) throw new LimitOverrunError("Separator is found, but chunk is longer than limit", found.at);
          return this.take(found.at + found.length);
        }
        offset = buflen + 1 - (seps[0] as Buffer).length;
        if (offset < 0) offset = 0;
        if (offset > this.limit) throw new LimitOverrunError("Separator is not found, and chunk exceed the limit", offset);
      }
      if (this.eof) throw new IncompleteReadError(this.take(this.end - this.start), null);
      await this.waitForData("readuntil", signal);
    }
  }

  /** The earliest separator at or after `offset` (relative to start); on a tie the longest. */
  private find(seps: Buffer[], offset: number): { at: number; length: number } | null {
    let best: { at: number; length: number } | null = null;
    const view = this.buf.subarray(this.start, this.end);
    for (const sep of seps) {
      const at = view.indexOf(sep, offset);
      if (at !== -1 && (best === null || at < best.at)) best = { at, length: sep.length };
    }
    return best;
  }

  /** Removes and returns the first `n` buffered bytes (a view: the memory is never rewritten). */
  private take(n: number): Buffer {
    if (n === 0) return EMPTY;
    const out = this.buf.subarray(this.start, this.start + n);
    this.start += n;
    if (this.start === this.end) {
      this.buf = EMPTY;
      this.start = this.end = 0;
    }
    if (this.paused && this.end - this.start <= this.limit) this.resumeSource();
    return out;
  }

  private resumeSource(): void {
    this.paused = false;
    this._source?.resume();
  }

  private wakeWaiter(): void {
    const waiter = this.waiter;
    if (waiter !== null && waiter._state === WAITING) waiter.wake();
  }

  /**
   * Waits until data arrives, EOF, or an error; consumes nothing (the caller looks at the buffer
   * again after it returns, in the step that returns the data).
   */
  private async waitForData(op: string, signal: AbortSignal | undefined): Promise<void> {
    if (this.waiter !== null) {
      throw new Error(`StreamReader.${op}() called while another task is already waiting for incoming data (in ${this.waitingOp}())`);
    }
    const ctx = runningTask();
    // A read that needs more data than is buffered must get it: never wait on a paused source.
    if (this.paused) this.resumeSource();
    const node = new Parked(this, kindFor(op));
    this.waiter = node;
    this.waitingOp = op;
    try {
      await node.park<void>(null, ctx, signal);
    } finally {
      this.waiter = null;
    }
    if (this.error !== null) throw this.error.value;
  }
}
