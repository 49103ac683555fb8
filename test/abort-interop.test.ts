// Cancellation that reaches Node APIs through currentSignal(): they reject with an AbortError whose
// cause is the task's CancelledError, and the library treats it as the cancellation it is.
import { strict as assert } from "node:assert";
import { readFile } from "node:fs/promises";
import { describe, test } from "./helpers.js";
import { setTimeout as nodeSleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { CancelledError, createTask, currentSignal, ExceptionGroup, run, sleep, taskGroup, timeout, TimeoutError, waitFor } from "../src/index.js";
import { cancellationOf } from "../src/errors.js";

describe("AbortError from Node APIs", () => {
  test("a task cancelled inside timers/promises setTimeout ends cancelled, not failed", () =>
    run(async () => {
      let finallyRan = false;
      const task = createTask(async () => {
        try {
          await nodeSleep(10_000, undefined, { signal: currentSignal() });
        } finally {
          finallyRan = true;
        }
      });
      await sleep(0);
      await sleep(0);
      task.cancel("stop");
      await assert.rejects(task, CancelledError);
      assert.equal(task.cancelled(), true);
      assert.equal(finallyRan, true);
    }));

  test("waitFor around a Node API given currentSignal() throws TimeoutError", () =>
    run(async () => {
      await assert.rejects(
        waitFor(() => nodeSleep(10_000, undefined, { signal: currentSignal() }), 0.02),
        TimeoutError,
      );
    }));

  test("timeout() around fs.readFile given currentSignal() converts only its own cancellation", () =>
    run(async () => {
      const self = fileURLToPath(import.meta.url);
      // Finishes in time: the file is read.
      const text = await timeout(5, () => readFile(self, { encoding: "utf8", signal: currentSignal() }));
      assert.match(text, /AbortError from Node APIs/);
      await assert.rejects(
        timeout(0.02, () => nodeSleep(10_000, undefined, { signal: currentSignal() })),
        TimeoutError,
      );
    }));

  test("a task group does not report an AbortError cancellation as a failure", () =>
    run(async () => {
      const error = await taskGroup((tg) => {
        void tg.createTask(() => nodeSleep(10_000, undefined, { signal: currentSignal() }));
        void tg.createTask(async () => {
          await sleep(0.01);
          throw new Error("real failure");
        });
      }).catch((e: unknown) => e);
      assert.ok(error instanceof ExceptionGroup);
      assert.deepEqual(
        error.exceptions.map((e) => (e as Error).message),
        ["real failure"],
      );
    }));

  test("cancellationOf recognises only CancelledError and AbortError caused by one", () => {
    const cancelled = new CancelledError("x");
    assert.equal(cancellationOf(cancelled), cancelled);
    const abort = Object.assign(new Error("aborted", { cause: cancelled }), { name: "AbortError" });
    assert.equal(cancellationOf(abort), cancelled);
    assert.equal(cancellationOf(Object.assign(new Error("aborted"), { name: "AbortError" })), null);
    assert.equal(cancellationOf(new Error("other", { cause: cancelled })), null);
  });
});
