// loop.addSignalHandler / removeSignalHandler (asyncio's add_signal_handler): real signals sent to
// this process; the callbacks run on the loop, outside any task, with their arguments.
import { strict as assert } from "node:assert";
import { CancelledError, createTask, currentTask, Event, getRunningLoop, KeyboardInterrupt, run, Runner, sleep, timeout } from "../src/index.js";
import { runFixture } from "./fixture-child.js";
import { describe, it, NODE_CHILD } from "./helpers.js";

const T = { timeout: 10_000 };

describe("loop.addSignalHandler", T, () => {
  it("loop.addSignalHandler runs the callback on the loop with its arguments, outside any task", () =>
    run(async () => {
      const loop = getRunningLoop();
      const got = new Event();
      const seen: unknown[] = [];
      loop.addSignalHandler(
        "SIGHUP",
        (a: number, b: string) => {
          seen.push(a, b, currentTask());
          got.set();
        },
        1,
        "two",
      );
      process.kill(process.pid, "SIGHUP");
      await timeout(5, () => got.wait());
      assert.deepEqual(seen, [1, "two", null]);
      assert.equal(loop.removeSignalHandler("SIGHUP"), true);
      assert.equal(loop.removeSignalHandler("SIGHUP"), false);
    }));

  it("loop.addSignalHandler replaces the loop's previous handler for the signal and accepts numbers", () =>
    run(async () => {
      const loop = getRunningLoop();
      const before = process.listenerCount("SIGHUP");
      const calls: string[] = [];
      const got = new Event();
      loop.addSignalHandler("SIGHUP", () => calls.push("first"));
      loop.addSignalHandler(1, () => {
        calls.push("second");
        got.set();
      }); // 1 is SIGHUP
      assert.equal(process.listenerCount("SIGHUP"), before + 1);
      process.kill(process.pid, "SIGHUP");
      await timeout(5, () => got.wait());
      await sleep(0.01);
      assert.deepEqual(calls, ["second"]);
      loop.removeSignalHandler("SIGHUP");
      assert.equal(process.listenerCount("SIGHUP"), before);
    }));

  it("a signal handler can cancel the main task (what run() does for SIGINT)", async () => {
    await assert.rejects(
      run(async () => {
        const main = currentTask();
        getRunningLoop().addSignalHandler("SIGHUP", () => main?.cancel("SIGHUP"));
        void createTask(async () => {
          await sleep(0.01);
          process.kill(process.pid, "SIGHUP");
        });
        await sleep(10);
      }),
      CancelledError,
    );
  });

  it("a signal sent when nothing else is pending still reaches its handler (test_interrupt_wait)", NODE_CHILD, async () => {
    // Node dispatches a signal in a loop turn, and its signal handles keep no process alive: the
    // process must not exit (reporting main stuck) before the handler ran. In a child process:
    // the test runner itself fails a test as soon as the process runs out of work.
    const outcome = await runFixture("signal-idle.ts", [], 25);
    assert.equal(outcome.stdout, "main caught CancelledError\nrun rejected KeyboardInterrupt, future cancelled true\n", outcome.stderr);
    assert.equal(outcome.stderr, "");
  });

  // asyncio's Runner raises KeyboardInterrupt only when the signal's cancel was the only one
  // (`task.uncancel() == 0`). Main waits, while it unwinds, until the signal has been handled by
  // run() (a listener of the test sees it, and run()'s handler, queued on the loop before main's
  // next sleep(0), runs first): the outcome does not depend on when the signal is dispatched.
  it("a main task cancelled by another task before the signal ends cancelled, not interrupted (test_interrupt_cancelled_task)", async () => {
    const runner = new Runner({ signals: ["SIGUSR1"] });
    const seen = new Event();
    const onSignal = (): void => seen.set();
    try {
      await assert.rejects(
        runner.run(async () => {
          process.on("SIGUSR1", onSignal); // after run() set its own handler
          const main = currentTask();
          void createTask(async () => {
            await sleep(0);
            main?.cancel();
            process.kill(process.pid, "SIGUSR1");
          });
          try {
            await sleep(10);
          } finally {
            // A timer keeps the process alive meanwhile (a signal handler does not, and the test
            // runner fails a test whose process runs out of work).
            await timeout(5, () => seen.wait());
            await sleep(0); // run()'s handler runs before this resumes: a second cancel, delivered here
          }
        }),
        (error: unknown) => error instanceof CancelledError,
      );
      assert.equal(seen.isSet(), true);
    } finally {
      process.off("SIGUSR1", onSignal);
      await runner.close();
    }
  });

  it("a main task cancelled only by the signal ends in KeyboardInterrupt", async () => {
    const runner = new Runner({ signals: ["SIGUSR1"] });
    try {
      await assert.rejects(
        runner.run(async () => {
          void createTask(async () => {
            await sleep(0);
            process.kill(process.pid, "SIGUSR1");
          });
          await sleep(10);
        }),
        (error: unknown) => error instanceof KeyboardInterrupt && /SIGUSR1/.test(error.message),
      );
    } finally {
      await runner.close();
    }
  });

  it("run() removes the loop's signal handlers when it ends", async () => {
    const before = process.listenerCount("SIGHUP");
    await run(() => {
      getRunningLoop().addSignalHandler("SIGHUP", () => undefined);
      assert.equal(process.listenerCount("SIGHUP"), before + 1);
    });
    assert.equal(process.listenerCount("SIGHUP"), before);
  });

  it("loop.addSignalHandler rejects unknown and uncatchable signals and non-functions", () =>
    run(() => {
      const loop = getRunningLoop();
      assert.throws(() => loop.addSignalHandler("SIGNOPE" as NodeJS.Signals, () => undefined), RangeError);
      assert.throws(() => loop.addSignalHandler(9999, () => undefined), RangeError);
      assert.throws(() => loop.addSignalHandler("SIGKILL", () => undefined), /cannot be caught/);
      assert.throws(() => loop.addSignalHandler("SIGSTOP", () => undefined), RangeError);
      assert.throws(() => loop.addSignalHandler("SIGHUP", "cb" as unknown as () => void), TypeError);
      assert.throws(() => loop.removeSignalHandler("SIGNOPE" as NodeJS.Signals), RangeError);
    }));
});
