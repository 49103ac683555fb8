/**
 * StreamWriter: the write side of a connection or a child's stdin (asyncio.StreamWriter).
 *
 * `write()` never blocks: it hands the bytes to the socket, which buffers them. `drain()` is the
 * backpressure point: it waits while the socket's buffer is above its high-water mark, and throws
 * if the connection was lost. A cancelled `drain()` changes nothing (the bytes stay queued).
 */
import { inspect } from "node:util";
import type { Socket } from "node:net";
import type { Writable } from "node:stream";
import { TLSSocket } from "node:tls";
import { checkSignal, currentContext, type WaitOptions } from "../kernel/waiting.js";
import { describe } from "../kernel/validate.js";
import { Event, eventWaitKind } from "../sync/event.js";
import { Parked, PROCEED, refusal, WAITING, type ParkKind } from "../sync/parked.js";
import { WaiterQueue } from "../sync/waiterQueue.js";
import type { StreamReader } from "./reader.js";

/** What `getExtraInfo(name)` returns for each name (asyncio's transport extra info). */
export interface ExtraInfo {
  /** The remote address: `[host, port]` for TCP, the path for a Unix socket. */
  peername: readonly [string, number] | string;
  /** The local address, in the same form. */
  sockname: readonly [string, number] | string;
  /** The underlying Node socket (or pipe for a child's stdin). */
  socket: Socket | Writable;
  /** TLS only: the peer's certificate, as `tlsSocket.getPeerCertificate()` returns it. */
  peercert: ReturnType<TLSSocket["getPeerCertificate"]>;
  /** TLS only: the negotiated cipher. */
  cipher: ReturnType<TLSSocket["getCipher"]>;
  /** TLS only: the negotiated protocol version, e.g. "TLSv1.3". */
  tlsVersion: string | null;
}


function consumeDrain(node: Parked): void {
  if (!node.settle()) throw node._error;
}
const DRAIN: ParkKind = { op: "StreamWriter.drain()", consume: consumeDrain };
/** `waitClosed()`: a wait on the closed event, named for the writer in reports, resolving to undefined. */
const WAIT_CLOSED = eventWaitKind("StreamWriter.waitClosed()");

/** The error `drain()` and `write()` report once the connection is gone without one of its own. */
export function connectionLost(): Error {
  return Object.assign(new Error("Connection lost"), { code: "ECONNRESET" });
}

/** Bytes from a string (UTF-8) or a Uint8Array; anything else is a TypeError. */
function toBytes(where: string, data: unknown): Uint8Array | string {
  if (typeof data === "string" || data instanceof Uint8Array) return data;
  throw new TypeError(`${where} expects a string or a Uint8Array: received ${describe(data)}`);
}

/**
 * The write side of a connection or a child's stdin (asyncio.StreamWriter). `write()` queues
 * without waiting; `await drain()` is the backpressure point (cancellable: a cancelled drain
 * leaves the data queued); `close()` flushes then closes, `waitClosed()` waits for it.
 *
 * @example
 * writer.write("PING\n");
 * await writer.drain();
 * writer.close();
 * await writer.waitClosed();
 */
export class StreamWriter {
  private readonly drainers = new WaiterQueue<Parked>();
  private readonly closedEvent = new Event();
  private closing = false;
  private eofWritten = false;
  private lost: Error | null = null;

  /**
   * @internal Made by openConnection(), startServer() and the subprocess functions. `stream` is
   * the socket or pipe; `reader` the read side of the same connection, if any.
   */
  constructor(
    private readonly stream: Socket | Writable,
    private readonly reader: StreamReader | null,
    /** For a Unix socket, the addresses Node does not keep: the path, on the side that has it. */
    private readonly unixNames: { peername: string; sockname: string } | null = null,
  ) {
    stream.on("drain", this.onDrain);
    stream.on("close", this.onClose);
    stream.on("error", this.onError);
    if (stream.destroyed) this.onClose();
  }

  /** The underlying socket or pipe (asyncio's `writer.transport`). */
  get transport(): Socket | Writable {
    return this.stream;
  }

  /**
   * Queues `data` (a string is written as UTF-8). Does not wait: call `drain()` after writing a
   * lot. Writing after the connection was lost drops the data; `drain()` reports the loss.
   * @throws TypeError if `data` is neither a string nor a Uint8Array.
   * @throws Error after `close()` or `writeEof()`.
   */
  write(data: Uint8Array | string): void {
    const bytes = toBytes("StreamWriter.write()", data);
    if (this.closing || this.eofWritten) throw new Error(`StreamWriter.write() after ${this.closing ? "close()" : "writeEof()"}`);
    if (this.lost !== null || this.stream.destroyed) return;
    if (bytes.length === 0) return;
    this.stream.write(bytes);
  }

  /** Writes each item of `lines`, in order (no separators added). */
  writelines(lines: Iterable<Uint8Array | string>): void {
    if (lines === null || typeof lines !== "object" || typeof (lines as Iterable<unknown>)[Symbol.iterator] !== "function") {
      throw new TypeError(`StreamWriter.writelines() expects an iterable of strings or Uint8Arrays: received ${describe(lines)}`);
    }
    const list = [...lines].map((line) => toBytes("StreamWriter.writelines()", line));
    for (const line of list) this.write(line);
  }

  /**
   * Waits until the socket's buffer is below its high-water mark (at once if it is). Cancellable:
   * a cancelled drain leaves the written data queued.
   * @throws the connection's error (or "Connection lost") if it was lost.
   */
  drain(options?: WaitOptions): Promise<void> {
    // A bad option throws at the call, as everywhere in the library; the rest rejects.
    return this.drainChecked(checkSignal("StreamWriter.drain()", options));
  }

  private async drainChecked(signal: AbortSignal | undefined): Promise<void> {
    const readerError: unknown = this.reader?.exception() ?? null;
    if (readerError !== null) throw readerError as Error;
    const ctx = currentContext();
    const refused = refusal(ctx, signal);
    if (refused !== PROCEED) throw refused;
    if (this.lost !== null) throw this.lost;
    if (this.stream.destroyed) {
      if (this.closing) return; // closed by us: nothing left to drain
      throw connectionLost();
    }
    if (!this.stream.writableNeedDrain) return;
    await new Parked(this, DRAIN).park<void>(this.drainers, ctx, signal);
  }

  /** Closes the write side (TCP half-close): the peer reads EOF; reading goes on. */
  writeEof(): void {
    if (!this.canWriteEof()) throw new Error("StreamWriter.writeEof(): this transport cannot half-close (TLS)");
    if (this.eofWritten || this.closing) return;
    this.eofWritten = true;
    this.stream.end();
  }

  /** Whether `writeEof()` is supported: true for TCP, Unix sockets and pipes, false for TLS (as asyncio). */
  canWriteEof(): boolean {
    return !(this.stream instanceof TLSSocket);
  }

  /**
   * Closes the connection once the queued data is written (both directions for a socket). Does
   * not wait; `await waitClosed()` for that.
   */
  close(): void {
    if (this.closing) return;
    this.closing = true;
    const stream = this.stream;
    if (stream.destroyed) return;
    if (stream.writableFinished) stream.destroy();
    else stream.end(() => stream.destroy());
  }

  /** Whether `close()` was called or the connection is closed. */
  isClosing(): boolean {
    return this.closing || this.stream.destroyed;
  }

  /** Waits until the connection is closed. Cancellable. */
  waitClosed(options?: WaitOptions): Promise<void> {
    // Not async: a bad option throws at the call, naming this method, as everywhere in the library.
    return this.closedEvent._wait(WAIT_CLOSED, options, this) as Promise<undefined>;
  }

  /**
   * Information about the connection (asyncio's `get_extra_info`): `"peername"`, `"sockname"`,
   * `"socket"`, and for TLS `"peercert"`, `"cipher"`, `"tlsVersion"`. Returns `defaultValue`
   * (undefined) when the name does not apply.
   */
  getExtraInfo<K extends keyof ExtraInfo>(name: K): ExtraInfo[K] | undefined;
  getExtraInfo<K extends keyof ExtraInfo, D>(name: K, defaultValue: D): ExtraInfo[K] | D;
  getExtraInfo(name: keyof ExtraInfo, defaultValue?: unknown): unknown {
    const value = this.extra(name);
    return value === undefined ? defaultValue : value;
  }

  /** `await using writer`: close, then wait until closed. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await this.waitClosed();
  }

  [inspect.custom](): string {
    const state = this.stream.destroyed ? "closed" : this.closing ? "closing" : this.eofWritten ? "eof" : "open";
    return `<StreamWriter ${state} buffered=${this.stream.writableLength}>`;
  }

  private extra(name: keyof ExtraInfo): unknown {
    const s = this.stream as Partial<Socket> & Writable;
    switch (name) {
      case "socket":
        return this.stream;
      case "peername":
        if (this.unixNames !== null) return this.unixNames.peername;
        return s.remoteAddress !== undefined && s.remotePort !== undefined ? [s.remoteAddress, s.remotePort] : undefined;
      case "sockname":
        if (this.unixNames !== null) return this.unixNames.sockname;
        return typeof s.address === "function" ? sockname(s as Socket) : undefined;
      case "peercert":
        return s instanceof TLSSocket ? s.getPeerCertificate() : undefined;
      case "cipher":
        return s instanceof TLSSocket ? s.getCipher() : undefined;
      case "tlsVersion":
        return s instanceof TLSSocket ? s.getProtocol() : undefined;
      default:
        throw new TypeError(`StreamWriter.getExtraInfo() expects one of peername, sockname, socket, peercert, cipher, tlsVersion: received ${describe(name)}`);
    }
  }

  private readonly onDrain = (): void => {
    for (let node = this.drainers.peek(); node !== null; node = this.drainers.peek()) node.wake();
  };

  private readonly onError = (error: Error): void => {
    this.lost ??= error;
  };

  private readonly onClose = (): void => {
    // Drainers still waiting when the connection goes: the data will never be written.
    if (!this.closing) this.lost ??= connectionLost();
    for (let node = this.drainers.peek(); node !== null; node = this.drainers.peek()) {
      if (node._state === WAITING) node.fail(this.lost ?? connectionLost());
    }
    this.closedEvent.set();
  };
}

function sockname(s: Socket): readonly [string, number] | string | undefined {
  const addr: unknown = s.address();
  if (typeof addr === "string") return addr;
  if (addr !== null && typeof addr === "object" && "address" in addr && "port" in addr) {
    const a = addr as { address: string; port: number };
    return [a.address, a.port];
  }
  return undefined;
}
