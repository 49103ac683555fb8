// RedisQueue against a real redis-server started by the tests (examples/redisServer.ts).
import { strict as assert } from "node:assert";
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { after, before, describe, it, NODE_CHILD } from "./helpers.js";
import { fileURLToPath } from "node:url";
import { createClient } from "redis";
import { CancelledError, createTask, getRunningLoop, gather, InvalidStateError, QueueShutDown, run, sleep, TimeoutError, waitFor } from "../src/index.js";
import { Job, RedisQueue, RedisServerError } from "../src/redis/index.js";
import { RedisServer, skipWithoutRedis } from "../examples/redisServer.js";

const T = { timeout: 60_000 };
let server: RedisServer;
let names = 0;
const fresh = (): string => `q${process.pid}-${++names}`;

describe("RedisQueue", { skip: skipWithoutRedis() }, () => {
  before(async () => {
    server = await RedisServer.start();
  });
  after(async () => {
    await server?.[Symbol.asyncDispose]();
  });

  it("RedisQueue put, get, taskDone and join round-trip items, with Job fields", T, async () => {
    await run(async () => {
      const name = fresh();
      await using q = await RedisQueue.open<{ n: number; when: Date }>(name, { url: server.url });
      const when = new Date(0);
      await q.put({ n: 1, when });
      await q.put({ n: 2, when });
      assert.equal(await q.qsize(), 2);
      const job = await q.get();
      assert.ok(job instanceof Job);
      assert.deepEqual(job.item, { n: 1, when }); // structured clone: the Date survives
      assert.equal(job.deliveries, 1);
      assert.match(job.id, /^\d+-\d+$/);
      const joined = createTask(() => q.join());
      await q.taskDone(job);
      await sleep(0.2);
      assert.equal(joined.done(), false, "join() waits for the second item");
      await q.taskDone(await q.get());
      await waitFor(joined, 5);
      await assert.rejects(q.taskDone(job), InvalidStateError);
    });
  });

  it("RedisQueue get cancelled by a timeout loses no item, and is cancelled promptly", T, async () => {
    await run(async () => {
      const name = fresh();
      await using q = await RedisQueue.open<number>(name, { url: server.url });
      await using producer = await RedisQueue.open<number>(name, { url: server.url });
      const loop = getRunningLoop();
      const start = loop.time();
      await assert.rejects(waitFor(q.get(), 0.05), TimeoutError);
      assert.ok(loop.time() - start < 1, "the cancelled get returned within the timeout and a short grace");
      // Race timeouts against puts: every item must arrive exactly once.
      const N = 60;
      const seen: number[] = [];
      const putter = createTask(async () => {
        for (let i = 0; i < N; i++) {
          await producer.put(i);
          await sleep(Math.random() * 0.01);
        }
      });
      while (seen.length < N) {
        try {
          const job = await waitFor(q.get(), Math.random() * 0.02);
          seen.push(job.item);
          await q.taskDone(job);
        } catch (e) {
          if (!(e instanceof TimeoutError)) throw e;
        }
      }
      await putter;
      assert.deepEqual([...seen].sort((a, b) => a - b), Array.from({ length: N }, (_, i) => i));
      await waitFor(q.join(), 5);
    });
  });

  it("RedisQueue get cancelled while its read was in flight leaves the item to the next get of that object", T, async () => {
    await run(async () => {
      const name = fresh();
      await using q = await RedisQueue.open<string>(name, { url: server.url });
      await using other = await RedisQueue.open<string>(name, { url: server.url });
      const early = createTask(() => q.get());
      await sleep(0.05); // its read is blocking now
      early.cancel();
      await assert.rejects(early, CancelledError);
      await other.put("kept"); // the blocked read takes it, for nobody
      const job = await waitFor(q.get(), 2);
      assert.equal(job.item, "kept");
      assert.equal(job.deliveries, 1);
    });
  });

  it("RedisQueue an item read for a cancelled get goes back to the queue when no get follows", T, async () => {
    await run(async () => {
      const name = fresh();
      await using q = await RedisQueue.open<string>(name, { url: server.url });
      await using other = await RedisQueue.open<string>(name, { url: server.url });
      const early = createTask(() => q.get());
      await sleep(0.05);
      early.cancel();
      await assert.rejects(early, CancelledError);
      await other.put("returned");
      const job = await waitFor(other.get(), 2); // not after a 30 s lease: q handed it back
      assert.equal(job.item, "returned");
      assert.equal(job.deliveries, 1, "a hand-back is not a delivery");
    });
  });

  it("RedisQueue close hands back the jobs it holds, at once", T, async () => {
    await run(async () => {
      const name = fresh();
      await using other = await RedisQueue.open<string>(name, { url: server.url });
      const q = await RedisQueue.open<string>(name, { url: server.url });
      await other.put("x");
      const held = await q.get(); // held by this running task: renewed, never redelivered on its own
      assert.equal(held.item, "x");
      await q.close();
      const job = await waitFor(other.get(), 2); // the lease is 30 s: this is the hand-back
      assert.equal(job.item, "x");
      assert.equal(job.deliveries, 2);
      await assert.rejects(q.get(), InvalidStateError);
      await assert.rejects(q.taskDone(held), InvalidStateError);
    });
  });

  it("RedisQueue put waits while maxsize items are unfinished; a put cancelled there adds nothing", T, async () => {
    await run(async () => {
      await using q = await RedisQueue.open<number>(fresh(), { url: server.url, maxsize: 2 });
      await q.put(1);
      await q.put(2);
      await assert.rejects(waitFor(q.put(3), 0.2), TimeoutError);
      assert.equal(await q.qsize(), 2);
      const controller = new AbortController();
      const aborted = q.put(3, { signal: controller.signal });
      await sleep(0.05);
      controller.abort(new Error("stop"));
      await assert.rejects(aborted, /stop/);
      assert.equal(await q.qsize(), 2);
      const late = createTask(() => q.put(4));
      await q.taskDone(await q.get());
      await waitFor(late, 2);
      assert.deepEqual([(await q.get()).item, (await q.get()).item], [2, 4]);
    });
  });

  it("RedisQueue put cancelled before its command was sent adds nothing; after, it may still add the item (at-least-once)", T, async () => {
    await run(async () => {
      await using q = await RedisQueue.open<string>(fresh(), { url: server.url });
      // Cancelled in the loop batch it started in: its batch has not gone out.
      const early = createTask(() => q.put("never"));
      const canceller = createTask(() => Promise.resolve(early.cancel()));
      await canceller;
      await assert.rejects(early, CancelledError);
      // Redis holds every command for 0.5 s, so the put is surely in flight when cancelled.
      const pauser = createClient({ url: server.url });
      await pauser.connect();
      await pauser.sendCommand(["CLIENT", "PAUSE", "500", "ALL"]);
      const late = createTask(() => q.put("sent"));
      await new Promise((resolve) => setTimeout(resolve, 100)); // its batch went out and waits on the server
      assert.ok(late.cancel());
      const loop = getRunningLoop();
      const start = loop.time();
      await assert.rejects(late, CancelledError);
      assert.ok(loop.time() - start < 0.3, "the cancel did not wait for the reply");
      await pauser.close();
      const job = await waitFor(q.get(), 2);
      assert.equal(job.item, "sent");
      assert.equal(await q.qsize(), 0, "and not the early one");
    });
  });

  it("RedisQueue rejects bad input and bad servers with clear errors", T, async () => {
    await run(async () => {
      await using q = await RedisQueue.open<unknown>(fresh(), { url: server.url });
      // Bad arguments throw at the call (not a rejection), as everywhere in the library.
      assert.throws(() => q.put(() => 1), (e: unknown) => e instanceof TypeError && /cannot encode the item/.test(e.message));
      assert.throws(() => q.put(Symbol("s")), TypeError);
      assert.throws(() => q.put(1, 5 as never), TypeError);
      assert.throws(() => q.put(1, { signal: "no" as never }), /AbortSignal/);
      assert.throws(() => q.get(null as never), TypeError);
      assert.throws(() => q.get({ signal: {} as never }), /AbortSignal/);
      assert.equal(await q.qsize(), 0);
      assert.throws(() => RedisQueue.open("", { url: server.url }), TypeError);
      assert.throws(() => RedisQueue.open(undefined as never, { url: server.url }), TypeError);
      assert.throws(() => RedisQueue.open("a{b}", { url: server.url }), TypeError);
      assert.throws(() => RedisQueue.open("x", 5 as never), TypeError);
      assert.throws(() => RedisQueue.open("x", { url: "http://x" }), TypeError);
      assert.throws(() => RedisQueue.open("x", { url: server.url, leaseSeconds: -1 }), RangeError);
      assert.throws(() => RedisQueue.open("x", { url: server.url, leaseSeconds: NaN }), RangeError);
      assert.throws(() => RedisQueue.open("x", { url: server.url, leaseSeconds: "1" as never }), TypeError);
      assert.throws(() => RedisQueue.open("x", { url: server.url, maxDeliveries: 0 }), RangeError);
      assert.throws(() => RedisQueue.open("x", { url: server.url, maxsize: 1.5 }), RangeError);
      assert.throws(() => RedisQueue.open("x", { url: server.url, maxsize: Infinity }), RangeError);
      assert.throws(() => RedisQueue.open("x", { url: server.url, codec: {} as never }), TypeError);
      assert.throws(() => q.retry(q as never), TypeError);
      assert.throws(() => q.taskDone({ id: "1-0" } as never), TypeError);
      assert.throws(() => q.retry(new Job(1, "1-0", 1), { delay: -1 }), RangeError);
      assert.throws(() => q.retry(new Job(1, "1-0", 1), { delay: NaN }), RangeError);
      assert.throws(() => q.retry(new Job(1, "1-0", 1), { delay: Infinity }), RangeError);
      assert.throws(() => q.retry(new Job(1, "1-0", 1), { delay: "1" as never }), TypeError);
      assert.throws(() => q.retry(new Job(1, "1-0", 1), 1 as never), TypeError);
      assert.throws(() => q.deadLetters({ count: 0 }), RangeError);
      assert.throws(() => q.deadLetters({ count: "3" as never }), TypeError);
      // A job this object does not hold is a state error: a rejection, as after close().
      await assert.rejects(q.taskDone(new Job(1, "1-0", 1)), InvalidStateError);
      await assert.rejects(q.retry(new Job(1, "1-0", 1)), InvalidStateError);
      // Nothing listens on the port of a stopped server.
      const dead = await RedisServer.start();
      const url = dead.url;
      await dead[Symbol.asyncDispose]();
      await assert.rejects(RedisQueue.open("x", { url }), (e: unknown) => e instanceof RedisServerError && e.message.includes(url));
    });
  });

  it("RedisQueue redelivers the job of a task that ended without taskDone after the lease, and renews a running job's lease", T, async () => {
    await run(async () => {
      const name = fresh();
      const lease = 0.4;
      await using a = await RedisQueue.open<string>(name, { url: server.url, leaseSeconds: lease });
      await using b = await RedisQueue.open<string>(name, { url: server.url, leaseSeconds: lease });
      await a.put("long");
      const job = await a.get(); // held by the main task, which runs on: renewed
      await assert.rejects(waitFor(b.get(), lease * 4), TimeoutError, "a running job's lease is renewed");
      await a.taskDone(job);
      await a.put("dropped");
      const dropped = await createTask(async () => ({ job: await a.get() })); // its task ends: no more renewals
      const again = await waitFor(b.get(), lease * 10);
      assert.equal(again.item, "dropped");
      assert.equal(again.deliveries, 2);
      assert.equal(again.id, dropped.job.id);
      await b.taskDone(again);
      await waitFor(a.join(), 5);
    });
  });

  it("RedisQueue redelivers the job of a consumer whose event loop froze (no heartbeat) after the lease", { ...T, ...NODE_CHILD }, async () => {
    const name = fresh();
    const fixture = fileURLToPath(new URL("./fixtures/redis-freezer.ts", import.meta.url));
    const child = spawn(process.execPath, ["--import", "tsx", fixture, server.url, name, "0.5", "5"], { stdio: ["ignore", "pipe", "inherit"] });
    try {
      await run(async () => {
        await using q = await RedisQueue.open<string>(name, { url: server.url, leaseSeconds: 0.5 });
        const got = new Promise<void>((resolve) => createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", () => resolve()));
        await q.put("stuck");
        await waitFor(got, 30);
        const job = await waitFor(q.get(), 3); // while the other process is still frozen
        assert.equal(job.item, "stuck");
        assert.equal(job.deliveries, 2);
        assert.equal(child.exitCode, null, "the frozen consumer is still alive");
        await q.taskDone(job);
      });
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("RedisQueue retry redelivers (after a delay) and moves a job to the dead letters after maxDeliveries", T, async () => {
    await run(async () => {
      await using q = await RedisQueue.open<string>(fresh(), { url: server.url, maxDeliveries: 2, leaseSeconds: 0.4 });
      await q.put("bad");
      const first = await q.get();
      const loop = getRunningLoop();
      const t0 = loop.time();
      await q.retry(first, { delay: 0.3 });
      assert.equal(await q.qsize(), 1);
      const second = await waitFor(q.get(), 5);
      assert.ok(loop.time() - t0 >= 0.29, "delivered after the delay");
      assert.equal(second.deliveries, 2);
      await q.retry(second);
      assert.deepEqual(
        (await q.deadLetters()).map((d) => [d.item, d.deliveries, d.reason]),
        [["bad", 2, "retried 2 times"]],
      );
      await waitFor(q.join(), 5); // a dead letter is finished
      // A job whose consumer never acknowledges it is buried by lease expiry, too.
      await q.put("lost");
      await createTask(async () => void (await q.get())); // delivery 1, dropped
      await createTask(async () => void (await q.get())); // delivery 2 after the lease, dropped
      const waiting = createTask(() => q.get()); // consumers waiting in get() are who reclaim and bury
      await waitFor(q.join(), 10);
      waiting.cancel();
      const dead = await q.deadLetters();
      assert.equal(dead.length, 2);
      assert.equal(dead[1]?.item, "lost");
      assert.match(dead[1]?.reason ?? "", /lease expired after 2 deliveries/);
    });
  });

  it("RedisQueue shutdown ends for-await loops once every item is acknowledged and refuses puts", T, async () => {
    await run(async () => {
      const name = fresh();
      await using q = await RedisQueue.open<number>(name, { url: server.url });
      const got: number[] = [];
      const consumers = [0, 1].map(() =>
        createTask(async () => {
          for await (const job of q) {
            got.push(job.item);
            await q.taskDone(job);
          }
        }),
      );
      for (let i = 0; i < 10; i++) await q.put(i);
      await q.shutdown();
      await waitFor(gather(...consumers), 10);
      assert.deepEqual(got.sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      await assert.rejects(q.put(11), QueueShutDown);
    });
  });

  it("RedisQueue carries on across a Redis restart", T, async () => {
    const own = await RedisServer.start();
    try {
      await run(async () => {
        await using q = await RedisQueue.open<number>("restart", { url: own.url, leaseSeconds: 5 });
        for (let i = 0; i < 10; i++) await q.put(i);
        const held = await q.get();
        await own.stop("save"); // SHUTDOWN SAVE: the data survives into the next server
        const during = createTask(() => q.get());
        await sleep(0.3);
        await own.restart();
        const got = [held.item, (await waitFor(during, 10)).item];
        await q.taskDone(held);
        while (got.length < 10) {
          const job = await waitFor(q.get(), 10);
          got.push(job.item);
          await q.taskDone(job);
        }
        assert.deepEqual(got.sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        // `during`'s job was acknowledged by nobody yet.
        assert.equal(await q.qsize(), 0);
      });
    } finally {
      await own[Symbol.asyncDispose]();
    }
  });

  it("RedisQueue with 4 consumer processes, one SIGKILLed mid-job: every job done, none lost, duplicates only from the killed one", { timeout: 120_000, ...NODE_CHILD }, async () => {
    const name = fresh();
    const N = 200;
    const concurrency = 2;
    const fixture = fileURLToPath(new URL("./fixtures/redis-consumer.ts", import.meta.url));
    const children: ChildProcess[] = [];
    const gotLines = new Map<ChildProcess, number>();
    let killed: ChildProcess | null = null;
    try {
      await run(async () => {
        await using q = await RedisQueue.open<{ n: number; ms: number }>(name, { url: server.url, leaseSeconds: 1 });
        const ready: Array<Promise<void>> = [];
        for (let i = 0; i < 4; i++) {
          const child = spawn(process.execPath, ["--import", "tsx", fixture, server.url, name, String(concurrency), "1"], {
            stdio: ["ignore", "pipe", "inherit"],
          });
          children.push(child);
          gotLines.set(child, 0);
          ready.push(
            new Promise((resolve) => {
              createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
                if (line === "ready") resolve();
                if (!line.startsWith("got ")) return;
                const count = (gotLines.get(child) ?? 0) + 1;
                gotLines.set(child, count);
                if (child === children[0] && count === 10 && killed === null) {
                  killed = child;
                  child.kill("SIGKILL"); // mid-job: it has just taken job 10 and sleeps in it
                }
              });
            }),
          );
        }
        await waitFor(gather(...ready), 60);
        for (let n = 0; n < N; n++) await q.put({ n, ms: 10 });
        await waitFor(q.join(), 60);
        await q.shutdown();
      });
      assert.ok(killed !== null, "a consumer was killed mid-job");
      const client = createClient({ url: server.url });
      await client.connect();
      const done = await client.lRange(`${name}:done`, 0, -1);
      await client.close();
      const count = new Map<number, number>();
      for (const entry of done) {
        const n = Number(entry.split(":")[0]);
        count.set(n, (count.get(n) ?? 0) + 1);
      }
      for (let n = 0; n < N; n++) assert.ok((count.get(n) ?? 0) >= 1, `job ${n} was lost`);
      const extra = done.length - N;
      assert.ok(extra >= 0 && extra <= concurrency, `at most the killed consumer's ${concurrency} jobs run twice: ${extra} did`);
      const redelivered = done.filter((e) => !e.endsWith(":1")).length;
      assert.ok(redelivered >= 1 && redelivered <= concurrency, `the killed consumer's jobs were redelivered: ${redelivered}`);
    } finally {
      for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
  });
});
