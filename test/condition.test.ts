// Condition: a port of CPython's test_locks.py ConditionTests (3.13, with gh-112202: a notify
// racing a cancel is not lost), plus signals and bad input.
import { strict as assert } from "node:assert";
import { describe, it } from "./helpers.js";
import { inspect } from "node:util";
import { CancelledError, Condition, createTask, getRunningLoop, Lock, run, timeout, TimeoutError, waitFor } from "../src/index.js";
import { ticks, vrun } from "./helpers.js";

describe("Condition", () => {
  it("Condition wait and notify hand the lock over in order", () =>
    run(async () => {
      const cond = new Condition();
      const result: number[] = [];
      const c = (n: number) => async () => {
        await cond.acquire();
        if (await cond.wait()) result.push(n);
        return true;
      };
      const t1 = createTask(c(1));
      const t2 = createTask(c(2));
      const t3 = createTask(c(3));
      await ticks(2); // each takes the lock in turn and waits, releasing it
      assert.deepEqual(result, []);
      assert.equal(cond.locked(), false);

      await cond.acquire();
      cond.notify();
      await ticks();
      assert.deepEqual(result, []);
      assert.equal(cond.locked(), true);

      cond.release();
      await ticks();
      assert.deepEqual(result, [1]);
      assert.equal(cond.locked(), true);

      cond.notify(2);
      await ticks();
      assert.deepEqual(result, [1]);

      cond.release();
      await ticks();
      assert.deepEqual(result, [1, 2]);
      cond.release();
      await ticks();
      assert.deepEqual(result, [1, 2, 3]);
      assert.equal(cond.locked(), true);
      assert.deepEqual([await t1, await t2, await t3], [true, true, true]);
    }));

  it("Condition wait cancelled still returns holding the lock", () =>
    run(async () => {
      const cond = new Condition();
      await cond.acquire();
      const wait = createTask(() => cond.wait());
      getRunningLoop().callSoon(() => wait.cancel());
      await assert.rejects(wait, CancelledError);
      assert.equal(cond.statistics().tasksWaiting, 0);
      assert.equal(cond.locked(), true);
    }));

  it("Condition wait cancelled while the lock is contested re-acquires it", () =>
    run(async () => {
      const cond = new Condition();
      await cond.acquire();
      const waitTask = createTask(() => cond.wait());
      await ticks();
      assert.equal(cond.locked(), false);
      await cond.acquire();
      cond.notify();
      let accepted: boolean | undefined;
      getRunningLoop().callSoon(() => (accepted = waitTask.cancel()));
      getRunningLoop().callSoon(() => cond.release());
      // Notified but not resumed: the cancel is accepted and lands once the lock is re-acquired.
      await assert.rejects(waitTask, CancelledError);
      assert.equal(accepted, true);
      assert.equal(cond.locked(), true);
    }));

  it("Condition wait cancelled after notify, while re-acquiring, ends cancelled (bpo-32841)", () =>
    run(async () => {
      const cond = new Condition();
      let waited = false;
      const waiter = createTask(async () => {
        using _ = await cond.acquire();
        waited = true;
        await cond.wait();
      });
      await ticks();
      await cond.acquire();
      cond.notify();
      await ticks();
      waiter.cancel();
      await ticks();
      cond.release();
      await ticks();
      assert.equal(waiter.cancelled(), true);
      assert.equal(waited, true);
      assert.equal(cond.locked(), false);
    }));

  it("Condition wait without holding the lock throws", () =>
    run(async () => {
      const cond = new Condition();
      await assert.rejects(cond.wait(), /the lock is not acquired/);
    }));

  it("Condition waitFor rechecks the predicate on each notify", () =>
    run(async () => {
      const cond = new Condition();
      let presult = false;
      const result: number[] = [];
      const t = createTask(async () => {
        await cond.acquire();
        if (await cond.waitFor(() => presult)) {
          result.push(1);
          cond.release();
        }
        return true;
      });
      await ticks();
      assert.deepEqual(result, []);
      await cond.acquire();
      cond.notify();
      cond.release();
      await ticks();
      assert.deepEqual(result, []);
      presult = true;
      await cond.acquire();
      cond.notify();
      cond.release();
      await ticks();
      assert.deepEqual(result, [1]);
      assert.equal(await t, true);
    }));

  it("Condition waitFor returns a true predicate at once, even unlocked", () =>
    run(async () => {
      const cond = new Condition();
      assert.deepEqual(await cond.waitFor(() => [1, 2, 3]), [1, 2, 3]);
      await assert.rejects(cond.waitFor(() => false), /the lock is not acquired/);
      assert.throws(() => void cond.waitFor(42 as unknown as () => boolean), TypeError);
    }));

  it("Condition notify(n) and notifyAll wake that many waiters", () =>
    run(async () => {
      const cond = new Condition();
      const result: number[] = [];
      const c = (n: number) => async () => {
        await cond.acquire();
        if (await cond.wait()) {
          result.push(n);
          cond.release();
        }
        return true;
      };
      const t1 = createTask(c(1));
      const t2 = createTask(c(2));
      const t3 = createTask(c(3));
      await ticks();
      await cond.acquire();
      cond.notify(1);
      cond.release();
      await ticks();
      assert.deepEqual(result, [1]);
      await cond.acquire();
      cond.notify(1);
      cond.notify(2048);
      cond.release();
      await ticks();
      assert.deepEqual(result, [1, 2, 3]);
      await Promise.all([t1, t2, t3]);

      const t4 = createTask(c(4));
      const t5 = createTask(c(5));
      await ticks();
      await cond.acquire();
      cond.notifyAll();
      cond.release();
      await ticks();
      assert.deepEqual(result, [1, 2, 3, 4, 5]);
      await Promise.all([t4, t5]);
    }));

  it("Condition notify without the lock throws; a bad count throws RangeError", () => {
    const cond = new Condition();
    assert.throws(() => cond.notify(), /the lock is not acquired/);
    assert.throws(() => cond.notifyAll(), /the lock is not acquired/);
    assert.throws(() => cond.notify(-1), RangeError);
    assert.throws(() => cond.notify(NaN), /received NaN/);
  });

  it("Condition inspect and statistics show the lock and the waiters", () =>
    run(async () => {
      const cond = new Condition();
      assert.equal(inspect(cond), "<Condition unlocked>");
      const t = createTask(async () => {
        using _ = await cond.acquire();
        await cond.wait();
      });
      await ticks();
      assert.equal(inspect(cond), "<Condition unlocked waiters=1>");
      await cond.acquire();
      assert.equal(inspect(cond), "<Condition locked waiters=1>");
      t.cancel();
      cond.release();
      await assert.rejects(t, CancelledError);
      assert.deepEqual(cond.statistics(), { locked: false, tasksWaiting: 0, lockTasksWaiting: 0 });
    }));

  it("Condition guard works with using", () =>
    run(async () => {
      const cond = new Condition();
      {
        using _ = await cond.acquire();
        assert.equal(cond.locked(), true);
      }
      assert.equal(cond.locked(), false);
    }));

  it("Condition shares an explicit lock", () =>
    run(async () => {
      const lock = new Lock();
      const cond = new Condition(lock);
      {
        using _ = await cond.acquire();
        assert.equal(lock.locked(), true);
      }
      {
        using _ = await lock.acquire();
        assert.equal(cond.locked(), true);
      }
      assert.equal(cond.locked(), false);
      assert.throws(() => new Condition({} as Lock), TypeError);
    }));

  it("Condition wait under waitFor times out and still holds the lock", () =>
    run(async () => {
      const cond = new Condition();
      using _ = await cond.acquire();
      await assert.rejects(waitFor(() => cond.wait(), 0.01), TimeoutError);
      assert.equal(cond.locked(), true);
    }));

  it("Condition wait re-raises the very CancelledError it received", () =>
    run(async () => {
      const cond = new Condition();
      let raised: unknown = null;
      const task = createTask(async () => {
        using _ = await cond.acquire();
        try {
          await cond.waitFor(() => false);
        } catch (error) {
          raised = error;
          throw error;
        }
      });
      await ticks();
      task.cancel("foo");
      const error = await task.then(
        () => null,
        (e: unknown) => e,
      );
      assert.ok(error instanceof CancelledError);
      assert.equal(error.message, "foo");
      assert.equal(error, raised);
    }));

  it("Condition wait cancelled while re-acquiring re-raises that CancelledError", () =>
    run(async () => {
      const cond = new Condition();
      let wake = false;
      let raised: unknown = null;
      const task = createTask(async () => {
        using _ = await cond.acquire();
        try {
          await cond.waitFor(() => wake);
        } catch (error) {
          raised = error;
          throw error;
        }
      });
      await ticks();
      await cond.acquire();
      wake = true;
      cond.notify();
      await ticks();
      task.cancel("foo"); // it is waiting for the lock now
      cond.release();
      const error = await task.then(
        () => null,
        (e: unknown) => e,
      );
      assert.ok(error instanceof CancelledError);
      assert.equal(error.message, "foo");
      assert.equal(error, raised);
    }));

  for (const relock of [false, true]) {
    // On the virtual clock the 0.05 s limit passes only if every task is blocked: a lost notify.
    it(`Condition notify racing a cancel is not lost (cancel ${relock ? "while re-acquiring" : "before resuming"}, gh-112202)`, () =>
      vrun(async () => {
        const cond = new Condition();
        let state = 0;
        const consumer = async () => {
          using _ = await cond.acquire();
          for (;;) {
            await cond.waitFor(() => state !== 0);
            if (state < 0) return;
            state -= 1;
          }
        };
        const c = [createTask(consumer), createTask(consumer)];
        await ticks();
        {
          using _ = await cond.acquire();
          state += 1;
          cond.notify(1);
          if (relock) await ticks(); // the notified consumer now waits for the lock
          c[0]?.cancel();
          try {
            await timeout(0.05, () => cond.waitFor(() => state === 0));
          } catch (error) {
            if (!(error instanceof TimeoutError)) throw error;
          }
          assert.equal(state, 0);
          state = -1;
          cond.notifyAll();
        }
        await c[1];
        await assert.rejects(c[0] as Promise<unknown>, CancelledError);
      }));
  }

  it("Condition wait cancelled before any notify does not wake another waiter", () =>
    run(async () => {
      const cond = new Condition();
      const woke: number[] = [];
      const c = (n: number) => async () => {
        using _ = await cond.acquire();
        await cond.wait();
        woke.push(n);
      };
      const t1 = createTask(c(1));
      const t2 = createTask(c(2));
      await ticks();
      t1.cancel();
      await assert.rejects(t1, CancelledError);
      await ticks();
      assert.deepEqual(woke, []);
      assert.equal(cond.statistics().tasksWaiting, 1);
      {
        using _ = await cond.acquire();
        cond.notify();
      }
      await t2;
      assert.deepEqual(woke, [2]);
    }));

  it("Condition wait aborted by its signal re-acquires the lock, then rejects", () =>
    run(async () => {
      const cond = new Condition();
      await cond.acquire();
      const controller = new AbortController();
      const p = cond.wait({ signal: controller.signal });
      assert.equal(cond.locked(), false);
      controller.abort(new Error("stop"));
      await assert.rejects(p, /stop/);
      assert.equal(cond.locked(), true);
      assert.equal(cond.statistics().tasksWaiting, 0);
    }));
});
