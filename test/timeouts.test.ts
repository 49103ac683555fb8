// Port of CPython's Lib/test/test_asyncio/test_timeouts.py (3.12–3.14) onto timeout()/timeoutAt()
// with a Timeout scope handed to the function.
import { strict as assert } from "node:assert";
import { describe, test } from "./helpers.js";
import { inspect } from "node:util";

import {
  CancelledError,
  createTask,
  currentTask,
  ExceptionGroup,
  Future,
  getRunningLoop,
  sleep,
  taskGroup,
  timeout,
  timeoutAt,
  TimeoutError,
  type Timeout,
} from "../src/index.js";
import { VirtualClock } from "../src/testing/index.js";
import { run } from "../src/index.js";
import { now, vrun, ZeroDivisionError } from "./helpers.js";

async function scopeOf(p: (grab: (cm: Timeout) => void) => Promise<unknown>): Promise<[Timeout, unknown]> {
  let scope: Timeout | undefined;
  let error: unknown = null;
  try {
    await p((cm) => (scope = cm));
  } catch (e) {
    error = e;
  }
  assert.ok(scope);
  return [scope, error];
}

describe("timeout", () => {
  test("timeout throws TimeoutError when the work outlives it; the scope is expired", () =>
    vrun(async () => {
      const [cm, err] = await scopeOf((grab) => timeout(0.01, async (cm) => (grab(cm), await sleep(10))));
      assert.ok(err instanceof TimeoutError);
      assert.ok(err.cause instanceof CancelledError);
      assert.equal(cm.expired(), true);
      assert.equal(now(), 0.01);
    }));

  test("timeoutAt throws TimeoutError at the deadline; when() is that deadline", () =>
    vrun(async () => {
      const deadline = getRunningLoop().time() + 0.01;
      const [cm, err] = await scopeOf((grab) => timeoutAt(deadline, async (cm) => (grab(cm), await sleep(10))));
      assert.ok(err instanceof TimeoutError);
      assert.equal(cm.expired(), true);
      assert.equal(cm.when(), deadline);
    }));

  test("timeout nested with equal deadlines: only the outermost throws TimeoutError", () =>
    vrun(async () => {
      let cancelled = false;
      let cm2: Timeout | undefined;
      const deadline = getRunningLoop().time() + 0.01;
      const [cm1, err] = await scopeOf((grab) =>
        timeoutAt(deadline, async (cm1) => {
          grab(cm1);
          try {
            await timeoutAt(deadline, async (cm) => {
              cm2 = cm;
              await sleep(10);
            });
          } catch (e) {
            if (e instanceof CancelledError) cancelled = true;
            throw e;
          }
        }),
      );
      assert.ok(err instanceof TimeoutError);
      assert.equal(cancelled, true);
      assert.equal(cm1.expired(), true);
      assert.equal(cm2?.expired(), true);
    }));

  test("timeout cancels the work at its current await (waiter_cancelled)", () =>
    vrun(async () => {
      let cancelled = false;
      await assert.rejects(
        timeout(0.01, async () => {
          try {
            await sleep(10);
          } catch (e) {
            if (e instanceof CancelledError) cancelled = true;
            throw e;
          }
        }),
        TimeoutError,
      );
      assert.equal(cancelled, true);
    }));

  test("timeout that does not expire returns the value; when() is in the future", () =>
    vrun(async () => {
      let scope: Timeout | undefined;
      const v = await timeout(10, async (cm) => {
        scope = cm;
        await sleep(0.01);
        return "value";
      });
      assert.equal(v, "value");
      assert.equal(scope?.expired(), false);
      assert.ok((scope?.when() ?? 0) > getRunningLoop().time());
    }));

  test("timeout(null) and timeoutAt(null) never expire; when() is null", () =>
    vrun(async () => {
      for (const enter of [timeout, timeoutAt]) {
        let scope: Timeout | undefined;
        await enter(null, async (cm) => {
          scope = cm;
          await sleep(100);
        });
        assert.equal(scope?.expired(), false);
        assert.equal(scope?.when(), null);
      }
    }));

  for (const [delay, body] of [
    [0, "sleep(10)"],
    [0, "sleep(0)"],
    [-11, "sleep(0)"],
  ] as const) {
    test(`timeout(${delay}) around ${body} throws TimeoutError`, () =>
      vrun(async () => {
        const t0 = getRunningLoop().time();
        const [cm, err] = await scopeOf((grab) =>
          timeout(delay, async (cm) => {
            grab(cm);
            await sleep(body === "sleep(10)" ? 10 : 0);
          }),
        );
        const t1 = getRunningLoop().time();
        assert.ok(err instanceof TimeoutError);
        assert.equal(cm.expired(), true);
        const when = cm.when() ?? NaN;
        if (delay === 0) assert.ok(t0 <= when && when <= t1);
        else assert.ok(when <= t0);
      }));
  }

  test("timeout passes a foreign error through and does not expire", () =>
    vrun(async () => {
      class KeyError extends Error {}
      const [cm, err] = await scopeOf((grab) =>
        timeout(0.01, (cm) => {
          grab(cm);
          throw new KeyError();
        }),
      );
      assert.ok(err instanceof KeyError);
      assert.equal(cm.expired(), false);
    }));

  test("timeout: an error raised while the work unwinds replaces the TimeoutError", () =>
    vrun(async () => {
      const crash = async (): Promise<void> => {
        try {
          await sleep(1);
        } finally {
          // eslint-disable-next-line no-unsafe-finally
          throw new ZeroDivisionError();
        }
      };
      await assert.rejects(timeout(0.01, crash), ZeroDivisionError);
      class KeyError extends Error {}
      await assert.rejects(
        timeout(0.01, async () => {
          try {
            try {
              throw new RangeError("value");
            } finally {
              await sleep(1);
            }
          } finally {
            try {
              // eslint-disable-next-line no-unsafe-finally
              throw new KeyError();
            } finally {
              // eslint-disable-next-line no-unsafe-finally
              throw new ZeroDivisionError();
            }
          }
        }),
        ZeroDivisionError,
      );
    }));

  test("timeout: a foreign cancel() propagates as CancelledError if the scope did not expire", () =>
    vrun(async () => {
      const t = createTask(async () => {
        let scope: Timeout | undefined;
        try {
          await timeout(10, async (cm) => {
            scope = cm;
            currentTask()?.cancel();
            await sleep(10);
          });
        } catch (e) {
          assert.ok(e instanceof CancelledError);
          assert.equal(scope?.expired(), false);
          throw e;
        }
      });
      await assert.rejects(async () => {
        await t;
      }, CancelledError);
    }));

  test("timeout: the task around a scope that expired is not cancelled", () =>
    vrun(async () => {
      const task = createTask(async () => {
        await assert.rejects(timeout(0.001, () => sleep(10)), TimeoutError);
      });
      await task;
      assert.equal(task.cancelled(), false);
      assert.equal(task.cancelling(), 0);
    }));

  test("timeout nested: the outer deadline passing during blocking work (nested_timeouts_concurrent)", async () => {
    const clock = new VirtualClock();
    await run(
      async () => {
        await assert.rejects(
          timeout(0.002, async () => {
            await timeout(0.1, async () => {
              clock.advance(0.01); // pretend we crunch numbers
              await sleep(1);
            });
          }),
          TimeoutError,
        );
      },
      { clock },
    );
  });

  test("timeout nested: both deadlines pass while the loop is busy; the outer one wins (nested_timeouts_loop_busy)", async () => {
    const clock = new VirtualClock();
    await run(
      async () => {
        const loop = getRunningLoop();
        const t0 = loop.time();
        let afterInner = false;
        let innerError: unknown = null;
        await assert.rejects(
          timeout(0.1, async () => {
            try {
              await timeout(0.01, async () => {
                clock.advance(0.1); // the loop is busy
                await sleep(1);
              });
            } catch (e) {
              innerError = e;
              if (!(e instanceof TimeoutError)) throw e;
            }
            afterInner = true;
            await sleep(10);
          }),
          TimeoutError,
        );
        // Both expiries cancel the task; the inner scope sees a cancel it did not cause (the
        // outer's) and lets the CancelledError through, as asyncio's Timeout does (uncancel() > 0).
        assert.ok(innerError instanceof CancelledError, `the inner scope threw ${String(innerError)}`);
        assert.equal(afterInner, false, "the code after the inner scope never ran");
        assert.equal(now() - t0, 0.1);
      },
      { clock },
    );
  });

  test("timeout reschedule() moves the deadline; null removes it", () =>
    vrun(async () => {
      const loop = getRunningLoop();
      const fut = new Future<Timeout>();
      const deadline1 = loop.time() + 10;
      const deadline2 = deadline1 + 20;
      const task = createTask(() =>
        timeoutAt(deadline1, async (cm) => {
          fut.setResult(cm);
          await sleep(50);
        }),
      );
      const cm = await fut;
      assert.equal(cm.when(), deadline1);
      cm.reschedule(deadline2);
      assert.equal(cm.when(), deadline2);
      cm.reschedule(null);
      assert.equal(cm.when(), null);
      await sleep(40);
      assert.equal(task.done(), false, "no deadline any more");
      task.cancel();
      await assert.rejects(async () => {
        await task;
      }, CancelledError);
      assert.equal(cm.expired(), false);
    }));

  test("timeout reschedule() to a past deadline expires on the next loop turn", () =>
    vrun(async () => {
      await assert.rejects(
        timeout(10, async (cm) => {
          cm.reschedule(getRunningLoop().time() - 1);
          await sleep(5);
        }),
        TimeoutError,
      );
      assert.equal(now(), 0);
    }));

  test("timeout inspect() shows the scope's state", () =>
    vrun(async () => {
      await timeout(10, (cm) => {
        assert.match(inspect(cm), /<Timeout \[active\] when=\d+(\.\d*)?>/);
      });
      const [cm] = await scopeOf((grab) => timeout(0.01, async (cm) => (grab(cm), await sleep(10))));
      assert.equal(inspect(cm), "<Timeout [expired]>");
      let finished: Timeout | undefined;
      await timeout(10, async (cm) => {
        finished = cm;
        await sleep(0);
      });
      assert.equal(inspect(finished), "<Timeout [finished]>");
      await timeout(null, (cm) => {
        assert.equal(inspect(cm), "<Timeout [active] when=null>");
      });
    }));

  test("timeout nested inside a finally of an expiring scope", () =>
    vrun(async () => {
      let inner: unknown = null;
      const err = await timeout(0.01, async () => {
        try {
          await sleep(1);
        } finally {
          inner = await timeout(0.01, () => sleep(10)).catch((e: unknown) => e);
        }
      }).catch((e: unknown) => e);
      assert.ok(err instanceof TimeoutError);
      assert.ok(err.cause instanceof CancelledError);
      assert.ok(inner instanceof TimeoutError);
    }));

  test("timeout in cleanup after a caught cancellation still times out", () =>
    vrun(async () => {
      try {
        currentTask()?.cancel();
        await sleep(1);
      } catch (e) {
        assert.ok(e instanceof CancelledError);
      } finally {
        await assert.rejects(
          timeout(0, () => sleep(1)),
          TimeoutError,
        );
      }
    }));

  test("timeout in cleanup after a caught cancellation passes a new cancel() through", () =>
    vrun(async () => {
      try {
        currentTask()?.cancel();
        await sleep(1);
      } catch (e) {
        assert.ok(e instanceof CancelledError);
      } finally {
        await assert.rejects(
          timeout(1, async () => {
            currentTask()?.cancel();
            await sleep(2);
          }),
          CancelledError,
        );
      }
      currentTask()?.uncancel();
      currentTask()?.uncancel();
    }));

  test("timeout reschedule() after the scope finished or expired, or while expiring, throws", () =>
    vrun(async () => {
      let finished: Timeout | undefined;
      await timeout(0.01, (cm) => {
        finished = cm;
      });
      assert.throws(() => finished?.reschedule(0.02), /finished/);
      const [expired] = await scopeOf((grab) => timeout(0.01, async (cm) => (grab(cm), await sleep(1))));
      assert.throws(() => expired.reschedule(0.02), /expired/);
      let expiring: Timeout | undefined;
      const value = await timeout(0.01, async (cm) => {
        expiring = cm;
        await assert.rejects(sleep(1), CancelledError);
        assert.throws(() => cm.reschedule(0.02), /expiring/);
        return "swallowed";
      });
      // The body swallowed the cancellation and returned: its value comes back (asyncio 3.12+).
      assert.equal(value, "swallowed");
      assert.equal(expiring?.expired(), true);
    }));

  test("timeout works outside any task", async () => {
    await assert.rejects(
      timeout(0.01, () => sleep(10)),
      TimeoutError,
    );
    assert.equal(await timeout(1, () => 5), 5);
  });

  test("timeout around a task group whose child crashes while being cancelled (timeout_taskgroup)", () =>
    vrun(async () => {
      const task = async (): Promise<void> => {
        try {
          await sleep(2);
        } finally {
          // eslint-disable-next-line no-unsafe-finally
          throw new ZeroDivisionError();
        }
      };
      const err = await timeout(0.01, () =>
        taskGroup(async (tg) => {
          void tg.createTask(task);
          try {
            throw new RangeError("value");
          } finally {
            await sleep(1);
          }
        }),
      ).catch((e: unknown) => e);
      assert.ok(err instanceof ExceptionGroup, String(err));
      assert.equal(err.exceptions.length, 1);
      assert.ok(err.exceptions[0] instanceof ZeroDivisionError);
    }));

  test("timeout rejects bad arguments", () =>
    vrun(async () => {
      assert.throws(() => timeout(NaN, () => 1), RangeError);
      assert.throws(() => timeout("1" as never, () => 1), TypeError);
      assert.throws(() => timeout(1, 42 as never), TypeError);
      const p = sleep(0);
      assert.throws(() => timeout(1, p as never), { name: "TypeError", message: /not a promise/ });
      await p;
      assert.throws(() => timeoutAt(NaN, () => 1), RangeError);
      await timeout(10, (cm) => {
        assert.throws(() => cm.reschedule(NaN), RangeError);
      });
    }));
});
