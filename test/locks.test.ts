// Lock: a port of CPython's test_locks.py LockTests (3.13), plus the guard, signals and fairness.
import { strict as assert } from "node:assert";
import { describe, it } from "./helpers.js";
import { inspect } from "node:util";
import { CancelledError, createTask, getRunningLoop, Lock, run, sleep } from "../src/index.js";
import { ticks } from "./helpers.js";

describe("Lock", () => {
  it("Lock inspect shows the state and the number of waiters", () =>
    run(async () => {
      const lock = new Lock();
      assert.equal(inspect(lock), "<Lock unlocked>");
      await lock.acquire();
      assert.equal(inspect(lock), "<Lock locked>");
      const t1 = createTask(() => lock.acquire());
      const t2 = createTask(() => lock.acquire());
      await ticks();
      assert.equal(inspect(lock), "<Lock locked waiters=2>");
      t1.cancel();
      t2.cancel();
      await ticks();
      assert.equal(inspect(lock), "<Lock locked>");
    }));

  it("Lock acquire and release toggle locked()", () =>
    run(async () => {
      const lock = new Lock();
      assert.equal(lock.locked(), false);
      const guard = await lock.acquire();
      assert.equal(lock.locked(), true);
      assert.equal(guard.holding, true);
      lock.release();
      assert.equal(lock.locked(), false);
    }));

  it("Lock acquire wakes waiters in FIFO order", () =>
    run(async () => {
      const lock = new Lock();
      const result: number[] = [];
      await lock.acquire();
      const waiter = (n: number) => async () => {
        await lock.acquire();
        result.push(n);
        return true;
      };
      const t1 = createTask(waiter(1));
      const t2 = createTask(waiter(2));
      await ticks();
      assert.deepEqual(result, []);
      lock.release();
      await ticks();
      assert.deepEqual(result, [1]);
      const t3 = createTask(waiter(3));
      await ticks();
      assert.deepEqual(result, [1]);
      lock.release();
      await ticks();
      assert.deepEqual(result, [1, 2]);
      lock.release();
      await ticks();
      assert.deepEqual(result, [1, 2, 3]);
      assert.deepEqual([await t1, await t2, await t3], [true, true, true]);
    }));

  it("Lock acquire cancelled while waiting leaves no waiter behind", () =>
    run(async () => {
      const lock = new Lock();
      await lock.acquire();
      const task = createTask(() => lock.acquire());
      await ticks();
      task.cancel();
      await assert.rejects(task, CancelledError);
      assert.deepEqual(lock.statistics(), { locked: true, tasksWaiting: 0 });
    }));

  it("Lock cancel race: a cancelled waiter at the head does not block the next one (bpo-27585)", () =>
    run(async () => {
      const lock = new Lock();
      const lockit = (blocker: Promise<void> | null) => async () => {
        await lock.acquire();
        try {
          if (blocker !== null) await blocker;
        } finally {
          lock.release();
        }
      };
      let unblock!: () => void;
      const fa = new Promise<void>((r) => (unblock = r));
      const ta = createTask(lockit(fa));
      await ticks();
      assert.equal(lock.locked(), true);
      const tb = createTask(lockit(null));
      await ticks();
      assert.equal(lock.statistics().tasksWaiting, 1);
      const tc = createTask(lockit(null));
      await ticks();
      assert.equal(lock.statistics().tasksWaiting, 2);
      unblock();
      tb.cancel();
      await ticks();
      assert.equal(ta.done(), true);
      assert.equal(tb.cancelled(), true);
      await tc;
      assert.equal(lock.locked(), false);
    }));

  it("Lock cancel + release never grants the lock twice (bpo-32734)", () =>
    run(async () => {
      const lock = new Lock();
      let lockCount = 0;
      let callCount = 0;
      const lockit = async () => {
        callCount++;
        await lock.acquire();
        lockCount++;
      };
      await lock.acquire();
      const t1 = createTask(lockit);
      const t2 = createTask(lockit);
      const t3 = createTask(lockit);
      await ticks();
      getRunningLoop().callSoon(() => {
        t1.cancel();
        lock.release();
      });
      await assert.rejects(t1, CancelledError);
      await t2;
      assert.equal(lockCount, 1);
      assert.equal(callCount, 3);
      assert.equal(t3.done(), false);
      t3.cancel();
      await ticks();
      assert.equal(t3.cancelled(), true);
      assert.deepEqual(lock.statistics(), { locked: true, tasksWaiting: 0 });
    }));

  it("Lock waiter cancelled after its wake-up is skipped and the lock goes to the next", () =>
    run(async () => {
      // CPython's test_finished_waiter_cancelled.
      const lock = new Lock();
      await lock.acquire();
      const tb = createTask(() => lock.acquire());
      await ticks();
      assert.equal(lock.statistics().tasksWaiting, 1);
      const tc = createTask(() => lock.acquire());
      tb.cancel();
      lock.release();
      await ticks();
      assert.equal(lock.locked(), true);
      assert.equal(tb.cancelled(), true);
      await tc;
    }));

  it("Lock waiter cancelled after being handed the lock passes it on and fails", () =>
    run(async () => {
      const lock = new Lock();
      const order: string[] = [];
      await lock.acquire();
      const tb = createTask(async () => {
        await lock.acquire();
        order.push("b");
      });
      const tc = createTask(async () => {
        await lock.acquire();
        order.push("c");
        lock.release();
      });
      await ticks();
      lock.release(); // hands the lock to b ...
      tb.cancel(); // ... which is cancelled before it resumes
      await assert.rejects(tb, CancelledError);
      await tc;
      assert.deepEqual(order, ["c"]);
      assert.deepEqual(lock.statistics(), { locked: false, tasksWaiting: 0 });
    }));

  it("Lock new callers never barge past a woken waiter", () =>
    run(async () => {
      const lock = new Lock();
      const order: string[] = [];
      await lock.acquire();
      const tb = createTask(async () => {
        using _ = await lock.acquire();
        order.push("b");
      });
      await ticks();
      lock.release(); // b is woken but has not resumed
      assert.equal(lock.locked(), false); // as in asyncio: nobody holds it yet
      const late = lock.acquire().then((g) => {
        order.push("late");
        g.release();
      });
      await tb;
      await late;
      assert.deepEqual(order, ["b", "late"]);
    }));

  it("Lock release of an unlocked lock throws an Error naming the problem", () => {
    const lock = new Lock();
    assert.throws(() => lock.release(), /not acquired/);
  });

  it("Lock release with no waiters unlocks", () =>
    run(async () => {
      const lock = new Lock();
      await lock.acquire();
      assert.equal(lock.locked(), true);
      lock.release();
      assert.equal(lock.locked(), false);
    }));

  it("Lock guard works with using (async with lock)", () =>
    run(async () => {
      const lock = new Lock();
      {
        using _ = await lock.acquire();
        assert.equal(lock.locked(), true);
      }
      assert.equal(lock.locked(), false);
      await assert.rejects(async () => {
        using _ = await lock.acquire();
        throw new Error("boom");
      }, /boom/);
      assert.equal(lock.locked(), false);
    }));

  it("Lock guard release twice throws and never releases another holder", () =>
    run(async () => {
      const lock = new Lock();
      const g1 = await lock.acquire();
      g1.release();
      const g2 = await lock.acquire();
      assert.throws(() => g1.release(), /already released/);
      g1[Symbol.dispose](); // a no-op after release()
      assert.equal(lock.locked(), true);
      assert.equal(g2.holding, true);
      g2.release();
      assert.equal(lock.locked(), false);
    }));

  it("Lock guard can be released early inside a using block", () =>
    run(async () => {
      const lock = new Lock();
      {
        using guard = await lock.acquire();
        guard.release();
        await lock.acquire(); // someone else's hold
      }
      assert.equal(lock.locked(), true); // the using block did not release it
    }));

  it("Lock acquire with an aborted signal fails at once and leaves the lock alone", () =>
    run(async () => {
      const lock = new Lock();
      const reason = new Error("stop");
      await assert.rejects(lock.acquire({ signal: AbortSignal.abort(reason) }), (e) => e === reason);
      assert.equal(lock.locked(), false);
    }));

  it("Lock acquire aborted by its signal while waiting leaves no waiter", () =>
    run(async () => {
      const lock = new Lock();
      await lock.acquire();
      const controller = new AbortController();
      const pending = lock.acquire({ signal: controller.signal });
      await ticks();
      controller.abort(new Error("gone"));
      await assert.rejects(pending, /gone/);
      assert.deepEqual(lock.statistics(), { locked: true, tasksWaiting: 0 });
      lock.release();
      assert.equal(lock.locked(), false);
    }));

  it("Lock acquire rejects a bad signal option with TypeError", () => {
    const lock = new Lock();
    assert.throws(() => lock.acquire({ signal: 1 as unknown as AbortSignal }), TypeError);
  });

  it("Lock acquire delivers a pending cancellation at the door without taking the lock", () =>
    run(async () => {
      const lock = new Lock();
      let release!: () => void;
      const foreign = new Promise<void>((r) => (release = r));
      const t = createTask(async () => {
        await foreign; // not a library await: cancel() is remembered
        await lock.acquire();
      });
      await ticks();
      t.cancel();
      release();
      await assert.rejects(t, CancelledError);
      assert.equal(lock.locked(), false);
    }));

  it("Lock works outside any task", async () => {
    const lock = new Lock();
    const g = await lock.acquire();
    const second = lock.acquire();
    g.release();
    (await second).release();
    assert.equal(lock.locked(), false);
  });

  it("Lock keeps mutual exclusion with a yield inside the critical section", () =>
    run(async () => {
      const lock = new Lock();
      let counter = 0;
      let inside = 0;
      const tasks = Array.from({ length: 20 }, () =>
        createTask(async () => {
          for (let i = 0; i < 20; i++) {
            using _ = await lock.acquire();
            inside++;
            assert.equal(inside, 1);
            const v = counter;
            await sleep(0);
            counter = v + 1;
            inside--;
          }
        }),
      );
      for (const t of tasks) await t;
      assert.equal(counter, 400);
      assert.deepEqual(lock.statistics(), { locked: false, tasksWaiting: 0 });
    }));
});

