// The live monitor against a hostile user: bad options, malformed requests, cancels while it
// starts, double close, a CLI pointed at something that is not the monitor.
import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { createServer } from "node:http";
import { connect } from "node:net";
import { fileURLToPath } from "node:url";
import { CancelledError, createTask, currentTask, run, sleep } from "../src/index.js";
import { startMonitor, type Monitor } from "../src/monitor/index.js";
import { describe, it, NODE_CHILD } from "./helpers.js";

const T = { timeout: 30_000 };
const cli = fileURLToPath(new URL("../src/cli/main.ts", import.meta.url));

function token(monitor: Monitor): string {
  return new URL(monitor.url).searchParams.get("token") ?? "";
}

/** Sends one raw HTTP/1.1 request line (fetch and http.request refuse malformed targets) and returns the status line. */
function rawStatus(port: number, target: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`));
    let out = "";
    socket.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
    socket.on("end", () => resolve(out.split("\r\n")[0] ?? ""));
    socket.on("error", reject);
  });
}

function asyncioTs(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--import", "tsx", cli, ...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : -1, stdout, stderr });
    });
  });
}

describe("startMonitor, hostile use", () => {
  it("bad options throw at the call, naming what was expected, and start nothing", T, async () => {
    const bad: Array<[unknown, typeof TypeError | typeof RangeError]> = [
      [null, TypeError],
      ["9000", TypeError],
      [{ port: "9000" }, TypeError],
      [{ port: Number.NaN }, RangeError],
      [{ port: 1.5 }, RangeError],
      [{ port: 65536 }, RangeError],
      [{ port: Infinity }, RangeError],
      [{ host: "" }, TypeError],
      [{ token: 1234567890123456 }, TypeError],
      [{ token: "has spaces in it, sixteen+" }, RangeError],
      [{ limit: "5" }, TypeError],
      [{ limit: 0 }, RangeError],
      [{ limit: 2.5 }, RangeError],
      [{ warnAfter: "10" }, TypeError],
      [{ warnAfter: Number.NaN }, RangeError],
      [{ warnAfter: -1 }, RangeError],
    ];
    for (const [options, kind] of bad) {
      assert.throws(() => startMonitor(options as never), (error: unknown) => error instanceof kind && /startMonitor\(\) expects/.test(error.message), String(JSON.stringify(options)));
    }
    // Nothing was left running: a monitor starts.
    await run(async () => {
      await using monitor = await startMonitor();
      assert.ok(monitor.port > 0);
    });
  });

  it("a cancel while startMonitor() waits for its server stops the server: the next one starts", T, async () => {
    await run(async () => {
      const starting = createTask(() => startMonitor(), { name: "starting" });
      await sleep(0); // parked in startMonitor()
      starting.cancel();
      await assert.rejects(Promise.resolve(starting), CancelledError);
      await using monitor = await startMonitor();
      assert.ok(monitor.port > 0);
    });
  });

  it("a task with a cancel pending when it calls startMonitor() gets the cancel there, and no monitor is left", T, async () => {
    await run(async () => {
      const starting = createTask(() => {
        currentTask()!.cancel(); // pending: delivered at the task's next wait, startMonitor()'s
        return startMonitor();
      });
      const outcome = await Promise.resolve(starting).then(
        async (monitor) => {
          await monitor.close();
          return "started";
        },
        (error: unknown) => error,
      );
      assert.ok(outcome instanceof CancelledError, String(outcome));
      await using monitor = await startMonitor();
      assert.ok(monitor.port > 0);
    });
  });

  it("a malformed request target gets a 400 and the monitor keeps answering; close() still ends", T, async () => {
    await run(async () => {
      const monitor = await startMonitor();
      assert.match(await rawStatus(monitor.port, "http://["), / 400 /);
      assert.match(await rawStatus(monitor.port, "//[::1"), / 400 /);
      const res = await fetch(`http://127.0.0.1:${monitor.port}/api/snapshot?token=${token(monitor)}`);
      assert.equal(res.status, 200);
      await monitor.close();
    });
  });

  it("bad routes and methods get a 4xx JSON answer", T, async () => {
    await run(async () => {
      await using monitor = await startMonitor();
      const origin = `http://127.0.0.1:${monitor.port}`;
      const headers = { "X-Monitor-Token": token(monitor) };
      const cases: Array<[string, string, number]> = [
        ["GET", "/nope", 404],
        ["DELETE", "/api/snapshot", 404],
        ["POST", "/api/tasks/abc/cancel", 404],
        ["POST", "/api/tasks/-1/cancel", 404],
        ["POST", "/api/tasks/99999999999999999999/cancel", 404],
        ["GET", "/api/tasks/1/cancel", 405],
      ];
      for (const [method, path, status] of cases) {
        const res = await fetch(origin + path, { method, headers });
        assert.equal(res.status, status, `${method} ${path}`);
        assert.equal(typeof ((await res.json()) as { error?: unknown }).error, "string");
      }
    });
  });

  it("POST cancel of a finished task is a 404 and cancels nothing", T, async () => {
    await run(async () => {
      await using monitor = await startMonitor();
      const done = createTask(() => 1);
      await done;
      const id = (done as unknown as { _id: number })._id;
      const res = await fetch(`http://127.0.0.1:${monitor.port}/api/tasks/${id}/cancel`, { method: "POST", headers: { "X-Monitor-Token": token(monitor) } });
      assert.equal(res.status, 404);
      assert.equal(((await res.json()) as { cancelled: boolean }).cancelled, false);
    });
  });

  it("close() twice: both wait for the same end, after which the port is free", T, async () => {
    await run(async () => {
      const monitor = await startMonitor();
      const first = monitor.close();
      await monitor.close();
      // The server is gone once the second close() resolves: its port can be bound again.
      const again = await startMonitor({ port: monitor.port });
      await again.close();
      await first;
      await monitor[Symbol.asyncDispose]();
    });
  });

  it("run(main, { monitor }) checks the value at the call", T, () => {
    const main = (): number => 1;
    for (const [monitor, kind] of [["yes", TypeError], [null, TypeError], [-1, RangeError], [Number.NaN, RangeError], [80.5, RangeError], [70000, RangeError]] as const) {
      assert.throws(() => run(main, { monitor: monitor as never }), kind, String(monitor));
    }
  });
});

describe("asyncio-ts ps against something that is not the monitor", NODE_CHILD, () => {
  it("a server answering other JSON, or HTML, gets one line and exit code 1", { timeout: 60_000 }, async () => {
    const server = createServer((req, res) => {
      if (req.url?.startsWith("/api/snapshot") === true && req.headers["x-monitor-token"] === "json-but-not-a-snapshot") {
        res.writeHead(200, { "Content-Type": "application/json" }).end('{"hello":"world"}');
      } else {
        res.writeHead(200, { "Content-Type": "text/html" }).end("<html>not json</html>");
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as { port: number };
      for (const [command, tok] of [["ps", "json-but-not-a-snapshot"], ["pstree", "json-but-not-a-snapshot"], ["ps", "html-answer-please"]] as const) {
        const result = await asyncioTs(command, `http://127.0.0.1:${port}/?token=${tok}`);
        assert.equal(result.code, 1, `${command} ${tok}: ${result.stderr}`);
        assert.equal(result.stderr.trimEnd().split("\n").length, 1, result.stderr);
        assert.match(result.stderr, /not with a monitor snapshot/);
      }
    } finally {
      server.close();
    }
  });
});
