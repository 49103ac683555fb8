// Queue, PriorityQueue, LifoQueue: a port of CPython's test_queues.py (3.13, with shutdown), plus
// cancellation races, iteration, signals and bad input.
import { strict as assert } from "node:assert";
import { describe, it } from "./helpers.js";
import { inspect } from "node:util";
import {
  CancelledError,
  createTask,
  gather,
  getRunningLoop,
  LifoQueue,
  PriorityQueue,
  Queue,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  run,
  sleep,
  taskGroup,
  TimeoutError,
  waitFor,
} from "../src/index.js";
import { ticks } from "./helpers.js";

describe("Queue basics", () => {
  it("Queue inspect shows maxsize, items, getters, putters, unfinished tasks and shutdown", () =>
    run(async () => {
      const q = new Queue<number>();
      assert.equal(inspect(q), "<Queue maxsize=0>");
      const getter = createTask(() => q.get());
      await ticks();
      assert.equal(inspect(q), "<Queue maxsize=0 getters=1>");
      q.putNowait(0);
      assert.equal(await getter, 0);
      const q1 = new Queue<number>(1);
      q1.putNowait(1);
      const putter = createTask(() => q1.put(2));
      await ticks();
      assert.equal(inspect(q1), "<Queue maxsize=1 qsize=1 putters=1 unfinished=1>");
      q1.getNowait();
      await putter;
      q1.shutdown();
      assert.equal(inspect(q1), "<Queue maxsize=1 qsize=1 unfinished=2 shutdown>");
    }));

  it("Queue empty and full follow the items", () =>
    run(async () => {
      const q = new Queue<number>();
      assert.equal(q.empty(), true);
      assert.equal(q.full(), false);
      await q.put(1);
      assert.equal(q.empty(), false);
      assert.equal(await q.get(), 1);
      assert.equal(q.empty(), true);
      const q1 = new Queue<number>(1);
      await q1.put(1);
      assert.equal(q1.full(), true);
    }));

  it("Queue keeps FIFO order", () =>
    run(async () => {
      const q = new Queue<number>();
      for (const i of [1, 3, 2]) await q.put(i);
      assert.deepEqual([await q.get(), await q.get(), await q.get()], [1, 3, 2]);
    }));

  it("Queue put blocks at maxsize until a get frees a slot", () =>
    run(async () => {
      const q = new Queue<number>(2);
      assert.equal(q.maxsize, 2);
      const havePut: number[] = [];
      const t = createTask(async () => {
        for (let i = 0; i < 3; i++) {
          await q.put(i);
          havePut.push(i);
        }
        return true;
      });
      await ticks(2);
      assert.deepEqual(havePut, [0, 1]);
      assert.equal(await q.get(), 0);
      await ticks();
      assert.deepEqual(havePut, [0, 1, 2]);
      assert.equal(await q.get(), 1);
      assert.equal(await q.get(), 2);
      assert.equal(await t, true);
    }));

  it("Queue rejects a negative, NaN or non-number maxsize", () => {
    assert.throws(() => new Queue(NaN), (e: Error) => e instanceof RangeError && /received NaN/.test(e.message));
    assert.throws(() => new Queue(-1), /received -1/);
    assert.throws(() => new Queue("3" as unknown as number), TypeError);
    assert.throws(() => new PriorityQueue(NaN), RangeError);
    assert.throws(() => new LifoQueue(-2), RangeError);
  });

  it("Queue refuses a fractional maxsize (asyncio's 1.3 would hold 2 items)", () => {
    assert.throws(() => new Queue<number>(1.3), { name: "RangeError", message: /non-negative integer.*received 1\.3/ });
  });
});

describe("Queue get", () => {
  it("Queue get returns a waiting item", () =>
    run(async () => {
      const q = new Queue<number>();
      q.putNowait(1);
      assert.equal(await q.get(), 1);
    }));

  it("Queue get with waiting putters lets the next putter in", () =>
    run(async () => {
      const q = new Queue<string>(1);
      void createTask(() => q.put("a"));
      void createTask(() => q.put("b"));
      assert.equal(await q.get(), "a");
      assert.equal(await q.get(), "b");
    }));

  it("Queue get waits for an item", () =>
    run(async () => {
      const q = new Queue<number>();
      const t = createTask(() => q.get());
      await ticks();
      assert.equal(t.done(), false);
      getRunningLoop().callLater(0.001, () => q.putNowait(1));
      assert.equal(await t, 1);
    }));

  it("Queue getNowait on an empty queue throws QueueEmpty", () => {
    const q = new Queue<number>();
    q.putNowait(1);
    assert.equal(q.getNowait(), 1);
    assert.throws(() => q.getNowait(), QueueEmpty);
  });

  it("Queue get cancelled before an item arrives lets the next getter have it", () =>
    run(async () => {
      const q = new Queue<string>();
      const t1 = createTask(() => q.get());
      const t2 = createTask(() => q.get());
      await ticks();
      t1.cancel();
      await ticks();
      assert.equal(t1.done(), true);
      await q.put("a");
      assert.equal(await t2, "a");
    }));

  it("Queue get cancelled as an item arrives loses nothing (one reader)", () =>
    run(async () => {
      const q = new Queue<number>();
      let reader = createTask(() => q.get());
      await ticks();
      q.putNowait(1); // handed to the reader ...
      q.putNowait(2);
      reader.cancel(); // ... which is cancelled before it resumes
      try {
        await reader;
      } catch (error) {
        assert.ok(error instanceof CancelledError);
        reader = createTask(() => q.get());
        await reader;
      }
      assert.equal(reader.result(), 1); // 2 would mean 1 was dropped
    }));

  it("Queue get cancelled as an item arrives wakes the next getter with it (many readers)", () =>
    run(async () => {
      const q = new Queue<number>();
      const [r1, r2, r3] = [createTask(() => q.get()), createTask(() => q.get()), createTask(() => q.get())];
      await ticks();
      q.putNowait(1);
      q.putNowait(2);
      r1.cancel();
      await assert.rejects(r1, CancelledError);
      assert.deepEqual(new Set([await r2, await r3]), new Set([1, 2]));
      assert.equal(q.statistics().tasksWaiting, 0);
    }));

  it("Queue getters that time out are not kept", () =>
    run(async () => {
      const q = new Queue<number>(5);
      await assert.rejects(waitFor(() => q.get(), 0.01), TimeoutError);
      assert.equal(q.statistics().gettersWaiting, 0);
    }));

  it("Queue producers and consumers finish with maxsize 1", () =>
    run(async () => {
      const q = new Queue<number>(1);
      const got: number[] = [];
      await taskGroup((tg) => {
        void tg.createTask(async () => {
          for (let i = 0; i < 5; i++) await q.put(i);
        });
        void tg.createTask(async () => {
          for (let i = 0; i < 5; i++) got.push(await q.get());
        });
      });
      assert.deepEqual(got, [0, 1, 2, 3, 4]);
      assert.equal(q.qsize(), 0);
    }));

  it("Queue getNowait cannot take an item handed to a woken getter", () =>
    run(async () => {
      const q = new Queue<number>();
      const t = createTask(() => q.get());
      await ticks();
      q.putNowait(7);
      assert.equal(q.empty(), true); // it belongs to the woken getter
      assert.throws(() => q.getNowait(), QueueEmpty);
      assert.equal(await t, 7);
    }));
});

describe("Queue put", () => {
  it("Queue put on an unbounded queue never blocks", () =>
    run(async () => {
      const q = new Queue<number>();
      await q.put(1);
      assert.equal(await q.get(), 1);
    }));

  it("Queue put waits for a slot", () =>
    run(async () => {
      const q = new Queue<number>(1);
      let finished = false;
      const t = createTask(async () => {
        await q.put(1);
        await q.put(2);
        finished = true;
      });
      await ticks();
      assert.equal(finished, false);
      getRunningLoop().callLater(0.001, () => q.getNowait());
      await t;
      assert.equal(finished, true);
    }));

  it("Queue putNowait on a full queue throws QueueFull", () => {
    const q = new Queue<number>(1);
    q.putNowait(1);
    assert.throws(() => q.putNowait(2), QueueFull);
  });

  it("Queue put cancelled after a slot freed inserts nothing, and a retry puts once", () =>
    run(async () => {
      const q = new Queue<number>(1);
      q.putNowait(1);
      const writer = createTask(() => q.put(2));
      await ticks();
      assert.equal(q.getNowait(), 1); // the slot is promised to the writer ...
      assert.equal(writer.cancel(), true); // ... which is cancelled before it resumes
      await assert.rejects(writer, CancelledError);
      assert.equal(q.qsize(), 0, "the cancelled put inserted nothing");
      assert.equal(q.statistics().puttersWaiting, 0);
      await createTask(() => q.put(2)); // the retry
      assert.equal(q.getNowait(), 2);
      assert.equal(q.qsize(), 0);
    }));

  it("Queue put cancelled while waiting inserts nothing and frees its place", () =>
    run(async () => {
      const q = new Queue<string>(1);
      const putA = createTask(() => q.put("a"));
      const putB = createTask(() => q.put("b"));
      const putC = createTask(() => q.put("X"));
      await ticks();
      assert.equal(putA.done(), true);
      assert.equal(putB.done(), false);
      putC.cancel();
      await ticks();
      assert.equal(putC.done(), true);
      assert.equal(q.getNowait(), "a");
      await ticks();
      assert.equal(q.getNowait(), "b");
      await putB;
      assert.equal(q.qsize(), 0);
      assert.equal(q.statistics().unfinishedTasks, 2);
    }));

  it("Queue put hands the item to a waiting getter", () =>
    run(async () => {
      const q = new Queue<string>();
      const t = createTask(() => q.get());
      await ticks();
      await q.put("a");
      assert.equal(await t, "a");
    }));

  it("Queue putters all get through a draining getter", () =>
    run(async () => {
      const q = new Queue<number>(2);
      await taskGroup((tg) => {
        void tg.createTask(async () => {
          await sleep(0);
          for (let n = q.qsize(); n > 0; n--) q.getNowait();
        });
        for (let i = 0; i < 4; i++) void tg.createTask(() => q.put(i));
      });
      // The getter took the first two; the two putters that waited for room got in after them.
      assert.deepEqual([q.getNowait(), q.getNowait()], [2, 3]);
      assert.equal(q.statistics().puttersWaiting, 0);
    }));

  it("Queue cancelled puts are not kept", () =>
    run(async () => {
      const q = new Queue<number>(1);
      q.putNowait(1);
      const put = createTask(() => q.put(1));
      await ticks();
      assert.equal(q.statistics().puttersWaiting, 1);
      put.cancel();
      await assert.rejects(put, CancelledError);
      assert.equal(q.statistics().puttersWaiting, 0);
    }));

  it("Queue put cancelled after getNowait woke it rejects with CancelledError only", () =>
    run(async () => {
      const q = new Queue<number>(1);
      q.putNowait(1);
      const put = createTask(() => q.put(1));
      await ticks();
      q.getNowait();
      put.cancel();
      await assert.rejects(put, CancelledError);
      assert.equal(q.qsize(), 0);
      assert.equal(q.full(), false);
    }));

  it("Queue putNowait cannot take a slot promised to a woken putter", () =>
    run(async () => {
      const q = new Queue<number>(1);
      q.putNowait(1);
      const put = createTask(() => q.put(2));
      await ticks();
      q.getNowait();
      assert.equal(q.full(), true);
      assert.throws(() => q.putNowait(3), QueueFull);
      await put;
      assert.equal(q.getNowait(), 2);
    }));
});

describe("LifoQueue and PriorityQueue", () => {
  it("LifoQueue returns the newest item first", () =>
    run(async () => {
      const q = new LifoQueue<number>();
      for (const i of [1, 3, 2]) await q.put(i);
      assert.deepEqual([await q.get(), await q.get(), await q.get()], [2, 3, 1]);
    }));

  it("PriorityQueue returns the smallest item first", () =>
    run(async () => {
      const q = new PriorityQueue<number>();
      for (const i of [1, 3, 2]) await q.put(i);
      assert.deepEqual([await q.get(), await q.get(), await q.get()], [1, 2, 3]);
    }));

  it("PriorityQueue keeps FIFO order among equal items, with tuples and a comparator", () => {
    const q = new PriorityQueue<[number, { id: string }]>();
    q.putNowait([2, { id: "a" }]);
    q.putNowait([1, { id: "b" }]);
    q.putNowait([2, { id: "c" }]);
    q.putNowait([1, { id: "d" }]);
    assert.deepEqual([0, 1, 2, 3].map(() => q.getNowait()[1].id), ["b", "d", "a", "c"]);
    const byPri = new PriorityQueue<{ p: number; id: number }>(0, (a, b) => b.p - a.p);
    for (let id = 0; id < 50; id++) byPri.putNowait({ p: id % 3, id });
    const out = Array.from({ length: 50 }, () => byPri.getNowait());
    for (let i = 1; i < out.length; i++) {
      const [a, b] = [out[i - 1], out[i]] as [{ p: number; id: number }, { p: number; id: number }];
      assert.ok(a.p > b.p || (a.p === b.p && a.id < b.id));
    }
  });

  it("PriorityQueue rejects items it cannot order, unchanged", () => {
    const q = new PriorityQueue<unknown>();
    q.putNowait(1);
    assert.throws(() => q.putNowait({}), TypeError);
    assert.equal(q.qsize(), 1);
    assert.equal(q.statistics().unfinishedTasks, 1);
    assert.throws(() => new PriorityQueue(0, 5 as unknown as () => number), TypeError);
  });

  it("PriorityQueue get cancelled as an item arrives puts it back in order", () =>
    run(async () => {
      const q = new PriorityQueue<number>();
      const reader = createTask(() => q.get());
      await ticks();
      q.putNowait(5);
      q.putNowait(7);
      reader.cancel();
      await assert.rejects(reader, CancelledError);
      assert.deepEqual([q.getNowait(), q.getNowait()], [5, 7]);
    }));

  // asyncio wakes a getter and lets it take the next item out when it resumes: a batch put while
  // consumers wait comes out in priority (or LIFO) order, not in the order it was put.
  for (const [Kind, first, second, rest] of [
    [PriorityQueue, 1, 2, [3]],
    [LifoQueue, 2, 1, [3]],
  ] as const) {
    it(`${Kind.name} waiting getters take the next item out when they resume, as in asyncio`, () =>
      run(async () => {
        const q = new Kind<number>();
        const getters = [createTask(() => q.get()), createTask(() => q.get())];
        await ticks();
        q.putNowait(3);
        q.putNowait(1);
        q.putNowait(2);
        assert.equal(q.qsize(), 1, "two items are promised to the woken getters");
        assert.deepEqual(await gather(...getters), [first, second]);
        assert.deepEqual([q.getNowait()], rest);
        assert.equal(q.qsize(), 0);
      }));
  }

  it("LifoQueue get cancelled after its wake-up leaves the item where it was", () =>
    run(async () => {
      const q = new LifoQueue<number>();
      const reader = createTask(() => q.get());
      await ticks();
      q.putNowait(1);
      q.putNowait(2);
      reader.cancel();
      await assert.rejects(reader, CancelledError);
      assert.equal(q.qsize(), 2);
      assert.deepEqual([q.getNowait(), q.getNowait()], [2, 1]);
    }));
});

for (const Kind of [Queue, LifoQueue, PriorityQueue]) {
  describe(`${Kind.name} join`, () => {
    it(`${Kind.name} taskDone called too often throws RangeError`, () => {
      const q = new Kind<number>();
      assert.throws(() => q.taskDone(), (e: Error) => e instanceof RangeError && /unfinished tasks: 0/.test(e.message));
    });

    it(`${Kind.name} join waits for every taskDone`, () =>
      run(async () => {
        const q = new Kind<number>();
        for (let i = 0; i < 100; i++) q.putNowait(i);
        let accumulator = 0;
        let running = true;
        const worker = async () => {
          while (running) {
            const item = await q.get();
            accumulator += item;
            q.taskDone();
          }
        };
        const tasks = [createTask(worker), createTask(worker)];
        assert.equal(await q.join(), undefined, "join() resolves to nothing, as asyncio's returns None");
        assert.equal(accumulator, 4950);
        running = false;
        for (let i = 0; i < tasks.length; i++) q.putNowait(0);
        await gather(...tasks);
      }));

    it(`${Kind.name} join on an empty queue returns at once`, () =>
      run(async () => {
        const q = new Kind<number>();
        assert.equal(await q.join(), undefined);
        await q.join();
      }));

    it(`${Kind.name} shutdown of an empty queue fails getters and later calls`, () =>
      run(async () => {
        const q = new Kind<string>();
        const getTask = createTask(() => q.get());
        await ticks();
        q.shutdown();
        assert.equal(q.qsize(), 0);
        await q.join();
        await assert.rejects(getTask, QueueShutDown);
        await assert.rejects(q.put("data"), QueueShutDown);
        assert.throws(() => q.putNowait("data"), QueueShutDown);
        await assert.rejects(q.get(), QueueShutDown);
        assert.throws(() => q.getNowait(), QueueShutDown);
      }));

    it(`${Kind.name} shutdown of a non-empty queue lets the items out, then fails`, () =>
      run(async () => {
        const q = new Kind<string>(1);
        q.putNowait("data");
        const joinTask = createTask(() => q.join());
        const putTask = createTask(() => q.put("data2"));
        await ticks();
        assert.equal(putTask.done(), false);
        q.shutdown();
        assert.equal(q.qsize(), 1);
        await assert.rejects(putTask, QueueShutDown);
        assert.equal(await q.get(), "data");
        await ticks();
        assert.equal(joinTask.done(), false);
        await assert.rejects(q.put("data"), QueueShutDown);
        await assert.rejects(q.get(), QueueShutDown);
        q.taskDone();
        await joinTask;
        assert.throws(() => q.taskDone(), RangeError);
      }));

    it(`${Kind.name} shutdown(immediate) drops the items and releases join`, () =>
      run(async () => {
        const q = new Kind<string>();
        q.putNowait("data");
        const joinTask = createTask(() => q.join());
        q.shutdown(true);
        assert.equal(q.qsize(), 0);
        await joinTask;
        await assert.rejects(q.get(), QueueShutDown);
        assert.throws(() => q.getNowait(), QueueShutDown);
        assert.throws(() => q.taskDone(), RangeError);
      }));

    it(`${Kind.name} shutdown(immediate) with unfinished tasks keeps those`, () =>
      run(async () => {
        const q = new Kind<string>();
        q.putNowait("data");
        q.putNowait("data");
        const joinTask = createTask(() => q.join());
        assert.equal(await q.get(), "data");
        q.shutdown(true);
        assert.equal(q.qsize(), 0);
        await ticks();
        assert.equal(joinTask.done(), false);
        q.taskDone();
        assert.throws(() => q.taskDone(), RangeError);
        await joinTask;
      }));

    it(`${Kind.name} for await ends after shutdown once drained`, () =>
      run(async () => {
        const q = new Kind<number>(2);
        const seen: number[] = [];
        const consumer = createTask(async () => {
          for await (const item of q) {
            seen.push(item);
            q.taskDone();
          }
        });
        for (let i = 0; i < 10; i++) await q.put(i);
        await q.join();
        q.shutdown();
        await consumer;
        assert.deepEqual([...seen].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        assert.equal(q.statistics().tasksWaiting, 0);
      }));
  });
}

describe("Queue signals", () => {
  it("Queue get and put aborted by their signal change nothing", () =>
    run(async () => {
      const q = new Queue<number>(1);
      const c1 = new AbortController();
      const g = q.get({ signal: c1.signal });
      c1.abort(new Error("no get"));
      await assert.rejects(g, /no get/);
      q.putNowait(1);
      const c2 = new AbortController();
      const p = q.put(2, { signal: c2.signal });
      await ticks();
      c2.abort(new Error("no put"));
      await assert.rejects(p, /no put/);
      assert.deepEqual([q.getNowait(), q.qsize()], [1, 0]);
      assert.equal(q.statistics().tasksWaiting, 0);
      await assert.rejects(q.join({ signal: AbortSignal.abort(new Error("no join")) }), /no join/);
    }));

  it("Queue get aborted after an item was promised to it passes the item on; put aborted after a slot was promised passes the slot on", () =>
    run(async () => {
      const q = new Queue<number>(1);
      const c1 = new AbortController();
      const late = q.get({ signal: c1.signal });
      const next = q.get();
      await ticks();
      q.putNowait(1); // promised to `late` ...
      c1.abort(new Error("late get")); // ... which is aborted before it resumes
      await assert.rejects(late, /late get/);
      assert.equal(await next, 1);
      q.putNowait(2);
      const c2 = new AbortController();
      const latePut = q.put(3, { signal: c2.signal });
      const nextPut = q.put(4);
      await ticks();
      assert.equal(q.getNowait(), 2); // the freed slot is promised to `latePut` ...
      c2.abort(new Error("late put")); // ... which is aborted before it resumes
      await assert.rejects(latePut, /late put/);
      await nextPut;
      assert.deepEqual([q.getNowait(), q.qsize()], [4, 0]);
      assert.equal(q.statistics().tasksWaiting, 0);
    }));
});
