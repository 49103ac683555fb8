/**
 * startServer / startUnixServer (asyncio.start_server): a listening socket whose every connection
 * runs `handler(reader, writer)` in a task of its own.
 *
 * Lifetime, as in asyncio 3.12+: `close()` stops listening and leaves connections open;
 * `closeClients()` closes them too (`abortClients()` resets them); `waitClosed()` waits until the
 * server is closed and every connection's handler has returned and its socket closed. When a
 * handler returns, its writer is closed (flushed first), as Trio's `serve_tcp` does, so no socket
 * outlives the code that served it. A handler that throws is reported through the loop's
 * exception handler, and its connection closed.
 */
import { inspect } from "node:util";
import { createServer as netCreateServer, type AddressInfo, type Server as NetServer, type Socket } from "node:net";
import { createServer as tlsCreateServer, type TlsOptions } from "node:tls";
import { CancelledError, cancellationOf } from "../errors.js";
import { currentLoop } from "../kernel/context.js";
import type { Loop } from "../kernel/loop.js";
import { currentContext, type WaitOptions } from "../kernel/waiting.js";
import { checkFunction, describe } from "../kernel/validate.js";
import { Event, eventWaitKind } from "../sync/event.js";
import { acceptStreams, checkHost, checkPort, PLAIN_SERVER_OPTIONS, streamsFor } from "./connection.js";
import { emitterWaitKind, waitForEvent } from "./emitterWait.js";
import { checkLimit, type StreamReader } from "./reader.js";
import type { StreamWriter } from "./writer.js";

/** What a server runs for each connection, in a task of its own. */
export type ConnectionHandler = (reader: StreamReader, writer: StreamWriter) => unknown;

/** Options of `startServer()` and `startUnixServer()`. */
export interface StartServerOptions {
  /** Each connection's reader buffer limit in bytes (default 64 KiB). */
  limit?: number;
  /** Serve TLS: `node:tls` server options (`key`, `cert`, ...). */
  tls?: TlsOptions;
  /** The listen backlog (default 511, Node's). */
  backlog?: number;
}

const LISTEN = emitterWaitKind("startServer()");
/** `waitClosed()`: a wait on the idle event, named for the server in reports, resolving to undefined. */
const WAIT_CLOSED = eventWaitKind("Server.waitClosed()");


interface Connection {
  socket: Socket;
  writer: StreamWriter;
  handlerDone: boolean;
  socketClosed: boolean;
}

export class Server {
  private readonly connections = new Set<Connection>();
  private readonly idle = new Event();
  private readonly closedEvent = new Event();
  private closed = false;
  private servingForever = false;

  /** @internal Made by startServer(). */
  constructor(
    private readonly server: NetServer,
    private readonly handler: ConnectionHandler,
    private readonly loop: Loop,
    private readonly limit: number,
    private readonly unixPath: string | null,
    private readonly secure: boolean,
  ) {
    server.on(secure ? "secureConnection" : "connection", (socket: Socket) => this.accept(socket));
    // A failed TLS handshake concerns one client; the server goes on.
    if (secure) server.on("tlsClientError", (_error: Error, socket: Socket) => socket.destroy());
    // Errors while listening reject startServer(); later ones go to the loop's exception handler.
    server.on("error", (error: Error) => {
      if (this._listening) this.loop.callExceptionHandler({ message: "Server error", exception: error });
    });
  }

  /** @internal Set once listening: from then on, server errors are reported, not thrown. */
  _listening = false;

  /** The address the server listens on: `{ address, family, port }`, or the path of a Unix socket. */
  address(): AddressInfo | string {
    if (this.unixPath !== null) return this.unixPath;
    const addr = this.server.address();
    if (addr === null) throw new Error("Server.address(): the server is closed");
    return addr;
  }

  /** Whether the server accepts new connections. */
  isServing(): boolean {
    return !this.closed;
  }

  /** Number of connections open or whose handler is still running. */
  get connectionCount(): number {
    return this.connections.size;
  }

  /**
   * Waits until cancelled, serving meanwhile; then closes the server and waits for it to be
   * closed (asyncio's `serve_forever`), and rethrows the CancelledError. Closed by other code
   * (`close()`), it waits until the server is closed too, then throws CancelledError, as asyncio's
   * does (`close()` cancels its wait there).
   * @throws Error if the server is closed or already serving forever.
   */
  async serveForever(): Promise<never> {
    if (this.closed) throw new Error("Server.serveForever(): the server is closed");
    if (this.servingForever) throw new Error("Server.serveForever() is already running");
    this.servingForever = true;
    try {
      await this.closedEvent.wait();
      await this.waitClosed();
      throw new CancelledError("Server.serveForever(): the server was closed");
    } catch (error) {
      if (cancellationOf(error) !== null) {
        this.close();
        await this.waitClosed();
      }
      throw error;
    } finally {
      this.servingForever = false;
    }
  }

  /** Stops listening; open connections stay open (see `closeClients()`). Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.server.close();
    this.closedEvent.set();
    this.checkIdle();
  }

  /** Closes every open connection, after writing what was queued on it (asyncio 3.13). */
  closeClients(): void {
    for (const c of this.connections) c.writer.close();
  }

  /** Resets every open connection at once, dropping queued data (asyncio 3.13). */
  abortClients(): void {
    for (const c of this.connections) c.socket.destroy();
  }

  /**
   * Waits until the server is closed and every connection is done (its handler returned, its
   * socket closed). Cancellable.
   */
  waitClosed(options?: WaitOptions): Promise<void> {
    // Not async: a bad option throws at the call, naming this method, as everywhere in the library.
    return this.idle._wait(WAIT_CLOSED, options, this) as Promise<undefined>;
  }

  /** `await using server`: `close()`, then `waitClosed()`, as `async with server` does. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await this.waitClosed();
  }

  [inspect.custom](): string {
    const where = this.unixPath ?? (() => {
      const a = this.server.address();
      return a === null || typeof a === "string" ? String(a) : `${a.address}:${a.port}`;
    })();
    return `<Server ${where} ${this.closed ? "closed" : "serving"} connections=${this.connections.size}>`;
  }

  private accept(accepted: Socket): void {
    if (this.closed) {
      accepted.destroy();
      return;
    }
    const unixNames = this.unixPath !== null ? { peername: "", sockname: this.unixPath } : null;
    const [socket, [reader, writer]] = this.secure ? [accepted, streamsFor(accepted, this.limit, unixNames)] : acceptStreams(accepted, this.limit, unixNames);
    if (this.unixPath === null) socket.setNoDelay(true);
    const conn: Connection = { socket, writer, handlerDone: false, socketClosed: false };
    this.connections.add(conn);
    socket.once("close", () => {
      conn.socketClosed = true;
      this.release(conn);
    });
    const peer = this.unixPath ?? `${socket.remoteAddress ?? "?"}:${socket.remotePort ?? "?"}`;
    // Not awaited here: the connection (and waitClosed()) tracks the task's end; run() cancels it at the end.
    const task = this.loop.createTask(() => this.serve(conn, reader, writer), { name: `connection from ${peer}` });
    // A task cancelled before its first step never runs its body (as in asyncio): close here too.
    task._addListener(() => this.handlerEnded(conn));
  }

  private handlerEnded(conn: Connection): void {
    if (conn.handlerDone) return;
    conn.writer.close();
    conn.handlerDone = true;
    this.release(conn);
  }

  private async serve(conn: Connection, reader: StreamReader, writer: StreamWriter): Promise<void> {
    try {
      await this.handler(reader, writer);
    } catch (error) {
      if (cancellationOf(error) !== null) throw error;
      // asyncio's message, word for word (test_streams.py compares it).
      this.loop.callExceptionHandler({ message: "Unhandled exception in client_connected_cb", exception: error });
      conn.socket.destroy();
    } finally {
      this.handlerEnded(conn);
    }
  }

  private release(conn: Connection): void {
    if (conn.handlerDone && conn.socketClosed) {
      this.connections.delete(conn);
      this.checkIdle();
    }
  }

  private checkIdle(): void {
    if (this.closed && this.connections.size === 0) this.idle.set();
  }
}

function checkServerOptions(where: string, handler: unknown, options: unknown): StartServerOptions {
  checkFunction(where, handler, "Pass the handler itself: startServer(handler, host, port).");
  if (options === undefined) return {};
  if (typeof options !== "object" || options === null) throw new TypeError(`${where} expects an options object: received ${describe(options)}`);
  const { backlog, tls } = options as StartServerOptions;
  if (backlog !== undefined && (typeof backlog !== "number" || !Number.isInteger(backlog) || backlog < 0)) {
    throw new RangeError(`${where} expects options.backlog to be an integer >= 0: received ${describe(backlog)}`);
  }
  if (tls !== undefined && (typeof tls !== "object" || tls === null)) throw new TypeError(`${where} expects options.tls to be node:tls server options: received ${describe(tls)}`);
  return options;
}

async function listening(net: NetServer, listen: () => void): Promise<void> {
  listen();
  try {
    await waitForEvent(net, LISTEN, net, "listening", undefined);
  } catch (error) {
    net.close();
    throw error;
  }
}

/**
 * Listens on `host:port` (port 0: a free port, see `server.address().port`; host null: every
 * interface) and runs `handler(reader, writer)` in a new task for each connection.
 *
 * @throws TypeError / RangeError for a bad handler, host, port or option, at once.
 * @throws the listen error (e.g. `EADDRINUSE`).
 * @example
 * await using server = await startServer(async (reader, writer) => {
 *   for await (const line of reader) writer.write(line);
 * }, "127.0.0.1", 0);
 */
export function startServer(handler: ConnectionHandler, host: string | null, port: number, options?: StartServerOptions): Promise<Server> {
  // Bad arguments throw at the call, as everywhere in the library (not a rejected promise).
  const opts = checkServerOptions("startServer()", handler, options);
  const h = host === null ? null : checkHost("startServer()", host);
  const p = checkPort("startServer()", port, 0);
  const limit = checkLimit("startServer()", opts.limit);
  return listenTcp(handler, h, p, limit, opts);
}

async function listenTcp(handler: ConnectionHandler, h: string | null, p: number, limit: number, opts: StartServerOptions): Promise<Server> {
  const secure = opts.tls !== undefined;
  const net = secure ? tlsCreateServer({ ...opts.tls, allowHalfOpen: true }) : netCreateServer(PLAIN_SERVER_OPTIONS);
  const loop = currentContext()?._loop ?? currentLoop();
  const server = new Server(net, handler, loop, limit, null, secure);
  const backlog = opts.backlog;
  await listening(net, () => {
    if (h === null) net.listen({ port: p, ...(backlog !== undefined ? { backlog } : {}) });
    else net.listen({ port: p, host: h, ...(backlog !== undefined ? { backlog } : {}) });
  });
  server._listening = true;
  return server;
}

/** Listens on the Unix domain socket `path` (asyncio.start_unix_server); see `startServer()`. */
export function startUnixServer(handler: ConnectionHandler, path: string, options?: Omit<StartServerOptions, "tls">): Promise<Server> {
  // Bad arguments throw at the call (see startServer).
  const opts = checkServerOptions("startUnixServer()", handler, options);
  if (typeof path !== "string" || path === "") throw new TypeError(`startUnixServer() expects a socket path (a non-empty string): received ${describe(path)}`);
  const limit = checkLimit("startUnixServer()", opts.limit);
  return listenUnix(handler, path, limit, opts);
}

async function listenUnix(handler: ConnectionHandler, path: string, limit: number, opts: StartServerOptions): Promise<Server> {
  const net = netCreateServer(PLAIN_SERVER_OPTIONS);
  const loop = currentContext()?._loop ?? currentLoop();
  const server = new Server(net, handler, loop, limit, path, false);
  const backlog = opts.backlog;
  await listening(net, () => net.listen({ path, ...(backlog !== undefined ? { backlog } : {}) }));
  server._listening = true;
  return server;
}
