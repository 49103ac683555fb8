// Port of the as_completed tests of CPython's test_tasks.py (3.13: plain and async iteration).
import { strict as assert } from "node:assert";
import { describe, test } from "./helpers.js";

import { asCompleted, CancelledError, createTask, currentTask, Future, gather, getRunningLoop, sleep, TimeoutError, wait, type FinishedFuture } from "../src/index.js";
import { captureExceptions, now, startProbe, ticks, vrun } from "./helpers.js";

/**
 * asCompleted's async iterator yields the futures themselves, as asyncio does, typed without
 * `then` (FinishedFuture); this gives them back their full type, to await them.
 */
const fut = <T>(f: FinishedFuture<T>): Future<T> => f as Future<T>;

type Options = Parameters<typeof asCompleted>[1];

const forms = {
  async iterator(aws: Iterable<Future<string> | (() => Promise<string>)>, options?: Options): Promise<string[]> {
    const values: string[] = [];
    for (const p of asCompleted(aws, options)) values.push(await p);
    return values;
  },
  async asyncIterator(aws: Iterable<Future<string> | (() => Promise<string>)>, options?: Options): Promise<string[]> {
    const values: string[] = [];
    for await (const f of asCompleted(aws, options)) values.push(await fut(f));
    return values;
  },
};

describe("asCompleted", () => {
  for (const [form, collect] of Object.entries(forms)) {
    test(`asCompleted (${form}) gives results in completion order`, () =>
      vrun(async () => {
        const sleeper = async (dt: number, x: string): Promise<string> => {
          await sleep(dt);
          return x;
        };
        const res = await createTask(() =>
          collect([() => sleeper(0.01, "b"), () => sleeper(0.15, "c"), () => sleeper(0.01, "a")]),
        );
        assert.equal(now(), 0.15);
        assert.deepEqual(new Set(res.slice(0, 2)), new Set(["a", "b"]));
        assert.equal(res[2], "c");
      }));

    test(`asCompleted (${form}) with an unused timeout`, () =>
      vrun(async () => {
        const loop = getRunningLoop() as unknown as { _pendingTimers(): number };
        const reports = captureExceptions();
        const t = createTask(() => sleep(0.01, "a"));
        assert.deepEqual(await collect([t], { timeout: 1 }), ["a"]);
        assert.equal(now(), 0.01, "the last result ends the iteration, not the timeout");
        assert.equal(loop._pendingTimers(), 0, "the timeout's timer is cancelled once every result is in");
        await sleep(2);
        assert.deepEqual(reports, []);
      }));

    test(`asCompleted (${form}) runs a function passed twice once (duplicate_coroutines)`, () =>
      vrun(async () => {
        let calls = 0;
        const c = async (): Promise<string> => {
          calls++;
          await sleep(0);
          return "ham";
        };
        const res = await collect([c, c, () => Promise.resolve("spam")]);
        assert.deepEqual(new Set(res), new Set(["ham", "spam"]));
        assert.equal(res.length, 2);
        assert.equal(calls, 1);
      }));
  }

  test("asCompleted async iteration yields the original tasks, in completion order", () =>
    vrun(async () => {
      const b = createTask(() => sleep(0.2, "b"));
      const d = createTask(() => sleep(0.1, "d"));
      const out: Future<string>[] = [];
      for await (const f of asCompleted([b, () => sleep(0.3, "fn"), d])) out.push(fut(f));
      assert.equal(out.length, 3);
      assert.equal(out[0], d);
      assert.equal(out[1], b);
      assert.ok(out[2] instanceof Future, "a function comes back as the task that ran it");
      assert.equal(out[2]?.result(), "fn");
    }));

  test("asCompleted plain iteration with a timeout: late results throw TimeoutError", () =>
    vrun(async () => {
      const a = createTask(() => sleep(0.1, "a"));
      const b = createTask(() => sleep(0.15, "b"));
      const values: Array<[number, unknown]> = [];
      for (const p of asCompleted([a, b], { timeout: 0.12 })) {
        try {
          values.push([1, await p]);
        } catch (e) {
          values.push([2, e]);
        }
      }
      assert.equal(values.length, 2);
      assert.deepEqual(values[0], [1, "a"]);
      assert.equal(values[1]?.[0], 2);
      assert.ok(values[1]?.[1] instanceof TimeoutError);
      assert.equal(now(), 0.12);
      assert.equal(b.cancelled(), false, "the timeout cancels nothing");
      await wait([a, b]);
    }));

  test("asCompleted async iteration with a timeout throws TimeoutError from the loop", () =>
    vrun(async () => {
      const a = createTask(() => sleep(0.1, "a"));
      const b = createTask(() => sleep(0.15, "b"));
      const values: Array<[number, unknown]> = [];
      try {
        for await (const f of asCompleted([a, b], { timeout: 0.12 })) values.push([1, await fut(f)]);
      } catch (e) {
        values.push([2, e]);
      }
      assert.deepEqual(values[0], [1, "a"]);
      assert.equal(values[1]?.[0], 2);
      assert.ok(values[1]?.[1] instanceof TimeoutError);
      assert.equal(now(), 0.12);
      await b;
    }));

  test("asCompleted iteration can be resumed after a break", () =>
    vrun(async () => {
      for (const form of ["sync", "async"] as const) {
        const coro = (i: number) => async (): Promise<number> => {
          await sleep(0);
          return i;
        };
        const iterator = asCompleted([coro(0), coro(1), coro(2), coro(3)]);
        const collected: number[] = [];
        let iterations = 0;
        if (form === "sync") {
          for (const p of iterator) {
            collected.push(await p);
            if (++iterations === 2) break;
          }
          assert.equal(collected.length, 2);
          for (const p of iterator) collected.push(await p);
        } else {
          for await (const f of iterator) {
            collected.push(await fut(f));
            if (++iterations === 2) break;
          }
          assert.equal(collected.length, 2);
          for await (const f of iterator) collected.push(await fut(f));
        }
        assert.deepEqual(collected.sort(), [0, 1, 2, 3]);
      }
    }));

  for (const when of ["while it waits", "after it was handed a result, before it resumed"] as const) {
    test(`asCompleted: a consumer cancelled ${when} loses no result when it iterates on`, () =>
      vrun(async () => {
        for (const form of ["sync", "async"] as const) {
          const f1 = new Future<string>();
          const f2 = new Future<string>();
          const iterator = asCompleted([f1, f2]);
          const got: string[] = [];
          const consumer = createTask(async () => {
            for (;;) {
              try {
                if (form === "sync") for (const p of iterator) got.push(await p);
                else for await (const f of iterator) got.push(f.result());
                return;
              } catch (e) {
                if (!(e instanceof CancelledError)) throw e;
                currentTask()?.uncancel();
                got.push("cancelled");
              }
            }
          });
          await ticks(2);
          if (when === "while it waits") {
            // asCompleted hears of f1 through a done callback, in a later batch than the cancel.
            f1.setResult("a");
            assert.equal(consumer.cancel(), true);
          } else {
            // This callback runs after asCompleted's own, which handed f1 to the waiting consumer.
            f1.addDoneCallback(() => assert.equal(consumer.cancel(), true));
            f1.setResult("a");
          }
          await ticks(3);
          f2.setResult("b");
          await consumer;
          assert.deepEqual(got, ["cancelled", "a", "b"], form);
        }
      }));
  }

  test("asCompleted yields promises that can be awaited concurrently", () =>
    vrun(async () => {
      const futs = [...asCompleted([() => sleep(0.05, "a"), () => sleep(0.05, "b")])];
      assert.equal(futs.length, 2);
      assert.deepEqual(new Set(await gather(...futs)), new Set(["a", "b"]));
      const tasks: Future<string>[] = [];
      for await (const f of asCompleted([() => sleep(0.05, "c"), () => sleep(0.05, "d")])) tasks.push(fut(f));
      const [done] = await wait(tasks);
      assert.deepEqual(new Set([...done].map((f) => f.result())), new Set(["c", "d"]));
    }));

  test("asCompleted plain iteration: the first promise awaited gets the first result (reverse_wait)", () =>
    vrun(async () => {
      const futs = [...asCompleted([() => sleep(0.05, "a"), () => sleep(0.1, "b")])];
      assert.equal(futs.length, 2);
      assert.equal(await futs[1], "a");
      assert.equal(now(), 0.05);
      assert.equal(await futs[0], "b");
      assert.equal(now(), 0.1);
    }));

  test("asCompleted plain iteration rethrows a failure from the promise for it", () =>
    vrun(async () => {
      const err = new RangeError("bad");
      const results: unknown[] = [];
      for (const p of asCompleted([() => sleep(0.1, "ok"), () => Promise.reject(err)])) {
        try {
          results.push(await p);
        } catch (e) {
          results.push(e);
        }
      }
      assert.deepEqual(results, [err, "ok"]);
    }));

  test("asCompleted of a future, a promise or a non-iterable is a TypeError", () =>
    vrun(async () => {
      const fut = new Future();
      assert.throws(() => asCompleted(fut as never), TypeError);
      const p = sleep(0);
      assert.throws(() => asCompleted(p as never), TypeError);
      await p;
      assert.throws(() => asCompleted(42 as never), TypeError);
      assert.throws(() => asCompleted([createTask(() => sleep(0))], { timeout: NaN }), RangeError);
    }));

  test("asCompleted with a bad item starts none of the functions before it", () =>
    vrun(async () => {
      const { fn, assertNothingStarted } = startProbe();
      assert.throws(() => asCompleted([fn, 42] as never), { name: "TypeError", message: /item 1/ });
      await assertNothingStarted();
    }));
});
