// moveOnAfter / moveOnAt (Trio's move_on_after / move_on_at) and Timeout.expired(): the deadline
// cancels the body and the caller moves on with undefined; everything else propagates.
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { CancelledError, createTask, getRunningLoop, moveOnAfter, moveOnAt, sleep, timeout, TimeoutError, waitFor, type Timeout } from "../src/index.js";
import { now, vrun } from "./helpers.js";

const T = { timeout: 10_000 };

describe("moveOnAfter", () => {
  it("moveOnAfter returns { value } when the body finishes in time, undefined as a value included", T, () =>
    vrun(async () => {
      assert.deepEqual(await moveOnAfter(1, () => sleep(0.5, "done")), { value: "done" });
      assert.deepEqual(await moveOnAfter(1, () => undefined), { value: undefined });
      assert.equal(now(), 0.5);
    }));

  it("moveOnAfter returns undefined when the deadline cut the body short, after it unwound", T, () =>
    vrun(async () => {
      const log: string[] = [];
      let scope: Timeout | null = null;
      const result = await moveOnAfter(1, async (s) => {
        scope = s;
        try {
          await sleep(10);
          log.push("finished");
        } catch (error) {
          assert.ok(error instanceof CancelledError);
          assert.equal(s.expired(), true, "expired() is true once the deadline cancelled the body");
          await sleep(0.25); // clean-up
          log.push("cleaned up");
          throw error;
        }
      });
      assert.equal(result, undefined);
      assert.deepEqual(log, ["cleaned up"]);
      assert.equal(now(), 1.25);
      assert.equal((scope as Timeout | null)?.expired(), true);
    }));

  it("Timeout.expired() is false before the deadline and for a scope that finished in time", T, () =>
    vrun(async () => {
      let seen: boolean | null = null;
      let scope: Timeout | null = null;
      await timeout(1, async (s) => {
        scope = s;
        await sleep(0.5);
        seen = s.expired();
      });
      assert.equal(seen, false);
      assert.equal((scope as Timeout | null)?.expired(), false);
    }));

  it("moveOnAfter lets a TimeoutError of the body itself through (the deadline had not passed)", T, () =>
    vrun(async () => {
      await assert.rejects(
        moveOnAfter(5, () => waitFor(sleep(10), 1)),
        TimeoutError,
      );
      assert.equal(now(), 1);
    }));

  it("moveOnAfter lets the body's failure and a cancellation from outside through", T, () =>
    vrun(async () => {
      await assert.rejects(
        moveOnAfter(1, () => Promise.reject(new RangeError("bad"))),
        RangeError,
      );
      const task = createTask(() => moveOnAfter(10, () => sleep(20)));
      await sleep(1);
      task.cancel();
      await assert.rejects(task, CancelledError);
    }));

  it("moveOnAfter inside a shorter timeout(): the outer deadline still raises TimeoutError", T, () =>
    vrun(async () => {
      await assert.rejects(
        timeout(1, () => moveOnAfter(5, () => sleep(10))),
        TimeoutError,
      );
      // And the other way round: the inner move-on fires first, the outer scope carries on.
      const outer = await timeout(5, async () => [await moveOnAfter(1, () => sleep(10)), "after"]);
      assert.deepEqual(outer, [undefined, "after"]);
      assert.equal(now(), 2);
    }));

  it("moveOnAfter(null) has no deadline until the scope is rescheduled", T, () =>
    vrun(async () => {
      assert.deepEqual(await moveOnAfter(null, () => sleep(100, 1)), { value: 1 });
      const cut = await moveOnAfter(null, async (s) => {
        s.reschedule(getRunningLoop().time() + 2);
        await sleep(100);
      });
      assert.equal(cut, undefined);
      assert.equal(now(), 102);
    }));

  it("moveOnAt takes an absolute deadline on the loop's clock", T, () =>
    vrun(async () => {
      await sleep(3);
      assert.equal(await moveOnAt(4, () => sleep(10)), undefined);
      assert.equal(now(), 4);
      assert.deepEqual(await moveOnAt(5, () => "now"), { value: "now" });
    }));

  it("moveOnAfter works outside any task", T, async () => {
    assert.deepEqual(await moveOnAfter(1, () => 7), { value: 7 });
  });

  it("moveOnAfter rejects bad arguments at once", T, () => {
    assert.throws(() => moveOnAfter(NaN, () => 1), RangeError);
    assert.throws(() => moveOnAfter("1" as unknown as number, () => 1), TypeError);
    assert.throws(() => moveOnAfter(1, Promise.resolve(1) as unknown as () => number), /not a promise/);
    assert.throws(() => moveOnAt(NaN, () => 1), RangeError);
  });
});
