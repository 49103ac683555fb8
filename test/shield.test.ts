// Port of the shield tests of CPython's test_tasks.py (3.11–3.14, including
// shield_cancel_outer_result/exception and shield_duplicate_log_once of 3.12+).
import { strict as assert } from "node:assert";
import { describe, test } from "./helpers.js";

import { CancelledError, createTask, Future, gather, run, shield, sleep } from "../src/index.js";
import { captureExceptions, ticks, vrun } from "./helpers.js";

describe("shield", () => {
  test("shield passes the inner result through", () =>
    run(async () => {
      const inner = new Future<number>();
      const outer = shield(inner);
      inner.setResult(42);
      assert.equal(await outer, 42);
    }));

  test("shield passes the inner exception through", () =>
    run(async () => {
      const inner = new Future();
      const outer = shield(inner);
      await ticks();
      const exc = new Error("expected");
      inner.setException(exc);
      await ticks();
      assert.equal(outer.exception(), exc);
    }));

  test("shield outer is cancelled when the inner future is cancelled", () =>
    run(async () => {
      const inner = new Future();
      const outer = shield(inner);
      await ticks();
      inner.cancel();
      await ticks();
      assert.equal(outer.cancelled(), true);
    }));

  test("shield outer can be cancelled; the inner future is not", () =>
    run(async () => {
      const inner = new Future();
      const outer = shield(inner);
      await ticks();
      outer.cancel();
      await ticks();
      assert.equal(outer.cancelled(), true);
      assert.equal(inner.cancelled(), false);
      assert.equal(inner.done(), false);
      inner.setResult(1);
    }));

  test("shield outer cancelled, then the inner result arrives: nothing is reported", async () => {
    let seen: ReturnType<typeof captureExceptions> = [];
    await run(async () => {
      seen = captureExceptions();
      const inner = new Future();
      const outer = shield(inner);
      await ticks();
      outer.cancel();
      await ticks();
      inner.setResult(1);
      await ticks();
    });
    assert.deepEqual(seen, []);
  });

  test("shield outer cancelled, then the inner fails: the failure is reported once", async () => {
    let seen: ReturnType<typeof captureExceptions> = [];
    const keep: Future[] = [];
    await run(async () => {
      seen = captureExceptions();
      const inner = new Future();
      keep.push(inner);
      const outer = shield(inner);
      await ticks();
      outer.cancel();
      await ticks();
      const outer2 = shield(inner);
      await ticks();
      outer2.cancel();
      await ticks();
      inner.setException(new Error("foo"));
      await ticks();
    });
    assert.equal(seen.length, 1);
    assert.equal((seen[0]?.exception as Error).message, "foo");
  });

  test("shield of a done future gives its result at once (shield_shortcut)", () =>
    run(async () => {
      const fut = new Future<number>();
      fut.setResult(42);
      assert.equal(await shield(fut), 42);
    }));

  test("shield cancelling the awaiting task does not affect the inner work (shield_effect)", () =>
    run(async () => {
      let proof = 0;
      const waiter = new Future();
      const inner = async (): Promise<void> => {
        await waiter;
        proof += 1;
      };
      const f = createTask(async () => {
        await shield(inner);
        proof += 100;
      });
      await ticks();
      f.cancel();
      await assert.rejects(async () => {
        await f;
      }, CancelledError);
      waiter.setResult(null);
      await ticks(2);
      assert.equal(proof, 1);
    }));

  test("shield of a gather: cancelling the shield leaves the gather running (shield_gather)", () =>
    run(async () => {
      const child1 = new Future<number>();
      const child2 = new Future<number>();
      const parent = gather(child1, child2);
      const outer = shield(parent);
      await ticks();
      outer.cancel();
      await ticks();
      assert.equal(outer.cancelled(), true);
      child1.setResult(1);
      child2.setResult(2);
      await ticks();
      assert.deepEqual(parent.result(), [1, 2]);
    }));

  test("gather of shields: cancelling the gather cancels the shields, not the children (gather_shield)", () =>
    run(async () => {
      const child1 = new Future<number>();
      const child2 = new Future<number>();
      const inner1 = shield(child1);
      const inner2 = shield(child2);
      const parent = gather(inner1, inner2);
      await ticks();
      parent.cancel();
      await ticks();
      assert.ok(parent.exception() instanceof CancelledError);
      assert.equal(inner1.cancelled(), true);
      assert.equal(inner2.cancelled(), true);
      assert.equal(child1.cancelled(), false);
      child1.setResult(1);
      child2.setResult(2);
      await ticks();
    }));

  test("shield of a function runs it in a new task on the running loop", () =>
    vrun(async () => {
      let ran = 0;
      const outer = shield(async () => {
        ran++;
        await sleep(1);
        return 42;
      });
      assert.equal(await outer, 42);
      assert.equal(ran, 1);
    }));

  test("shield of a task: the task runs on after the awaiting task is cancelled", () =>
    vrun(async () => {
      const inner = createTask(async () => {
        await sleep(1);
        return "done";
      });
      const waiterTask = createTask(() => shield(inner));
      await ticks();
      waiterTask.cancel();
      await assert.rejects(async () => {
        await waiterTask;
      }, CancelledError);
      assert.equal(inner.done(), false);
      assert.equal(await inner, "done");
    }));

  test("shield of a non-awaitable is a TypeError", () =>
    run(() => {
      assert.throws(() => shield(42 as never), TypeError);
    }));
});
