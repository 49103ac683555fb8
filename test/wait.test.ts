// Port of the wait() tests of CPython's test_tasks.py (test_wait*, test_yield_wait_does_not_shield_cancel,
// test_wait_invalid_args, test_wait_generator of 3.13).
import { strict as assert } from "node:assert";
import { describe, test } from "./helpers.js";

import {
  ALL_COMPLETED,
  CancelledError,
  createTask,
  FIRST_COMPLETED,
  FIRST_EXCEPTION,
  Future,
  sleep,
  wait,
} from "../src/index.js";
import { now, startProbe, ticks, vrun } from "./helpers.js";

describe("wait", () => {
  test("wait resolves with every task done and none pending (ALL_COMPLETED)", () =>
    vrun(async () => {
      const a = createTask(() => sleep(0.1));
      const b = createTask(() => sleep(0.15));
      const foo = async (): Promise<number> => {
        const [done, pending] = await wait([b, a]);
        assert.deepEqual(done, new Set([a, b]));
        assert.deepEqual(pending, new Set());
        return 42;
      };
      assert.equal(await createTask(foo), 42);
      assert.equal(now(), 0.15);
      assert.equal(await createTask(foo), 42, "again: takes no time");
      assert.equal(now(), 0.15);
    }));

  test("wait counts a task passed twice once (wait_duplicate_coroutines)", () =>
    vrun(async () => {
      const c = createTask(() => Promise.resolve("test"));
      const [done, pending] = await wait([c, c, createTask(() => Promise.resolve("spam"))]);
      assert.equal(pending.size, 0);
      assert.deepEqual(new Set([...done].map((f) => f.result())), new Set(["test", "spam"]));
    }));

  test("wait FIRST_COMPLETED returns when one task finishes; the others keep running", () =>
    vrun(async () => {
      const a = createTask(() => sleep(10));
      const b = createTask(() => sleep(0.1));
      const [done, pending] = await wait([b, a], { returnWhen: FIRST_COMPLETED });
      assert.deepEqual(done, new Set([b]));
      assert.deepEqual(pending, new Set([a]));
      assert.equal(a.done(), false);
      assert.equal(b.result(), undefined);
      assert.equal(now(), 0.1);
      await wait([a, b]);
      assert.equal(now(), 10);
    }));

  test("wait FIRST_COMPLETED puts every finished future in done (wait_really_done)", () =>
    vrun(async () => {
      const a = createTask(() => sleep(0));
      const b = createTask(async () => {
        await sleep(0);
        await sleep(0);
      });
      const [done, pending] = await wait([b, a], { returnWhen: FIRST_COMPLETED });
      // asyncio finds b done as well; here b may finish in the microtasks between wait() computing
      // its sets and the caller resuming, so only what is in `done` is guaranteed.
      assert.ok(done.has(a));
      assert.equal(done.size + pending.size, 2);
      for (const f of done) assert.equal(f.done(), true);
      assert.equal(a.result(), undefined);
      await b;
    }));

  test("wait FIRST_EXCEPTION returns at once when a task has already failed", () =>
    vrun(async () => {
      const a = createTask(() => sleep(10));
      const b = createTask(() => Promise.reject(new RangeError("err")));
      const [done, pending] = await wait([b, a], { returnWhen: FIRST_EXCEPTION });
      assert.deepEqual(done, new Set([b]));
      assert.deepEqual(pending, new Set([a]));
      assert.equal(now(), 0);
      a.cancel();
      await wait([a]);
    }));

  test("wait FIRST_EXCEPTION returns when a task fails while waiting", () =>
    vrun(async () => {
      const a = createTask(() => sleep(10));
      const b = createTask(async () => {
        await sleep(0.01);
        throw new RangeError("err");
      });
      const [done, pending] = await wait([b, a], { returnWhen: FIRST_EXCEPTION });
      assert.deepEqual(done, new Set([b]));
      assert.deepEqual(pending, new Set([a]));
      assert.equal(now(), 0.01);
      a.cancel();
      await wait([a]);
    }));

  test("wait FIRST_EXCEPTION waits for all when nothing fails; a cancelled task is no exception", () =>
    vrun(async () => {
      const a = createTask(() => sleep(0.1));
      const b = createTask(() => sleep(0.2));
      b.cancel();
      const [done, pending] = await wait([a, b], { returnWhen: FIRST_EXCEPTION });
      assert.deepEqual(done, new Set([a, b]));
      assert.equal(pending.size, 0);
      assert.equal(now(), 0.1);
    }));

  test("wait ALL_COMPLETED includes failed tasks in done", () =>
    vrun(async () => {
      const a = createTask(() => sleep(0.1));
      const b = createTask(async () => {
        await sleep(0.15);
        throw new RangeError("really");
      });
      const foo = async (): Promise<void> => {
        const [done, pending] = await wait([b, a], { returnWhen: ALL_COMPLETED });
        assert.equal(done.size, 2);
        assert.equal(pending.size, 0);
        assert.equal([...done].filter((f) => f.exception() !== null).length, 1);
      };
      await createTask(foo);
      assert.equal(now(), 0.15);
      await createTask(foo);
      assert.equal(now(), 0.15);
    }));

  test("wait with a timeout returns what is done; nothing is cancelled", () =>
    vrun(async () => {
      const a = createTask(() => sleep(0.1));
      const b = createTask(() => sleep(0.15));
      const [done, pending] = await wait([b, a], { timeout: 0.11 });
      assert.deepEqual(done, new Set([a]));
      assert.deepEqual(pending, new Set([b]));
      assert.equal(now(), 0.11);
      assert.equal(b.cancelled(), false);
      await wait([a, b]);
      assert.equal(b.done(), true);
      assert.equal(b.cancelled(), false);
    }));

  test("wait with a timeout equal to a task's duration (wait_concurrent_complete)", () =>
    vrun(async () => {
      const a = createTask(() => sleep(0.1));
      const b = createTask(() => sleep(0.15));
      await ticks(); // the tasks start (and arm their timers) first, as in asyncio's test
      const [done, pending] = await wait([b, a], { timeout: 0.1 });
      assert.deepEqual(done, new Set([a]));
      assert.deepEqual(pending, new Set([b]));
      assert.equal(now(), 0.1);
      await wait([a, b]);
    }));

  test("wait accepts any iterable: an iterator or a generator", () =>
    vrun(async () => {
      const a = createTask(() => sleep(0.1));
      const b = createTask(() => sleep(0.15));
      const [done, pending] = await wait([b, a][Symbol.iterator]());
      assert.deepEqual(done, new Set([a, b]));
      assert.equal(pending.size, 0);
      function* tasks(): Generator<Future<number>> {
        for (let i = 0; i < 10; i++) yield createTask(() => Promise.resolve(i));
      }
      const [done2, pending2] = await wait(tasks(), { returnWhen: ALL_COMPLETED });
      assert.equal(done2.size, 10);
      assert.equal(pending2.size, 0);
    }));

  test("wait accepts functions (started as tasks) and promises", () =>
    vrun(async () => {
      const [done, pending] = await wait([() => sleep(1, "fn"), sleep(2, "promise")]);
      assert.equal(pending.size, 0);
      assert.deepEqual(new Set([...done].map((f) => f.result())), new Set(["fn", "promise"]));
      assert.equal(now(), 2);
    }));

  test("wait cancelled in the awaiting task does not cancel the awaited tasks (yield_wait_does_not_shield_cancel)", () =>
    vrun(async () => {
      let proof = 0;
      const waiter = new Future();
      const box: { inner?: Future<void> } = {};
      const outer = createTask(async () => {
        box.inner = createTask(async () => {
          await waiter;
          proof += 1;
        });
        await wait([box.inner]);
        proof += 100;
      });
      await ticks();
      outer.cancel();
      await assert.rejects(async () => {
        await outer;
      }, CancelledError);
      waiter.setResult(null);
      await ticks(2);
      assert.equal(proof, 1);
      assert.equal(box.inner?.done(), true);
    }));

  test("wait leaves no done callback behind on the futures it watched", () =>
    vrun(async () => {
      const a = createTask(() => sleep(1));
      const b = createTask(() => sleep(2));
      // The test's own callback stays, so the internal list exists (a rename must fail here) and
      // holds exactly that one.
      const ours = (): void => undefined;
      b.addDoneCallback(ours);
      await wait([a, b], { returnWhen: FIRST_COMPLETED });
      const callbacks = (b as unknown as { callbacks?: unknown }).callbacks;
      assert.ok(Array.isArray(callbacks), `Future.callbacks should be an array, not ${String(callbacks)}`);
      assert.deepEqual(callbacks, [ours]);
      await b;
    }));
});

describe("wait bad arguments", () => {
  test("wait of a future, a promise or a non-iterable is a TypeError", () =>
    vrun(async () => {
      const fut = new Future();
      assert.throws(() => wait(fut as never), { name: "TypeError", message: /iterable/ });
      const p = sleep(0);
      assert.throws(() => wait(p as never), TypeError);
      await p;
      assert.throws(() => wait(42 as never), TypeError);
      assert.throws(() => wait([42] as never), TypeError);
    }));

  test("wait with a bad item starts none of the functions before it (a generator's too)", () =>
    vrun(async () => {
      const { fn, assertNothingStarted } = startProbe();
      assert.throws(() => wait([fn, () => fn(), 42] as never), { name: "TypeError", message: /item 2/ });
      function* items(): Generator<unknown> {
        yield fn;
        yield null;
      }
      assert.throws(() => wait(items() as never), { name: "TypeError", message: /item 1/ });
      await assertNothingStarted();
    }));

  test("wait of an empty collection is a RangeError", () =>
    vrun(() => {
      assert.throws(() => wait([]), { name: "RangeError", message: /at least one/ });
      assert.throws(() => wait(new Set<Future>()), RangeError);
    }));

  test("wait with an unknown returnWhen or a NaN timeout is a RangeError", () =>
    vrun(() => {
      const t = createTask(() => sleep(0));
      assert.throws(() => wait([t], { returnWhen: -1 as never }), { name: "RangeError", message: /returnWhen/ });
      assert.throws(() => wait([t], { timeout: NaN }), RangeError);
      return t;
    }));
});

describe("wait with a signal", () => {
  test("wait({ signal }) rejects with the signal's reason when it aborts; nothing is cancelled", () =>
    vrun(async () => {
      const controller = new AbortController();
      const t = createTask(() => sleep(10, "t"));
      const p = wait([t], { signal: controller.signal });
      await sleep(1);
      const reason = new Error("abort!");
      controller.abort(reason);
      await assert.rejects(p, (e: unknown) => e === reason);
      assert.equal(t.done(), false);
      assert.equal(now(), 1);
      // Already aborted: refused at once, and a function passed is not started.
      let started = false;
      await assert.rejects(
        wait([() => ((started = true), sleep(0))], { signal: controller.signal }),
        (e: unknown) => e === reason,
      );
      await ticks(2);
      assert.equal(started, false);
      assert.equal(await t, "t");
    }));

  test("wait({ signal }) that completes first is not disturbed by a later abort", () =>
    vrun(async () => {
      const controller = new AbortController();
      const [done, pending] = await wait([() => sleep(1, 1)], { signal: controller.signal });
      controller.abort(new Error("late"));
      assert.equal(done.size, 1);
      assert.equal(pending.size, 0);
      assert.throws(() => wait([() => sleep(0)], { signal: "x" as never }), { name: "TypeError", message: /signal/ });
    }));
});
