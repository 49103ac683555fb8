// The live monitor's API, in process: snapshot, events, cancel, the token and origin checks.
import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { request } from "node:http";
import { connect } from "node:net";
import { networkInterfaces } from "node:os";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Worker } from "node:worker_threads";
import { CancelledError, createTask, Event, gather, Lock, Queue, run, sleep, type Task } from "../src/index.js";
import { monitorPort } from "../src/monitor/autostart.js";
import { startMonitor, type Monitor, type MonitorDiff, type MonitorSnapshot } from "../src/monitor/index.js";
import { describe, it, NODE_CHILD } from "./helpers.js";

const T = { timeout: 30_000 };
const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

function parts(monitor: Monitor): { origin: string; token: string; port: number } {
  const url = new URL(monitor.url);
  return { origin: url.origin, token: url.searchParams.get("token") ?? "", port: Number(url.port) };
}

async function snapshot(monitor: Monitor): Promise<MonitorSnapshot> {
  const { origin, token } = parts(monitor);
  const res = await fetch(`${origin}/api/snapshot?token=${token}`);
  assert.equal(res.status, 200);
  return (await res.json()) as MonitorSnapshot;
}

/** A raw request (fetch cannot set Host, Origin or Sec-Fetch-Site freely). */
function raw(port: number, method: string, path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, method, path, headers }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** Reads server-sent events until `until` returns true for one of them. */
async function readEvents(monitor: Monitor, until: (event: string, data: unknown) => boolean, seconds = 10): Promise<Array<[string, unknown]>> {
  const { origin, token } = parts(monitor);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), seconds * 1000);
  const seen: Array<[string, unknown]> = [];
  try {
    const res = await fetch(`${origin}/api/events?token=${token}`, { signal: controller.signal });
    assert.equal(res.headers.get("content-type"), "text/event-stream");
    const decoder = new TextDecoder();
    let buffer = "";
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(frame)?.[1];
        const data = /^data: (.*)$/m.exec(frame)?.[1];
        if (event === undefined || data === undefined) continue;
        const parsed: unknown = JSON.parse(data);
        seen.push([event, parsed]);
        if (until(event, parsed)) return seen;
      }
    }
  } catch (error) {
    if (!controller.signal.aborted) throw error;
    throw new Error(`no matching event in ${seconds} s; saw ${JSON.stringify(seen.map(([e]) => e))}`, { cause: error });
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  return seen;
}

describe("startMonitor", () => {
  it("startMonitor binds to loopback by default, with a random token in its URL", T, async () => {
    await run(async () => {
      await using monitor = await startMonitor();
      const url = new URL(monitor.url);
      assert.equal(url.hostname, "127.0.0.1");
      assert.match(url.searchParams.get("token") ?? "", /^[0-9a-f]{32}$/);
      assert.equal(Number(url.port), monitor.port);
      // Not reachable through the machine's other addresses (when it has one).
      const external = Object.values(networkInterfaces())
        .flat()
        .find((i) => i !== undefined && !i.internal && i.family === "IPv4");
      if (external !== undefined) {
        const refused = await new Promise<boolean>((resolve) => {
          const socket = connect({ host: external.address, port: monitor.port, timeout: 2000 });
          socket.once("connect", () => {
            socket.destroy();
            resolve(false);
          });
          socket.once("error", () => resolve(true));
          socket.once("timeout", () => {
            socket.destroy();
            resolve(true);
          });
        });
        assert.ok(refused, `the monitor answered on ${external.address}`);
      }
      const other = await startMonitor().catch((e: unknown) => e);
      assert.ok(other instanceof Error && /already running/.test(other.message));
    });
  });

  it("startMonitor checks its options", T, async () => {
    // At the call, like the rest of the API: not a rejected promise.
    assert.throws(() => startMonitor({ port: -1 }), RangeError);
    assert.throws(() => startMonitor({ token: "short" }), RangeError);
    assert.throws(() => startMonitor({ host: 5 as never }), TypeError);
    assert.throws(() => startMonitor({ warnAfter: 0 }), RangeError);
    await Promise.resolve();
  });

  it("every route refuses a request without the token (401) or with a wrong one (403)", T, async () => {
    await run(async () => {
      await using monitor = await startMonitor();
      const { port, token } = parts(monitor);
      const wrong = "x".repeat(token.length);
      for (const [method, path] of [["GET", "/"], ["GET", "/api/snapshot"], ["GET", "/api/events"], ["POST", "/api/tasks/1/cancel"]] as const) {
        const host = { Host: `127.0.0.1:${port}` };
        assert.equal((await raw(port, method, path, host)).status, 401, `${method} ${path} without token`);
        assert.equal((await raw(port, method, `${path}?token=${wrong}`, host)).status, 403, `${method} ${path} wrong token`);
        assert.equal((await raw(port, method, path, { ...host, "X-Monitor-Token": wrong })).status, 403);
      }
      const page = await raw(port, "GET", `/?token=${token}`, { Host: `localhost:${port}` });
      assert.equal(page.status, 200);
      assert.match(page.body, /<title>asyncio-ts monitor<\/title>/);
      assert.doesNotMatch(page.body, /<script[^>]+src=|<link[^>]+href=|https?:\/\/(?!monitor\.invalid)/, "no external assets");
    });
  });

  it("a request naming another host (DNS rebinding) is refused", T, async () => {
    await run(async () => {
      await using monitor = await startMonitor();
      const { port, token } = parts(monitor);
      assert.equal((await raw(port, "GET", `/api/snapshot?token=${token}`, { Host: `evil.example:${port}` })).status, 403);
    });
  });

  it("a cancel from another origin, or without the token header, cancels nothing", T, async () => {
    await run(async () => {
      await using monitor = await startMonitor();
      const { port, token } = parts(monitor);
      const victim = createTask(() => sleep(3600), { name: "victim" });
      await sleep(0);
      const path = `/api/tasks/${(victim as Task<unknown> & { _id: number })._id}/cancel`;
      const host = `127.0.0.1:${port}`;
      // What a cross-site page can send: a form or a "simple" fetch (no custom header) with the
      // token in the query, carrying its Origin / Sec-Fetch-Site.
      const attempts = [
        { Host: host, Origin: "https://evil.example", "Content-Type": "application/x-www-form-urlencoded" },
        { Host: host, Origin: "null", "X-Monitor-Token": token },
        { Host: host, "Sec-Fetch-Site": "cross-site", "X-Monitor-Token": token },
        { Host: host, Origin: "https://evil.example", "X-Monitor-Token": token },
      ];
      for (const headers of attempts) {
        const res = await raw(port, "POST", `${path}?token=${token}`, headers);
        assert.equal(res.status, 403, JSON.stringify(headers));
      }
      // The preflight a browser would send first gets no CORS approval.
      const preflight = await raw(port, "OPTIONS", `${path}?token=${token}`, { Host: host, Origin: "https://evil.example", "Access-Control-Request-Method": "POST" });
      assert.notEqual(preflight.status, 204);
      assert.doesNotMatch(preflight.body, /Access-Control/i);
      await sleep(0.05);
      assert.equal(victim.done(), false, "still running");
      victim.cancel();
      await assert.rejects(Promise.resolve(victim), CancelledError);
    });
  });

  it("POST /api/tasks/:id/cancel cancels the task at its await", T, async () => {
    await run(async () => {
      await using monitor = await startMonitor();
      const { origin, token } = parts(monitor);
      let seen: unknown;
      const victim = createTask(async () => {
        try {
          await sleep(3600);
        } catch (error) {
          seen = error;
          throw error;
        }
      }, { name: "victim" });
      await sleep(0);
      const id = (victim as Task<unknown> & { _id: number })._id;
      const res = await fetch(`${origin}/api/tasks/${id}/cancel`, { method: "POST", headers: { "X-Monitor-Token": token, Origin: origin } });
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { id, cancelled: true });
      await assert.rejects(Promise.resolve(victim), CancelledError);
      assert.ok(seen instanceof CancelledError);
      assert.equal(seen.message, "cancelled from the monitor");
      const missing = await fetch(`${origin}/api/tasks/999999/cancel`, { method: "POST", headers: { "X-Monitor-Token": token } });
      assert.equal(missing.status, 404);
      // The token as the printed URL carries it (?token=) works too, as on every route.
      const second = createTask(() => sleep(3600), { name: "second" });
      await sleep(0);
      const secondId = (second as Task<unknown> & { _id: number })._id;
      const byQuery = await fetch(`${origin}/api/tasks/${secondId}/cancel?token=${token}`, { method: "POST" });
      assert.equal(byQuery.status, 200);
      await assert.rejects(Promise.resolve(second), CancelledError);
    });
  });

  it("GET /api/snapshot lists tasks, what they await, primitives with waiters in order, and the lock holder", T, async () => {
    await run(async () => {
      await using monitor = await startMonitor();
      const queue = new Queue<number>();
      const lock = new Lock();
      const go = new Event();
      void createTask(() => queue.get(), { name: "consumer" });
      void createTask(async () => {
        using _ = await lock.acquire();
        await go.wait();
      }, { name: "holder" });
      await sleep(0);
      for (const name of ["second", "third"]) {
        void createTask(async () => {
          using _ = await lock.acquire();
        }, { name });
        await sleep(0);
      }
      const snap = await snapshot(monitor);
      assert.equal(snap.version, 1);
      assert.equal(snap.pid, process.pid);
      assert.equal(snap.stale, false);
      const byName = new Map(snap.tasks.map((t) => [t.name, t]));
      assert.deepEqual([...byName.keys()], ["main", "consumer", "holder", "second", "third"]);
      const consumer = byName.get("consumer")!;
      assert.equal(consumer.state, "waiting");
      assert.equal(consumer.parent, byName.get("main")!.id);
      assert.equal(consumer.waits[0]?.op, "Queue.get()");
      assert.ok(typeof consumer.created === "number" && consumer.created <= snap.now);
      assert.ok(typeof consumer.waits[0]?.since === "number");
      const q = snap.primitives.find((p) => p.id === consumer.waits[0]?.primitive)!;
      assert.equal(q.kind, "Queue");
      assert.deepEqual(q.waiters.map((w) => [w.queue, w.task]), [["getters", consumer.id]]);
      const l = snap.primitives.find((p) => p.kind === "Lock")!;
      assert.deepEqual(l.waiters.map((w) => w.task), [byName.get("second")!.id, byName.get("third")!.id]);
      assert.equal(l.holder?.task, byName.get("holder")!.id);
      assert.equal(byName.get("holder")!.waits[0]?.op, "Event.wait()");
      go.set();
    });
  });

  it("a snapshot shows sleeps with their deadline and executor jobs with their pool", T, async () => {
    const { ThreadPoolExecutor } = await import("../src/index.js");
    await run(async () => {
      await using monitor = await startMonitor();
      await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
      const job = createTask(() => pool.submit((ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms), 60_000), { name: "job" });
      const queued = createTask(() => pool.submit(() => 1), { name: "queued" });
      void createTask(() => sleep(30), { name: "sleeper" });
      // Wait until the worker has started the first job.
      for (let i = 0; i < 200; i++) {
        const s = await snapshot(monitor);
        if (s.executors[0]?.busy === 1) break;
        await sleep(0.02);
      }
      const snap = await snapshot(monitor);
      const byName = new Map(snap.tasks.map((t) => [t.name, t]));
      const sleeper = byName.get("sleeper")!.waits[0]!;
      assert.equal(sleeper.op, "sleep()");
      assert.ok(sleeper.deadline! > snap.now + 25_000 && sleeper.deadline! < snap.now + 31_000);
      assert.equal(byName.get("job")!.waits[0]?.op, "executor job");
      assert.match(byName.get("job")!.waits[0]!.text, /ThreadPoolExecutor \(running\)/);
      assert.match(byName.get("queued")!.waits[0]!.text, /queued/);
      assert.deepEqual(snap.executors.map((e) => [e.kind, e.maxWorkers, e.busy, e.queued]), [["ThreadPoolExecutor", 1, 1, 1]]);
      job.cancel();
      await gather(job, queued, { returnExceptions: true });
    });
  });

  it("warnings: a long wait and a lock held across a long await", T, async () => {
    await run(async () => {
      await using monitor = await startMonitor({ warnAfter: 0.1 });
      const lock = new Lock();
      void createTask(async () => {
        using _ = await lock.acquire();
        await sleep(3600);
      }, { name: "hog" });
      void createTask(() => lock.acquire(), { name: "starved" });
      await sleep(0.5); // dates are heartbeats (0.1 s) apart: well past warnAfter
      const warnings = (await snapshot(monitor)).warnings;
      const find = (kind: string): string => warnings.find((w) => w.kind === kind)?.message ?? `(no ${kind} in ${JSON.stringify(warnings)})`;
      assert.match(find("lock-held"), /Task "hog" has held <Lock locked waiters=1> for .* while awaiting sleep\(\)/);
      assert.match(find("long-wait"), /Task "starved" has waited .* on Lock.acquire\(\)/);
      assert.ok(!warnings.some((w) => w.kind === "long-wait" && w.message.includes("hog")), "a sleep is not a long wait");
    });
  });

  it("warnings: an await cycle (A awaits B awaits A)", { ...T, ...NODE_CHILD }, async () => {
    // In a child process: such a cycle never ends by itself.
    const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", fixture("monitor-cycle.ts")], { timeout: 20_000 });
    const warnings = JSON.parse(stdout) as MonitorSnapshot["warnings"];
    const cycle = warnings.find((w) => w.kind === "await-cycle");
    assert.match(cycle?.message ?? stdout, /await cycle: "A" awaits "B" awaits "A"/);
    assert.equal(cycle?.tasks.length, 2);
  });

  it("GET /api/events sends a snapshot, then only the changes", T, async () => {
    await run(async () => {
      await using monitor = await startMonitor();
      const queue = new Queue<number>();
      const step = new Event();
      void createTask(async () => {
        await step.wait();
        await queue.get();
      }, { name: "mover" });
      void createTask(() => sleep(3600), { name: "bystander" });
      await sleep(0);
      let stepped = false;
      const events = await readEvents(monitor, (event, data) => {
        if (event === "snapshot") {
          const snap = data as MonitorSnapshot;
          assert.ok(snap.tasks.some((t) => t.name === "mover" && t.waits[0]?.op === "Event.wait()"));
          stepped = true;
          step.set();
          return false;
        }
        if (event !== "diff") return false;
        const diff = data as MonitorDiff;
        return diff.tasks.some((t) => t.name === "mover" && t.waits[0]?.op === "Queue.get()");
      });
      assert.ok(stepped);
      const diffs = events.filter(([e]) => e === "diff").map(([, d]) => d as MonitorDiff);
      // The bystander did not change, so no diff carries it again.
      assert.ok(diffs.every((d) => d.tasks.every((t) => t.name !== "bystander")), JSON.stringify(diffs));
    });
  });

  it("GET /api/events batches changes: at most ten events a second, however often tasks change", T, async () => {
    await run(async () => {
      await using monitor = await startMonitor();
      const busy = createTask(async () => {
        for (;;) await sleep(0.001); // a new wait a millisecond: a change every time anyone looks
      }, { name: "busy" });
      const started = performance.now();
      let diffs = 0;
      await readEvents(monitor, (event) => {
        if (event === "diff") diffs++;
        return performance.now() - started > 2000;
      });
      const seconds = (performance.now() - started) / 1000;
      assert.ok(diffs >= 2, `some diffs (${diffs})`);
      assert.ok(diffs / seconds <= 10, `${diffs} diffs in ${seconds.toFixed(2)} s`);
      busy.cancel();
    });
  });

  it("a snapshot holds at most `limit` tasks and counts the rest", T, async () => {
    await run(async () => {
      await using monitor = await startMonitor({ limit: 3 });
      for (let i = 0; i < 10; i++) void createTask(() => sleep(3600), { name: `t${i}` });
      await sleep(0);
      const snap = await snapshot(monitor);
      assert.deepEqual(snap.tasks.map((t) => t.name), ["main", "t0", "t1"]);
      assert.equal(snap.truncated, 8);
    });
  });

  it("the server thread answers and reports the block while the main thread spins", T, async () => {
    await run(async () => {
      await using monitor = await startMonitor();
      void createTask(() => sleep(3600), { name: "sleeper" });
      await snapshot(monitor); // the server knows a state
      const { origin, token } = parts(monitor);
      const events = readEvents(monitor, (event, data) => event === "blocked" && (data as { seconds: number }).seconds > 0.6);
      await sleep(0.3); // the stream is open
      // Another thread asks for a snapshot while this one is stuck.
      const asker = new Worker(
        `const { parentPort, workerData } = require("node:worker_threads");
         setTimeout(async () => {
           const res = await fetch(workerData);
           parentPort.postMessage(await res.text());
         }, 300);`,
        { eval: true, workerData: `${origin}/api/snapshot?token=${token}` },
      );
      const answer = new Promise<string>((resolve, reject) => {
        asker.once("message", resolve);
        asker.once("error", reject);
      });
      const end = performance.now() + 1500;
      while (performance.now() < end); // the main thread is stuck
      const stale = JSON.parse(await answer) as MonitorSnapshot;
      await asker.terminate();
      assert.equal(stale.stale, true);
      assert.ok(stale.blocked > 0.5, `blocked ${stale.blocked}`);
      assert.ok(stale.tasks.some((t) => t.name === "sleeper"), "the last known state");
      await events;
      await sleep(0.5);
      const after = await snapshot(monitor);
      assert.equal(after.stale, false);
      assert.ok(after.slow.some((s) => /blocked for 1\.\d+ seconds/.test(s.message)), JSON.stringify(after.slow));
    });
  });
});

describe("npm start -- monitor", () => {
  it("npm start -- monitor runs the demo pipeline and prints the monitor's URL", T, async () => {
    const { cli } = await import("../examples/tour.js");
    const lines: string[] = [];
    const code = await cli(["monitor", "--for", "1.5"], { out: (line) => lines.push(line), err: (line) => lines.push(line) });
    assert.equal(code, 0);
    assert.match(lines.join("\n"), /Open the monitor: {2}http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{32}\n/);
    assert.match(lines.at(-1) ?? "", /^Done: \d+ jobs\.$/);
  });
});

describe("run({ monitor })", () => {
  it("run({ monitor: true }) starts the monitor for the run and prints its URL on stderr", { ...T, ...NODE_CHILD }, async () => {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ["--import", "tsx", fixture("monitor-run.ts")], { timeout: 20_000 });
    assert.equal(stdout, "done\n");
    assert.match(stderr, /^asyncio-ts monitor: http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{32}\n$/);
  });

  it("ASYNCIO_TS_MONITOR=1 starts it for run() with no option", { ...T, ...NODE_CHILD }, async () => {
    const env = { ...process.env, ASYNCIO_TS_MONITOR: "1", MONITOR_OPTION: "env" };
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ["--import", "tsx", fixture("monitor-run.ts")], { timeout: 20_000, env });
    assert.equal(stdout, "done\n");
    assert.match(stderr, /^asyncio-ts monitor: http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{32}\n$/);
  });

  it("ASYNCIO_TS_MONITOR=1|PORT turns it on; the option wins over the variable", T, () => {
    assert.equal(monitorPort(undefined, undefined), null);
    assert.equal(monitorPort(undefined, "1"), 0);
    assert.equal(monitorPort(undefined, "true"), 0);
    assert.equal(monitorPort(undefined, "0"), null);
    assert.equal(monitorPort(undefined, "9123"), 9123);
    assert.equal(monitorPort(false, "1"), null);
    assert.equal(monitorPort(8000, undefined), 8000);
    assert.throws(() => monitorPort(-3, undefined), RangeError);
    assert.throws(() => monitorPort("1" as never, undefined), TypeError);
  });
});
