/**
 * Issue 14's workloads: echo round trips over loopback, line by line (write a line, read the echoed
 * line, repeat), with the server in the same process. 1 client × 100k lines, and 100 clients ×
 * 1k lines each. The floor is raw `net` sockets with hand-written line parsing (a buffer, indexOf
 * of "\n", a promise per awaited line); CPython runs asyncio streams (bench/python/echo.py).
 */
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { asyncio, NotExported } from "../api.js";
import type { Instance, Variant, Workload } from "../harness.js";

const LINE = Buffer.from("the quick brown fox jumps over the lazy dog 0123456789\n");

/** Calls `onLine` with each complete line of `socket`'s data (the "\n" included). */
function onLines(socket: Socket, onLine: (line: Buffer) => void): void {
  let pending: Buffer | null = null;
  socket.on("data", (chunk: Buffer) => {
    let data = pending === null ? chunk : Buffer.concat([pending, chunk]);
    let at = data.indexOf(10);
    while (at !== -1) {
      onLine(data.subarray(0, at + 1));
      data = data.subarray(at + 1);
      at = data.indexOf(10);
    }
    pending = data.length > 0 ? data : null;
  });
}

/** The floor's client: `nextLine()` resolves with the next line (readline-style, one waiter). */
class RawClient {
  private readonly lines: Buffer[] = [];
  private waiter: ((line: Buffer) => void) | null = null;
  constructor(readonly socket: Socket) {
    onLines(socket, (line) => {
      const w = this.waiter;
      if (w !== null) {
        this.waiter = null;
        w(line);
      } else this.lines.push(line);
    });
  }
  nextLine(): Promise<Buffer> {
    const line = this.lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    return new Promise<Buffer>((resolve) => (this.waiter = resolve));
  }
}

async function rawFloor(): Promise<Instance> {
  const server: Server = createServer({ noDelay: true }, (socket) => onLines(socket, (line) => socket.write(line)));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    run: async (n: number, clients = 1) => {
      const per = Math.max(1, Math.round(n / clients));
      await Promise.all(
        Array.from({ length: clients }, async () => {
          const socket = createConnection({ host: "127.0.0.1", port, noDelay: true });
          await new Promise<void>((resolve) => socket.once("connect", resolve));
          const client = new RawClient(socket);
          for (let i = 0; i < per; i++) {
            socket.write(LINE);
            const line = await client.nextLine();
            if (line.length !== LINE.length) throw new Error("bad echo");
          }
          socket.destroy();
        }),
      );
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

interface StreamsApi {
  run: <T>(main: () => Promise<T>) => Promise<T>;
  startServer: (
    handler: (r: { readline(): Promise<Buffer>; [Symbol.asyncIterator](): AsyncIterator<Buffer> }, w: { write(d: Uint8Array): void; drain(): Promise<void> }) => Promise<void>,
    host: string,
    port: number,
  ) => Promise<{ address(): AddressInfo | string; close(): void; closeClients(): void; waitClosed(): Promise<void> }>;
  openConnection: (host: string, port: number) => Promise<[{ readline(): Promise<Buffer> }, { write(d: Uint8Array): void; close(): void; waitClosed(): Promise<void> }]>;
  gather: (...aws: unknown[]) => PromiseLike<unknown[]>;
}

async function asyncioStreams(): Promise<Instance> {
  const lib = (await asyncio()) as unknown as Partial<StreamsApi>;
  if (typeof lib.startServer !== "function" || typeof lib.openConnection !== "function") throw new NotExported("not exported: startServer, openConnection");
  const { run, startServer, openConnection, gather } = lib as StreamsApi;
  return {
    run: (n: number, clients = 1) =>
      run(async () => {
        const server = await startServer(
          async (reader, writer) => {
            for await (const line of reader) writer.write(line);
          },
          "127.0.0.1",
          0,
        );
        const port = (server.address() as AddressInfo).port;
        const per = Math.max(1, Math.round(n / clients));
        await gather(
          ...Array.from({ length: clients }, async () => {
            const [reader, writer] = await openConnection("127.0.0.1", port);
            for (let i = 0; i < per; i++) {
              writer.write(LINE);
              const line = await reader.readline();
              if (line.length !== LINE.length) throw new Error("bad echo");
            }
            writer.close();
            await writer.waitClosed();
          }),
        );
        server.close();
        await server.waitClosed();
      }),
  };
}

function echoWorkload(id: string, clients: number, n: number): Workload {
  const floorName = "floor: raw net + line parsing";
  const libName = "asyncio-ts openConnection/startServer";
  const variants: Variant[] = [
    { name: floorName, role: "floor", make: async () => withClients(await rawFloor(), clients) },
    { name: libName, role: "asyncio-ts", make: async () => withClients(await asyncioStreams(), clients) },
    { name: "CPython asyncio streams", role: "cpython", python: { script: "echo.py", args: [String(clients)] } },
  ];
  return {
    id,
    title: `echo round trips over loopback: ${clients} client${clients > 1 ? "s" : ""} × ${n / clients} lines`,
    unit: "s",
    n,
    quickN: n / 10,
    runs: 5,
    warmup: 0.1,
    timeoutS: 300,
    target: {
      text: "asyncio-ts within 1.3× raw net, and ahead of CPython asyncio streams",
      check: (get) => {
        const lib = get(id, libName);
        const floor = get(id, floorName);
        const py = get(id, "CPython asyncio streams");
        if (lib === undefined || floor === undefined) return undefined;
        return lib <= 1.3 * floor && (py === undefined || lib < py);
      },
    },
    variants,
  };
}

function withClients(instance: Instance & { run(n: number, clients?: number): Promise<number | void> }, clients: number): Instance {
  return { run: (n) => instance.run(n, clients), close: () => instance.close?.() };
}

export const echoWorkloads: Workload[] = [echoWorkload("echo-1x100k", 1, 100_000), echoWorkload("echo-100x1k", 100, 100_000)];
