// A real redis-server for the tests of asyncio-ts/redis and for examples/distributed.ts: started
// on a free loopback port with persistence off, stopped after. When the binary is missing the tests skip, naming the package
// to install, except under CI=true, where a missing server is a failure.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const REDIS_MISSING = "redis-server is not installed: run `apt-get install -y redis-server` (Debian package redis-server)";

/** Whether redis-server can be run here. */
export function hasRedisServer(): boolean {
  return spawnSync("redis-server", ["--version"], { stdio: "ignore" }).status === 0;
}

/**
 * The `skip` option for a describe() of tests that need redis-server: false when it is installed
 * (or under CI, where the missing binary then fails the first test), else the reason.
 */
export function skipWithoutRedis(): string | false {
  if (hasRedisServer() || process.env["CI"] === "true") return false;
  return REDIS_MISSING;
}

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0));
    });
  });
}

async function ping(port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("error", () => resolve(false));
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.once("data", (data) => {
      socket.destroy();
      resolve(data.toString().startsWith("+PONG"));
    });
  });
}

/** A redis-server process of the tests' own. */
export class RedisServer {
  private child: ChildProcess | null = null;
  readonly dir = mkdtempSync(join(tmpdir(), "asyncio-ts-redis-"));
  private constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts a server on a free port and waits until it answers PING. */
  static async start(): Promise<RedisServer> {
    if (!hasRedisServer()) throw new Error(REDIS_MISSING);
    const server = new RedisServer(await freePort());
    await server.restart();
    return server;
  }

  /** (Re)starts the server process on the same port and directory (it loads dump.rdb if one was saved). */
  async restart(): Promise<void> {
    const args = ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", this.dir];
    const child = spawn("redis-server", args, { stdio: "ignore" });
    this.child = child;
    const deadline = Date.now() + 10_000;
    while (!(await ping(this.port))) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`redis-server did not start on port ${this.port}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Stops the server: SIGKILL (`kill`), or SHUTDOWN SAVE so that restart() finds the data (`save`). */
  async stop(how: "kill" | "save" = "kill"): Promise<void> {
    const child = this.child;
    if (child === null || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    if (how === "save") {
      const socket = connect(this.port, "127.0.0.1");
      socket.on("error", () => undefined);
      socket.write("SHUTDOWN SAVE\r\n");
    } else {
      child.kill("SIGKILL");
    }
    await exited;
    this.child = null;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
