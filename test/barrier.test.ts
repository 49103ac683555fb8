// Barrier: a port of CPython's test_locks.py BarrierTests (states, draining, cancel, reset, abort).
import { strict as assert } from "node:assert";
import { describe, it } from "./helpers.js";
import { inspect } from "node:util";
import { Barrier, BrokenBarrierError, CancelledError, createTask, gather, run, sleep } from "../src/index.js";
import { ticks } from "./helpers.js";

describe("Barrier", () => {
  it("Barrier rejects a party count below 1 or not an integer", () => {
    assert.throws(() => new Barrier(0), (e: Error) => e instanceof RangeError && /received 0/.test(e.message));
    assert.throws(() => new Barrier(-4), RangeError);
    assert.throws(() => new Barrier(1.5), RangeError);
    assert.throws(() => new Barrier("3" as unknown as number), TypeError);
  });

  it("Barrier inspect follows filling, draining, resetting and broken", () =>
    run(async () => {
      const barrier = new Barrier(5);
      assert.equal(inspect(barrier), "<Barrier filling waiters=0/5>");
      const waiters = [createTask(() => barrier.wait()), createTask(() => barrier.wait())];
      await ticks();
      assert.equal(inspect(barrier), "<Barrier filling waiters=2/5>");
      for (let i = 0; i < 3; i++) waiters.push(createTask(() => barrier.wait()));
      await sleep(0, undefined); // the last arrival releases the others: draining until they resume
      assert.equal(barrier.nWaiting, 0);
      await gather(...waiters);
      assert.equal(inspect(barrier), "<Barrier filling waiters=0/5>");
      const more = [createTask(() => barrier.wait()), createTask(() => barrier.wait())];
      await ticks();
      const resetting = barrier.reset();
      assert.equal(inspect(barrier), "<Barrier resetting waiters=0/5>");
      await resetting;
      await gather(...more, { returnExceptions: true });
      assert.equal(inspect(barrier), "<Barrier filling waiters=0/5>");
      await barrier.abort();
      assert.equal(inspect(barrier), "<Barrier broken>");
      assert.equal(barrier.broken, true);
    }));

  it("Barrier wait returns each party a distinct index", () =>
    run(async () => {
      const barrier = new Barrier(3);
      const results = await gather(...[0, 1, 2].map(() => createTask(() => barrier.wait())));
      assert.deepEqual([...results].sort(), [0, 1, 2]);
      assert.equal(barrier.nWaiting, 0);
      assert.equal(barrier.broken, false);
    }));

  it("Barrier with one party passes at once, twice", () =>
    run(async () => {
      const barrier = new Barrier(1);
      assert.equal(await barrier.wait(), 0);
      assert.equal(await barrier.wait(), 0);
      assert.equal(barrier.nWaiting, 0);
    }));

  it("Barrier fills task by task", () =>
    run(async () => {
      const barrier = new Barrier(3);
      const t1 = createTask(() => barrier.wait());
      await ticks();
      assert.equal(barrier.nWaiting, 1);
      const t2 = createTask(() => barrier.wait());
      await ticks();
      assert.equal(barrier.nWaiting, 2);
      const t3 = createTask(() => barrier.wait());
      await gather(t1, t2, t3);
      assert.equal(barrier.nWaiting, 0);
    }));

  it("Barrier can be passed twice by the same parties", () =>
    run(async () => {
      const barrier = new Barrier(5);
      const results: boolean[] = [];
      const coro = async () => {
        await barrier.wait();
        results.push(true);
        await barrier.wait();
        results.push(false);
      };
      await gather(...Array.from({ length: 5 }, () => createTask(coro)));
      assert.equal(results.filter((r) => r).length, 5);
      assert.equal(results.filter((r) => !r).length, 5);
      assert.deepEqual(barrier.statistics(), { state: "filling", parties: 5, nWaiting: 0, tasksWaiting: 0 });
    }));

  it("Barrier blocks new arrivals while it drains", () =>
    run(async () => {
      const n = 5;
      const rewait = 2;
      const barrier = new Barrier(n);
      const barrierNoWaiting = new Barrier(n - rewait);
      let rewaitN = rewait;
      const coro = async () => {
        await barrier.wait();
        if (rewaitN > 0) {
          rewaitN--;
          await barrier.wait();
        } else {
          await barrierNoWaiting.wait();
          await barrier.wait();
        }
      };
      await gather(...Array.from({ length: n }, () => createTask(coro)));
      assert.equal(barrier.nWaiting, 0);
    }));

  it("Barrier party cancelled while filling leaves nWaiting right", () =>
    run(async () => {
      const barrier = new Barrier(3);
      const results: boolean[] = [];
      const coro = async () => {
        await barrier.wait();
        results.push(true);
      };
      const t1 = createTask(coro);
      await ticks();
      const t2 = createTask(coro);
      await ticks();
      assert.equal(barrier.nWaiting, 2);
      t1.cancel();
      await ticks();
      assert.equal(barrier.nWaiting, 1);
      await assert.rejects(t1, CancelledError);
      const t3 = createTask(coro);
      await ticks();
      assert.equal(barrier.nWaiting, 2);
      const t4 = createTask(coro);
      await gather(t2, t3, t4);
      assert.equal(results.length, 3);
      assert.equal(barrier.nWaiting, 0);
      assert.equal(barrier.broken, false);
    }));

  it("Barrier party cancelled after its release does not disturb the others", () =>
    run(async () => {
      const barrier = new Barrier(2);
      const t1 = createTask(() => barrier.wait());
      await ticks();
      const t2 = createTask(async () => {
        const i = await barrier.wait(); // releases t1
        t1.cancel(); // t1 was released but has not resumed
        return i;
      });
      assert.equal(await t2, 1);
      await assert.rejects(t1, CancelledError);
      assert.deepEqual(barrier.statistics(), { state: "filling", parties: 2, nWaiting: 0, tasksWaiting: 0 });
      const again = await gather(createTask(() => barrier.wait()), createTask(() => barrier.wait()));
      assert.deepEqual(again, [0, 1]);
    }));

  it("Barrier reset with no party waiting leaves it filling", () =>
    run(async () => {
      const barrier = new Barrier(1);
      await barrier.reset();
      assert.equal(barrier.nWaiting, 0);
      assert.equal(barrier.broken, false);
    }));

  it("Barrier reset while parties wait breaks their wait, then it is usable again", () =>
    run(async () => {
      const barrier = new Barrier(3);
      const results: string[] = [];
      const coro = async () => {
        try {
          await barrier.wait();
        } catch (error) {
          assert.ok(error instanceof BrokenBarrierError);
          results.push("broken");
        }
      };
      const tasks = [createTask(coro), createTask(coro)];
      await ticks();
      assert.equal(barrier.nWaiting, 2);
      await barrier.reset();
      await gather(...tasks);
      assert.deepEqual(results, ["broken", "broken"]);
      assert.equal(barrier.nWaiting, 0);
      assert.equal(barrier.broken, false);
      await gather(...[0, 1, 2].map(() => createTask(() => barrier.wait())));
    }));

  it("Barrier abort breaks current and future waits", () =>
    run(async () => {
      const barrier = new Barrier(3);
      const t1 = createTask(() => barrier.wait());
      await ticks();
      await barrier.abort();
      await assert.rejects(t1, BrokenBarrierError);
      await assert.rejects(barrier.wait(), BrokenBarrierError);
      assert.equal(barrier.broken, true);
      await barrier.reset();
      assert.equal(barrier.broken, false);
    }));

  it("Barrier abort while half drain and half block breaks the blocked ones", () =>
    run(async () => {
      const barrier = new Barrier(2);
      const first = [createTask(() => barrier.wait()), createTask(() => barrier.wait())];
      await ticks(); // filled: draining until both resume
      const late = createTask(() => barrier.wait());
      await gather(...first);
      await ticks();
      assert.equal(barrier.nWaiting, 1);
      await barrier.abort();
      await assert.rejects(late, BrokenBarrierError);
    }));

  it("Barrier wait aborted by its signal leaves the count right", () =>
    run(async () => {
      const barrier = new Barrier(2);
      const controller = new AbortController();
      const p = barrier.wait({ signal: controller.signal });
      await ticks();
      assert.equal(barrier.nWaiting, 1);
      controller.abort(new Error("leave"));
      await assert.rejects(p, /leave/);
      assert.equal(barrier.nWaiting, 0);
    }));

  it("Barrier draining state shows until the last released party resumes (test_draining_state)", () =>
    run(async () => {
      const n = 5;
      const barrier = new Barrier(n);
      const results: boolean[] = [];
      const coro = async () => {
        await barrier.wait();
        results.push(inspect(barrier).includes("draining"));
      };
      await gather(...Array.from({ length: n }, () => createTask(coro)));
      assert.equal(results.length, n);
      assert.equal(results[n - 1], false);
      assert.ok(results.slice(0, n - 1).every((r) => r));
      assert.equal(barrier.nWaiting, 0);
      assert.equal(barrier.broken, false);
    }));

  it("Barrier reset while half the parties drain and half block (test_reset_barrier_when_tasks_half_draining_half_blocking)", () =>
    run(async () => {
      const n = 5;
      const barrier = new Barrier(n);
      const results1: boolean[] = [];
      const results2: boolean[] = [];
      const blockingTasks = Math.floor(n / 2);
      let count = 0;
      const coro = async () => {
        try {
          await barrier.wait();
        } catch (error) {
          if (!(error instanceof BrokenBarrierError)) throw error;
          results1.push(true);
          await barrier.wait();
          return;
        }
        count++;
        if (count > blockingTasks) {
          await barrier.reset();
          await barrier.wait();
        } else {
          try {
            await barrier.wait();
          } catch (error) {
            if (!(error instanceof BrokenBarrierError)) throw error;
            results2.push(true);
          }
        }
      };
      await gather(...Array.from({ length: n }, () => createTask(coro)));
      // The first drained parties wait again; the reset breaks those waits (they wait once more).
      assert.deepEqual(results1, [true, true]);
      assert.deepEqual(results2, []);
      assert.equal(barrier.nWaiting, 0);
      assert.ok(!inspect(barrier).includes("resetting"));
      assert.equal(barrier.broken, false);
    }));

  it("Barrier reset breaks the waits, which then wait again and pass (test_reset_barrier_while_tasks_waiting_and_waiting_again)", () =>
    run(async () => {
      const n = 5;
      const barrier = new Barrier(n);
      const results1: boolean[] = [];
      const results2: boolean[] = [];
      const coro1 = async () => {
        try {
          await barrier.wait();
        } catch (error) {
          if (!(error instanceof BrokenBarrierError)) throw error;
          results1.push(true);
        } finally {
          await barrier.wait();
          results2.push(true);
        }
      };
      const tasks = Array.from({ length: n - 1 }, () => createTask(coro1));
      const reset = createTask(() => barrier.reset());
      await sleep(0);
      const last = createTask(async () => {
        await barrier.wait();
        results2.push(true);
      });
      await gather(...tasks, reset, last);
      assert.equal(barrier.broken, false);
      assert.equal(results1.length, n - 1);
      assert.equal(results2.length, n);
      assert.equal(barrier.nWaiting, 0);
    }));

  it("Barrier reset by the last party out while others wait again (test_reset_barrier_while_tasks_draining)", () =>
    run(async () => {
      const n = 5;
      const barrier = new Barrier(n);
      const results1: boolean[] = [];
      const results2: boolean[] = [];
      const results3: boolean[] = [];
      let count = 0;
      const coro = async () => {
        await barrier.wait();
        count++;
        if (count === n) {
          await barrier.reset();
          await barrier.wait();
        } else {
          try {
            await barrier.wait();
            results1.push(true);
          } catch {
            results2.push(true);
          }
        }
        await barrier.wait();
        results3.push(true);
      };
      await gather(...Array.from({ length: n }, () => createTask(coro)));
      assert.equal(barrier.broken, false);
      assert.equal(results1.length, n - 1);
      assert.equal(results2.length, 0);
      assert.equal(results3.length, n);
      assert.equal(barrier.nWaiting, 0);
    }));

  it("Barrier aborted by a party that failed breaks every other wait (test_abort_barrier_when_exception)", () =>
    run(async () => {
      const n = 5;
      const barrier = new Barrier(n);
      const results1: boolean[] = [];
      const results2: boolean[] = [];
      const coro = async () => {
        try {
          const i = await barrier.wait();
          if (i === Math.floor(n / 2)) throw new Error("boom");
          await barrier.wait();
          results1.push(true);
        } catch (error) {
          if (error instanceof BrokenBarrierError) results2.push(true);
          else await barrier.abort();
        }
      };
      await gather(...Array.from({ length: n }, () => createTask(coro)));
      assert.equal(barrier.broken, true);
      assert.equal(results1.length, 0);
      assert.equal(results2.length, n - 1);
      assert.equal(barrier.nWaiting, 0);
    }));

  it("Barrier aborted, then reset once everyone left, is usable again (test_abort_barrier_when_exception_then_resetting)", () =>
    run(async () => {
      const n = 5;
      const barrier1 = new Barrier(n);
      const barrier2 = new Barrier(n);
      const results1: boolean[] = [];
      const results2: boolean[] = [];
      const results3: boolean[] = [];
      const coro = async () => {
        try {
          const i = await barrier1.wait();
          if (i === Math.floor(n / 2)) throw new Error("boom");
          await barrier1.wait();
          results1.push(true);
        } catch (error) {
          if (error instanceof BrokenBarrierError) results2.push(true);
          else await barrier1.abort();
        }
        const i = await barrier2.wait();
        if (i === Math.floor(n / 2)) await barrier1.reset();
        await barrier2.wait();
        await barrier1.wait();
        results3.push(true);
      };
      await gather(...Array.from({ length: n }, () => createTask(coro)));
      assert.equal(barrier1.broken, false);
      assert.equal(results1.length, 0);
      assert.equal(results2.length, n - 1);
      assert.equal(results3.length, n);
      assert.equal(barrier1.nWaiting, 0);
    }));
});
