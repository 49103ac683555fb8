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
import { checkSignal, currentContext, type WaitOptions } from "../kernel/waiting.js";
import type { CancelContext } from "../kernel/scope.js";
import { describe } from "../kernel/validate.js";
import { batchEnded, batchStarted } from "../kernel/batch.js";
import { Parked, PROCEED, refusal, WAITING, type ParkKind } from "../sync/parked.js";
import { IncompleteReadError, LimitOverrunError } from "./errors.js";

/** The default `limit`: 64 KiB, as in asyncio. */
export const DEFAULT_LIMIT = 2 ** 16;

const EMPTY = Buffer.alloc(0);
const NEWLINE = Buffer.from("\n");
const LINE_SEPS = [NEWLINE];
/** What a read attempt returns when it needs more data. */
const NEED: unique symbol = Symbol("need more data");

function lineResult(line: Buffer): IteratorResult<Buffer> {
  return line.length === 0 ? { done: true, value: undefined } : { done: false, value: line };
}

/** What a reader pauses and resumes when its buffer fills up (a socket, a pipe). */
export interface FlowSource {
  /** Stop delivering data (the buffer is full). */
  pause(): unknown;
  /** Deliver data again. */
  resume(): unknown;
}

/** Options of `new StreamReader()`. */
export interface StreamReaderOptions {
  /** Buffer limit in bytes (default 64 KiB): `readuntil()`/`readline()` fail beyond it, and flow control pauses the source at twice it. */
  limit?: number;
}

/**
 * A read's wait: woken only once its step can complete (or throw), so the settle step runs the
 * step and resolves with the bytes. A failed wait (cancelled or aborted before a wake-up, or the
 * reader's exception) lets go of the reader at once.
 */
class ReadWait extends Parked<unknown> {
  /** The read's `{ signal }`, kept for a read that has to wait again (see consumeRead). */
  signal: AbortSignal | undefined = undefined;

  override _onFail(): void {
    (this.host as StreamReader)._release();
  }
}

function consumeRead(node: Parked): Buffer | Promise<unknown> {
  const reader = node.host as StreamReader;
  const owner = node._owner;
  reader._release();
  // Cancelled after the wake-up, before the resume: nothing was taken; the bytes stay for the next read.
  if (!node.settle()) throw node._error;
  const result = reader._runWaiting();
  if (result !== NEED) return result;
  // Another read, which the buffer satisfied before this one resumed, took the bytes that woke it:
  // this one waits again (asyncio's reads loop back to waiting). The caller's promise follows the new wait.
  return reader._waitAgain(node as ReadWait, owner);
}

/** The async iterator's read: readline() resolving to the iterator result itself (no `.then()` per line). */
function consumeLine(node: Parked): IteratorResult<Buffer> | Promise<unknown> {
  const result = consumeRead(node);
  // A read that waits again does so with this kind, whose own settle step makes the iterator result.
  return result instanceof Promise ? result : lineResult(result);
}

/** The reads, as the op codes a waiting read is kept as (no closure per call). */
const READ = 0;
const READEXACTLY = 1;
const READUNTIL = 2;
const READLINE = 3;
type Op = typeof READ | typeof READEXACTLY | typeof READUNTIL | typeof READLINE;
const OP_NAMES = ["read", "readexactly", "readuntil", "readline"] as const;

const KINDS: readonly ParkKind[] = OP_NAMES.map((name) => ({ op: `StreamReader.${name}()`, consume: consumeRead }));
const LINE_ITER_KIND: ParkKind = { op: "StreamReader.readline()", consume: consumeLine };

/** Checks a byte count: a TypeError if it is not a number, a RangeError if not an integer >= `min`. */
function checkCount(where: string, expected: string, n: unknown, min: number): void {
  if (typeof n !== "number") throw new TypeError(`${where} expects ${expected}: received ${describe(n)}`);
  if (!Number.isInteger(n) || n < min) throw new RangeError(`${where} expects ${expected}: received ${describe(n)}`);
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
  // Shortest first (asyncio 3.13): the match that ends first wins, and of two ending at the same
  // place the shorter one is the match (its start is what the limit is checked against).
  return list.sort((a, b) => a.length - b.length);
}

/**
 * The read side of a connection or a child's pipe (asyncio.StreamReader). Every read is
 * cancel-safe: a read cancelled or timed out while it waits has consumed no byte, and the next
 * read sees the data in order. One task reads at a time. Made by `openConnection()`,
 * `startServer()` and the subprocess functions; `new StreamReader()` with `feedData()`/`feedEof()`
 * feeds one by hand (tests, custom transports).
 *
 * @example
 * const [reader] = await openConnection("127.0.0.1", port);
 * const header = await waitFor(reader.readuntil("\r\n\r\n"), 5);
 * for await (const line of reader) console.log(line.toString());
 */
export class StreamReader implements AsyncIterable<Buffer> {
  /** The buffer limit, in bytes. */
  readonly limit: number;
  private buf: Buffer = EMPTY;
  private start = 0;
  private end = 0;
  private eof = false;
  private error: { value: unknown } | null = null;
  private waiter: Parked | null = null;
  /** The waiting read: its op, its byte count (read, readexactly), its separators and scan offset (readuntil, readline). */
  private waitingOp: Op = READ;
  private waitingN = 0;
  private waitingSeps: Buffer[] = LINE_SEPS;
  private waitingOffset = 0;
  /** Where the last separator scan that found nothing would resume (set by `untilAttempt`). */
  private scanned = 0;
  /** Set while `probe()` runs a step: `take()` then takes nothing, and records in `probedN` what it would take. */
  private peeking = false;
  /**
   * What the last successful probe found: the byte count the woken read will take, valid while the
   * buffer is as the probe saw it (same memory, start and end). The settle step then takes it
   * without scanning the line again; any change in between (another read, more data, an error)
   * makes it run the step afresh.
   */
  private probedN = -1;
  private probedBuf: Buffer = EMPTY;
  private probedStart = 0;
  private probedEnd = 0;
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
    if (typeof data !== "string" && !(data instanceof Uint8Array)) {
      throw new TypeError(`StreamReader.feedData() expects a string or a Uint8Array: received ${describe(data)}`);
    }
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

  /**
   * @internal `feedData()` from a source's "data" callback (a socket, a pipe): run as a loop
   * callback is (asyncio's `data_received` is one), so the read it wakes is settled as the
   * callback returns, instead of in a microtask scheduled for it (a promise per wake-up).
   */
  _feedFromSource(chunk: Buffer): void {
    batchStarted();
    try {
      this.feedData(chunk);
    } finally {
      batchEnded();
    }
  }

  /** @internal `feedEof()` from a source's "end" callback, as `_feedFromSource()`. */
  _eofFromSource(): void {
    batchStarted();
    try {
      this.feedEof();
    } finally {
      batchEnded();
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
  // Each read is a synchronous attempt (the bytes, NEED, or a throw) run at once and again after
  // each wake-up: a read the buffer satisfies costs no wait, and bytes are only ever taken in the
  // step that returns them. A waiting read is kept as its op code and arguments (fields of the
  // reader), not as a closure: a read allocates nothing but its promise, and its node if it waits.

  /**
   * Reads up to `n` bytes (at least one, unless at EOF); with `n < 0` (the default), everything
   * until EOF. Resolves to an empty buffer at EOF or for `n === 0`.
   * @throws TypeError if `n` is not a number; RangeError if it is not an integer.
   */
  read(n = -1, options?: WaitOptions): Promise<Buffer> {
    // Bad arguments throw at the call, as everywhere in the library (not a rejected promise).
    checkCount("StreamReader.read()", "an integer byte count", n, -Infinity);
    return this.attempt(READ, n, LINE_SEPS, options, KINDS[READ] as ParkKind) as Promise<Buffer>;
  }

  /**
   * Reads exactly `n` bytes.
   * @throws IncompleteReadError if the stream ends first (its `partial` holds the bytes read).
   * @throws TypeError if `n` is not a number; RangeError if it is negative or not an integer.
   */
  readexactly(n: number, options?: WaitOptions): Promise<Buffer> {
    checkCount("StreamReader.readexactly()", "an integer byte count >= 0", n, 0);
    return this.attempt(READEXACTLY, n, LINE_SEPS, options, KINDS[READEXACTLY] as ParkKind) as Promise<Buffer>;
  }

  /**
   * Reads up to and including `separator` (default `"\n"`; a string, bytes, or an array of them:
   * the read ends where the first match ends). Nothing is consumed when it throws LimitOverrunError.
   * @throws IncompleteReadError at EOF without the separator (consuming what was left).
   * @throws LimitOverrunError if more than `limit` bytes come before the separator.
   */
  readuntil(separator: string | Uint8Array | readonly (string | Uint8Array)[] = NEWLINE, options?: WaitOptions): Promise<Buffer> {
    const seps = separator === NEWLINE ? LINE_SEPS : toSeparators("StreamReader.readuntil()", separator);
    return this.attempt(READUNTIL, 0, seps, options, KINDS[READUNTIL] as ParkKind) as Promise<Buffer>;
  }

  /**
   * Reads one line, `"\n"` included; at EOF the last, unterminated line, then an empty buffer.
   * @throws LimitOverrunError if the line is longer than `limit` (the line is discarded, as asyncio does).
   */
  readline(options?: WaitOptions): Promise<Buffer> {
    return this.attempt(READLINE, 0, LINE_SEPS, options, KINDS[READLINE] as ParkKind) as Promise<Buffer>;
  }

  /** `for await (const line of reader)`: lines until EOF (readline() semantics). */
  [Symbol.asyncIterator](): AsyncIterator<Buffer> {
    // Each line's wait resolves to the iterator result itself: one promise per line, not two.
    return { next: () => this.attempt(READLINE, 0, LINE_SEPS, undefined, LINE_ITER_KIND) as Promise<IteratorResult<Buffer>> };
  }

  [inspect.custom](): string {
    const parts = [`${this.end - this.start} bytes`];
    if (this.eof) parts.push("eof");
    if (this.limit !== DEFAULT_LIMIT) parts.push(`limit=${this.limit}`);
    if (this.waiter !== null) parts.push(`waiter=${OP_NAMES[this.waitingOp]}()`);
    if (this.error !== null) parts.push(`exception=${inspect(this.error.value, { depth: 0 })}`);
    if (this.paused) parts.push("paused");
    return `<StreamReader ${parts.join(" ")}>`;
  }

  // ---- internals ----

  /**
   * Runs the read's step now; if it needs more data, parks until `feedData`/`feedEof` make it able
   * to complete. Every read is a library await, even one the buffer satisfies at once: a
   * cancellation pending for the task (or an aborted signal) is delivered first, as at any
   * primitive's door. Resolves to the bytes, or (the async iterator's kind) to its iterator result.
   */
  private attempt(op: Op, n: number, seps: Buffer[], options: WaitOptions | undefined, kind: ParkKind): Promise<unknown> {
    // A bad option throws at the call; what the read finds (a pending cancel, the reader's error) rejects.
    const signal = options === undefined ? undefined : checkSignal(`StreamReader.${OP_NAMES[op]}()`, options);
    let result: Buffer | typeof NEED;
    const ctx = currentContext();
    try {
      const refused = refusal(ctx, signal);
      if (refused !== PROCEED) throw refused as Error;
      result = this.runStep(op, n, seps, 0);
    } catch (error) {
      return Promise.reject(error);
    }
    if (result !== NEED) return Promise.resolve(kind === LINE_ITER_KIND ? lineResult(result) : result);
    if (this.waiter !== null) {
      return Promise.reject(new Error(`StreamReader.${OP_NAMES[op]}() called while another task is already waiting for incoming data (in ${OP_NAMES[this.waitingOp]}())`));
    }
    this.waitingOp = op;
    this.waitingN = n;
    this.waitingSeps = seps;
    return this.parkRead(kind, ctx, signal);
  }

  /**
   * @internal A woken read whose step found nothing (another read took the bytes first) waits again
   * with the same step (still in the waiting fields), in the context and with the signal it had: a
   * cancel reaches the new wait.
   */
  _waitAgain(woken: ReadWait, ctx: CancelContext | null): Promise<unknown> {
    return this.parkRead(woken._kind as ParkKind, ctx ?? undefined, woken.signal);
  }

  /** Parks the read whose step the waiting fields hold, from where its separator scan stopped. */
  private parkRead(kind: ParkKind, ctx: CancelContext | undefined, signal: AbortSignal | undefined): Promise<unknown> {
    // A read that needs more data than is buffered must get it: never wait on a paused source.
    if (this.paused) this.resumeSource();
    const node = new ReadWait(this, kind);
    node.signal = signal;
    this.waiter = node;
    this.waitingOffset = this.waitingOp === READUNTIL || this.waitingOp === READLINE ? this.scanned : 0;
    return node.park(null, ctx, signal);
  }

  /** @internal The waiting read ends (its node settles or fails); its step stays set for `_runWaiting()`. */
  _release(): void {
    this.waiter = null;
  }

  /** @internal Runs the waiting read's step (after `_release()`, in its settle step). */
  _runWaiting(): Buffer | typeof NEED {
    const seps = this.waitingSeps;
    this.waitingSeps = LINE_SEPS; // holds no separators past the read
    const n = this.probedN;
    if (n >= 0) {
      const same = this.buf === this.probedBuf && this.start === this.probedStart && this.end === this.probedEnd;
      this.probedN = -1;
      this.probedBuf = EMPTY; // holds no memory past the read
      // The buffer as the probe saw it: the step would take exactly these bytes (it is a function of that state).
      if (same && this.error === null) return this.take(n);
    }
    const result = this.runStep(this.waitingOp, this.waitingN, seps, this.waitingOffset);
    if (result === NEED) this.waitingSeps = seps; // still the waiting step: `_waitAgain()` comes next
    return result;
  }

  /** Whether the waiting read's step would complete (or throw) now; takes nothing. */
  private probe(): boolean {
    this.peeking = true;
    this.probedN = -1;
    try {
      const result = this.runStep(this.waitingOp, this.waitingN, this.waitingSeps, this.waitingOffset);
      if (result === NEED) {
        this.waitingOffset = this.scanned;
        return false;
      }
      if (this.probedN >= 0) {
        this.probedBuf = this.buf;
        this.probedStart = this.start;
        this.probedEnd = this.end;
      }
      return true;
    } catch {
      this.probedN = -1;
      return true; // it would throw: wake it so that it does, in its own step
    } finally {
      this.peeking = false;
    }
  }

  /** One synchronous attempt of a read: the bytes, NEED (then `scanned` is where a separator scan resumes), or a throw. */
  private runStep(op: Op, n: number, seps: Buffer[], offset: number): Buffer | typeof NEED {
    if (this.error !== null) throw this.error.value;
    switch (op) {
      case READLINE:
        return this.untilAttempt(seps, offset, true);
      case READUNTIL:
        return this.untilAttempt(seps, offset, false);
      case READEXACTLY:
        if (this.end - this.start >= n) return this.take(n);
        if (this.eof) throw new IncompleteReadError(this.take(this.end - this.start), n);
        return NEED;
      default:
        if (n === 0) return EMPTY;
        if (n < 0) return this.eof ? this.take(this.end - this.start) : NEED;
        return this.start === this.end && !this.eof ? NEED : this.take(Math.min(n, this.end - this.start));
    }
  }

  /**
   * One look for a separator from `offset` (asyncio's readuntil loop body); `line`: readline's
   * handling of EOF and overruns. Needing more data, it leaves in `scanned` where the next look starts.
   */
  private untilAttempt(seps: Buffer[], offset: number, line: boolean): Buffer | typeof NEED {
    const buflen = this.end - this.start;
    this.scanned = offset;
    if (buflen - offset >= (seps[0] as Buffer).length) {
      let at = -1;
      let length = 0;
      let matchEnd = -1;
      for (const sep of seps) {
        // A one-byte separator ("\n") is searched as a number: memchr, without the buffer-needle
        // call's argument unpacking (twice per line: the probe and the read).
        const i = sep.length === 1 ? this.buf.indexOf(sep[0] as number, this.start + offset) : this.buf.indexOf(sep, this.start + offset);
        // The buffer may hold stale bytes past `end`: a match must end within it.
        // The read ends at the earliest match *end* (asyncio 3.13: the shortest result with any
        // separator as its suffix), not the earliest start: a long separator that starts first
        // but ends later loses to a short one inside it. Ties keep the shorter (earlier in seps).
        const e = i + sep.length;
        if (i !== -1 && e <= this.end && (matchEnd === -1 || e < matchEnd)) {
          at = i;
          length = sep.length;
          matchEnd = e;
        }
      }
      if (at !== -1) {
        at -= this.start;
        if (at > this.limit) {
          if (line) this.take(at + length);
          throw new LimitOverrunError("Separator is found, but chunk is longer than limit", at);
        }
        return this.take(at + length);
      }
      offset = Math.max(0, buflen + 1 - (seps[seps.length - 1] as Buffer).length);
      this.scanned = offset;
      if (offset > this.limit) {
        if (line) this.take(buflen);
        throw new LimitOverrunError("Separator is not found, and chunk exceed the limit", offset);
      }
    }
    if (this.eof) {
      if (line) return this.take(buflen);
      throw new IncompleteReadError(this.take(buflen), null);
    }
    return NEED;
  }

  /** Removes and returns the first `n` buffered bytes (a view: the memory is never rewritten). */
  private take(n: number): Buffer {
    if (this.peeking) {
      this.probedN = n;
      return EMPTY;
    }
    if (n === 0) return EMPTY;
    const out = this.buf.subarray(this.start, this.start + n);
    this.start += n;
    // Another read the buffer satisfied while one waits: the waiting scan's offset moves with the bytes.
    if (this.waiter !== null) this.waitingOffset = Math.max(0, this.waitingOffset - n);
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
    if (waiter !== null && waiter._state === WAITING && this.probe()) waiter.wake();
  }
}
