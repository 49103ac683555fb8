// Queue items are opaque (API.md, Wave 2): a queue of the library's Futures and Tasks hands back
// the objects themselves, from get() (item available or waited for), getNowait() and `for await`,
// as asyncio's queues do. Foreign thenables cannot be kept by JavaScript's await: debug mode says
// so once per queue.
import { strict as assert } from "node:assert";
import {
  createTask,
  Future,
  getRunningLoop,
  LifoQueue,
  PriorityQueue,
  Queue,
  run,
  type ExceptionContext,
  type Task,
} from "../src/index.js";
import { captureExceptions, describe, ticks, it, vrun } from "./helpers.js";

type Kind = new (maxsize?: number) => Queue<Future<number>>;

// A PriorityQueue of futures needs an order: by the (numeric) result each was given.
class ByResult extends PriorityQueue<Future<number>> {
  constructor(maxsize = 0) {
    super(maxsize, (a, b) => a.result() - b.result());
  }
}

const KINDS: Array<[string, Kind]> = [
  ["Queue", Queue],
  ["PriorityQueue", ByResult],
  ["LifoQueue", LifoQueue],
];

function resolved(value: number): Future<number> {
  const fut = new Future<number>();
  fut.setResult(value);
  return fut;
}

// Wrapped: an async function returning a Task would resolve to the task's result.
async function finishedTask(value: number): Promise<{ task: Task<number> }> {
  const task = createTask(() => Promise.resolve(value));
  await task;
  return { task };
}

describe("Queue items are opaque", { timeout: 10_000 }, () => {
  for (const [name, Kind] of KINDS) {
    it(`${name} get() with an item available returns a Future or Task itself, not its result`, () =>
      vrun(async () => {
        const q = new Kind();
        const fut = resolved(1);
        q.putNowait(fut);
        const got: unknown = await q.get();
        assert.equal(got, fut);
        const { task } = await finishedTask(2);
        q.putNowait(task);
        assert.equal(await q.get(), task);
        assert.equal(q.qsize(), 0);
      }));

    it(`${name} get() that waited returns the Future or Task it was handed, not its result`, () =>
      vrun(async () => {
        const q = new Kind();
        const got: unknown[] = [];
        const getter = createTask(async () => {
          got.push(await q.get());
          got.push(await q.get());
        });
        await ticks();
        const fut = resolved(1);
        const { task } = await finishedTask(2);
        q.putNowait(fut); // handed to the waiting getter
        await ticks();
        await q.put(task);
        await getter;
        assert.deepEqual(got, [fut, task]);
        assert.equal(got[0], fut);
        assert.equal(got[1], task);
      }));

    it(`${name} put() that waited for a slot delivers the Future itself`, () =>
      vrun(async () => {
        const q = new Kind(1);
        const first = resolved(1);
        const second = resolved(2);
        q.putNowait(first);
        const putter = createTask(() => q.put(second));
        await ticks();
        assert.equal(await q.get(), first);
        await putter;
        assert.equal(await q.get(), second);
      }));

    it(`${name} for await yields each Future or Task itself`, () =>
      vrun(async () => {
        const q = new Kind();
        const items = [resolved(1), (await finishedTask(2)).task, resolved(3)];
        const seen: unknown[] = [];
        const consumer = createTask(async () => {
          for await (const item of q) seen.push(item);
        });
        for (const item of items) q.putNowait(item);
        while (seen.length < items.length) await ticks();
        await ticks();
        assert.equal(q.statistics().gettersWaiting, 1);
        const late = resolved(4); // put while the consumer waits in get()
        q.putNowait(late);
        await ticks();
        q.shutdown();
        await consumer;
        assert.equal(seen.length, 4);
        for (const item of [...items, late]) assert.ok(seen.includes(item), "every future came out as itself");
      }));
  }

  it("Queue getNowait and get hand out a pending Task, which can then be awaited for its result", () =>
    vrun(async () => {
      const q = new Queue<Task<string>>();
      const release = new Future<void>();
      const task = createTask(async () => {
        await release;
        return "done";
      });
      q.putNowait(task);
      q.putNowait(task);
      const viaGet = (await q.get()) as unknown;
      assert.equal(viaGet, task);
      assert.equal(q.getNowait(), task);
      assert.equal(task.done(), false, "get() did not wait for the task");
      release.setResult();
      assert.equal(await task, "done", "the task is still awaitable for its result");
    }));

  it("Queue get() cancelled after being handed a Task gives the Task back as itself", () =>
    vrun(async () => {
      const q = new Queue<Future<number>>();
      const getter = createTask(() => q.get());
      await ticks();
      const fut = resolved(1);
      q.putNowait(fut);
      getter.cancel(); // before the getter resumed: the item goes back to the queue
      await ticks();
      assert.equal(getter.cancelled(), true);
      assert.equal(q.qsize(), 1);
      assert.equal(await q.get(), fut);
    }));

  it("Future still behaves as a thenable: await, Promise.resolve, then, Promise.all", () =>
    run(async () => {
      const q = new Queue<Future<number>>();
      const fut = resolved(5);
      q.putNowait(fut);
      assert.equal(await q.get(), fut, "kept by the queue");
      assert.equal(await fut, 5);
      assert.equal(await Promise.resolve(fut), 5);
      assert.equal(await fut.then((x) => x + 1), 6);
      assert.deepEqual(await Promise.all([fut, createTask(() => Promise.resolve(7))]), [5, 7]);
      assert.equal(typeof fut.then, "function");
    }));
});

describe("Queue debug mode warns about foreign thenables", { timeout: 10_000 }, () => {
  const thenableReports = (seen: ExceptionContext[]): ExceptionContext[] => seen.filter((c) => c.kind === "thenable-item");

  it("Queue in debug mode reports a foreign thenable once per queue, naming the queue and the fix, and not the library's own futures", async () => {
    await run(
      async () => {
        const seen = captureExceptions();
        const q = new Queue<Promise<number>>();
        const p = Promise.resolve(1);
        await q.put(p);
        q.putNowait(Promise.resolve(2));
        assert.equal(q.getNowait(), p, "getNowait() returns the promise itself");
        const reports = thenableReports(seen);
        assert.equal(reports.length, 1, "once per queue");
        assert.match(reports[0]?.message ?? "", /Queue\.put\(\): a promise was put into <Queue maxsize=0/);
        assert.match(reports[0]?.message ?? "", /\{ promise \}/);
        const other = new LifoQueue<PromiseLike<number>>();
        other.putNowait({ then: (resolve: (v: number) => void) => resolve(3) } as PromiseLike<number>);
        assert.equal(thenableReports(seen).length, 2, "another queue warns again");
        assert.match(thenableReports(seen)[1]?.message ?? "", /LifoQueue\.putNowait\(\)/);

        const own = new Queue<unknown>();
        own.putNowait(resolved(1));
        own.putNowait(createTask(() => Promise.resolve(2)));
        own.putNowait({ job: 1 });
        await ticks();
        assert.equal(thenableReports(seen).length, 2, "the library's futures and plain objects are not reported");
      },
      { debug: true },
    );
    await run(async () => {
      const seen = captureExceptions();
      assert.equal(getRunningLoop().getDebug(), false);
      new Queue<Promise<number>>().putNowait(Promise.resolve(1));
      await ticks();
      assert.deepEqual(thenableReports(seen), [], "outside debug mode nothing is reported");
    });
  });
});
