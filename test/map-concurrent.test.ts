// mapConcurrent: results and their order, the concurrency bound and lazy pulling, one task per
// call, and that whatever ends the iteration (exhaustion, break, a failure, the consumer's
// cancellation at each point of its wait, a timeout, a signal) leaves nothing running.
import { strict as assert } from "node:assert";
import {
  allTasks,
  CancelledError,
  createTask,
  currentTask,
  Event,
  getRunningLoop,
  mapConcurrent,
  sleep,
  timeout,
  TimeoutError,
  type Task,
} from "../src/index.js";
import { captureExceptions, describe, ticks, it, now, vrun } from "./helpers.js";

const T = { timeout: 10_000 };

function* naturals(log?: string[]): Generator<number> {
  try {
    for (let i = 0; ; i++) yield i;
  } finally {
    log?.push("source closed");
  }
}

async function collect<R>(iterable: AsyncIterable<R>): Promise<R[]> {
  const out: R[] = [];
  for await (const r of iterable) out.push(r);
  return out;
}

/** Only the calling task is left (the iteration's calls and feeder are all done). */
function assertNothingRunning(): void {
  const others = [...allTasks()].filter((t) => t !== currentTask());
  assert.deepEqual(
    others.map((t) => t.name),
    [],
    "tasks left running",
  );
}

describe("mapConcurrent", () => {
  it("mapConcurrent yields results in the source's order by default", T, () =>
    vrun(async () => {
      const out = await collect(mapConcurrent([3, 1, 2], async (x) => (await sleep(x), x * 10), { concurrency: 3 }));
      assert.deepEqual(out, [30, 10, 20]);
      assert.equal(now(), 3);
    }));

  it("mapConcurrent with ordered: false yields results as the calls complete", T, () =>
    vrun(async () => {
      const out = await collect(mapConcurrent([3, 1, 2], async (x) => (await sleep(x), x * 10), { concurrency: 3, ordered: false }));
      assert.deepEqual(out, [10, 20, 30]);
    }));

  it("mapConcurrent passes each item's index and accepts synchronous functions", T, () =>
    vrun(async () => {
      const out = await collect(mapConcurrent(["a", "b", "c"], (s, i) => `${s}${i}`, { concurrency: 2 }));
      assert.deepEqual(out, ["a0", "b1", "c2"]);
    }));

  it("mapConcurrent over an empty source yields nothing and starts nothing", T, () =>
    vrun(async () => {
      assert.deepEqual(await collect(mapConcurrent([], () => 1, { concurrency: 1 })), []);
      assertNothingRunning();
    }));

  it("mapConcurrent never runs more than concurrency calls at once", T, () =>
    vrun(async () => {
      let running = 0;
      let peak = 0;
      const out = await collect(
        mapConcurrent(
          Array.from({ length: 20 }, (_, i) => i),
          async (i) => {
            running++;
            peak = Math.max(peak, running);
            await sleep((i % 3) + 1);
            running--;
            return i;
          },
          { concurrency: 4 },
        ),
      );
      assert.equal(peak, 4);
      assert.equal(out.length, 20);
    }));

  it("mapConcurrent runs each call in a task of its own", T, () =>
    vrun(async () => {
      const consumer = currentTask();
      // Boxed: a function that returns a task resolves to that task's result.
      const boxes = await collect(mapConcurrent([1, 2, 3], () => ({ task: currentTask() }), { concurrency: 2 }));
      assert.equal(new Set(boxes.map((b) => b.task)).size, 3);
      for (const { task } of boxes) assert.ok(task !== null && task !== consumer);
    }));

  it("mapConcurrent pulls lazily: never more than 2 × concurrency items ahead of the consumer", T, () =>
    vrun(async () => {
      let pulled = 0;
      function* counting(): Generator<number> {
        for (let i = 0; ; i++) {
          // A bound for the test's sake: an unbounded pull would spin here synchronously forever.
          if (++pulled > 100) throw new Error("pulled far beyond the buffer");
          yield i;
        }
      }
      let consumed = 0;
      // The consumer is slower than the calls: finished results pile up only up to the buffer.
      for await (const _ of mapConcurrent(counting(), (i) => i, { concurrency: 3 })) {
        consumed++;
        await sleep(1);
        assert.ok(pulled - consumed <= 6, `pulled ${pulled}, consumed ${consumed}`);
        if (consumed === 10) break;
      }
      // Slow head of an ordered stream: the others finish, but no more than the buffer is pulled.
      pulled = 0;
      const it = mapConcurrent(counting(), async (i) => (i === 0 ? await sleep(100) : undefined), { concurrency: 3 });
      const first = it.next();
      await sleep(50);
      assert.equal(pulled, 6);
      await first;
      await it.return();
    }));

  it("mapConcurrent over an infinite source: break cancels the running calls, waits for them and closes the source", T, () =>
    vrun(async () => {
      const log: string[] = [];
      let n = 0;
      for await (const i of mapConcurrent(
        naturals(log),
        async (i) => {
          try {
            await sleep(i % 2 === 0 ? 1 : 5);
            return i;
          } catch (error) {
            assert.ok(error instanceof CancelledError);
            await sleep(0.5); // clean-up takes a while: the loop must still wait for it
            log.push(`call ${i} cleaned up`);
            throw error;
          }
        },
        { concurrency: 3, ordered: false },
      )) {
        if (++n === 4) break;
        assert.equal(typeof i, "number");
      }
      // Every cancelled call finished its clean-up before the for-await ended.
      assert.ok(log.filter((l) => l.endsWith("cleaned up")).length >= 1, log.join("\n"));
      assert.equal(log.at(-1), "source closed");
      assertNothingRunning();
    }));

  it("mapConcurrent: the first failure cancels the other calls and is rethrown once they have finished", T, () =>
    vrun(async () => {
      const exceptions = captureExceptions();
      const cancelled: number[] = [];
      const boom = new Error("item 2 failed");
      const seen: number[] = [];
      await assert.rejects(async () => {
        for await (const r of mapConcurrent(
          naturals(),
          async (i) => {
            try {
              await sleep(i === 2 ? 1 : 10);
            } catch (error) {
              cancelled.push(i);
              throw error;
            }
            if (i === 2) throw boom;
            return i;
          },
          { concurrency: 4 },
        ))
          seen.push(r);
      }, boom);
      assert.deepEqual(seen, []);
      assert.deepEqual(cancelled.sort(), [0, 1, 3]);
      assertNothingRunning();
      await ticks(2);
      assert.deepEqual(exceptions, [], "no failure reported as never retrieved");
    }));

  it("mapConcurrent: results already delivered stay delivered when a later call fails", T, () =>
    vrun(async () => {
      const seen: number[] = [];
      await assert.rejects(async () => {
        for await (const r of mapConcurrent(
          [1, 2, 3, 4],
          async (i) => {
            await sleep(i);
            if (i === 3) throw new Error("three");
            return i;
          },
          { concurrency: 1 },
        ))
          seen.push(r);
      }, /three/);
      assert.deepEqual(seen, [1, 2]);
    }));

  it("mapConcurrent: a synchronous throw in fn and a throwing source end the iteration the same way", T, () =>
    vrun(async () => {
      await assert.rejects(
        collect(
          mapConcurrent(
            [1, 2],
            (i) => {
              if (i === 2) throw new RangeError("sync");
              return i;
            },
            { concurrency: 1 },
          ),
        ),
        RangeError,
      );
      function* failing(): Generator<number> {
        yield 1;
        throw new Error("source broke");
      }
      await assert.rejects(collect(mapConcurrent(failing(), (i) => sleep(1, i), { concurrency: 2 })), /source broke/);
      assertNothingRunning();
    }));

  it("mapConcurrent: cancelling the consumer while it waits for a result cancels and awaits every call", T, () =>
    vrun(async () => {
      const finished: number[] = [];
      const consumer = createTask(async () => {
        try {
          for await (const _ of mapConcurrent(
            [1, 2, 3],
            async (i) => {
              try {
                await sleep(10);
              } finally {
                await sleep(0.1);
                finished.push(i);
              }
            },
            { concurrency: 3 },
          ));
        } catch (error) {
          // By the time the cancellation reaches the consumer's code, every call has finished.
          assert.deepEqual(finished.sort(), [1, 2, 3]);
          throw error;
        }
      });
      await sleep(1);
      consumer.cancel();
      await assert.rejects(consumer, CancelledError);
      assertNothingRunning();
    }));

  it("mapConcurrent: a consumer cancelled just after a result woke it loses nothing and leaves nothing running", T, () =>
    vrun(async () => {
      const go = new Event();
      let consumer: Task<number[]> | null = null;
      const it = mapConcurrent(
        [1, 2],
        async (i) => {
          if (i === 1) {
            await go.wait();
            // Finish and, in the same step, cancel the consumer that this completion wakes.
            consumer?.cancel();
            return i;
          }
          return sleep(10, i);
        },
        { concurrency: 2 },
      );
      consumer = createTask(() => collect(it));
      await ticks(2);
      go.set();
      await assert.rejects(consumer, CancelledError);
      assertNothingRunning();
      assert.deepEqual(await it.next(), { done: true, value: undefined });
    }));

  it("mapConcurrent: a consumer cancelled before it waits (a pending cancel) stops everything too", T, () =>
    vrun(async () => {
      let started = 0;
      const it = mapConcurrent([1, 2, 3], (i) => (started++, sleep(5, i)), { concurrency: 3 });
      const self = currentTask() as Task<unknown>;
      self.cancel(); // lands at the next library wait: next()'s
      await assert.rejects(it.next(), CancelledError);
      self.uncancel();
      assertNothingRunning();
      assert.ok(started <= 3);
    }));

  it("mapConcurrent: cancelling the consumer in its loop body closes the iteration through return()", T, () =>
    vrun(async () => {
      const finished: string[] = [];
      const consumer = createTask(async () => {
        for await (const _ of mapConcurrent(
          naturals(finished),
          async (i) => {
            try {
              return await sleep(i === 0 ? 0 : 10, i);
            } finally {
              finished.push(`call ${i}`);
            }
          },
          { concurrency: 2 },
        ))
          await sleep(100); // cancelled here
      });
      await sleep(1);
      consumer.cancel();
      await assert.rejects(consumer, CancelledError);
      assert.equal(finished.at(-1), "source closed");
      assertNothingRunning();
    }));

  it("mapConcurrent a second cancellation during the clean-up does not cut it short", T, () =>
    vrun(async () => {
      let cleaned = false;
      const consumer = createTask(() =>
        collect(
          mapConcurrent(
            [1],
            async () => {
              try {
                await sleep(10);
              } finally {
                await sleep(1);
                cleaned = true;
              }
            },
            { concurrency: 1 },
          ),
        ),
      );
      await sleep(1);
      consumer.cancel();
      await sleep(0.5);
      consumer.cancel();
      await assert.rejects(consumer, CancelledError);
      assert.equal(cleaned, true);
      assertNothingRunning();
    }));

  it("mapConcurrent: a consumer cancelled while break waits for the clean-up still gets its CancelledError", T, () =>
    vrun(async () => {
      let afterLoop = false;
      let cleaned = false;
      const consumer = createTask(async () => {
        for await (const _ of mapConcurrent(
          [0, 1],
          async (i) => {
            if (i === 0) return i;
            try {
              await sleep(10);
            } finally {
              await sleep(1);
              cleaned = true;
            }
          },
          { concurrency: 2 },
        ))
          break; // return() cancels call 1 and waits 1 s for its clean-up
        afterLoop = true;
      });
      await sleep(0.5);
      consumer.cancel();
      await assert.rejects(consumer, CancelledError);
      assert.equal(cleaned, true);
      assert.equal(afterLoop, false, "no line after the cancelled await ran");
    }));

  it("mapConcurrent inside timeout(): the deadline cancels the calls and becomes a TimeoutError", T, () =>
    vrun(async () => {
      await assert.rejects(
        timeout(2.5, () => collect(mapConcurrent(naturals(), (i) => sleep(1, i), { concurrency: 2 }))),
        TimeoutError,
      );
      assert.equal(now(), 2.5);
      assertNothingRunning();
    }));

  it("mapConcurrent: aborting options.signal ends the iteration with its reason", T, () =>
    vrun(async () => {
      const controller = new AbortController();
      const reason = new Error("stop");
      getRunningLoop().callLater(1.5, () => controller.abort(reason));
      const seen: number[] = [];
      await assert.rejects(async () => {
        for await (const r of mapConcurrent(naturals(), (i) => sleep(1, i), { concurrency: 1, signal: controller.signal })) seen.push(r);
      }, reason);
      assert.deepEqual(seen, [0]);
      assertNothingRunning();
      const aborted = AbortSignal.abort(reason);
      let called = false;
      await assert.rejects(collect(mapConcurrent([1], () => (called = true), { concurrency: 1, signal: aborted })), reason);
      assert.equal(called, false);
    }));

  it("mapConcurrent: a call cancelled from outside ends the iteration with its CancelledError", T, () =>
    vrun(async () => {
      await assert.rejects(
        collect(
          mapConcurrent(
            [1, 2],
            async (i) => {
              if (i === 1) (currentTask() as Task<unknown>).cancel("someone else");
              return sleep(1, i);
            },
            { concurrency: 2 },
          ),
        ),
        (e: unknown) => e instanceof CancelledError && e.message === "someone else",
      );
      assertNothingRunning();
    }));

  it("mapConcurrent over an async source pulls it in a task of its own and closes it on early exit", T, () =>
    vrun(async () => {
      const log: string[] = [];
      async function* ticker(): AsyncGenerator<number> {
        try {
          for (let i = 0; ; i++) {
            await sleep(1); // a library wait of the feeder task: cancellable
            yield i;
          }
        } finally {
          log.push("ticker closed");
        }
      }
      const out: number[] = [];
      for await (const r of mapConcurrent(ticker(), (i) => sleep(0.5, i * 2), { concurrency: 2 })) {
        out.push(r);
        if (out.length === 3) break;
      }
      assert.deepEqual(out, [0, 2, 4]);
      assert.deepEqual(log, ["ticker closed"]);
      assertNothingRunning();
      // A finite async source is exhausted normally.
      async function* three(): AsyncGenerator<number> {
        await sleep(0);
        yield* [1, 2, 3];
      }
      assert.deepEqual(await collect(mapConcurrent(three(), (i) => i + 1, { concurrency: 5 })), [2, 3, 4]);
    }));

  it("mapConcurrent: an async source that throws ends the iteration with its error", T, () =>
    vrun(async () => {
      async function* broken(): AsyncGenerator<number> {
        yield 1;
        await sleep(1);
        throw new Error("feed failed");
      }
      await assert.rejects(collect(mapConcurrent(broken(), (i) => sleep(10, i), { concurrency: 2 })), /feed failed/);
      assertNothingRunning();
    }));

  it("mapConcurrent: return() before the first next() starts nothing; the iterator is then done", T, () =>
    vrun(async () => {
      let called = 0;
      const it = mapConcurrent([1, 2], () => called++, { concurrency: 1 });
      assert.deepEqual(await it.return(), { done: true, value: undefined });
      assert.deepEqual(await it.next(), { done: true, value: undefined });
      assert.equal(called, 0);
      assert.equal(it[Symbol.asyncIterator](), it);
    }));

  it("mapConcurrent: next() calls made before the earlier ones settle take turns, as an async generator's do", T, () =>
    vrun(async () => {
      for (const ordered of [true, false]) {
        const it = mapConcurrent([3, 1, 2], (i) => sleep(i, i), { concurrency: 3, ordered });
        const results = await Promise.all([it.next(), it.next(), it.next(), it.next()]);
        const expected = ordered ? [3, 1, 2] : [1, 2, 3];
        assert.deepEqual(results, [...expected.map((value) => ({ done: false, value })), { done: true, value: undefined }]);
      }
      assertNothingRunning();
    }));

  it("mapConcurrent: a next() cancelled while it waits its turn ends the iteration; the call ahead of it returns done", T, () =>
    vrun(async () => {
      const log: string[] = [];
      const it = mapConcurrent(naturals(log), (i) => sleep(10, i), { concurrency: 2 });
      const ahead = it.next();
      const queued = createTask(() => it.next());
      await ticks(2);
      queued.cancel();
      await assert.rejects(queued, CancelledError);
      assert.deepEqual(await ahead, { done: true, value: undefined });
      assert.deepEqual(await it.next(), { done: true, value: undefined });
      assert.equal(log.at(-1), "source closed");
      assert.equal(now(), 0, "nothing waited for the calls to finish");
      assertNothingRunning();
    }));

  it("mapConcurrent under await using: leaving the block stops what is still running", T, () =>
    vrun(async () => {
      const log: string[] = [];
      {
        await using results = mapConcurrent(naturals(log), (i) => sleep(i, i), { concurrency: 2 });
        assert.deepEqual(await results.next(), { done: false, value: 0 });
        assert.deepEqual(await results.next(), { done: false, value: 1 });
      }
      assert.equal(log.at(-1), "source closed");
      assertNothingRunning();
    }));

  it("mapConcurrent with concurrency Infinity starts every item of a finite source at once", T, () =>
    vrun(async () => {
      const out = await collect(mapConcurrent([1, 2, 3, 4, 5], (i) => sleep(1, i), { concurrency: Infinity }));
      assert.deepEqual(out, [1, 2, 3, 4, 5]);
      assert.equal(now(), 1);
    }));

  it("mapConcurrent rejects bad arguments at once, saying what was expected", T, () => {
    const fn = (x: number): number => x;
    assert.throws(() => mapConcurrent(42 as unknown as number[], fn, { concurrency: 1 }), /iterable or async iterable source: received 42/);
    assert.throws(() => mapConcurrent(Promise.resolve([1]) as unknown as number[], fn, { concurrency: 1 }), /await the promise first/);
    assert.throws(() => mapConcurrent([1], "f" as unknown as typeof fn, { concurrency: 1 }), TypeError);
    assert.throws(() => mapConcurrent([1], fn, undefined as unknown as { concurrency: number }), /options object with concurrency/);
    assert.throws(() => mapConcurrent([1], fn, { concurrency: 0 }), (e: unknown) => e instanceof RangeError && /integer ≥ 1 or Infinity: received 0/.test(e.message));
    assert.throws(() => mapConcurrent([1], fn, { concurrency: 1.5 }), RangeError);
    assert.throws(() => mapConcurrent([1], fn, { concurrency: NaN }), RangeError);
    assert.throws(() => mapConcurrent([1], fn, { concurrency: "2" as unknown as number }), TypeError);
    assert.throws(() => mapConcurrent([1], fn, { concurrency: 1, ordered: "yes" as unknown as boolean }), /ordered to be a boolean/);
    assert.throws(() => mapConcurrent([1], fn, { concurrency: 1, signal: {} as AbortSignal }), /AbortSignal/);
  });
});
