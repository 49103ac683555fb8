// Port of CPython's Lib/test/test_asyncio/test_waitfor.py (3.12+ semantics: waitFor is timeout()
// around the await), with WaitForShieldTests.
import { strict as assert } from "node:assert";
import { describe, test } from "./helpers.js";

import { CancelledError, createTask, Future, getRunningLoop, Queue, shield, sleep, timeout, TimeoutError, wait, waitFor, type Task } from "../src/index.js";
import { now, ticks, vrun } from "./helpers.js";

const EPSILON = 0.0001;

/** Runs for 0.2 s of loop time, ignoring cancel requests (CPython's SlowTask). */
class SlowTask {
  static readonly TASK_TIMEOUT = 0.2;
  exited = false;
  run = async (): Promise<void> => {
    const loop = getRunningLoop();
    const exitAt = loop.time() + SlowTask.TASK_TIMEOUT;
    while (true) {
      const toSleep = exitAt - loop.time();
      if (toSleep <= 0) break;
      try {
        await sleep(toSleep);
      } catch (e) {
        if (!(e instanceof CancelledError)) throw e;
      }
    }
    this.exited = true;
  };
}

describe("waitFor", () => {
  test("waitFor cancelled by its task waits for work that ignores cancellation", () =>
    vrun(async () => {
      const t = new SlowTask();
      const waitForTask = createTask(() => waitFor(t.run, SlowTask.TASK_TIMEOUT * 2));
      await sleep(0);
      waitForTask.cancel();
      await wait([waitForTask]);
      assert.equal(t.exited, true);
    }));

  test("waitFor timing out waits for work that ignores cancellation", () =>
    vrun(async () => {
      const t = new SlowTask();
      // The work swallowed the cancellation and returned: its value comes back, no TimeoutError
      // (asyncio 3.12+; CPython's test accepts either).
      assert.equal(await waitFor(t.run, SlowTask.TASK_TIMEOUT / 2), undefined);
      assert.equal(t.exited, true);
      assert.equal(now(), SlowTask.TASK_TIMEOUT);
    }));

  test("waitFor with timeout 0 of a done future returns its result", () =>
    vrun(async () => {
      const fut = new Future<string>();
      fut.setResult("done");
      assert.equal(await waitFor(fut, 0), "done");
      assert.equal(fut.done(), true);
    }));

  test("waitFor with timeout 0 never starts a function", () =>
    vrun(async () => {
      let started = false;
      await assert.rejects(
        waitFor(() => {
          started = true;
          return Promise.resolve();
        }, 0),
        TimeoutError,
      );
      assert.equal(started, false);
    }));

  for (const timeout of [0, -1]) {
    test(`waitFor with timeout ${timeout} cancels a running task and throws TimeoutError`, () =>
      vrun(async () => {
        let running: boolean | null = null;
        const started = new Future();
        const fut = createTask(async () => {
          running = true;
          started.setResult(null);
          try {
            await sleep(10);
          } finally {
            running = false;
          }
          return "done";
        });
        await started;
        await assert.rejects(waitFor(fut, timeout), TimeoutError);
        assert.equal(fut.done(), true);
        assert.equal(fut.cancelled(), true);
        assert.equal(running, false);
      }));
  }

  test("waitFor cancels the task on timeout and its finally runs", () =>
    vrun(async () => {
      let running: boolean | null = null;
      const fut = createTask(async () => {
        running = true;
        try {
          await sleep(3600);
        } finally {
          running = false;
        }
        return "done";
      });
      await assert.rejects(waitFor(fut, 0.1), TimeoutError);
      assert.equal(fut.cancelled(), true);
      assert.equal(running, false);
      assert.equal(now(), 0.1);
    }));

  test("waitFor with timeout null waits without limit", () =>
    vrun(async () => {
      assert.equal(await waitFor(() => sleep(100, "done"), null), "done");
    }));

  test("waitFor returns a result that arrives before the deadline", () =>
    vrun(async () => {
      const fut = new Future<string>();
      getRunningLoop().callLater(0.1, () => fut.setResult("ok"));
      assert.equal(await waitFor(fut, 0.2), "ok");
      const fut2 = new Future<string>();
      getRunningLoop().callSoon(() => fut2.setResult("ok2"));
      assert.equal(await waitFor(fut2, 0.2), "ok2");
    }));

  test("waitFor returns the value of work that swallows the cancellation (gh-86296)", () =>
    vrun(async () => {
      const inner = async (): Promise<number> => {
        await assert.rejects(sleep(1), CancelledError);
        return 1;
      };
      assert.equal(await waitFor(inner, 0.01), 1);
      const return42 = async (): Promise<number> => {
        try {
          await sleep(10);
        } catch {
          return 42;
        }
        return 0;
      };
      assert.equal(await waitFor(return42, 0.1), 42);
    }));

  test("waitFor waits for the task to unwind; TimeoutError's cause is the CancelledError", () =>
    vrun(async () => {
      let taskDone = false;
      const inner = createTask(async () => {
        try {
          await sleep(10);
        } catch (e) {
          await sleep(EPSILON);
          throw e;
        } finally {
          taskDone = true;
        }
      });
      const err = await waitFor(inner, EPSILON).then(
        () => assert.fail("no timeout"),
        (e: unknown) => e,
      );
      assert.ok(err instanceof TimeoutError);
      assert.equal(taskDone, true);
      assert.ok(err.cause instanceof CancelledError);
    }));

  test("waitFor with timeout 0 waits for the task to unwind", () =>
    vrun(async () => {
      let taskDone = false;
      const inner = createTask(async () => {
        try {
          await sleep(10);
        } catch (e) {
          await sleep(EPSILON);
          throw e;
        } finally {
          taskDone = true;
        }
      });
      await sleep(EPSILON);
      const err = await waitFor(inner, 0).then(
        () => assert.fail("no timeout"),
        (e: unknown) => e,
      );
      assert.ok(err instanceof TimeoutError);
      assert.equal(taskDone, true);
      assert.ok(err.cause instanceof CancelledError);
    }));

  test("waitFor rethrows an error raised while the work unwinds", () =>
    vrun(async () => {
      class FooException extends Error {}
      const inner = createTask(async () => {
        try {
          await sleep(0.2);
        } finally {
          // eslint-disable-next-line no-unsafe-finally
          throw new FooException();
        }
      });
      await assert.rejects(waitFor(inner, EPSILON), FooException);
    }));

  for (const timeout of [null, 60]) {
    test(`waitFor(task, ${String(timeout)}) cancelled also cancels the task (bpo-23219)`, () =>
      vrun(async () => {
        const task = createTask(async () => {
          await new Future();
        });
        const waiting = createTask(() => waitFor(task, timeout));
        getRunningLoop().callSoon(() => waiting.cancel());
        await assert.rejects(async () => {
          await waiting;
        }, CancelledError);
        assert.equal(task.cancelled(), true);
      }));
  }

  test("waitFor of a finished task does not stop its caller's cancellation (gh-86296)", () =>
    vrun(async () => {
      const inner = createTask(() => Promise.resolve("done"));
      let reachedEnd = false;
      const task = createTask(async () => {
        await waitFor(inner, 100);
        await sleep(1);
        reachedEnd = true;
      });
      assert.equal(task.done(), false);
      await sleep(0);
      task.cancel();
      await assert.rejects(async () => {
        await task;
      }, CancelledError);
      assert.equal(inner.done(), true);
      assert.equal(await inner, "done");
      assert.equal(reachedEnd, false);
    }));

  test("waitFor of a promise created in the current task cancels its work on timeout", () =>
    vrun(async () => {
      const steps: string[] = [];
      const work = async (): Promise<string> => {
        try {
          await sleep(3600);
          steps.push("finished");
          return "x";
        } finally {
          steps.push("finally");
        }
      };
      await assert.rejects(waitFor(work(), 1), TimeoutError);
      assert.equal(now(), 1);
      await ticks(2);
      assert.deepEqual(steps, ["finally"]);
    }));

  test("waitFor rejects a non-awaitable with TypeError and a NaN timeout with RangeError", () =>
    vrun(() => {
      assert.throws(() => waitFor(42 as never, 1), TypeError);
      assert.throws(() => waitFor(() => sleep(0), NaN), RangeError);
      assert.throws(() => waitFor(() => sleep(0), "1" as never), TypeError);
    }));
});

describe("waitFor and shield", () => {
  test("waitFor(shield(task), 0) cancels the shield but not the task", () =>
    vrun(async () => {
      const task = createTask(async () => {
        await sleep(0.01);
        return "done";
      });
      const shielded = shield(task);
      await assert.rejects(waitFor(shielded, 0), TimeoutError);
      assert.equal(task.done(), false);
      assert.equal(task.cancelled(), false);
      assert.equal(shielded.cancelled(), true);
      await sleep(0.1);
      assert.equal(task.done(), true);
    }));

  test("waitFor(shield(task), null) runs it to completion", () =>
    vrun(async () => {
      const task = createTask(() => sleep(0.1, "done"));
      await waitFor(shield(task), null);
      assert.equal(task.done(), true);
      assert.equal(await task, "done");
    }));

  test("waitFor(shield(task), t) times out without cancelling the task", () =>
    vrun(async () => {
      const task = createTask(() => sleep(0.1, "done"));
      await assert.rejects(waitFor(shield(task), 0.01), TimeoutError);
      assert.equal(task.done(), false);
      assert.equal(task.cancelled(), false);
      assert.equal(await task, "done");
    }));
});

describe("waitFor and timeout hand a Future or Task out as itself", () => {
  test("waitFor(q.get(), t) and timeout(t, () => q.get()) on a queue of tasks return the task at once, not its result after the deadline", () =>
    vrun(async () => {
      const q = new Queue<Task<number>>();
      const slow = createTask(() => sleep(100, 7));
      q.putNowait(slow);
      assert.equal(await waitFor(q.get(), 1), slow);
      assert.equal(now(), 0);
      q.putNowait(slow);
      assert.equal(await timeout(1, () => q.get()), slow);
      assert.equal(now(), 0);
      // Waited for, then handed over: the same.
      const got = waitFor(q.get(), 1);
      await ticks();
      q.putNowait(slow);
      assert.equal(await got, slow);
      assert.equal(now(), 0);
      slow.cancel();
    }));
});
