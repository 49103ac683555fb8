// A scope cancels its own body, and nothing outside it: timeout()/timeoutAt()/waitFor() deadlines
// and a failing taskGroup reach the waits started inside the scope (and what its body awaits),
// never a wait the task started before entering it, nor a signal taken outside it.
import { strict as assert } from "node:assert";
import { describe, test } from "node:test";

import {
  asCompleted,
  CancelledError,
  createTask,
  currentSignal,
  Future,
  Lock,
  Queue,
  Semaphore,
  sleep,
  taskGroup,
  timeout,
  timeoutAt,
  TimeoutError,
  waitFor,
  getRunningLoop,
} from "../src/index.js";
import { now, ticks, vrun } from "./helpers.js";

const T = { timeout: 10_000 };

/** The four ways a scope ends its body early: each must leave what was started before it alone. */
const scopes = {
  "timeout()": (body: () => Promise<unknown>) => timeout(1, body),
  "timeoutAt()": (body: () => Promise<unknown>) => timeoutAt(getRunningLoop().time() + 1, body),
  "waitFor()": (body: () => Promise<unknown>) => waitFor(body, 1),
  "failing taskGroup": (body: () => Promise<unknown>) =>
    taskGroup(async (tg) => {
      void tg.createTask(async () => {
        await sleep(1);
        throw new Error("child failed");
      });
      await body();
    }),
} as const;

describe("a scope cancels its own body, and nothing outside it", T, () => {
  for (const [name, scope] of Object.entries(scopes)) {
    test(`${name}: a q.get() and a sleep() started before the scope survive it, and so does the task's signal`, () =>
      vrun(async () => {
        const q = new Queue<number>();
        const got = q.get(); // started before the scope, awaited after it
        const slept = sleep(2, "slept");
        const outside = currentSignal();
        let inside: AbortSignal | undefined;
        const err = await scope(async () => {
          inside = currentSignal();
          await sleep(10);
        }).catch((e: unknown) => e);
        assert.ok(err instanceof TimeoutError || err instanceof Error, `the scope ended early: ${String(err)}`);
        assert.equal(outside.aborted, false, "the signal taken outside the scope was not aborted");
        assert.equal(inside?.aborted, true, "the signal taken inside the scope was");
        q.putNowait(5);
        assert.equal(await got, 5);
        assert.equal(await slept, "slept");
        assert.equal(now(), 2);
      }));

    test(`${name}: a lock.acquire() queued before the scope keeps its place and gets the lock`, () =>
      vrun(async () => {
        const lock = new Lock();
        const holder = await lock.acquire();
        const queued = lock.acquire();
        await scope(() => sleep(10)).catch(() => undefined);
        holder.release();
        const guard = await queued;
        assert.equal(lock.locked(), true);
        guard.release();
        assert.equal(lock.locked(), false);
      }));
  }

  test("what the body awaits is cancelled even when it was started before the scope (waitFor(q.get(), t))", () =>
    vrun(async () => {
      const q = new Queue<number>();
      await assert.rejects(waitFor(q.get(), 1), TimeoutError);
      q.putNowait(1);
      assert.equal(q.getNowait(), 1, "the abandoned getter did not swallow the item");
    }));

  test("waitFor(promise of an async function, t) cancels that function's waits, before and after its first await", () =>
    vrun(async () => {
      const steps: string[] = [];
      const work = async (): Promise<void> => {
        try {
          await sleep(0.5);
          steps.push("first sleep done");
          await sleep(10);
        } finally {
          steps.push("finally");
        }
      };
      await assert.rejects(waitFor(work(), 1), TimeoutError);
      assert.equal(now(), 1);
      await ticks(2);
      assert.deepEqual(steps, ["first sleep done", "finally"]);
    }));

  test("nested scopes: an inner deadline cancels only the inner body; the outer body goes on", () =>
    vrun(async () => {
      const outerSignal: AbortSignal[] = [];
      const result = await timeout(5, async () => {
        outerSignal.push(currentSignal());
        const pending = sleep(2, "outer sleep");
        await assert.rejects(timeout(1, () => sleep(10)), TimeoutError);
        assert.equal(outerSignal[0]?.aborted, false);
        return pending;
      });
      assert.equal(result, "outer sleep");
      assert.equal(now(), 2);
    }));

  test("task.cancel() still reaches everything the task does, inside scopes or not", () =>
    vrun(async () => {
      const q = new Queue<number>();
      const seen: string[] = [];
      const t = createTask(async () => {
        const before = q.get();
        before.catch((e: unknown) => seen.push(e instanceof CancelledError ? "before: cancelled" : "before: ?"));
        await timeout(10, async () => {
          const signal = currentSignal();
          try {
            await sleep(10);
          } finally {
            seen.push(`inner signal aborted: ${signal.aborted}`);
          }
        });
      });
      await ticks();
      t.cancel();
      await assert.rejects(Promise.resolve(t), CancelledError);
      await ticks();
      assert.deepEqual(seen.sort(), ["before: cancelled", "inner signal aborted: true"]);
      assert.equal(q.statistics().gettersWaiting, 0);
    }));

  test("a scope cancels a task its body awaits (asyncio cancels the awaited future)", () =>
    vrun(async () => {
      const child = createTask(() => sleep(10));
      await assert.rejects(timeout(1, () => child), TimeoutError);
      assert.equal(child.cancelled(), true);
    }));

  test("a scope's deadline while its body awaits a foreign promise lands at the body's next library await", () =>
    vrun(async () => {
      const steps: string[] = [];
      let release!: () => void;
      const foreign = new Promise<void>((r) => (release = r));
      getRunningLoop().callLater(2, () => release());
      await assert.rejects(
        timeout(1, async () => {
          const signal = currentSignal();
          await foreign;
          steps.push(`signal aborted: ${signal.aborted}`);
          await sleep(0);
          steps.push("not reached");
        }),
        TimeoutError,
      );
      assert.deepEqual(steps, ["signal aborted: true"]);
    }));
});

describe("waitFor with a timeout of zero or less is the shortest possible wait", T, () => {
  for (const t of [0, -1]) {
    test(`waitFor(q.get(), ${t}) on an empty queue: TimeoutError, and the next item is not swallowed`, () =>
      vrun(async () => {
        const q = new Queue<number>();
        await assert.rejects(waitFor(q.get(), t), TimeoutError);
        q.putNowait(1);
        assert.equal(q.getNowait(), 1);
        assert.equal(q.statistics().gettersWaiting, 0);
      }));

    test(`waitFor(q.get(), ${t}) with an item there: the item is returned, not dropped`, () =>
      vrun(async () => {
        const q = new Queue<number>();
        q.putNowait(1);
        assert.equal(await waitFor(q.get(), t), 1);
        assert.equal(q.qsize(), 0);
      }));

    test(`waitFor(lock.acquire(), ${t}): a free lock is taken and can be released; a held one is not left locked`, () =>
      vrun(async () => {
        const lock = new Lock();
        const guard = await waitFor(lock.acquire(), t);
        assert.equal(lock.locked(), true);
        await assert.rejects(waitFor(lock.acquire(), t), TimeoutError);
        guard.release();
        assert.equal(lock.locked(), false, "the timed-out acquire did not keep the lock");
      }));

    test(`waitFor(sem.acquire(), ${t}) on an exhausted semaphore: TimeoutError and no permit leaks`, () =>
      vrun(async () => {
        const sem = new Semaphore(1);
        const guard = await sem.acquire();
        await assert.rejects(waitFor(sem.acquire(), t), TimeoutError);
        guard.release();
        assert.equal(sem.locked(), false);
        (await sem.acquire()).release();
      }));

    test(`waitFor(future, ${t}): a done future's result is returned; a pending one is cancelled`, () =>
      vrun(async () => {
        const done = new Future<number>();
        done.setResult(3);
        assert.equal(await waitFor(done, t), 3);
        const pending = new Future<number>();
        await assert.rejects(waitFor(pending, t), TimeoutError);
        assert.equal(pending.cancelled(), true);
      }));
  }
});

describe("TimeoutError says what timed out", T, () => {
  test("asCompleted names its timeout", () =>
    vrun(async () => {
      const slow = createTask(() => sleep(10));
      const err = await (async () => {
        for await (const f of asCompleted([slow], { timeout: 0.5 })) void f;
      })().catch((e: unknown) => e);
      assert.ok(err instanceof TimeoutError);
      assert.match(err.message, /asCompleted\(\) timed out after 0\.5 s/);
      slow.cancel();
    }));

  test("timeout(delay) names the delay", () =>
    vrun(async () => {
      const err = await timeout(1.5, () => sleep(10)).catch((e: unknown) => e);
      assert.ok(err instanceof TimeoutError);
      assert.match(err.message, /1\.5 s/);
    }));

  test("waitFor names the delay", () =>
    vrun(async () => {
      const err = await waitFor(sleep(10), 0.25).catch((e: unknown) => e);
      assert.ok(err instanceof TimeoutError);
      assert.match(err.message, /waitFor\(\).*0\.25 s/);
    }));

  test("timeoutAt(when) and a rescheduled scope name the deadline", () =>
    vrun(async () => {
      const when = getRunningLoop().time() + 2;
      const err = await timeoutAt(when, () => sleep(10)).catch((e: unknown) => e);
      assert.ok(err instanceof TimeoutError);
      assert.match(err.message, new RegExp(`deadline.*${when}`));
      const err2 = await timeout(5, async (scope) => {
        scope.reschedule(getRunningLoop().time() + 1);
        await sleep(10);
      }).catch((e: unknown) => e);
      assert.ok(err2 instanceof TimeoutError);
      assert.match(err2.message, /deadline/);
    }));
});

describe("waitFor of a wait another task started", T, () => {
  test("waitFor(q.get() just made by another task, t) cancels that wait on timeout, as asyncio cancels what wait_for was given", () =>
    vrun(async () => {
      const q = new Queue<number>();
      let resolveMade!: (box: { made: Promise<number> }) => void;
      const handed = new Promise<{ made: Promise<number> }>((r) => (resolveMade = r));
      let release!: () => void;
      const foreign = new Promise<void>((r) => (release = r));
      const owner = createTask(async () => {
        const made = q.get();
        resolveMade({ made }); // boxed: a promise resolved with a promise would adopt it
        await foreign; // a foreign await: no other library wait starts
      });
      const { made } = await handed;
      made.catch(() => undefined);
      await assert.rejects(waitFor(made, 1), TimeoutError);
      await assert.rejects(made, CancelledError);
      q.putNowait(1);
      assert.equal(q.qsize(), 1, "the cancelled getter took nothing");
      release();
      await owner;
    }));
});
