// A cancellation lands at the await it interrupts, for every kind of await (API.md, Wave 2:
// "Cancellation lands at the await it interrupts"): once cancel() returned true, no line after
// the task's current await runs unless the task catches the CancelledError there; a task whose
// function has already returned keeps its result; a cancel is never accepted and then lost.
import { strict as assert } from "node:assert";

import {
  CancelledError,
  createTask,
  currentTask,
  Event,
  Future,
  gather,
  getRunningLoop,
  Lock,
  Queue,
  Semaphore,
  sleep,
  taskGroup,
  timeout,
  TimeoutError,
  waitFor,
  type Task,
} from "../src/index.js";
import { deferred, describe, now, outcome, test, ticks, vrun } from "./helpers.js";

const T = { timeout: 10_000 };

describe("resume point: a cancel between the wake-up and the resume", T, () => {
  test("sleep(): timer fired, task not resumed, cancel() in the same loop iteration: the await throws", () =>
    vrun(async () => {
      const steps: string[] = [];
      const loop = getRunningLoop();
      const t = createTask(async () => {
        await sleep(1);
        steps.push("after sleep");
        await Promise.resolve(); // a foreign await: the code must not get here either
        steps.push("after foreign");
      });
      await ticks();
      // Same deadline, scheduled after the sleep's timer: both run in one batch, timer first.
      loop.callAt(loop.time() + 1, () => {
        assert.equal(t.cancel(), true);
      });
      assert.equal(await outcome(t), "cancelled");
      assert.deepEqual(steps, []);
    }));

  test("awaited Task: child done, parent not resumed, cancel() lands at the parent's await", () =>
    vrun(async () => {
      const gate = new Future<void>();
      const childDone = deferred();
      const steps: string[] = [];
      const child = createTask(async () => {
        await gate;
        childDone.resolve(); // wakes the canceller before the child's outcome is recorded
        return 1;
      });
      const parent = createTask(async () => {
        const v = await child;
        steps.push(`after child ${v}`);
        return v;
      });
      const canceller = createTask(async () => {
        await childDone.promise;
        steps.push(`cancel ${String(parent.cancel())}`);
      });
      await ticks();
      gate.setResult();
      await canceller;
      assert.equal(await outcome(parent), "cancelled");
      assert.equal(await child, 1, "the child kept its result");
      assert.deepEqual(steps, ["cancel true"]);
    }));

  test("Future: set, then cancel() before the task resumed: CancelledError at that await", () =>
    vrun(async () => {
      const fut = new Future<number>();
      const steps: string[] = [];
      const t = createTask(async () => {
        steps.push(`got ${await fut}`);
      });
      await ticks();
      fut.setResult(1);
      assert.equal(t.cancel(), true);
      assert.equal(await outcome(t), "cancelled");
      assert.deepEqual(steps, []);
      assert.equal(fut.result(), 1);
    }));

  for (const kind of ["Queue.get", "Lock.acquire", "Semaphore.acquire", "Event.wait"] as const) {
    test(`${kind}: woken and cancelled in one step of another task: throws, and the grant is passed on`, () =>
      vrun(async () => {
        const q = new Queue<number>();
        const lock = new Lock();
        const sem = new Semaphore(0);
        const ev = new Event();
        const held = kind === "Lock.acquire" ? await lock.acquire() : null;
        const steps: string[] = [];
        const victim = createTask(async () => {
          if (kind === "Queue.get") steps.push(`got ${await q.get()}`);
          else if (kind === "Lock.acquire") {
            (await lock.acquire()).release();
            steps.push("locked");
          } else if (kind === "Semaphore.acquire") {
            await sem.acquire();
            steps.push("acquired");
          } else {
            await ev.wait();
            steps.push("set");
          }
        });
        await ticks();
        const waker = createTask(() => {
          if (kind === "Queue.get") q.putNowait(7);
          else if (kind === "Lock.acquire") held?.release();
          else if (kind === "Semaphore.acquire") sem.release();
          else ev.set();
          return victim.cancel();
        });
        assert.equal(await waker, true);
        assert.equal(await outcome(victim), "cancelled");
        assert.deepEqual(steps, []);
        if (kind === "Queue.get") assert.equal(q.getNowait(), 7, "the item went back to the queue");
        if (kind === "Lock.acquire") assert.equal(lock.locked(), false, "the lock was passed on, not kept");
        if (kind === "Semaphore.acquire") assert.equal(sem.locked(), false, "the permit was passed on");
      }));
  }

  test("two tasks woken together: the first one's step cancels the second before it resumes", () =>
    vrun(async () => {
      const ev = new Event();
      const steps: string[] = [];
      const tasks: Task<void>[] = [];
      const first = createTask(async () => {
        await ev.wait();
        steps.push("first resumed");
        steps.push(`cancel ${String(tasks[0]?.cancel())}`);
      });
      const second = createTask(async () => {
        await ev.wait();
        steps.push("second resumed");
      });
      tasks.push(second);
      await ticks();
      ev.set(); // wakes both; asyncio runs first's step before second's
      await first;
      assert.equal(await outcome(second), "cancelled");
      assert.deepEqual(steps, ["first resumed", "cancel true"]);
    }));
});

describe("a task whose function has returned keeps its result", T, () => {
  test("a consumer that took an item and returned it is done with the item, whoever cancels it after", () =>
    vrun(async () => {
      const q = new Queue<string>();
      const returned = deferred();
      const consumer = createTask(async () => {
        const item = await q.get();
        returned.resolve();
        return item;
      });
      const canceller = createTask(async () => {
        await returned.promise;
        return consumer.cancel();
      });
      await ticks();
      q.putNowait("item");
      assert.equal(await canceller, false, "cancel() of a task whose function returned is refused");
      assert.equal(await consumer, "item");
      assert.equal(consumer.cancelling(), 0);
    }));

  test("also when the return goes through nested async functions", () =>
    vrun(async () => {
      const q = new Queue<string>();
      const returned = deferred();
      const inner = async (): Promise<string> => q.get();
      const middle = async (): Promise<string> => {
        const v = await inner();
        returned.resolve();
        return v;
      };
      const consumer = createTask(async () => await middle());
      const canceller = createTask(async () => {
        await returned.promise;
        await Promise.resolve();
        return consumer.cancel();
      });
      await ticks();
      q.putNowait("item");
      assert.equal(await canceller, false);
      assert.equal(await consumer, "item");
    }));

  for (const sync of [false, true]) {
    test(`in a task group: a sibling that hands a consumer its item and fails (${sync ? "at once" : "in its async body"}) never loses the item`, () =>
      vrun(async () => {
        const q = new Queue<string>();
        let consumer: Task<string> | undefined;
        const err = await taskGroup(async (tg) => {
          consumer = tg.createTask(async () => q.get());
          await sleep(0);
          void tg.createTask(
            sync
              ? () => {
                  q.putNowait("item");
                  throw new Error("sibling failed");
                }
              : async () => {
                  q.putNowait("item");
                  await Promise.resolve(); // fails in a later microtask, not in the step that put the item
                  throw new Error("sibling failed");
                },
          );
        }).catch((e: unknown) => e);
        assert.ok(err instanceof Error);
        const c = consumer as Task<string>;
        if (sync) {
          // The failure is seen while the item is still only handed over: the consumer is
          // cancelled and the item goes back (nothing happened).
          assert.equal(c.cancelled(), true);
          assert.equal(q.getNowait(), "item");
        } else {
          // The consumer resumed with the item before the group reacted: it keeps it (in asyncio
          // its step would have run to the end first).
          assert.equal(c.result(), "item");
          assert.equal(q.qsize(), 0);
        }
      }));
  }

  test("a task that cancels itself and then returns still ends cancelled (test_cancel_at_end)", () =>
    vrun(async () => {
      const t: Task<number> = createTask(async () => {
        await sleep(0);
        t.cancel();
        return 12;
      });
      assert.equal(await outcome(t), "cancelled");
    }));
});

describe("a cancel is never accepted and then lost", T, () => {
  test("{ signal } abort and task.cancel() between the wake-up and the resume: the cancel is delivered", () =>
    vrun(async () => {
      const lock = new Lock();
      const guard = await lock.acquire();
      const ac = new AbortController();
      const steps: string[] = [];
      const t = createTask(async () => {
        try {
          (await lock.acquire({ signal: ac.signal })).release();
          steps.push("acquired");
        } catch (error) {
          steps.push(error instanceof CancelledError ? "CancelledError" : "abort reason");
          throw error;
        }
      });
      await ticks();
      guard.release();
      ac.abort(new Error("aborted"));
      assert.equal(t.cancel(), true);
      assert.equal(await outcome(t), "cancelled");
      assert.deepEqual(steps, ["CancelledError"]);
      assert.equal(lock.locked(), false);
    }));

  test("a signal abort that failed the wait, then cancel() before the resume: CancelledError at that await", () =>
    vrun(async () => {
      const q = new Queue<number>();
      const ac = new AbortController();
      const steps: string[] = [];
      const t = createTask(async () => {
        try {
          await q.get({ signal: ac.signal });
        } catch (error) {
          steps.push(error instanceof CancelledError ? "CancelledError" : "abort reason");
        }
        steps.push("after");
        await sleep(0);
        steps.push("after sleep");
      });
      await ticks();
      ac.abort(new Error("aborted"));
      assert.equal(t.cancel(), true);
      await outcome(t);
      // Delivered at that await (the task caught it there, so it runs on), not dropped.
      assert.deepEqual(steps, ["CancelledError", "after", "after sleep"]);
      assert.equal(t.cancelling(), 1);
    }));

  test("a timeout() whose expiry collides with a signal abort after a wake-up still fires", () =>
    vrun(async () => {
      const q = new Queue<number>();
      const ac = new AbortController();
      const loop = getRunningLoop();
      const deadline = loop.time() + 1;
      // Scheduled first with the same deadline: the put and the abort run in the timeout's batch, before it.
      loop.callAt(deadline, () => {
        q.putNowait(1);
        ac.abort(new Error("aborted"));
      });
      const started = now();
      await assert.rejects(
        timeout(1, () => q.get({ signal: ac.signal })),
        TimeoutError,
      );
      assert.equal(now() - started, 1);
      assert.equal(q.qsize(), 1, "the item went back to the queue");
    }));
});

describe("an await cycle can be cancelled", T, () => {
  test("A awaits B, B awaits A: cancel() of either ends both, without recursing for ever", () =>
    vrun(async () => {
      const tasks: Task<unknown>[] = [];
      const a = createTask(async () => {
        await sleep(0);
        return tasks[1];
      });
      const b = createTask(async () => {
        await sleep(0);
        return tasks[0];
      });
      tasks.push(a, b);
      await ticks(3);
      assert.equal(a.done() || b.done(), false, "both wait on each other");
      assert.equal(a.cancel(), true);
      assert.equal(await outcome(a), "cancelled");
      assert.equal(await outcome(b), "cancelled");
    }));

  test("a task that awaits a gather of itself: cancel() and waitFor() end it, without recursing for ever", () =>
    vrun(async () => {
      const self = createTask(async () => {
        await sleep(0);
        return await gather(currentTask() as Task<unknown>);
      });
      await ticks(3);
      assert.equal(self.done(), false, "it waits on itself");
      assert.equal(self.cancel(), true);
      assert.equal(await outcome(self), "cancelled");

      const timed = createTask(async () => {
        await sleep(0);
        return await gather(currentTask() as Task<unknown>, sleep(0));
      });
      await assert.rejects(waitFor(timed, 1), TimeoutError);
      assert.equal(now(), 1);
      assert.equal(timed.cancelled(), true);
    }));

  test("A awaits a gather of B, B awaits a gather of A: cancel() of either ends both", () =>
    vrun(async () => {
      const tasks: Task<unknown>[] = [];
      const a = createTask(async () => {
        await sleep(0);
        return await gather(tasks[1] as Task<unknown>);
      });
      const b = createTask(async () => {
        await sleep(0);
        return await gather(tasks[0] as Task<unknown>);
      });
      tasks.push(a, b);
      await ticks(3);
      assert.equal(a.done() || b.done(), false, "both wait on each other");
      assert.equal(b.cancel(), true);
      assert.equal(await outcome(a), "cancelled");
      assert.equal(await outcome(b), "cancelled");
    }));
});
