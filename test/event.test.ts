// Event: a port of CPython's test_locks.py EventTests, plus late cancellation and signals.
import { strict as assert } from "node:assert";
import { describe, it } from "./helpers.js";
import { inspect } from "node:util";
import { CancelledError, createTask, Event, getRunningLoop, run } from "../src/index.js";
import { ticks } from "./helpers.js";

describe("Event", () => {
  it("Event inspect shows set/unset and waiters", () =>
    run(async () => {
      const ev = new Event();
      assert.equal(inspect(ev), "<Event unset>");
      const t = createTask(() => ev.wait());
      await ticks();
      assert.equal(inspect(ev), "<Event unset waiters=1>");
      ev.set();
      assert.equal(inspect(ev), "<Event set>");
      assert.equal(await t, true);
    }));

  it("Event wait blocks until set and wakes every waiter", () =>
    run(async () => {
      const ev = new Event();
      assert.equal(ev.isSet(), false);
      const result: number[] = [];
      const c = (n: number) => async () => {
        if (await ev.wait()) result.push(n);
      };
      const t1 = createTask(c(1));
      const t2 = createTask(c(2));
      await ticks();
      assert.deepEqual(result, []);
      const t3 = createTask(c(3));
      ev.set();
      await ticks();
      assert.deepEqual(result, [1, 2, 3]); // t3 starts after set() and finds it set
      await t1;
      await t2;
      await t3;
    }));

  it("Event wait on a set event returns true at once", () =>
    run(async () => {
      const ev = new Event();
      ev.set();
      assert.equal(await ev.wait(), true);
    }));

  it("Event wait cancelled leaves no waiter", () =>
    run(async () => {
      const ev = new Event();
      const t = createTask(() => ev.wait());
      getRunningLoop().callSoon(() => t.cancel());
      await assert.rejects(t, CancelledError);
      assert.deepEqual(ev.statistics(), { isSet: false, tasksWaiting: 0 });
    }));

  it("Event wait cancelled after set() woke it fails with CancelledError", () =>
    run(async () => {
      const ev = new Event();
      const t = createTask(() => ev.wait());
      await ticks();
      ev.set();
      t.cancel();
      await assert.rejects(t, CancelledError);
      assert.equal(ev.isSet(), true);
    }));

  it("Event clear resets the flag", () => {
    const ev = new Event();
    ev.set();
    assert.equal(ev.isSet(), true);
    ev.clear();
    assert.equal(ev.isSet(), false);
  });

  it("Event set then clear still wakes the waiters of that set", () =>
    run(async () => {
      const ev = new Event();
      const result: number[] = [];
      const t = createTask(async () => {
        if (await ev.wait()) result.push(1);
        return true;
      });
      await ticks();
      ev.set();
      ev.clear();
      assert.equal(ev.isSet(), false);
      ev.set();
      ev.set();
      await ticks();
      assert.deepEqual(result, [1]);
      assert.equal(ev.statistics().tasksWaiting, 0);
      assert.equal(await t, true);
    }));

  it("Event wait aborted by its signal rejects with the reason", () =>
    run(async () => {
      const ev = new Event();
      const controller = new AbortController();
      const p = ev.wait({ signal: controller.signal });
      controller.abort(new Error("bye"));
      await assert.rejects(p, /bye/);
      assert.equal(ev.statistics().tasksWaiting, 0);
      await assert.rejects(ev.wait({ signal: AbortSignal.abort(new Error("early")) }), /early/);
    }));
});
