// Lifecycle (issue 10, items 4 and 6): nothing the library holds keeps a finished task alive,
// nothing it scheduled outlives the run() that owned it, debug mode's hook goes with the last debug
// loop, and one Ctrl-C ends a run() program the way Python's KeyboardInterrupt does.
import { strict as assert } from "node:assert";
import { describe, test } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

import {
  createTask,
  Event,
  formatTaskTree,
  getRunningLoop,
  run,
  sleep,
  type Task,
  type TimerHandle,
} from "../src/index.js";
import { VirtualClock } from "../src/testing/index.js";
import { ticks } from "./helpers.js";

const T = { timeout: 30_000 };

// The test runner has no --expose-gc; the flag can still be set at run time, and a fresh context
// then holds the `gc` function.
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/** Whether the object behind `ref` was collected, after letting the current job end. */
async function collected(ref: WeakRef<object>): Promise<boolean> {
  // A WeakRef keeps its target alive until the end of the job that created or read it.
  await new Promise<void>((resolve) => setImmediate(resolve));
  gc();
  await new Promise<void>((resolve) => setImmediate(resolve));
  gc();
  return ref.deref() === undefined;
}

describe("task tree and memory", T, () => {
  test("a finished task is collectable while a task it started is still pending", T, async () => {
    const gate = new Event();
    let parentRef: WeakRef<Task<unknown>> | undefined;
    let child: Task<unknown> | undefined;
    await run(async () => {
      const parentDone = new Event();
      parentRef = new WeakRef(
        createTask(() => {
          child = createTask(() => gate.wait(), { name: "child" });
          parentDone.set();
        }),
      );
      await parentDone.wait();
      await ticks(2);
      assert.equal(child?.done(), false);
      assert.equal(await collected(parentRef), true, "the finished parent is still reachable");
      gate.set();
      await child;
    });
  });

  test("formatTaskTree shows a task under its nearest pending ancestor once its parent finished", T, () =>
    run(async () => {
      const gate = new Event();
      const started = new Event();
      await createTask(
        () => {
          // Left running when its parent returns: that is the point.
          void createTask(
            async () => {
              started.set();
              await gate.wait();
            },
            { name: "grandchild" },
          );
        },
        { name: "parent" },
      );
      await started.wait();
      const tree = formatTaskTree();
      assert.match(tree, /^Task "main" running/);
      assert.match(tree, /\n└── Task "grandchild" awaiting Event\.wait\(\)/);
      assert.doesNotMatch(tree, /parent/);
      gate.set();
    }),
  );

  test("the loop's clock timer does not keep the task that armed it alive", T, async () => {
    let ref: WeakRef<Task<void>> | undefined;
    let timer: TimerHandle | undefined;
    await run(async () => {
      const armed = new Event();
      ref = new WeakRef(
        createTask((): void => {
          // The first timer of the loop: arming the clock happens in this task's context.
          timer = getRunningLoop().callLater(3600, Boolean);
          armed.set();
        }),
      );
      await armed.wait();
      await ticks(2);
      assert.equal(getRunningLoop()._pendingTimers(), 1);
      const gone = await collected(ref);
      timer?.cancel();
      assert.equal(gone, true, "the finished task is kept alive by the clock's timer");
    });
  });

  test("a VirtualClock does not keep the task that armed it alive while the loop is busy", T, async () => {
    let ref: WeakRef<Task<void>> | undefined;
    await run(
      async () => {
        let spinning = true;
        // Keeps the loop from looking idle, so the clock keeps checking instead of jumping.
        const spinner = createTask(async () => {
          while (spinning) await sleep(0);
        });
        const armed = new Event();
        ref = new WeakRef(
          createTask((): void => {
            getRunningLoop().callLater(3600, Boolean);
            armed.set();
          }),
        );
        await armed.wait();
        await ticks(2);
        assert.equal(await collected(ref), true, "the finished task is kept alive by the clock's check");
        spinning = false;
        await spinner;
      },
      { clock: new VirtualClock() },
    );
  });
});
