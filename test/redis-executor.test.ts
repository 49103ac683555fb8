// RedisExecutor and its workers (`asyncio-ts worker`, i.e. serveExecutor) as real processes,
// against a real redis-server started by the tests (examples/redisServer.ts).
import { strict as assert } from "node:assert";
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { after, before, describe, it, NODE_CHILD } from "./helpers.js";
import { fileURLToPath } from "node:url";
import { CancelledError, createTask, fromModule, gather, getRunningLoop, InvalidStateError, run, runInExecutor, sleep, TimeoutError, waitFor } from "../src/index.js";
import { RedisExecutor, serveExecutor } from "../src/redis/index.js";
import { RedisServer, skipWithoutRedis } from "../examples/redisServer.js";

const T = { timeout: 90_000 };
const jobs = new URL("./fixtures/redis-jobs.ts", import.meta.url);
const add = fromModule<(a: number, b: number) => number>(jobs, "add");
const fail = fromModule<(message: string) => never>(jobs, "fail");
const spin = fromModule<(seconds: number) => number>(jobs, "spin");
const nap = fromModule<(seconds: number) => number>(jobs, "nap");
const cli = fileURLToPath(new URL("../src/cli/main.ts", import.meta.url));
const fixtures = fileURLToPath(new URL("./fixtures", import.meta.url));

let server: RedisServer;
let names = 0;
const children = new Set<ChildProcess>();

/** Starts `asyncio-ts worker` processes and waits until each serves. */
async function workers(name: string, count: number, extra: string[] = []): Promise<ChildProcess[]> {
  const started: Array<Promise<ChildProcess>> = [];
  for (let i = 0; i < count; i++) {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", cli, "worker", "--redis", server.url, "--name", name, "--concurrency", "2", "--lease", "1", "--verbose", "--modules", fixtures, ...extra],
      { stdio: ["ignore", "inherit", "pipe"] },
    );
    children.add(child);
    child.once("exit", () => children.delete(child));
    const lines = createInterface({ input: child.stderr as NodeJS.ReadableStream });
    const log: string[] = [];
    (child as ChildProcess & { log: string[] }).log = log;
    started.push(
      new Promise((resolve, reject) => {
        lines.on("line", (line) => {
          log.push(line);
          if (line.includes("serving")) setTimeout(() => resolve(child), 300); // subscribed and reading shortly after
        });
        child.once("exit", (code) => reject(new Error(`worker exited with ${code}: ${log.join("\n")}`)));
      }),
    );
  }
  return await Promise.all(started);
}

function logOf(child: ChildProcess): string[] {
  return (child as ChildProcess & { log: string[] }).log;
}

/** CPU seconds the process has used (Linux /proc). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks
}

async function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  return await new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

describe("RedisExecutor", { skip: NODE_CHILD.skip || skipWithoutRedis() }, () => {
  before(async () => {
    server = await RedisServer.start();
  });
  after(async () => {
    for (const child of children) child.kill("SIGKILL");
    await server?.[Symbol.asyncDispose]();
  });

  it("RedisExecutor runs fromModule work on a worker process: results, map, errors with cause, refusals", T, async () => {
    const name = `e${++names}`;
    await workers(name, 1);
    await run(async () => {
      await using remote = new RedisExecutor({ url: server.url, name });
      assert.equal(await runInExecutor(remote, add, 2, 3), 5);
      assert.deepEqual(await gather(remote.submit(add, 1, 1), remote.submit(add, 2, 2)), [2, 4]);
      const out: number[] = [];
      for await (const r of remote.map(fromModule<(n: number) => number>(jobs, "spin"), [0, 0, 0])) out.push(r);
      assert.equal(out.length, 3);
      await assert.rejects(remote.submit(fail, "bad"), (e: unknown) => {
        assert.ok(e instanceof RangeError);
        assert.equal(e.message, "bad");
        assert.match(e.stack ?? "", /redis-jobs/);
        assert.equal((e.cause as Error).message, "the root cause");
        return true;
      });
      // A module outside the worker's roots is refused, not imported.
      const outside = fromModule(new URL("../src/redis/roots.ts", import.meta.url), "refusal");
      await assert.rejects(remote.submit(outside, "x", []), /refuses to run .*not under the worker's module roots/);
      assert.throws(() => remote.submit((a: number) => a, 1), /only fromModule/);
      await remote.shutdown();
      assert.throws(() => remote.submit(add, 1, 2), InvalidStateError);
    });
  });

  it("RedisExecutor cancelling the awaiting task cancels the remote job and stops its CPU use", T, async () => {
    const name = `e${++names}`;
    const [worker] = await workers(name, 1);
    assert.ok(worker?.pid !== undefined);
    await run(async () => {
      await using remote = new RedisExecutor({ url: server.url, name });
      await assert.rejects(waitFor(remote.submit(spin, 60), 1.0), TimeoutError);
      await sleep(0.5); // the cancel travels; the thread is terminated
      const before = cpuSeconds(worker.pid as number);
      await sleep(1.5);
      const used = cpuSeconds(worker.pid as number) - before;
      assert.ok(used < 0.5, `the worker kept burning CPU after the cancel: ${used.toFixed(2)} s in 1.5 s`);
      assert.ok(logOf(worker).some((l) => l.includes("spin cancelled")), logOf(worker).join("\n"));
      assert.equal(await remote.submit(add, 20, 22), 42, "the worker serves on");
    });
  });

  it("RedisExecutor a job whose worker is SIGKILLed runs again on another worker (at-least-once)", T, async () => {
    const name = `e${++names}`;
    const [first, second] = await workers(name, 2);
    await run(async () => {
      await using remote = new RedisExecutor({ url: server.url, name });
      const job = remote.submit(nap, 1.5);
      await sleep(0.5);
      const holder = logOf(first as ChildProcess).some((l) => l.includes("nap started")) ? first : second;
      holder?.kill("SIGKILL");
      const pid = await waitFor(job, 30);
      assert.notEqual(pid, holder?.pid);
    });
  });

  it("RedisExecutor worker SIGTERM finishes the running job, then exits", T, async () => {
    const name = `e${++names}`;
    const [worker] = await workers(name, 1);
    await run(async () => {
      await using remote = new RedisExecutor({ url: server.url, name });
      const job = remote.submit(nap, 1);
      await sleep(0.4);
      worker?.kill("SIGTERM");
      assert.equal(await waitFor(job, 10), worker?.pid);
      assert.equal(await exited(worker as ChildProcess), 0);
    });
  });
  it("RedisExecutor shutdown checks its options at the call, as the local pools do", T, async () => {
    await run(async () => {
      const remote = new RedisExecutor({ url: server.url, name: `e${++names}` });
      assert.throws(() => remote.shutdown(5 as never), TypeError);
      assert.throws(() => remote.shutdown(null as never), TypeError);
      assert.throws(() => remote.shutdown({ wait: "yes" as never }), /wait to be a boolean/);
      assert.throws(() => remote.shutdown({ cancelFutures: 1 as never }), /cancelFutures to be a boolean/);
      assert.equal(remote.statistics().shutdown, false, "a refused call shut nothing down");
      await remote.shutdown();
      await remote.shutdown(); // again: harmless
    });
  });

  it("RedisExecutor shutdown's wait is cancellable; the executor still shuts down and cancelFutures ends it", T, async () => {
    await run(async () => {
      const remote = new RedisExecutor({ url: server.url, name: `e${++names}` }); // no worker serves it
      const job = remote.submit(add, 1, 2);
      const waiter = createTask(() => remote.shutdown());
      await sleep(0.3);
      assert.equal(waiter.done(), false, "the job is pending: shutdown waits");
      const loop = getRunningLoop();
      const start = loop.time();
      waiter.cancel();
      await assert.rejects(waiter, CancelledError);
      assert.ok(loop.time() - start < 0.5, "the cancel landed at once");
      assert.equal(remote.statistics().shutdown, true);
      assert.throws(() => remote.submit(add, 1, 2), InvalidStateError);
      await waitFor(remote.shutdown({ cancelFutures: true }), 5);
      assert.equal(job.cancelled(), true);
    });
  });

  it("serveExecutor checks its options at the call and starts nothing", T, () => {
    const good = { url: server.url, name: "x", modules: fixtures };
    assert.throws(() => serveExecutor(5 as never), TypeError);
    assert.throws(() => serveExecutor({ ...good, name: undefined as never }), /name/);
    assert.throws(() => serveExecutor({ ...good, name: "a b" }), TypeError);
    assert.throws(() => serveExecutor({ ...good, concurrency: "2" as never }), TypeError);
    assert.throws(() => serveExecutor({ ...good, concurrency: 0 }), RangeError);
    assert.throws(() => serveExecutor({ ...good, concurrency: 1.5 }), RangeError);
    assert.throws(() => serveExecutor({ ...good, graceSeconds: NaN }), RangeError);
    assert.throws(() => serveExecutor({ ...good, graceSeconds: "1" as never }), TypeError);
    assert.throws(() => serveExecutor({ ...good, leaseSeconds: -1 }), RangeError);
    assert.throws(() => serveExecutor({ ...good, url: "http://x" }), TypeError);
    assert.throws(() => serveExecutor({ ...good, modules: [] }), TypeError);
    assert.throws(() => serveExecutor({ ...good, signal: {} as never }), TypeError);
    assert.throws(() => serveExecutor({ ...good, onJob: 5 as never }), TypeError);
    assert.throws(() => new RedisExecutor({ url: server.url, name: "" }), TypeError);
    assert.throws(() => new RedisExecutor({ url: server.url, name: "x", maxWorkers: 0 }), RangeError);
    assert.throws(() => new RedisExecutor(undefined as never), TypeError);
  });
});
