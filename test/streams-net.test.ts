// Streams over real loopback sockets (127.0.0.1, Unix sockets in a temp dir, TLS with a
// self-signed certificate made by openssl): a port of test_streams.py's server/connection tests
// and test_server.py, plus backpressure, half-close, flow control and cancellation while connecting.
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer as netCreateServer, type AddressInfo, type Server as NetServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  allTasks,
  CancelledError,
  createTask,
  currentTask,
  Event,
  Future,
  getRunningLoop,
  openConnection,
  openUnixConnection,
  run,
  sleep,
  startServer,
  startUnixServer,
  timeout,
  TimeoutError,
  waitFor,
  type Server,
  type StreamReader,
  type StreamWriter,
} from "../src/index.js";
import { after, before, captureExceptions, describe, it, runtime } from "./helpers.js";

const T = { timeout: 20_000 };
const dir = mkdtempSync(join(tmpdir(), "asyncio-ts-streams-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function portOf(server: Server): number {
  return (server.address() as AddressInfo).port;
}

async function echo(reader: StreamReader, writer: StreamWriter): Promise<void> {
  for await (const line of reader) {
    writer.write(line);
    await writer.drain();
  }
}

/** Waits (real time, polling the loop) until `predicate()` holds; fails after `seconds`. */
async function until(predicate: () => boolean, seconds = 10): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await sleep(0.002);
  }
}

describe("openConnection and startServer", T, () => {
  it("openConnection talks to a startServer echo handler line by line", () =>
    run(async () => {
      await using server = await startServer(echo, "127.0.0.1", 0);
      const [reader, writer] = await openConnection("127.0.0.1", portOf(server));
      writer.write("GET / HTTP/1.0\r\n");
      writer.writelines(["one\n", Buffer.from("two\n")]);
      assert.equal((await reader.readline()).toString(), "GET / HTTP/1.0\r\n");
      assert.equal((await reader.readexactly(4)).toString(), "one\n");
      assert.equal((await reader.readuntil("\n")).toString(), "two\n");
      writer.close();
      await writer.waitClosed();
      assert.equal(writer.isClosing(), true);
    }));

  it("startServer runs each connection's handler in a task of its own", () =>
    run(async () => {
      const tasks = new Set<unknown>();
      const names: string[] = [];
      await using server = await startServer(
        async (reader, writer) => {
          const t = currentTask();
          tasks.add(t);
          names.push(t?.name ?? "");
          writer.write(await reader.readline());
        },
        "127.0.0.1",
        0,
      );
      const clients = await Promise.all([1, 2, 3].map(() => openConnection("127.0.0.1", portOf(server))));
      for (const [i, [r, w]] of clients.entries()) {
        w.write(`client ${i}\n`);
        assert.equal((await r.readline()).toString(), `client ${i}\n`);
        assert.equal((await r.read()).length, 0, "the server closes the connection when the handler returns");
        w.close();
      }
      assert.equal(tasks.size, 3);
      assert.ok(!tasks.has(currentTask()));
      for (const name of names) assert.match(name, /^connection from 127\.0\.0\.1:\d+$/);
    }));

  it("StreamWriter getExtraInfo gives peername, sockname and the socket", () =>
    run(async () => {
      await using server = await startServer(echo, "127.0.0.1", 0);
      const [, writer] = await openConnection("127.0.0.1", portOf(server));
      assert.deepEqual(writer.getExtraInfo("peername"), ["127.0.0.1", portOf(server)]);
      const sockname = writer.getExtraInfo("sockname");
      assert.ok(Array.isArray(sockname) && sockname[0] === "127.0.0.1");
      assert.equal(writer.getExtraInfo("socket"), writer.transport);
      assert.equal(writer.getExtraInfo("peercert"), undefined);
      assert.equal(writer.getExtraInfo("tlsVersion", "none"), "none");
      assert.throws(() => writer.getExtraInfo("nope" as "socket"), TypeError);
      writer.close();
    }));

  it("openConnection to a closed port rejects with ECONNREFUSED", () =>
    run(async () => {
      const server = await startServer(echo, "127.0.0.1", 0);
      const port = portOf(server);
      server.close();
      await server.waitClosed();
      await assert.rejects(openConnection("127.0.0.1", port), { code: "ECONNREFUSED" });
    }));

  it("openConnection and startServer throw at once on bad arguments", () =>
    run(() => {
      assert.throws(() => void openConnection("", 80), TypeError);
      assert.throws(() => void openConnection("127.0.0.1", 0), RangeError);
      assert.throws(() => void openConnection("127.0.0.1", 70000), RangeError);
      assert.throws(() => void openConnection("127.0.0.1", 80, { limit: 0 }), RangeError);
      assert.throws(() => void openConnection("127.0.0.1", 80, { tls: "yes" as unknown as boolean }), TypeError);
      assert.throws(() => void startServer("echo" as unknown as typeof echo, "127.0.0.1", 0), TypeError);
      assert.throws(() => void startServer(echo, "127.0.0.1", -1), RangeError);
      assert.throws(() => void startServer(echo, "127.0.0.1", 0, { backlog: -1 }), RangeError);
      assert.throws(() => void openUnixConnection(""), TypeError);
    }));

  it("startServer on a port in use rejects with EADDRINUSE", () =>
    run(async () => {
      await using server = await startServer(echo, "127.0.0.1", 0);
      await assert.rejects(startServer(echo, "127.0.0.1", portOf(server)), { code: "EADDRINUSE" });
    }));

  it("openConnection cancelled while connecting (a TLS handshake that never comes) destroys the socket", () =>
    run(async () => {
      const accepted: Socket[] = [];
      const closed = new Event();
      const silent = netCreateServer((socket) => {
        accepted.push(socket);
        socket.resume(); // flowing, so that "end" (and then "close") is emitted
        socket.on("close", () => closed.set());
      });
      await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
      const port = (silent.address() as AddressInfo).port;
      try {
        await assert.rejects(
          timeout(0.2, () => openConnection("127.0.0.1", port, { tls: true })),
          TimeoutError,
        );
        await timeout(10, () => closed.wait()); // the server saw the client's socket go
        const ac = new AbortController();
        const p = openConnection("127.0.0.1", port, { tls: true, signal: ac.signal });
        await until(() => accepted.length === 2);
        ac.abort(new RangeError("stop"));
        await assert.rejects(p, RangeError);
      } finally {
        for (const s of accepted) s.destroy();
        silent.close();
      }
    }));
});

describe("StreamWriter", T, () => {
  it("StreamWriter drain waits while the peer does not read, and resumes when it does", () =>
    run(async () => {
      const go = new Event();
      let received = 0;
      await using server = await startServer(
        async (reader) => {
          await go.wait();
          received = (await reader.read(-1)).length;
        },
        "127.0.0.1",
        0,
        { limit: 1024 },
      );
      const [, writer] = await openConnection("127.0.0.1", portOf(server));
      const chunk = Buffer.alloc(1 << 20, 120);
      let written = 0;
      // Write until the socket says to wait: the kernel buffers fill up since nobody reads.
      const drained = createTask(async () => {
        for (let i = 0; i < 64; i++) {
          writer.write(chunk);
          written += chunk.length;
          await writer.drain();
        }
      });
      try {
        await until(() => writer.transport.writableNeedDrain && written >= chunk.length);
        await sleep(0.05);
        assert.equal(drained.done(), false, "drain() blocks while the peer does not read");
      } finally {
        go.set(); // on failure too: `await using` waits for the handler
      }
      await drained;
      writer.writeEof();
      await until(() => received > 0);
      assert.equal(received, written);
    }));

  it("StreamWriter drain cancelled while blocked changes nothing: every byte still arrives", () =>
    run(async () => {
      const go = new Event();
      let received = -1;
      await using server = await startServer(
        async (reader) => {
          await go.wait();
          received = (await reader.read(-1)).length;
        },
        "127.0.0.1",
        0,
      );
      const [, writer] = await openConnection("127.0.0.1", portOf(server));
      try {
        // Write until drain() really blocks (how much the kernel takes first varies with load).
        const chunk = Buffer.alloc(1 << 20, 121);
        let written = 0;
        for (let blocked = false; !blocked; ) {
          assert.ok(written < 256 * chunk.length, "drain() never blocked");
          writer.write(chunk);
          written += chunk.length;
          blocked = await timeout(0.05, () => writer.drain()).then(
            () => false,
            (error: unknown) => {
              if (error instanceof TimeoutError) return true;
              throw error;
            },
          );
        }
        const t = createTask(() => writer.drain());
        await sleep(0.01);
        t.cancel();
        await assert.rejects(t, CancelledError);
        go.set();
        await writer.drain();
        writer.writeEof();
        await until(() => received >= 0);
        assert.equal(received, written);
      } finally {
        go.set(); // on failure too: `await using` waits for the handler
      }
    }));

  it("StreamWriter writeEof half-closes: the peer reads EOF and can still answer", () =>
    run(async () => {
      await using server = await startServer(
        async (reader, writer) => {
          const all = await reader.read(-1);
          writer.write(`got ${all.length} bytes`);
        },
        "127.0.0.1",
        0,
      );
      const [reader, writer] = await openConnection("127.0.0.1", portOf(server));
      assert.equal(writer.canWriteEof(), true);
      writer.write("hello");
      writer.writeEof();
      assert.throws(() => writer.write("more"), /after writeEof\(\)/);
      assert.equal((await reader.read(-1)).toString(), "got 5 bytes");
      assert.equal(reader.atEof(), true);
      writer.close();
      await writer.waitClosed();
    }));

  it("StreamWriter write rejects what is not bytes or a string, and writes after close()", () =>
    run(async () => {
      await using server = await startServer(echo, "127.0.0.1", 0);
      const [, writer] = await openConnection("127.0.0.1", portOf(server));
      assert.throws(() => writer.write(42 as unknown as string), TypeError);
      assert.throws(() => writer.writelines([1 as unknown as string]), TypeError);
      writer.close();
      assert.throws(() => writer.write("x"), /after close\(\)/);
      await writer.waitClosed();
      await writer.drain(); // closed by us: nothing to drain
    }));

  it("StreamWriter drain after the peer reset the connection throws; reads see the error or EOF", () =>
    run(async () => {
      const reset = new Event();
      await using server = await startServer(
        async (_reader, writer) => {
          (writer.transport as Socket).resetAndDestroy();
          reset.set();
          await sleep(0);
        },
        "127.0.0.1",
        0,
      );
      const [reader, writer] = await openConnection("127.0.0.1", portOf(server));
      await reset.wait();
      await reader.read(-1).then(
        (rest) => assert.equal(rest.length, 0),
        (error: unknown) => assert.equal((error as { code?: string }).code, "ECONNRESET"),
      );
      await writer.waitClosed();
      await assert.rejects(writer.drain(), { code: "ECONNRESET" });
    }));

  it("StreamReader flow control pauses a socket at twice the limit and every byte still arrives", () =>
    run(async () => {
      const limit = 4096;
      const total = 256 * limit;
      // The most one socket read hands over: 64 KiB on Node; Bun's reads come in larger chunks (~128 KiB seen).
      const oneRead = runtime === "node" ? 65536 : 262144;
      let serverReader: StreamReader | null = null;
      const arrived = new Event();
      const done = new Event();
      await using server = await startServer(
        async (reader) => {
          serverReader = reader;
          arrived.set();
          await done.wait(); // the test reads through this reader
        },
        "127.0.0.1",
        0,
        { limit },
      );
      const [, writer] = await openConnection("127.0.0.1", portOf(server));
      writer.write(Buffer.alloc(total, 97));
      await arrived.wait();
      const r = serverReader as unknown as StreamReader;
      try {
        await until(() => r.buffered > 2 * limit);
        await sleep(0.05);
        // Paused: no more than one socket read past the threshold is buffered.
        assert.ok(r.buffered < 2 * limit + oneRead + 1, `buffered ${r.buffered}`);
        assert.ok(r.buffered < total);
        writer.writeEof();
        assert.equal((await r.read(-1)).length, total);
      } finally {
        done.set(); // on failure too: `await using` waits for the handler
      }
    }));

  // openConnection's reader is fed through Node's `onread` (one shared read buffer): the same
  // flow control, and bytes handed out stay as they were while later reads reuse that buffer.
  it("StreamReader of openConnection pauses its socket at twice the limit and every byte still arrives", () =>
    run(async () => {
      const limit = 4096;
      const total = 256 * limit;
      const oneRead = runtime === "node" ? 65536 : 262144;
      const sent = new Event();
      await using server = await startServer(async (_reader, writer) => {
        writer.write(Buffer.alloc(total, 98));
        writer.writeEof();
        sent.set();
        await writer.drain();
      }, "127.0.0.1", 0);
      const [r] = await openConnection("127.0.0.1", portOf(server), { limit });
      await sent.wait();
      await until(() => r.buffered > 2 * limit);
      await sleep(0.05);
      assert.ok(r.buffered < 2 * limit + oneRead + 1, `buffered ${r.buffered}`);
      assert.ok(r.buffered < total);
      const all = await r.read(-1);
      assert.equal(all.length, total);
      assert.ok(all.every((b) => b === 98));
    }));

  it("StreamReader of openConnection: lines already returned keep their bytes while later reads arrive", () =>
    run(async () => {
      await using server = await startServer(async (reader, writer) => {
        for await (const line of reader) writer.write(line);
      }, "127.0.0.1", 0);
      const [reader, writer] = await openConnection("127.0.0.1", portOf(server));
      const lines: Buffer[] = [];
      for (let i = 0; i < 200; i++) {
        writer.write(`line ${i} ${"x".repeat(i)}\n`);
        lines.push(await reader.readline());
      }
      lines.forEach((line, i) => assert.equal(line.toString(), `line ${i} ${"x".repeat(i)}\n`));
      writer.close();
      await writer.waitClosed();
    }));
});

describe("Server lifetime (test_server.py)", T, () => {
  it("Server close stops listening but keeps connections; closeClients closes them; waitClosed waits for handlers", () =>
    run(async () => {
      const handlerDone = new Event();
      const server = await startServer(
        async (reader, writer) => {
          try {
            await echo(reader, writer);
          } finally {
            handlerDone.set();
          }
        },
        "127.0.0.1",
        0,
      );
      const port = portOf(server);
      const [reader, writer] = await openConnection("127.0.0.1", port);
      writer.write("before\n");
      assert.equal((await reader.readline()).toString(), "before\n");
      assert.equal(server.isServing(), true);
      server.close();
      assert.equal(server.isServing(), false);
      await assert.rejects(openConnection("127.0.0.1", port), { code: "ECONNREFUSED" });
      writer.write("after close\n");
      assert.equal((await reader.readline()).toString(), "after close\n", "the connection is still served");
      const waiting = createTask(() => server.waitClosed());
      await sleep(0.02);
      assert.equal(waiting.done(), false, "waitClosed() waits for the connection");
      assert.equal(server.connectionCount, 1);
      server.closeClients();
      await waiting;
      assert.equal(handlerDone.isSet(), true);
      assert.equal((await reader.read()).length, 0);
      assert.equal(server.connectionCount, 0);
    }));

  // On Node, a plain server's accepted sockets are adopted by sockets reading through `onread`
  // (src/io/connection.ts, acceptStreams): nothing sent before the handler runs may be lost, the
  // writer's socket is the connection's, and the net.Server underneath stops counting it.
  it("Server handler gets every byte and the EOF a client sent at once on connecting; its socket is the connection's", () =>
    run(async () => {
      const clientPort = new Future<number>();
      await using server = await startServer(
        async (reader, writer) => {
          const socket = writer.getExtraInfo("socket") as Socket;
          assert.equal(socket.remotePort, await clientPort);
          assert.deepEqual(writer.getExtraInfo("peername"), ["127.0.0.1", socket.remotePort]);
          const all = await reader.read(-1);
          writer.write(`${all.toString()}|eof=${reader.atEof()}`);
        },
        "127.0.0.1",
        0,
      );
      const [reader, writer] = await openConnection("127.0.0.1", portOf(server));
      writer.write("one\ntwo\n");
      writer.writeEof();
      clientPort.setResult((writer.getExtraInfo("sockname") as [string, number])[1]);
      assert.equal((await reader.read(-1)).toString(), "one\ntwo\n|eof=true");
      writer.close();
      await writer.waitClosed();
    }));

  it("Server: once its connections ended, the net.Server underneath counts none and closes", () =>
    run(async () => {
      const server = await startServer(echo, "127.0.0.1", 0);
      const net = (server as unknown as { server: NetServer }).server;
      assert.equal(typeof net.getConnections, "function", "Server keeps its net.Server in `server`");
      const netClosed = new Future<void>();
      net.once("close", () => netClosed.setResult());
      const clients = await Promise.all([1, 2, 3].map(() => openConnection("127.0.0.1", portOf(server))));
      for (const [reader, writer] of clients) {
        writer.write("ping\n");
        assert.equal((await reader.readline()).toString(), "ping\n");
      }
      const counted = await new Promise<number>((resolve, reject) => net.getConnections((e, n) => (e ? reject(e) : resolve(n))));
      assert.equal(counted, 3);
      server.close();
      for (const [, writer] of clients) writer.close();
      await server.waitClosed();
      await waitFor(netClosed, 10);
    }));

  it("Server waitClosed cancelled leaves the server as it was", () =>
    run(async () => {
      const server = await startServer(echo, "127.0.0.1", 0);
      await assert.rejects(timeout(0.01, () => server.waitClosed()), TimeoutError);
      assert.equal(server.isServing(), true);
      server.close();
      await server.waitClosed();
    }));

  it("Server serveForever runs until cancelled, then closes the server", () =>
    run(async () => {
      const server = await startServer(echo, "127.0.0.1", 0);
      const port = portOf(server);
      const serving = createTask(() => server.serveForever());
      await sleep(0.01);
      await assert.rejects(() => server.serveForever(), /already running/);
      const [reader, writer] = await openConnection("127.0.0.1", port);
      writer.write("hi\n");
      assert.equal((await reader.readline()).toString(), "hi\n");
      writer.close();
      serving.cancel();
      await assert.rejects(serving, CancelledError);
      assert.equal(server.isServing(), false);
      await assert.rejects(() => server.serveForever(), /closed/);
    }));

  it("Server serveForever, when other code closes the server, waits until it is closed and throws CancelledError (as asyncio's)", () =>
    run(async () => {
      const handlerDone = new Event();
      const server = await startServer(
        async (reader, writer) => {
          await echo(reader, writer);
          handlerDone.set();
        },
        "127.0.0.1",
        0,
      );
      const serving = createTask(() => server.serveForever());
      const [reader, writer] = await openConnection("127.0.0.1", portOf(server));
      writer.write("hi\n");
      assert.equal((await reader.readline()).toString(), "hi\n");
      server.close();
      await sleep(0.01);
      assert.equal(serving.done(), false, "serveForever() waits for the connection");
      writer.close();
      await assert.rejects(serving, CancelledError);
      assert.equal(handlerDone.isSet(), true);
      assert.equal(server.connectionCount, 0);
    }));

  it("Server await using closes it and waits for its connections", () =>
    run(async () => {
      let port: number;
      let handlers = 0;
      {
        await using server = await startServer(
          async (reader, writer) => {
            handlers++;
            await echo(reader, writer);
          },
          "127.0.0.1",
          0,
        );
        port = portOf(server);
        const [r, w] = await openConnection("127.0.0.1", port);
        w.write("x\n");
        await r.readline();
        w.close();
      }
      assert.equal(handlers, 1);
      await assert.rejects(openConnection("127.0.0.1", port), { code: "ECONNREFUSED" });
    }));

  it("Server reports a handler's exception to the loop's exception handler and closes its connection", () =>
    run(async () => {
      const seen = captureExceptions();
      await using server = await startServer(
        async (reader) => {
          await reader.readline();
          throw new RangeError("handler failed");
        },
        "127.0.0.1",
        0,
      );
      const [reader, writer] = await openConnection("127.0.0.1", portOf(server));
      writer.write("go\n");
      await reader.read(-1).catch(() => undefined); // EOF or reset: the connection is gone
      writer.close();
      await writer.waitClosed();
      assert.equal(seen.length, 1);
      assert.equal(seen[0]?.message, "Unhandled exception in client_connected_cb"); // asyncio test_unhandled_exceptions
      assert.ok(seen[0]?.exception instanceof RangeError);
      getRunningLoop().setExceptionHandler(null);
    }));

  it("Server does not report a handler that closes its writer and cancels itself (test_unhandled_cancel)", () =>
    run(async () => {
      const seen = captureExceptions();
      let handled = false;
      const server = await startServer(
        async (_reader, writer) => {
          writer.close();
          currentTask()?.cancel();
          handled = true;
          await sleep(0);
        },
        "127.0.0.1",
        0,
      );
      const [reader, writer] = await openConnection("127.0.0.1", portOf(server));
      writer.write("test msg");
      await writer.drain();
      assert.equal((await reader.read(-1)).length, 0);
      writer.close();
      await writer.waitClosed();
      server.close();
      await server.waitClosed();
      assert.ok(handled);
      assert.deepEqual(seen, []);
      getRunningLoop().setExceptionHandler(null);
    }));

  it("Server reports a handler that throws synchronously and closes its connection", () =>
    run(async () => {
      const seen = captureExceptions();
      const server = await startServer(
        () => {
          throw new RangeError("sync failure");
        },
        "127.0.0.1",
        0,
      );
      const [reader, writer] = await openConnection("127.0.0.1", portOf(server));
      await reader.read(-1).catch(() => undefined); // EOF or reset: the connection is gone
      writer.close();
      server.close();
      await server.waitClosed();
      assert.equal(seen.length, 1);
      assert.ok(seen[0]?.exception instanceof RangeError);
      getRunningLoop().setExceptionHandler(null);
    }));

  it("run() cancels connection handlers still running when main returns", async () => {
    let cancelled = false;
    let closedByServer = false;
    await run(async () => {
      const started = new Event();
      const server = await startServer(
        async (reader) => {
          started.set();
          try {
            await reader.readline();
          } catch (error) {
            cancelled = error instanceof CancelledError;
            throw error;
          }
        },
        "127.0.0.1",
        0,
      );
      const [reader] = await openConnection("127.0.0.1", portOf(server));
      await started.wait();
      server.close();
      void reader.read(-1).then((rest) => (closedByServer = rest.length === 0));
    });
    assert.equal(cancelled, true);
    // The client's read sees the close a few socket events later: wait for it (at most 5 s).
    for (let i = 0; i < 500 && !closedByServer; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(closedByServer, true, "the handler's connection was closed");
  });

  it("a connection whose handler task is cancelled before it starts is closed", () =>
    run(async () => {
      let ran = false;
      const server = await startServer(
        () => {
          ran = true;
        },
        "127.0.0.1",
        0,
      );
      // A listener added after the Server's own runs right after the accept, in the same I/O
      // callback: the handler's task exists and has not taken its first step yet.
      const net = (server as unknown as { server: NetServer }).server;
      const main = currentTask();
      let cancelled = 0;
      net.once("connection", () => {
        for (const task of allTasks()) if (task !== main && task.cancel()) cancelled++;
      });
      const [reader] = await openConnection("127.0.0.1", portOf(server));
      assert.equal((await reader.read(-1)).length, 0, "the connection was closed");
      assert.equal(cancelled, 1);
      assert.equal(ran, false, "the handler never ran");
      server.close();
      await server.waitClosed();
    }));
});

describe("Unix sockets", T, () => {
  it("openUnixConnection talks to startUnixServer", () =>
    run(async () => {
      const path = join(dir, "echo.sock");
      await using server = await startUnixServer(echo, path);
      assert.equal(server.address(), path);
      const [reader, writer] = await openUnixConnection(path);
      assert.equal(writer.getExtraInfo("peername"), path);
      writer.write("over unix\n");
      assert.equal((await reader.readline()).toString(), "over unix\n");
      writer.close();
      await writer.waitClosed();
    }));

  it("openUnixConnection to a missing path rejects with ENOENT", () =>
    run(async () => {
      await assert.rejects(openUnixConnection(join(dir, "missing.sock")), { code: "ENOENT" });
    }));
});

describe("TLS", T, () => {
  let key = "";
  let cert = "";
  before(() => {
    const keyPath = join(dir, "key.pem");
    const certPath = join(dir, "cert.pem");
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", keyPath, "-out", certPath, "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"], { stdio: "ignore" });
    key = readFileSync(keyPath, "utf8");
    cert = readFileSync(certPath, "utf8");
  });

  it("openConnection with tls talks to a TLS startServer, and cannot half-close", () =>
    run(async () => {
      await using server = await startServer(echo, "127.0.0.1", 0, { tls: { key, cert } });
      const [reader, writer] = await openConnection("127.0.0.1", portOf(server), { tls: { ca: cert } });
      writer.write("secret\n");
      assert.equal((await reader.readline()).toString(), "secret\n");
      assert.equal(writer.canWriteEof(), false);
      assert.throws(() => writer.writeEof(), /TLS/);
      assert.match(String(writer.getExtraInfo("tlsVersion")), /^TLSv1\.[23]$/);
      assert.ok(writer.getExtraInfo("peercert") !== undefined);
      writer.close();
      await writer.waitClosed();
    }));

  it("openConnection with tls rejects a certificate it does not trust", () =>
    run(async () => {
      await using server = await startServer(echo, "127.0.0.1", 0, { tls: { key, cert } });
      await assert.rejects(openConnection("127.0.0.1", portOf(server), { tls: true }), /self[- ]signed/);
    }));
});
