// loop.addSignalHandler / removeSignalHandler (asyncio's add_signal_handler): real signals sent to
// this process; the callbacks run on the loop, outside any task, with their arguments.
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { CancelledError, createTask, currentTask, Event, getRunningLoop, run, sleep, timeout } from "../src/index.js";

const T = { timeout: 10_000 };

describe("loop.addSignalHandler", T, () => {
  it("loop.addSignalHandler runs the callback on the loop with its arguments, outside any task", () =>
    run(async () => {
      const loop = getRunningLoop();
      const got = new Event();
      const seen: unknown[] = [];
      loop.addSignalHandler(
        "SIGUSR2",
        (a: number, b: string) => {
          seen.push(a, b, currentTask());
          got.set();
        },
        1,
        "two",
      );
      process.kill(process.pid, "SIGUSR2");
      await timeout(5, () => got.wait());
      assert.deepEqual(seen, [1, "two", null]);
      assert.equal(loop.removeSignalHandler("SIGUSR2"), true);
      assert.equal(loop.removeSignalHandler("SIGUSR2"), false);
    }));

  it("loop.addSignalHandler replaces the loop's previous handler for the signal and accepts numbers", () =>
    run(async () => {
      const loop = getRunningLoop();
      const before = process.listenerCount("SIGUSR2");
      const calls: string[] = [];
      const got = new Event();
      loop.addSignalHandler("SIGUSR2", () => calls.push("first"));
      loop.addSignalHandler(12, () => {
        calls.push("second");
        got.set();
      }); // 12 is SIGUSR2 on Linux
      assert.equal(process.listenerCount("SIGUSR2"), before + 1);
      process.kill(process.pid, "SIGUSR2");
      await timeout(5, () => got.wait());
      await sleep(0.01);
      assert.deepEqual(calls, ["second"]);
      loop.removeSignalHandler("SIGUSR2");
      assert.equal(process.listenerCount("SIGUSR2"), before);
    }));

  it("a signal handler can cancel the main task (what run() does for SIGINT)", async () => {
    await assert.rejects(
      run(async () => {
        const main = currentTask();
        getRunningLoop().addSignalHandler("SIGUSR2", () => main?.cancel("SIGUSR2"));
        void createTask(async () => {
          await sleep(0.01);
          process.kill(process.pid, "SIGUSR2");
        });
        await sleep(10);
      }),
      CancelledError,
    );
  });

  it("run() removes the loop's signal handlers when it ends", async () => {
    const before = process.listenerCount("SIGUSR2");
    await run(() => {
      getRunningLoop().addSignalHandler("SIGUSR2", () => undefined);
      assert.equal(process.listenerCount("SIGUSR2"), before + 1);
    });
    assert.equal(process.listenerCount("SIGUSR2"), before);
  });

  it("loop.addSignalHandler rejects unknown and uncatchable signals and non-functions", () =>
    run(() => {
      const loop = getRunningLoop();
      assert.throws(() => loop.addSignalHandler("SIGNOPE" as NodeJS.Signals, () => undefined), RangeError);
      assert.throws(() => loop.addSignalHandler(9999, () => undefined), RangeError);
      assert.throws(() => loop.addSignalHandler("SIGKILL", () => undefined), /cannot be caught/);
      assert.throws(() => loop.addSignalHandler("SIGSTOP", () => undefined), RangeError);
      assert.throws(() => loop.addSignalHandler("SIGUSR2", "cb" as unknown as () => void), TypeError);
      assert.throws(() => loop.removeSignalHandler("SIGNOPE" as NodeJS.Signals), RangeError);
    }));
});
