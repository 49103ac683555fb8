// RateLimiter: the token bucket's timing on a VirtualClock, FIFO fairness with weights, and a
// waiter cancelled at each point of its life (at the door, while waiting at the head or behind it,
// after its tokens were handed over but before it resumed, by a signal, by a timeout): it never
// consumes a token and never delays those behind it.
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { inspect } from "node:util";
import { CancelledError, createTask, currentTask, RateLimiter, run, sleep, timeout, TimeoutError, type Task } from "../src/index.js";
import { VirtualClock } from "../src/testing/index.js";
import { now, ticks, vrun } from "./helpers.js";

const T = { timeout: 10_000 };

/**
 * Starts a task that acquires `weight` and records when it got it; returns the task. Tests that only
 * read the log drop it (`void`): the log is what they check, and run() awaits what is left.
 */
function acquirer(limiter: RateLimiter, weight: number, log: string[], name: string): Task<void> {
  return createTask(async () => {
    await limiter.acquire(weight);
    log.push(`${name}@${now()}`);
  });
}

describe("RateLimiter", () => {
  it("RateLimiter lets a full bucket through at once, then one token per 1/rate seconds", T, () =>
    vrun(async () => {
      const limiter = new RateLimiter(2, 1); // burst defaults to the rate
      const times: number[] = [];
      for (let i = 0; i < 6; i++) {
        await limiter.acquire();
        times.push(now());
      }
      assert.deepEqual(times, [0, 0, 0.5, 1, 1.5, 2]);
    }));

  it("RateLimiter per and burst: 3 per 6 seconds with a bucket of 1 is one every 2 seconds", T, () =>
    vrun(async () => {
      const limiter = new RateLimiter(3, 6, { burst: 1 });
      const times: number[] = [];
      for (let i = 0; i < 4; i++) {
        await limiter.acquire();
        times.push(now());
      }
      assert.deepEqual(times, [0, 2, 4, 6]);
    }));

  it("RateLimiter refills while idle, never beyond the burst", T, () =>
    vrun(async () => {
      const limiter = new RateLimiter(1, 1, { burst: 3 });
      await limiter.acquire(3);
      await sleep(100);
      assert.equal(limiter.statistics().tokens, 3);
      assert.equal(limiter.tryAcquire(3), true);
      assert.equal(limiter.tryAcquire(), false);
    }));

  it("RateLimiter serves waiters FIFO: a heavy waiter at the head is not overtaken by lighter ones", T, () =>
    vrun(async () => {
      const limiter = new RateLimiter(1, 1, { burst: 4 });
      await limiter.acquire(4);
      const log: string[] = [];
      void acquirer(limiter, 3, log, "heavy");
      void acquirer(limiter, 1, log, "light");
      await sleep(10);
      assert.deepEqual(log, ["heavy@3", "light@4"]);
    }));

  it("RateLimiter: a new acquire queues behind waiters even if tokens are there; tryAcquire does not barge", T, () =>
    vrun(async () => {
      const limiter = new RateLimiter(1, 1, { burst: 3 });
      await limiter.acquire(2); // 1 token left
      const log: string[] = [];
      void acquirer(limiter, 3, log, "heavy"); // needs 2 more seconds
      await ticks();
      assert.equal(limiter.tryAcquire(1), false, "a token is there, but heavy is first in line");
      void acquirer(limiter, 1, log, "light");
      await sleep(10);
      assert.deepEqual(log, ["heavy@2", "light@3"]);
    }));

  it("RateLimiter: a waiter cancelled at the door (a pending cancel) consumes no token", T, () =>
    vrun(async () => {
      const limiter = new RateLimiter(1, 1);
      const self = currentTask() as Task<unknown>;
      self.cancel();
      await assert.rejects(limiter.acquire(), CancelledError);
      self.uncancel();
      assert.equal(limiter.statistics().tokens, 1);
      assert.equal(limiter.statistics().granted, 0);
    }));

  it("RateLimiter: cancelling the waiter at the head consumes no token and the next one is served on its own schedule", T, () =>
    vrun(async () => {
      const limiter = new RateLimiter(1, 1, { burst: 5 });
      await limiter.acquire(5); // empty at t=0
      const log: string[] = [];
      const heavy = acquirer(limiter, 5, log, "heavy"); // would be served at t=5
      void acquirer(limiter, 1, log, "light"); // behind it
      await sleep(0.5);
      heavy.cancel();
      await assert.rejects(heavy, CancelledError);
      await sleep(10);
      assert.deepEqual(log, ["light@1"], "light got its token at t=1, not after heavy's 5 s");
      assert.equal(limiter.statistics().granted, 6);
    }));

  it("RateLimiter: cancelling a waiter behind the head changes nothing for the others", T, () =>
    vrun(async () => {
      const limiter = new RateLimiter(1, 1, { burst: 1 });
      await limiter.acquire();
      const log: string[] = [];
      void acquirer(limiter, 1, log, "a");
      const b = acquirer(limiter, 1, log, "b");
      void acquirer(limiter, 1, log, "c");
      await sleep(0.5);
      b.cancel();
      await sleep(10);
      assert.deepEqual(log, ["a@1", "c@2"]);
    }));

  it("RateLimiter: a waiter cancelled after its tokens were handed over, before it resumed, gives them back to the next", T, () =>
    vrun(async () => {
      const limiter = new RateLimiter(1, 1, { burst: 3 });
      await limiter.acquire(1); // 2 tokens left
      const log: string[] = [];
      const heavy = acquirer(limiter, 3, log, "heavy");
      const light = acquirer(limiter, 2, log, "light");
      await ticks(2);
      assert.equal(limiter.statistics().tasksWaiting, 2);
      // Cancelling heavy hands its place to light, whose 2 tokens are there: light is woken at once...
      heavy.cancel();
      // ...and cancelled before it resumes: its tokens go back.
      light.cancel();
      await assert.rejects(light, CancelledError);
      await assert.rejects(heavy, CancelledError);
      const s = limiter.statistics();
      assert.equal(s.tokens, 2);
      assert.equal(s.granted, 1);
      assert.equal(s.tasksWaiting, 0);
      assert.equal(now(), 0);
      // The returned tokens go to the next waiter, with no delay.
      void acquirer(limiter, 2, log, "next");
      await ticks(3);
      assert.deepEqual(log, ["next@0"]);
    }));

  it("RateLimiter: a signal aborted after the hand-over, before the waiter resumed, gives the tokens back too", T, () =>
    vrun(async () => {
      const limiter = new RateLimiter(1, 1, { burst: 3 });
      await limiter.acquire(1); // 2 tokens left
      const c1 = new AbortController();
      const c2 = new AbortController();
      const heavy = limiter.acquire(3, { signal: c1.signal });
      const light = limiter.acquire(2, { signal: c2.signal });
      c1.abort(new Error("heavy gave up")); // light moves to the head and is handed 2 tokens at once
      c2.abort(new Error("light gave up")); // before it resumed
      await assert.rejects(heavy, /heavy gave up/);
      await assert.rejects(light, /light gave up/);
      assert.deepEqual(
        { tokens: limiter.statistics().tokens, granted: limiter.statistics().granted },
        { tokens: 2, granted: 1 },
      );
      assert.equal(limiter.tryAcquire(2), true);
    }));

  it("RateLimiter: a signal aborted while waiting rejects with its reason and consumes nothing; an aborted signal is refused at the door", T, () =>
    vrun(async () => {
      const limiter = new RateLimiter(1, 1);
      await limiter.acquire();
      const controller = new AbortController();
      const reason = new Error("stop");
      const log: string[] = [];
      const waiting = limiter.acquire(1, { signal: controller.signal });
      void acquirer(limiter, 1, log, "next");
      await sleep(0.25);
      controller.abort(reason);
      await assert.rejects(waiting, reason);
      await sleep(5);
      assert.deepEqual(log, ["next@1"]);
      await assert.rejects(limiter.acquire(1, { signal: AbortSignal.abort(reason) }), reason);
    }));

  it("RateLimiter inside timeout(): the deadline cancels the wait; no token is lost", T, () =>
    vrun(async () => {
      const limiter = new RateLimiter(1, 10, { burst: 1 });
      await limiter.acquire();
      await assert.rejects(
        timeout(2, () => limiter.acquire()),
        TimeoutError,
      );
      assert.equal(limiter.statistics().granted, 1);
      assert.equal(limiter.statistics().tasksWaiting, 0);
      await limiter.acquire();
      assert.equal(now(), 10);
    }));

  it("RateLimiter statistics and inspect show the bucket and the line", T, () =>
    vrun(async () => {
      const limiter = new RateLimiter(4, 2, { burst: 3 });
      assert.deepEqual(limiter.statistics(), { tokens: 3, burst: 3, rate: 4, per: 2, tasksWaiting: 0, granted: 0 });
      await limiter.acquire(3);
      const t = createTask(() => limiter.acquire(2));
      await ticks();
      assert.equal(inspect(limiter), "<RateLimiter 4/2s burst=3 tokens=0 waiters=1>");
      await t;
      assert.equal(now(), 1);
      assert.equal(inspect(limiter), "<RateLimiter 4/2s burst=3 tokens=0>");
    }));

  it("RateLimiter works outside run() and across runs with different clocks", T, async () => {
    const limiter = new RateLimiter(1, 1);
    await limiter.acquire();
    assert.equal(limiter.tryAcquire(), false);
    await run(
      async () => {
        await limiter.acquire();
        // The bucket was (nearly) empty when the virtual clock took over at 50: one token takes 1 s.
        assert.ok(now() > 50.9 && now() <= 51, String(now()));
      },
      { clock: new VirtualClock({ start: 50 }) },
    );
    assert.equal(limiter.statistics().granted, 2);
  });

  it("RateLimiter rejects bad arguments at once, saying what was expected", T, () => {
    assert.throws(() => new RateLimiter(0), (e: unknown) => e instanceof RangeError && /rate .* positive, finite number: received 0/.test(e.message));
    assert.throws(() => new RateLimiter(-1), RangeError);
    assert.throws(() => new RateLimiter(NaN), RangeError);
    assert.throws(() => new RateLimiter(Infinity), RangeError);
    assert.throws(() => new RateLimiter("5" as unknown as number), TypeError);
    assert.throws(() => new RateLimiter(5, 0), /per \(the period in seconds\)/);
    assert.throws(() => new RateLimiter(5, 1, { burst: 0 }), /burst/);
    assert.throws(() => new RateLimiter(5, 1, null as unknown as { burst: number }), TypeError);
    const limiter = new RateLimiter(5, 1, { burst: 2 });
    assert.throws(() => limiter.acquire(3), (e: unknown) => e instanceof RangeError && /at most the burst \(2\).*received 3/.test(e.message));
    assert.throws(() => limiter.acquire(0), RangeError);
    assert.throws(() => limiter.tryAcquire(-1), RangeError);
    assert.throws(() => limiter.acquire("1" as unknown as number), TypeError);
    assert.throws(() => limiter.acquire(1, { signal: "no" as unknown as AbortSignal }), /AbortSignal/);
  });
});
