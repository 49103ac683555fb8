// Port of the gather tests of CPython's test_tasks.py (FutureGatherTests, CoroutineGatherTests,
// test_cancel_gather_1/2, test_exception_marking) in TypeScript idiom: functions stand in for
// coroutine objects, the options object comes last.
import { strict as assert } from "node:assert";
import { describe, test } from "./helpers.js";

import { CancelledError, createTask, Future, gather, getRunningLoop, run, sleep, type Task } from "../src/index.js";
import { captureExceptions, now, startProbe, ticks, vrun } from "./helpers.js";

type Wrap = (...fs: Future<number>[]) => Array<Future<number> | (() => Promise<number>)>;

const asFutures: Wrap = (...fs) => fs;
const asFunctions: Wrap = (...fs) => fs.map((f) => async () => await f);

function callbackRecorder(): { calls: unknown[]; cb: (f: unknown) => void } {
  const calls: unknown[] = [];
  return { calls, cb: (f) => calls.push(f) };
}

for (const [kind, wrap] of [
  ["futures", asFutures],
  ["functions", asFunctions],
] as const) {
  describe(`gather of ${kind}`, () => {
    for (const returnExceptions of [undefined, false, true]) {
      test(`gather resolves with results in argument order (returnExceptions: ${String(returnExceptions)})`, () =>
        run(async () => {
          const [a, b, c] = [new Future<number>(), new Future<number>(), new Future<number>()];
          const args = wrap(a, b, c);
          const fut = returnExceptions === undefined ? gather(...args) : gather(...args, { returnExceptions });
          const { calls, cb } = callbackRecorder();
          fut.addDoneCallback(cb);
          await ticks();
          b.setResult(1);
          a.setResult(2);
          await ticks(3);
          assert.deepEqual(calls, []);
          assert.equal(fut.done(), false);
          c.setResult(3);
          await ticks(3);
          assert.deepEqual(calls, [fut]);
          assert.deepEqual(fut.result(), [2, 1, 3]);
        }));
    }

    test("gather rejects with the first failure; later outcomes change nothing", () =>
      run(async () => {
        const [a, b, c, d, e] = Array.from({ length: 5 }, () => new Future<number>());
        const fut = gather(...wrap(a!, b!, c!, d!, e!));
        const { calls, cb } = callbackRecorder();
        fut.addDoneCallback(cb);
        await ticks();
        const exc = new RangeError("zero division");
        a!.setResult(1);
        b!.setException(exc);
        await ticks(3);
        assert.equal(fut.done(), true);
        assert.deepEqual(calls, [fut]);
        assert.equal(fut.exception(), exc);
        c!.setResult(3);
        d!.cancel();
        e!.setException(new Error("runtime"));
        e!.exception();
        await ticks(3);
        assert.equal(fut.exception(), exc);
      }));

    test("gather with returnExceptions gives failures as results", () =>
      run(async () => {
        const [a, b, c, d] = Array.from({ length: 4 }, () => new Future<number>());
        const fut = gather(...wrap(a!, b!, c!, d!), { returnExceptions: true });
        const { calls, cb } = callbackRecorder();
        fut.addDoneCallback(cb);
        await ticks();
        const exc = new RangeError("zero division");
        const exc2 = new Error("runtime");
        b!.setResult(1);
        c!.setException(exc);
        a!.setResult(3);
        await ticks(3);
        assert.equal(fut.done(), false);
        d!.setException(exc2);
        await ticks(3);
        assert.equal(fut.done(), true);
        assert.deepEqual(calls, [fut]);
        assert.deepEqual(fut.result(), [3, 1, exc, exc2]);
      }));
  });
}

describe("gather", () => {
  test("gather() of nothing is a future already resolved with []", () =>
    run(async () => {
      const fut = gather();
      assert.ok(fut instanceof Future);
      assert.equal(fut.getLoop(), getRunningLoop());
      await ticks();
      assert.equal(fut.done(), true);
      assert.deepEqual(fut.result(), []);
      assert.deepEqual(await gather(), []);
    }));

  test("gather of a child future that is cancelled rejects with CancelledError, not cancelled itself", () =>
    run(async () => {
      const [a, b, c, d, e] = Array.from({ length: 5 }, () => new Future<number>());
      const fut = gather(a!, b!, c!, d!, e!);
      const { calls, cb } = callbackRecorder();
      fut.addDoneCallback(cb);
      a!.setResult(1);
      b!.cancel();
      await ticks();
      assert.equal(fut.done(), true);
      assert.deepEqual(calls, [fut]);
      assert.equal(fut.cancelled(), false);
      assert.ok(fut.exception() instanceof CancelledError);
      c!.setResult(3);
      d!.cancel();
      e!.setException(new Error());
      e!.exception();
    }));

  test("gather with returnExceptions gives a CancelledError for each cancelled child", () =>
    run(async () => {
      const [a, b, c, d, e, f] = Array.from({ length: 6 }, () => new Future<number>());
      const fut = gather(a!, b!, c!, d!, e!, f!, { returnExceptions: true });
      const { calls, cb } = callbackRecorder();
      fut.addDoneCallback(cb);
      a!.setResult(1);
      const zde = new RangeError("zde");
      b!.setException(zde);
      c!.cancel();
      await ticks();
      assert.equal(fut.done(), false);
      d!.setResult(3);
      e!.cancel();
      const rte = new Error("rte");
      f!.setException(rte);
      const res = await fut;
      assert.ok(res[2] instanceof CancelledError);
      assert.ok(res[4] instanceof CancelledError);
      assert.deepEqual([res[0], res[1], res[3], res[5]], [1, zde, 3, rte]);
      await ticks();
      assert.deepEqual(calls, [fut]);
    }));

  test("gather runs the same function once when it is passed several times (duplicate_coroutines)", () =>
    run(async () => {
      let calls = 0;
      const c = async (): Promise<string> => {
        calls++;
        await sleep(0);
        return "abc";
      };
      const d = (): Promise<string> => Promise.resolve("def");
      assert.deepEqual(await gather(c, c, d, c), ["abc", "abc", "def", "abc"]);
      assert.equal(calls, 1);
    }));

  test("gather accepts tasks, futures, promises and functions and types the tuple", () =>
    run(async () => {
      const t = createTask(() => Promise.resolve(1));
      const f = new Future<string>();
      f.setResult("two");
      const [a, b, c, d] = await gather(t, f, Promise.resolve(true), async () => {
        await sleep(0);
        return [4] as const;
      });
      const typed: [number, string, boolean, readonly [4]] = [a, b, c, d];
      assert.deepEqual(typed, [1, "two", true, [4]]);
    }));

  test("gather cancellation of the awaiting task cancels every child (cancellation_broadcast)", () =>
    run(async () => {
      let proof = 0;
      const waiter = new Future();
      const inner = async (): Promise<void> => {
        await waiter;
        proof += 1;
      };
      const child1 = createTask(inner);
      const child2 = createTask(inner);
      const box: { gatherer?: Future<unknown> } = {};
      const f = createTask(async () => {
        box.gatherer = gather(child1, child2);
        await box.gatherer;
        proof += 100;
      });
      await ticks();
      assert.equal(f.cancel(), true);
      await assert.rejects(async () => {
        await f;
      }, CancelledError);
      assert.equal(box.gatherer?.cancel(), false);
      assert.equal(waiter.cancelled(), true);
      assert.equal(child1.cancelled(), true);
      assert.equal(child2.cancelled(), true);
      await ticks();
      assert.equal(proof, 0);
    }));

  test("gather cancel() cancels its children and rejects with CancelledError", () =>
    run(async () => {
      const children = [createTask(() => sleep(10)), createTask(() => sleep(10))];
      const g = gather(...children);
      await ticks();
      assert.equal(g.cancel("stop"), true);
      await assert.rejects(
        async () => {
          await g;
        },
        (e: unknown) => e instanceof CancelledError && e.message === "stop",
      );
      assert.ok(children.every((c) => c.cancelled()));
      assert.ok(g.exception() instanceof CancelledError);
    }));

  test("gather failure does not cancel the other children", () =>
    vrun(async () => {
      const err = new Error("first");
      const slow = createTask(async () => {
        await sleep(1);
        return "slow";
      });
      await assert.rejects(
        async () => {
          await gather(() => Promise.reject(err), slow);
        },
        (e: unknown) => e === err,
      );
      assert.equal(slow.done(), false);
      assert.equal(await slow, "slow");
      assert.equal(now(), 1);
    }));

  test("gather marks every child failure retrieved (exception_marking)", async () => {
    let seen: ReturnType<typeof captureExceptions> = [];
    let outer: Task<void> | undefined;
    await run(async () => {
      seen = captureExceptions();
      const a = new Future();
      const b = new Future();
      const inner = async (f: Future): Promise<void> => {
        await f;
        throw new Error("should not be ignored");
      };
      outer = createTask(async () => {
        await gather(
          () => inner(a),
          () => inner(b),
        );
      });
      await ticks();
      a.setResult(null);
      await ticks();
      b.setResult(null);
      await ticks(2);
      assert.ok(outer.exception() instanceof Error);
    });
    assert.deepEqual(
      seen.map((c) => c.message),
      [],
    );
  });

  test("gather refuses to be cancelled once all children are done (cancel_gather_1, bpo-26923)", () =>
    run(async () => {
      const fut = new Future<number>();
      const g = gather(async () => await fut);
      await ticks();
      let cancelResult: boolean | null = null;
      fut.addDoneCallback(() => {
        cancelResult = g.cancel();
      });
      fut.setResult(42);
      assert.deepEqual(await g, [42]);
      await ticks();
      assert.equal(cancelResult, false);
      assert.equal(g.cancelled(), false);
      assert.deepEqual(g.result(), [42]);
    }));

  for (const message of [undefined, "my message"]) {
    test(`gather passes the task's cancel(${String(message)}) message to the awaiting task (cancel_gather_2)`, () =>
      vrun(async () => {
        const qwe = createTask(async () => {
          let time = 0;
          while (true) {
            time += 0.05;
            await gather(sleep(0.05), { returnExceptions: true });
            if (time > 1) return;
          }
        });
        await sleep(0.2);
        qwe.cancel(message);
        await assert.rejects(
          async () => {
            await qwe;
          },
          (e: unknown) => e instanceof CancelledError && e.message === (message ?? ""),
        );
      }));
  }

  test("gather works outside any task", async () => {
    assert.deepEqual(await gather(Promise.resolve(1), () => Promise.resolve(2)), [1, 2]);
  });

  test("gather rejects arguments that are not awaitable with a TypeError", () =>
    run(() => {
      assert.throws(() => gather(42 as never), { name: "TypeError", message: /expects/ });
      const fn = (): Promise<string> => Promise.resolve("abc");
      assert.throws(() => gather(fn, 42 as never), TypeError);
      assert.throws(() => gather(fn, { returnExceptions: true } as never, fn), { name: "TypeError", message: /options/ });
      for (const bad of [1, "false", null]) {
        assert.throws(() => gather(fn, { returnExceptions: bad as never }), {
          name: "TypeError",
          message: /^gather\(\) expects options\.returnExceptions to be a boolean: received /,
        });
      }
    }));

  test("gather of a thenable whose then() throws rejects with that error instead of throwing", () =>
    vrun(async () => {
      const broken = {
        then(): never {
          throw new Error("then() threw");
        },
      } as unknown as PromiseLike<number>;
      let gathered: Future<unknown> | undefined;
      assert.doesNotThrow(() => {
        gathered = gather(() => sleep(0, 1), broken);
      });
      await assert.rejects(gathered as Future<unknown>, { message: "then() threw" });
      const [r1, r2] = await gather(() => sleep(0, 1), broken, { returnExceptions: true });
      assert.equal(r1, 1);
      assert.ok(r2 instanceof Error && r2.message === "then() threw");
    }));

  test("gather with a bad argument starts none of the functions before it", () =>
    vrun(async () => {
      const { fn, assertNothingStarted } = startProbe();
      assert.throws(() => gather(fn, () => fn(), 42 as never), { name: "TypeError", message: /argument 2/ });
      assert.throws(() => gather(fn, {} as never, fn), { name: "TypeError", message: /options/ });
      await assertNothingStarted();
    }));
});
