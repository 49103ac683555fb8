/**
 * A task runs in the context of the code that created it, as asyncio's tasks run in a copy of
 * their creator's contextvars: a user's AsyncLocalStorage value (a request id, a tracing span) is
 * the one current at `createTask()`, whichever code made the loop schedule its batch, and a value
 * a task sets does not reach another task. Loop callbacks run outside any caller's context.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import assert from "node:assert/strict";
import { createTask, currentTask, Event, type Task, gather, getRunningLoop, run, sleep, timeout, waitFor, CancelledError } from "../src/index.js";
import { describe, it, unsupportedOn } from "./helpers.js";

/** src/kernel/context.ts: on Deno a captured context kept finished tasks reachable, so Deno starts tasks in the batch's context. */
const NO_CAPTURE = { deno: "tasks do not capture their creator's context on Deno (an AsyncResource kept finished tasks reachable there)" };

const request = new AsyncLocalStorage<string>();

describe("task context", () => {
  it("a task sees its creator's AsyncLocalStorage value, not the value of whoever scheduled the loop's batch", { skip: unsupportedOn(NO_CAPTURE) }, async () => {
    const seen = await run(async () => {
      const work = async (): Promise<[string | undefined, string | undefined]> => {
        const atStart = request.getStore();
        await sleep(0);
        return [atStart, request.getStore()];
      };
      // Created in one loop turn: the first one schedules the batch that starts all three.
      const a = request.run("req-1", () => createTask(work));
      const b = request.run("req-2", () => createTask(work));
      const c = createTask(work);
      return gather(a, b, c);
    });
    assert.deepEqual(seen, [
      ["req-1", "req-1"],
      ["req-2", "req-2"],
      [undefined, undefined],
    ]);
  });

  it("an eager task sees its creator's value too", async () => {
    const seen = await run(async () => {
      const t = request.run("eager", () => createTask(() => request.getStore(), { eagerStart: true }));
      return t;
    });
    assert.equal(seen, "eager");
  });

  it("a value a task enters does not reach its sibling, its creator, or tasks created after", { skip: unsupportedOn(NO_CAPTURE) }, async () => {
    await run(async () => {
      const entered = new Event();
      const a = createTask(async () => {
        request.enterWith("set by a");
        entered.set();
        await sleep(0);
        return request.getStore();
      });
      const b = createTask(async () => {
        await entered.wait();
        return request.getStore();
      });
      assert.deepEqual(await gather(a, b), ["set by a", undefined]);
      assert.equal(request.getStore(), undefined);
      assert.equal(await createTask(() => request.getStore()), undefined);
    });
  });

  it("the task started in its creator's context is still its own task: currentTask(), cancel and its scopes", async () => {
    await run(async () => {
      const started = new Event();
      const t: Task<void> = request.run("req", () =>
        createTask(async () => {
          assert.equal(currentTask(), t);
          started.set();
          await sleep(3600);
        }),
      );
      await started.wait();
      t.cancel();
      await assert.rejects(t, CancelledError);
      const inner = await request.run("scoped", () =>
        createTask(async () => {
          const viaTimeout = await timeout(10, () => request.getStore());
          const viaWaitFor = await waitFor(() => Promise.resolve([request.getStore(), currentTask()?.name] as const), 10);
          return [viaTimeout, viaWaitFor[0], viaWaitFor[1] === currentTask()?.name];
        }),
      );
      assert.deepEqual(inner, ["scoped", "scoped", true]);
    });
  });

  it("a callSoon/callLater callback runs in its caller's context, outside any task (asyncio's copy_context())", { skip: unsupportedOn(NO_CAPTURE) }, async () => {
    const seen = await run(async () => {
      const loop = getRunningLoop();
      // A batch scheduled by other code first: each callback still gets its own caller's context.
      request.run("other", () => loop.callSoon(() => undefined));
      const soon = new Promise<[string | undefined, unknown]>((resolve) => {
        request.run("soon", () => loop.callSoon(() => resolve([request.getStore(), currentTask()])));
      });
      const later = new Promise<[string | undefined, unknown]>((resolve) => {
        request.run("later", () => loop.callLater(0, () => resolve([request.getStore(), currentTask()])));
      });
      return Promise.all([soon, later]);
    });
    assert.deepEqual(seen, [
      ["soon", null],
      ["later", null],
    ]);
  });
});
