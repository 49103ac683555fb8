// retry: back-off timing on a VirtualClock, jitter bounds, retryOn, cancellation never retried
// (from the attempt and during a back-off sleep), enclosing timeouts, signals, the cause chain.
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { CancelledError, createTask, retry, sleep, timeout, TimeoutError, waitFor } from "../src/index.js";
import { now, vrun } from "./helpers.js";

const T = { timeout: 10_000 };

class HttpError extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}

describe("retry", () => {
  it("retry returns the first success, passing the attempt number", T, () =>
    vrun(async () => {
      const seen: number[] = [];
      const value = await retry(
        (attempt) => {
          seen.push(attempt);
          if (attempt < 3) throw new Error(`attempt ${attempt}`);
          return "ok";
        },
        { jitter: false },
      );
      assert.equal(value, "ok");
      assert.deepEqual(seen, [1, 2, 3]);
      assert.equal(now(), 0.3);
    }));

  it("retry backs off exponentially up to max", T, () =>
    vrun(async () => {
      const at: number[] = [];
      await assert.rejects(
        retry(
          () => {
            at.push(now());
            throw new Error("down");
          },
          { attempts: 6, initial: 1, factor: 3, max: 10, jitter: false },
        ),
        /down/,
      );
      assert.deepEqual(at, [0, 1, 4, 13, 23, 33]);
    }));

  it("retry with jitter sleeps between half and all of each back-off", T, () =>
    vrun(async () => {
      const delays: number[] = [];
      await assert.rejects(
        retry(
          () => {
            throw new Error("x");
          },
          { attempts: 30, initial: 1, factor: 2, max: 4, onRetry: (_e, _a, delay) => delays.push(delay) },
        ),
      );
      const bounds = delays.map((_, i) => Math.min(2 ** i, 4));
      delays.forEach((d, i) => assert.ok(d >= (bounds[i] as number) / 2 && d <= (bounds[i] as number), `delay ${i}: ${d}`));
      assert.ok(new Set(delays.slice(3)).size > 1, "jittered delays differ");
    }));

  it("retry throws the last error, the earlier ones reachable through its cause chain", T, () =>
    vrun(async () => {
      const rooted = new Error("first", { cause: "socket reset" });
      const errors = [rooted, new HttpError(502), new HttpError(503)];
      let i = 0;
      const thrown = await retry(
        () => {
          throw errors[i++] as Error;
        },
        { jitter: false },
      ).catch((e: unknown) => e);
      assert.equal(thrown, errors[2]);
      assert.equal((thrown as Error).cause, errors[1]);
      assert.equal(((thrown as Error).cause as Error).cause, rooted);
      assert.equal(rooted.cause, "socket reset", "an error's own cause is kept");
    }));

  it("retry never links an error to itself when the same object is thrown again", T, () =>
    vrun(async () => {
      const same = new Error("same");
      await assert.rejects(
        retry(
          () => {
            throw same;
          },
          { jitter: false },
        ),
        same,
      );
      assert.equal(same.cause, undefined);
    }));

  it("retry stops as soon as retryOn says no", T, () =>
    vrun(async () => {
      let calls = 0;
      await assert.rejects(
        retry(
          () => {
            calls++;
            throw new HttpError(calls === 1 ? 503 : 404);
          },
          { attempts: 5, retryOn: (e) => e instanceof HttpError && e.status >= 500 },
        ),
        (e: unknown) => e instanceof HttpError && e.status === 404 && (e.cause as HttpError).status === 503,
      );
      assert.equal(calls, 2);
    }));

  it("retry never retries a CancelledError thrown by an attempt", T, () =>
    vrun(async () => {
      let calls = 0;
      await assert.rejects(
        retry(() => {
          calls++;
          throw new CancelledError();
        }),
        CancelledError,
      );
      assert.equal(calls, 1);
    }));

  it("retry: cancelling the task during an attempt or a back-off sleep stops it at once", T, () =>
    vrun(async () => {
      let calls = 0;
      const duringSleep = createTask(() =>
        retry(
          () => {
            calls++;
            throw new Error("fail");
          },
          { attempts: 10, initial: 5, jitter: false },
        ),
      );
      await sleep(1); // inside the first back-off
      duringSleep.cancel();
      await assert.rejects(duringSleep, CancelledError);
      assert.equal(calls, 1);

      const duringAttempt = createTask(() => retry(() => sleep(10), { attempts: 10 }));
      await sleep(1);
      duringAttempt.cancel();
      await assert.rejects(duringAttempt, CancelledError);
      assert.equal(now(), 2);
    }));

  it("retry inside timeout(): the deadline cuts the back-off short and becomes a TimeoutError", T, () =>
    vrun(async () => {
      let calls = 0;
      await assert.rejects(
        timeout(3, () =>
          retry(
            () => {
              calls++;
              throw new Error("fail");
            },
            { attempts: Infinity, initial: 1, factor: 1, jitter: false },
          ),
        ),
        TimeoutError,
      );
      assert.equal(now(), 3);
      assert.equal(calls, 3);
    }));

  it("retry: a per-attempt waitFor TimeoutError is retried like any failure", T, () =>
    vrun(async () => {
      const value = await retry((attempt) => waitFor(sleep(attempt === 1 ? 10 : 0.5, attempt), 1), { jitter: false });
      assert.equal(value, 2);
      assert.equal(now(), 1 + 0.1 + 0.5);
    }));

  it("retry: options.signal aborts a back-off sleep with its reason", T, () =>
    vrun(async () => {
      const controller = new AbortController();
      const reason = new Error("shutting down");
      const p = retry(
        () => {
          throw new Error("fail");
        },
        { signal: controller.signal, initial: 5 },
      );
      await sleep(1);
      controller.abort(reason);
      await assert.rejects(p, reason);
    }));

  it("retry rejects bad arguments at once, saying what was expected", T, () => {
    const fn = (): number => 1;
    assert.throws(() => retry(Promise.resolve(1) as unknown as typeof fn), /not a promise/);
    assert.throws(() => retry(fn, { attempts: 0 }), (e: unknown) => e instanceof RangeError && /attempts .* received 0/.test(e.message));
    assert.throws(() => retry(fn, { attempts: 2.5 }), RangeError);
    assert.throws(() => retry(fn, { initial: -1 }), /options.initial/);
    assert.throws(() => retry(fn, { factor: 0.5 }), /options.factor to be a number ≥ 1/);
    assert.throws(() => retry(fn, { max: NaN }), RangeError);
    assert.throws(() => retry(fn, { jitter: 1 as unknown as boolean }), /options.jitter to be a boolean/);
    assert.throws(() => retry(fn, { retryOn: true as unknown as () => boolean }), /retryOn to be a function/);
    assert.throws(() => retry(fn, { signal: {} as AbortSignal }), /AbortSignal/);
    assert.throws(() => retry(fn, "x" as unknown as object), /options object/);
  });
});
