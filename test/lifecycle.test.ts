// Lifecycle (issue 10, items 4 and 6): nothing the library holds keeps a finished task alive,
// nothing it scheduled outlives the run() that owned it, debug mode's hook goes with the last debug
// loop, and one Ctrl-C ends a run() program the way Python's KeyboardInterrupt does.
import { strict as assert } from "node:assert";
import type { ChildProcess } from "node:child_process";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import fc from "fast-check";

import {
  asCompleted,
  createTask,
  Event,
  formatTaskTree,
  getRunningLoop,
  Loop,
  run,
  Runner,
  sleep,
  type Task,
  type TimerHandle,
} from "../src/index.js";
import { debugHookInstalled } from "../src/debug/slowCallbacks.js";
import { TaskList, type Linked } from "../src/kernel/taskList.js";
import { VirtualClock } from "../src/testing/index.js";
import { describe, NODE_CHILD, runtime, test, ticks, unsupportedOn, vrun } from "./helpers.js";
import { runFixture } from "./fixture-child.js";

const T = { timeout: 30_000 };

/**
 * A full collection. Node's test runner has no --expose-gc; the flag can still be set at run time,
 * and a fresh context then holds the `gc` function. Bun has `Bun.gc(true)`; Deno has V8's flag.
 */
function findGc(): () => void {
  const bun = (globalThis as { Bun?: { gc(force: boolean): void } }).Bun;
  if (bun !== undefined) return () => bun.gc(true);
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}
const gc = findGc();

/** Tests that a finished task is collected: Bun's collector scans the stack conservatively, so a dead object may survive any number of collections. */
const COLLECTS = { ...T, skip: unsupportedOn({ bun: "Bun's garbage collector scans the stack conservatively: whether one object is collected cannot be asserted" }) };

/** Whether the object behind `ref` was collected, after letting the current job end. */
async function collected(ref: WeakRef<object>): Promise<boolean> {
  // A WeakRef keeps its target alive until the end of the job that created or read it.
  await new Promise<void>((resolve) => setImmediate(resolve));
  gc();
  await new Promise<void>((resolve) => setImmediate(resolve));
  gc();
  return ref.deref() === undefined;
}


/** A stand-in task for TaskList, with the model's view of it beside the links. */
interface FakeTask extends Linked {
  id: number;
  pending: boolean;
  creator: FakeTask | null; // in the model: where it was hung when created
  kids: FakeTask[]; // in the model, finished ones included
}

/** The model's pending children of `kids`' owner: pending kids, and those of finished kids in their place. */
function expectedUnder(kids: FakeTask[]): FakeTask[] {
  return kids.flatMap((kid) => (kid.pending ? [kid] : expectedUnder(kid.kids)));
}

describe("task tree and memory", T, () => {
  test("TaskList keeps every pending task under its nearest pending ancestor, in tree order", T, () => {
    const loop = {};
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.nat()), { maxLength: 80 }), (ops) => {
        const list = new TaskList<FakeTask>();
        const all: FakeTask[] = [];
        const roots: FakeTask[] = [];
        for (const [spawn, pick] of ops) {
          const pending = all.filter((t) => t.pending);
          if (spawn || pending.length === 0) {
            // Created in the context of any task, finished ones included (a late callback), or of none.
            const context = pick % (all.length + 1) === all.length ? null : (all[pick % (all.length + 1)] as FakeTask);
            let creator = context;
            while (creator !== null && !creator.pending) creator = creator.creator;
            const task: FakeTask = { id: all.length, pending: true, creator, kids: [], _parent: context, _firstChild: null, _prevTask: null, _nextTask: null, _loop: loop };
            (creator === null ? roots : creator.kids).push(task);
            all.push(task);
            list.add(task);
          } else {
            const task = pending[pick % pending.length] as FakeTask;
            task.pending = false;
            assert.equal(list.delete(task), true);
            assert.equal(list.delete(task), false);
          }
        }
        const ids = (tasks: FakeTask[]): number[] => tasks.map((t) => t.id);
        const pending = all.filter((t) => t.pending);
        const preorder = (tasks: FakeTask[]): FakeTask[] => tasks.flatMap((t) => [t, ...preorder(expectedUnder(t.kids))]);
        assert.deepEqual(ids(list.roots()), ids(expectedUnder(roots)));
        assert.deepEqual(ids([...list]), ids(preorder(expectedUnder(roots))));
        assert.equal(list.size, pending.length);
        for (const task of pending) {
          assert.deepEqual(ids(list.children(task)), ids(expectedUnder(task.kids)));
          let ancestor = task.creator;
          while (ancestor !== null && !ancestor.pending) ancestor = ancestor.creator;
          assert.equal(task._parent, ancestor);
        }
      }),
      { numRuns: 500 },
    );
  });

  test("a finished task is collectable while a task it started is still pending", COLLECTS, async () => {
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

  test("the loop's clock timer does not keep the task that armed it alive", COLLECTS, async () => {
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

  test("a VirtualClock does not keep the task that armed it alive while the loop is busy", COLLECTS, async () => {
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

describe("run() closes its loop", T, () => {
  test("timers left when run() ends are dropped and the clock is disarmed", T, async () => {
    const clock = new VirtualClock({ autojump: false });
    let loop: Loop | undefined;
    const fired: string[] = [];
    await run(
      () => {
        loop = getRunningLoop();
        loop.callLater(3, () => fired.push("callLater"));
        loop.callAt(loop.time() + 5, () => fired.push("callAt"));
      },
      { clock },
    );
    assert.ok(loop !== undefined);
    assert.equal(loop.isClosed(), true);
    assert.equal(loop._pendingTimers(), 0);
    assert.equal(clock.nextDeadline(), Infinity);
    clock.advance(10);
    await new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));
    assert.deepEqual(fired, []);
  });

  test("callbacks made ready while run() shuts down are dropped", T, async () => {
    const ran: string[] = [];
    const runner = new Runner();
    const loop = runner.getLoop();
    await runner.run(() => undefined);
    loop._closeHooks.push(() => {
      loop.callSoon(() => ran.push("late"));
    });
    await runner.close();
    await new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));
    assert.deepEqual(ran, []);
  });

  test("scheduling on a closed loop throws 'Event loop is closed'", T, async () => {
    let loop: Loop | undefined;
    await vrun(() => {
      loop = getRunningLoop();
    });
    assert.ok(loop !== undefined);
    const closed = loop;
    const message = /Event loop is closed/;
    assert.throws(() => closed.callSoon(Boolean), message);
    assert.throws(() => closed.callLater(1, Boolean), message);
    assert.throws(() => closed.callAt(closed.time() + 1, Boolean), message);
    assert.throws(() => closed.createTask(() => 1), message);
    assert.equal(closed._tasks.size, 0);
  });

  test("outside any task after run(), primitives work on the default loop", T, async () => {
    let runLoop: Loop | undefined;
    let later: Promise<Loop> | undefined;
    let ended = false;
    await run(() => {
      runLoop = getRunningLoop();
      // A Node callback made inside the task runs in its (finished) context after run() ended;
      // it re-arms itself (in that same context) until run() has returned, however slow the machine.
      later = new Promise<Loop>((resolve) => {
        const check = (): void => {
          if (ended) resolve(getRunningLoop());
          else setTimeout(check, 1);
        };
        setTimeout(check, 1);
      });
    });
    ended = true;
    const staleLoop = await later;
    assert.notEqual(staleLoop, runLoop);
    assert.equal(staleLoop?.isClosed(), false);
    assert.notEqual(getRunningLoop(), runLoop);
    assert.equal(await createTask(() => sleep(0.001, "ok")), "ok");
  });

  test("run() in debug mode removes the slow-callback hook when its loop closes", T, async () => {
    // Bun and Deno give no async_hooks timing: debug mode installs no hook there (see slowCallbacks.ts).
    const installs = runtime === "node";
    const before = debugHookInstalled();
    await run(
      () => {
        assert.equal(debugHookInstalled(), installs);
      },
      { debug: true },
    );
    assert.equal(debugHookInstalled(), before);
    const runner = new Runner();
    runner.getLoop().setDebug(true);
    assert.equal(debugHookInstalled(), installs);
    await runner.close();
    assert.equal(debugHookInstalled(), before);
  });

  test("a run()'s loop and its clock stop with it: the process exits promptly", { ...T, ...NODE_CHILD }, async () => {
    // callLater(60) and asCompleted's 60 s timer would hold the process for a minute.
    const outcome = await runFixture("closed-loop.ts", ["in-run"], 25);
    assert.equal(outcome.code, 0, outcome.stderr);
    assert.equal(outcome.stdout, "main done\nrun returned\n");
    assert.ok(outcome.seconds < 20, `the child ran for ${outcome.seconds.toFixed(1)} s`);
  });
});

describe("asCompleted releases its timer", T, () => {
  test("breaking out of for await cancels the timer; resuming later still honours the deadline", T, () =>
    vrun(async () => {
      const loop = getRunningLoop();
      const t0 = loop.time();
      const iterable = asCompleted([sleep(0, "fast"), createTask(() => sleep(30, "late"))], { timeout: 20 });
      for await (const done of iterable) {
        assert.equal(done.result(), "fast");
        break;
      }
      assert.equal(loop._pendingTimers(), 1, "only the late task's sleep is left");
      await sleep(40); // "late" arrives at 30, past the deadline, while nobody iterates
      await assert.rejects(async () => {
        for await (const done of iterable) assert.fail(`resumed iteration yielded ${String(done.result())}`);
      }, { name: "TimeoutError" });
      assert.equal(loop.time() - t0, 40);
    }),
  );

  test("breaking out of for...of after awaiting cancels the timer; a promise taken earlier keeps its deadline", T, () =>
    vrun(async () => {
      const loop = getRunningLoop();
      const slow = createTask(() => sleep(3600, "slow"));
      for (const next of asCompleted([sleep(0, "fast"), slow], { timeout: 60 })) {
        assert.equal(await next, "fast");
        break;
      }
      assert.equal(loop._pendingTimers(), 1, "only the slow task's sleep is left");
      slow.cancel();
      await ticks();

      const never = loop.createFuture<string>();
      const t0 = loop.time();
      const [first] = asCompleted([never], { timeout: 60 }); // destructuring ends the iteration at once
      assert.equal(loop._pendingTimers(), 0, "nothing awaits a result yet");
      await sleep(10);
      await assert.rejects(first as Promise<string>, { name: "TimeoutError" });
      assert.equal(loop.time() - t0, 60, "awaiting it later armed the rest of the deadline");
      assert.equal(loop._pendingTimers(), 0);
    }),
  );

  test("breaking out of asCompleted outside run() lets the process exit", { ...T, ...NODE_CHILD }, async () => {
    const outcome = await runFixture("closed-loop.ts", ["as-completed"], 25);
    assert.equal(outcome.code, 0, outcome.stderr);
    assert.equal(outcome.stdout, "first: fast\n");
    assert.ok(outcome.seconds < 20, `the child ran for ${outcome.seconds.toFixed(1)} s`);
  });
});

describe("Ctrl-C during run()", T, () => {
  const interrupt = (out: string, child: ChildProcess): void => {
    if (out === "ready\n") child.kill("SIGINT");
  };

  test("one SIGINT runs finally blocks, prints one line and exits with code 130", { ...T, ...NODE_CHILD }, async () => {
    const outcome = await runFixture("sigint.ts", ["unhandled"], 25, interrupt);
    assert.equal(outcome.code, 130, `stdout: ${outcome.stdout}\nstderr: ${outcome.stderr}`);
    assert.equal(outcome.stdout, "ready\nfinally ran\nleftover finally ran\n");
    assert.equal(outcome.stderr, "asyncio-ts: interrupted by SIGINT\n");
  });

  test("run() rejects with KeyboardInterrupt only when main did not handle the cancellation", { ...T, ...NODE_CHILD }, async () => {
    const caught = await runFixture("sigint.ts", ["caught"], 25, interrupt);
    assert.equal(caught.code, 0, caught.stderr);
    assert.equal(caught.stdout, "ready\nfinally ran\nleftover finally ran\ncaught KeyboardInterrupt true interrupted by SIGINT\n");
    assert.equal(caught.stderr, "");
    const handled = await runFixture("sigint.ts", ["handled"], 25, interrupt);
    assert.equal(handled.code, 0, handled.stderr);
    assert.equal(handled.stdout, "ready\nfinally ran\nleftover finally ran\nrun returned handled\n");
    assert.equal(handled.stderr, "");
  });
});
