// Port of CPython's Lib/test/test_asyncio/test_eager_task_factory.py (3.12+): createTask(fn,
// { eagerStart: true }) and loop.setTaskFactory(eagerTaskFactory) run the function at once, until
// its first suspension. Where JavaScript differs (an async function that returns without
// suspending is done one microtask later), the test says so.
import { strict as assert } from "node:assert";
import { describe, test } from "./helpers.js";

import {
  allTasks,
  CancelledError,
  createTask,
  currentTask,
  eagerTaskFactory,
  gather,
  getRunningLoop,
  sleep,
  Task,
  taskGroup,
  type TaskFactory,
} from "../src/index.js";
import { outcome, vrun } from "./helpers.js";

describe("eager task start", () => {
  test("the factory is set and read back, and its tasks are Tasks", () =>
    vrun(async () => {
      const loop = getRunningLoop();
      assert.equal(loop.getTaskFactory(), null);
      loop.setTaskFactory(eagerTaskFactory);
      assert.equal(loop.getTaskFactory(), eagerTaskFactory);
      const t = createTask(() => undefined);
      assert.ok(t instanceof Task);
      await t;
      loop.setTaskFactory(null);
      assert.equal(loop.getTaskFactory(), null);
    }));

  test("a synchronous function's task is done when createTask returns", () =>
    vrun(async () => {
      const t = createTask(() => "hello", { eagerStart: true });
      assert.ok(t.done());
      assert.equal(t.result(), "hello");
      assert.equal(await t, "hello");
    }));

  test("the eager step sets a future's result before createTask returns (test_await_future_during_eager_step)", () =>
    vrun(async () => {
      const fut = getRunningLoop().createFuture<string>();
      void createTask(
        () => {
          fut.setResult("my message");
        },
        { eagerStart: true },
      );
      assert.ok(fut.done());
      assert.equal(await fut, "my message");
    }));

  test("an async function that never suspends finishes without a loop turn (test_eager_completion)", () =>
    vrun(async () => {
      const loop = getRunningLoop();
      // eslint-disable-next-line @typescript-eslint/require-await -- the case under test: an async function that never suspends
      const t = createTask(async () => "hello", { eagerStart: true });
      // JavaScript cannot read a settled promise synchronously: done after the current microtasks.
      const before = loop.time();
      await Promise.resolve();
      await Promise.resolve();
      assert.ok(t.done());
      assert.equal(loop.time(), before);
      assert.equal(await t, "hello");
    }));

  test("a task that blocks after its eager step is pending, then finishes (test_block_after_eager_step)", () =>
    vrun(async () => {
      const t = createTask(
        async () => {
          await sleep(0.1);
          return "finished after blocking";
        },
        { eagerStart: true },
      );
      assert.equal(t.done(), false);
      assert.equal(await t, "finished after blocking");
    }));

  test("cancel after an eager completion returns false and keeps the result (test_cancellation_after_eager_completion)", () =>
    vrun(async () => {
      const t = createTask(() => "finished without blocking", { eagerStart: true });
      assert.equal(t.cancel(), false);
      assert.equal(await t, "finished without blocking");
      assert.equal(t.cancelled(), false);
    }));

  test("cancel after the eager step blocked lands at its await (test_cancellation_after_eager_step_blocks)", () =>
    vrun(async () => {
      let after = false;
      const t = createTask(
        async () => {
          await sleep(0.1);
          after = true;
        },
        { eagerStart: true },
      );
      assert.ok(t.cancel("cancellation message"));
      assert.ok(t.cancelling() > 0);
      await assert.rejects(t, (e: unknown) => e instanceof CancelledError && e.message === "cancellation message");
      assert.equal(after, false);
    }));

  test("currentTask() is the new task in its eager step and after it blocks, then the caller's again (test_current_task)", () =>
    vrun(async () => {
      const outer = currentTask();
      let inEager: Task<unknown> | null = null;
      let afterBlock: Task<unknown> | null = null;
      const t = createTask(
        async () => {
          inEager = currentTask();
          await sleep(0.1);
          afterBlock = currentTask();
        },
        { eagerStart: true },
      );
      assert.equal(inEager, t);
      assert.equal(currentTask(), outer);
      await t;
      assert.equal(afterBlock, t);
    }));

  test("allTasks() holds the task during its eager step, not once it completed (test_all_tasks_with_eager_completion)", () =>
    vrun(() => {
      let captured = new Set<Task<unknown>>();
      const t = createTask(
        () => {
          captured = allTasks();
        },
        { eagerStart: true },
      );
      assert.ok(captured.has(t));
      assert.equal(allTasks().has(t), false);
    }));

  test("allTasks() holds a task that blocked after its eager step until it ends (test_all_tasks_with_blocking)", () =>
    vrun(async () => {
      const loop = getRunningLoop();
      const fut1 = loop.createFuture();
      const fut2 = loop.createFuture();
      let captured = new Set<Task<unknown>>();
      const t = createTask(
        async () => {
          captured = allTasks();
          await fut1;
          fut2.setResult(null);
        },
        { eagerStart: true },
      );
      assert.ok(captured.has(t));
      assert.ok(allTasks().has(t));
      fut1.setResult(null);
      await fut2;
      await t;
      assert.equal(allTasks().has(t), false);
    }));

  test("an exception before the first suspension is the task's, not createTask's", () =>
    vrun(async () => {
      const t = createTask(
        () => {
          throw new RangeError("early");
        },
        { eagerStart: true },
      );
      assert.ok(t.done());
      assert.equal(await outcome(t), "error RangeError: early");
    }));

  test("eagerStart: false under the eager factory waits for the loop, as the default does", () =>
    vrun(async () => {
      getRunningLoop().setTaskFactory(eagerTaskFactory);
      let ran = false;
      const t = createTask(
        () => {
          ran = true;
        },
        { eagerStart: false },
      );
      assert.equal(ran, false);
      await t;
      assert.equal(ran, true);
    }));

  test("a custom factory can wrap eagerTaskFactory (AsyncTaskCounter)", () =>
    vrun(async () => {
      let made = 0;
      const counting: TaskFactory = (loop, fn, options) => {
        made++;
        return eagerTaskFactory(loop, fn, options);
      };
      getRunningLoop().setTaskFactory(counting);
      const values = await gather(createTask(() => 1), createTask(() => Promise.resolve(2)));
      assert.deepEqual(values, [1, 2]);
      assert.equal(made, 2);
    }));

  test("recursive task groups and gathers of eager tasks finish with the right results", () =>
    vrun(async () => {
      getRunningLoop().setTaskFactory(eagerTaskFactory);
      let leaves = 0;
      async function groups(width: number, depth: number): Promise<void> {
        if (depth === 0) {
          leaves++;
          return;
        }
        // eslint-disable-next-line @typescript-eslint/require-await -- a body that only starts children
        await taskGroup(async (tg) => {
          for (let i = 0; i < width; i++) void tg.createTask(() => groups(width, depth - 1));
        });
      }
      async function gathers(width: number, depth: number): Promise<number> {
        if (depth === 0) return 1;
        const counts = await gather(...Array.from({ length: width }, () => createTask(() => gathers(width, depth - 1))));
        return counts.reduce((a, b) => a + b, 0);
      }
      await groups(5, 4);
      assert.equal(leaves, 625);
      assert.equal(await gathers(5, 4), 625);
    }));

  test("an eager child that fails before suspending aborts its task group", () =>
    vrun(async () => {
      let sibling: Task<void> | undefined;
      let siblingRan = false;
      await assert.rejects(
        taskGroup(async (tg) => {
          sibling = tg.createTask(async () => {
            siblingRan = true;
            await sleep(10);
          });
          void tg.createTask(
            () => {
              throw new TypeError("boom");
            },
            { eagerStart: true },
          );
          await sleep(10);
        }),
        (e: unknown) => e instanceof AggregateError && e.errors.length === 1 && e.errors[0] instanceof TypeError,
      );
      // Cancelled before its first step, as asyncio does: its function never ran.
      assert.equal(sibling?.cancelled(), true);
      assert.equal(siblingRan, false);
    }));

  test("bad options and factories are TypeErrors, and nothing is left behind", () =>
    vrun(() => {
      const loop = getRunningLoop();
      const before = allTasks().size;
      assert.throws(() => createTask(() => 1, { eagerStart: "yes" as unknown as boolean }), /options\.eagerStart to be a boolean: received string/);
      assert.equal(allTasks().size, before);
      assert.throws(() => loop.setTaskFactory(42 as unknown as TaskFactory), /setTaskFactory\(\) expects a function or null: received number/);
      loop.setTaskFactory((() => null) as unknown as TaskFactory);
      assert.throws(() => createTask(() => 1), /task factory must return a Task: received null/);
      loop.setTaskFactory(null);
    }));
});
