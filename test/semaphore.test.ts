// Semaphore and BoundedSemaphore: a port of CPython's test_locks.py SemaphoreTests (3.13, with the
// gh-90155 fairness fixes), plus guards, signals and bad input.
import { strict as assert } from "node:assert";
import { describe, it } from "./helpers.js";
import { inspect } from "node:util";
import { BoundedSemaphore, CancelledError, createTask, Event, gather, getRunningLoop, Lock, run, Semaphore, sleep, type Task } from "../src/index.js";
import { ticks } from "./helpers.js";

describe("Semaphore", () => {
  it("Semaphore with initial value 0 is locked", () => {
    assert.equal(new Semaphore(0).locked(), true);
  });

  it("Semaphore inspect shows state, value and waiters", () =>
    run(async () => {
      const sem = new Semaphore();
      assert.equal(inspect(sem), "<Semaphore unlocked value=1>");
      await sem.acquire();
      assert.equal(inspect(sem), "<Semaphore locked value=0>");
      const t = createTask(() => sem.acquire());
      await ticks();
      assert.equal(inspect(sem), "<Semaphore locked value=0 waiters=1>");
      t.cancel();
      await ticks();
      assert.equal(inspect(new BoundedSemaphore(3)), "<BoundedSemaphore unlocked value=3/3>");
    }));

  it("Semaphore defaults to one permit", () => {
    const sem = new Semaphore();
    assert.equal(sem.statistics().value, 1);
    assert.equal(sem.locked(), false);
  });

  it("Semaphore rejects a negative, fractional or non-number value", () => {
    assert.throws(() => new Semaphore(-1), (e: Error) => e instanceof RangeError && /received -1/.test(e.message));
    assert.throws(() => new Semaphore(1.5), RangeError);
    assert.throws(() => new Semaphore(NaN), /received NaN/);
    assert.throws(() => new Semaphore("2" as unknown as number), TypeError);
    assert.throws(() => new BoundedSemaphore(-2), /BoundedSemaphore/);
  });

  it("Semaphore acquire counts permits and wakes waiters as they are released", () =>
    run(async () => {
      const sem = new Semaphore(3);
      const result: number[] = [];
      await sem.acquire();
      await sem.acquire();
      assert.equal(sem.locked(), false);
      const c = (n: number) => async () => {
        await sem.acquire();
        result.push(n);
        return true;
      };
      const t1 = createTask(c(1));
      const t2 = createTask(c(2));
      const t3 = createTask(c(3));
      await ticks();
      assert.deepEqual(result, [1]);
      assert.equal(sem.locked(), true);
      assert.equal(sem.statistics().tasksWaiting, 2);
      assert.equal(sem.statistics().value, 0);
      const t4 = createTask(c(4));
      sem.release();
      sem.release();
      assert.equal(sem.statistics().value, 0);
      await ticks();
      assert.equal(sem.statistics().value, 0);
      assert.deepEqual(result, [1, 2, 3]);
      assert.equal(sem.locked(), true);
      assert.equal(sem.statistics().tasksWaiting, 1);
      assert.equal(await t1, true);
      sem.release();
      await gather(t2, t3, t4);
      assert.deepEqual(result, [1, 2, 3, 4]);
    }));

  it("Semaphore acquire cancelled while waiting leaves no waiter", () =>
    run(async () => {
      const sem = new Semaphore();
      await sem.acquire();
      const t = createTask(() => sem.acquire());
      getRunningLoop().callSoon(() => t.cancel());
      await assert.rejects(t, CancelledError);
      assert.deepEqual(sem.statistics(), { value: 0, locked: true, tasksWaiting: 0 });
    }));

  it("Semaphore waiters cancelled before their wake-up take no permit", () =>
    run(async () => {
      // CPython test_acquire_cancel_before_awoken.
      const sem = new Semaphore(0);
      const [t1, t2, t3, t4] = [0, 1, 2, 3].map(() => createTask(() => sem.acquire())) as [Task, Task, Task, Task];
      await ticks();
      t1.cancel();
      t2.cancel();
      sem.release();
      await ticks(2);
      assert.equal(t3.done(), true);
      assert.equal(t4.done(), false);
      assert.equal(sem.statistics().value, 0);
      t4.cancel();
      await ticks();
      assert.deepEqual(sem.statistics(), { value: 0, locked: true, tasksWaiting: 0 });
    }));

  it("Semaphore waiter cancelled after being handed a permit gives it back to the next waiter", () =>
    run(async () => {
      // CPython test_acquire_hang, with the cancel landing after the wake-up.
      const sem = new Semaphore(0);
      const t1 = createTask(() => sem.acquire());
      const t2 = createTask(() => sem.acquire());
      await ticks();
      sem.release(); // the permit goes to t1 ...
      t1.cancel(); // ... which is cancelled before it resumes
      await ticks(2);
      assert.equal(t1.cancelled(), true);
      assert.equal(t2.done(), true);
      assert.equal(sem.locked(), true);
      assert.deepEqual(sem.statistics(), { value: 0, locked: true, tasksWaiting: 0 });
    }));

  it("Semaphore waiter cancelled after its wake-up with nobody behind returns the permit", () =>
    run(async () => {
      const sem = new Semaphore(0);
      const t1 = createTask(() => sem.acquire());
      await ticks();
      sem.release();
      t1.cancel();
      await assert.rejects(t1, CancelledError);
      assert.deepEqual(sem.statistics(), { value: 1, locked: false, tasksWaiting: 0 });
    }));

  it("Semaphore does not hang when a waiter is cancelled after the holder releases", () =>
    run(async () => {
      // CPython test_acquire_no_hang.
      const sem = new Semaphore(1);
      const t2: { task: Task | null } = { task: null };
      const t1 = createTask(async () => {
        {
          using _ = await sem.acquire();
          await sleep(0);
        }
        t2.task?.cancel();
      });
      t2.task = createTask(async () => {
        using _ = await sem.acquire();
        assert.fail("t2 must not get the permit");
      });
      const [r1, r2] = await gather(t1, t2.task, { returnExceptions: true });
      assert.equal(r1, undefined);
      assert.ok(r2 instanceof CancelledError);
      (await sem.acquire()).release();
      assert.deepEqual(sem.statistics(), { value: 1, locked: false, tasksWaiting: 0 });
    }));

  it("BoundedSemaphore release beyond its initial value throws RangeError", () => {
    const sem = new BoundedSemaphore();
    assert.throws(() => sem.release(), (e: Error) => e instanceof RangeError && /released too many times/.test(e.message));
  });

  it("Semaphore release with no waiters unlocks", () =>
    run(async () => {
      const sem = new Semaphore();
      await sem.acquire();
      assert.equal(sem.locked(), true);
      sem.release();
      assert.equal(sem.locked(), false);
    }));

  it("Semaphore acquire keeps FIFO order across re-acquires", () =>
    run(async () => {
      const sem = new Semaphore(1);
      const result: string[] = [];
      const coro = (tag: string) => async () => {
        await sem.acquire();
        result.push(`${tag}_1`);
        await ticks(3);
        sem.release();
        await sem.acquire();
        result.push(`${tag}_2`);
        await ticks(3);
        sem.release();
      };
      await gather(createTask(coro("c1")), createTask(coro("c2")), createTask(coro("c3")));
      assert.deepEqual(result, ["c1_1", "c2_1", "c3_1", "c1_2", "c2_2", "c3_2"]);
    }));

  it("Semaphore a release burst wakes waiters in FIFO order (fifo_order_2)", () =>
    run(async () => {
      const sem = new Semaphore(1);
      const result: number[] = [];
      const t1 = createTask(async () => {
        await sem.acquire();
        result.push(1);
      });
      const t2 = createTask(async () => {
        await sem.acquire();
        result.push(2);
        sem.release();
        await sem.acquire();
        result.push(4);
      });
      const t3 = createTask(async () => {
        await sem.acquire();
        result.push(3);
      });
      await ticks();
      sem.release();
      sem.release();
      await gather(t1, t2, t3);
      assert.deepEqual(result, [1, 2, 3, 4]);
    }));

  it("Semaphore a cancelled waiter is skipped by a release burst (fifo_order_3)", () =>
    run(async () => {
      const sem = new Semaphore(0);
      const result: number[] = [];
      const c = (n: number) => async () => {
        await sem.acquire();
        result.push(n);
      };
      const t1 = createTask(c(1));
      const t2 = createTask(c(2));
      const t3 = createTask(c(3));
      await ticks();
      t1.cancel();
      await ticks();
      sem.release();
      sem.release();
      await gather(t1, t2, t3, { returnExceptions: true });
      assert.deepEqual(result, [2, 3]);
    }));

  it("Semaphore a woken waiter wakes those that queued behind it for FIFO's sake (fifo_order_4)", () =>
    run(async () => {
      const sem = new Semaphore(0);
      const result: number[] = [];
      let t4 = null as Task | null;
      const t1 = createTask(async () => {
        assert.equal(sem.statistics().value, 0);
        await sem.acquire();
        assert.equal(sem.statistics().value, 0); // it woke everyone it could
        t4 = createTask(() => {
          result.push(4);
        });
        result.push(1);
      });
      const t2 = createTask(async () => {
        sem.release();
        sem.release();
        sem.release();
        assert.equal(sem.statistics().value, 2);
        assert.equal(sem.locked(), true); // t1 was woken but has not resumed: queue behind it
        await sem.acquire();
        result.push(2);
      });
      const t3 = createTask(async () => {
        await sem.acquire();
        assert.equal(sem.locked(), true);
        result.push(3);
      });
      await gather(t1, t2, t3);
      assert.ok(t4 !== null);
      await t4;
      assert.deepEqual(result, [1, 2, 3, 4]);
    }));

  it("Semaphore guard returns its permit once, with using", () =>
    run(async () => {
      const sem = new BoundedSemaphore(2);
      {
        using _a = await sem.acquire();
        using _b = await sem.acquire();
        assert.equal(sem.locked(), true);
      }
      assert.equal(sem.statistics().value, 2);
      const g = await sem.acquire();
      g.release();
      assert.throws(() => g.release(), /already released/);
      assert.equal(sem.statistics().value, 2);
    }));

  it("Semaphore acquire aborted by its signal leaves permits and waiters unchanged", () =>
    run(async () => {
      const sem = new Semaphore(1);
      await sem.acquire();
      const controller = new AbortController();
      const p = sem.acquire({ signal: controller.signal });
      await ticks();
      controller.abort(new Error("nope"));
      await assert.rejects(p, /nope/);
      assert.deepEqual(sem.statistics(), { value: 0, locked: true, tasksWaiting: 0 });
      sem.release();
      assert.deepEqual(sem.statistics(), { value: 1, locked: false, tasksWaiting: 0 });
    }));

  it("Semaphore limits concurrency to its value", () =>
    run(async () => {
      const sem = new Semaphore(3);
      let running = 0;
      let peak = 0;
      await gather(
        ...Array.from({ length: 30 }, () =>
          createTask(async () => {
            using _ = await sem.acquire();
            running++;
            peak = Math.max(peak, running);
            await ticks(2);
            running--;
          }),
        ),
      );
      assert.equal(peak, 3);
      assert.deepEqual(sem.statistics(), { value: 3, locked: false, tasksWaiting: 0 });
    }));

  it("Semaphore a burst of wake-ups across primitives resumes waiters in wake order, late ones passing the grant on in the same pass", () =>
    run(async () => {
      const sem = new Semaphore(0);
      const lock = new Lock();
      const event = new Event();
      const order: string[] = [];
      using _held = await lock.acquire();
      const waiter = (name: string, wait: () => Promise<unknown>) =>
        createTask(async () => {
          try {
            const got = await wait();
            order.push(name);
            if (got instanceof Object && "release" in got) (got as { release(): void }).release();
          } catch (e) {
            order.push(`${name}:${e instanceof CancelledError ? "cancelled" : "error"}`);
          }
        });
      const s1 = waiter("s1", () => sem.acquire());
      const e1 = waiter("e1", () => event.wait());
      const l1 = waiter("l1", () => lock.acquire());
      const s2 = waiter("s2", () => sem.acquire());
      const s3 = waiter("s3", () => sem.acquire());
      await ticks();
      sem.release(); // s1 woken
      event.set(); // e1 woken
      _held.release(); // l1 woken
      sem.release(); // s2 woken
      s1.cancel(); // s1 is late: its permit goes to s3 in the same settle pass
      await gather(s1, e1, l1, s2, s3);
      assert.deepEqual(order, ["s1:cancelled", "e1", "l1", "s2", "s3"]);
      assert.deepEqual(sem.statistics(), { value: 2, locked: false, tasksWaiting: 0 });
      assert.equal(lock.locked(), false);
    }));
});
