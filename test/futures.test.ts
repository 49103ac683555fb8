// Port of CPython's Lib/test/test_asyncio/test_futures.py (3.11–3.14): Future basics, results and
// exceptions, cancellation, "exception was never retrieved" reports, and done callbacks.
import { strict as assert } from "node:assert";
import { describe, test } from "./helpers.js";
import { inspect } from "node:util";

import { CancelledError, Future, getRunningLoop, InvalidStateError, run, Task } from "../src/index.js";
import { captureExceptions, ticks } from "./helpers.js";

function bagAppender(bag: unknown[], thing: unknown): () => void {
  return () => {
    bag.push(thing);
  };
}

describe("Future state", () => {
  test("Future starts pending and not cancelled; cancel() cancels it", () =>
    run(() => {
      const f = new Future();
      assert.equal(f.cancelled(), false);
      assert.equal(f.done(), false);
      f.cancel();
      assert.equal(f.cancelled(), true);
    }));

  test("Future uses the running loop", () =>
    run(() => {
      const f = getRunningLoop().createFuture();
      const g = new Future();
      assert.equal(f.getLoop(), getRunningLoop());
      assert.equal(g.getLoop(), getRunningLoop());
    }));

  test("Future works outside any task (there is always an event loop)", async () => {
    const f = new Future<number>();
    setImmediate(() => f.setResult(7));
    assert.equal(await f, 7);
  });

  test("Future cancel(msg) is delivered as the CancelledError message", () =>
    run(async () => {
      const f = new Future();
      f.cancel("my message");
      await assert.rejects(
        async () => {
          await f;
        },
        (e: unknown) => e instanceof CancelledError && e.message === "my message",
      );
      assert.throws(() => f.result(), (e: unknown) => e instanceof CancelledError && e.message === "my message");
    }));

  test("Future cancel() on a pending future makes every accessor reflect it", () =>
    run(() => {
      const f = new Future();
      assert.equal(f.cancel(), true);
      assert.equal(f.cancelled(), true);
      assert.equal(f.done(), true);
      assert.throws(() => f.result(), CancelledError);
      assert.throws(() => f.exception(), CancelledError);
      assert.throws(() => f.setResult(null), InvalidStateError);
      assert.throws(() => f.setException(new Error()), InvalidStateError);
      assert.equal(f.cancel(), false);
    }));

  test("Future result() throws InvalidStateError until set, then returns the value", () =>
    run(() => {
      const f = new Future<number>();
      assert.throws(() => f.result(), InvalidStateError);
      f.setResult(42);
      assert.equal(f.cancelled(), false);
      assert.equal(f.done(), true);
      assert.equal(f.result(), 42);
      assert.equal(f.exception(), null);
      assert.throws(() => f.setResult(0), InvalidStateError);
      assert.throws(() => f.setException(new Error()), InvalidStateError);
      assert.equal(f.cancel(), false);
    }));

  test("Future setException() makes result() throw it and exception() return it", () =>
    run(() => {
      const exc = new RangeError("boom");
      const f = new Future();
      assert.throws(() => f.exception(), InvalidStateError);
      f.setException(exc);
      assert.equal(f.cancelled(), false);
      assert.equal(f.done(), true);
      assert.throws(() => f.result(), (e: unknown) => e === exc);
      assert.equal(f.exception(), exc);
      assert.throws(() => f.setResult(null), InvalidStateError);
      assert.throws(() => f.setException(new Error()), InvalidStateError);
      assert.equal(f.cancel(), false);
    }));

  test("Future can be awaited twice and gives the same result (yield_from_twice)", () =>
    run(async () => {
      const f = new Future<string>();
      getRunningLoop().callSoon(() => f.setResult("x"));
      assert.equal(await f, "x");
      assert.equal(await f, "x");
      assert.equal(await f.then((v) => v + "!"), "x!");
    }));

  test("Future awaited by a task delivers an exception to the awaiter", () =>
    run(async () => {
      const f = new Future();
      const err = new Error("fail");
      getRunningLoop().callSoon(() => f.setException(err));
      await assert.rejects(
        async () => {
          await f;
        },
        (e: unknown) => e === err,
      );
    }));

  test("Future inspect() shows its state", () =>
    run(() => {
      const f = new Future<number>();
      assert.match(inspect(f), /pending/);
      f.setResult(42);
      assert.match(inspect(f), /finished/);
      assert.match(inspect(f), /42/);
      const g = new Future();
      g.cancel();
      assert.match(inspect(g), /cancelled/);
      const h = new Future();
      h.setException(new Error("oops"));
      assert.match(inspect(h), /exception/);
      h.exception();
    }));

  test("Future is a thenable usable with Promise.resolve and Promise.all", () =>
    run(async () => {
      const a = new Future<number>();
      const b = new Future<string>();
      a.setResult(1);
      b.setResult("two");
      assert.deepEqual(await Promise.all([a, b]), [1, "two"]);
      assert.equal(await Promise.resolve(a), 1);
    }));

  test("Future constructor rejects an argument that is not a loop", () => {
    assert.throws(() => new Future(42 as never), TypeError);
  });
});

describe("Future exception was never retrieved", () => {
  async function reportsFor(body: () => void | Promise<void>): Promise<string[]> {
    let seen: ReturnType<typeof captureExceptions> = [];
    await run(async () => {
      seen = captureExceptions();
      await body();
    });
    return seen.map((c) => c.message);
  }

  test("Future failure never looked at is reported through the loop's exception handler", async () => {
    const keep: Future[] = [];
    const messages = await reportsFor(() => {
      const f = new Future();
      f.setException(new RangeError("boom"));
      keep.push(f);
    });
    assert.equal(messages.length, 1);
    assert.match(messages[0] ?? "", /exception was never retrieved/);
  });

  test("Future abandoned while pending is not reported", async () => {
    const keep: Future[] = [];
    const messages = await reportsFor(() => {
      keep.push(new Future());
    });
    assert.deepEqual(messages, []);
  });

  test("Future with an unretrieved result is not reported", async () => {
    const keep: Future[] = [];
    const messages = await reportsFor(() => {
      const f = new Future();
      f.setResult(42);
      keep.push(f);
    });
    assert.deepEqual(messages, []);
  });

  test("Future failure is not reported once exception() was called", async () => {
    const keep: Future[] = [];
    const messages = await reportsFor(() => {
      const f = new Future();
      f.setException(new Error("boom"));
      f.exception();
      keep.push(f);
    });
    assert.deepEqual(messages, []);
  });

  test("Future failure is not reported once result() threw it", async () => {
    const keep: Future[] = [];
    const messages = await reportsFor(() => {
      const f = new Future();
      f.setException(new Error("boom"));
      assert.throws(() => f.result(), /boom/);
      keep.push(f);
    });
    assert.deepEqual(messages, []);
  });

  test("Future failure is not reported after cancel() was called on it", async () => {
    const keep: Future[] = [];
    const messages = await reportsFor(() => {
      const f = new Future();
      f.setException(new Error("boom"));
      assert.equal(f.cancel(), false);
      keep.push(f);
    });
    assert.deepEqual(messages, []);
  });

  test("Future failure is not reported when it was awaited", async () => {
    const messages = await reportsFor(async () => {
      const f = new Future();
      getRunningLoop().callSoon(() => f.setException(new Error("boom")));
      await assert.rejects(async () => {
        await f;
      }, /boom/);
    });
    assert.deepEqual(messages, []);
  });
});

describe("Future done callbacks", () => {
  test("Future removeDoneCallback of the first callback leaves the others", () =>
    run(async () => {
      const bag: unknown[] = [];
      const f = new Future<string>();
      const cb1 = bagAppender(bag, 42);
      const cb2 = bagAppender(bag, 17);
      const cb3 = bagAppender(bag, 100);
      f.addDoneCallback(cb1);
      f.addDoneCallback(cb2);
      f.addDoneCallback(cb3);
      f.removeDoneCallback(cb1);
      f.removeDoneCallback(cb1);
      assert.deepEqual(bag, []);
      f.setResult("foo");
      await ticks();
      assert.deepEqual(bag, [17, 100]);
      assert.equal(f.result(), "foo");
    }));

  test("Future removeDoneCallback of the first and second callbacks leaves the third", () =>
    run(async () => {
      const bag: unknown[] = [];
      const f = new Future<string>();
      const cb1 = bagAppender(bag, 42);
      const cb2 = bagAppender(bag, 17);
      const cb3 = bagAppender(bag, 100);
      f.addDoneCallback(cb1);
      f.addDoneCallback(cb2);
      f.addDoneCallback(cb3);
      f.removeDoneCallback(cb1);
      f.removeDoneCallback(cb2);
      f.removeDoneCallback(cb1);
      f.setResult("foo");
      await ticks();
      assert.deepEqual(bag, [100]);
    }));

  test("Future removeDoneCallback of the third callback leaves the first two", () =>
    run(async () => {
      const bag: unknown[] = [];
      const f = new Future<string>();
      const cb1 = bagAppender(bag, 42);
      const cb2 = bagAppender(bag, 17);
      const cb3 = bagAppender(bag, 100);
      f.addDoneCallback(cb1);
      f.addDoneCallback(cb2);
      f.addDoneCallback(cb3);
      f.removeDoneCallback(cb3);
      f.removeDoneCallback(cb3);
      f.setResult("foo");
      await ticks();
      assert.deepEqual(bag, [42, 17]);
    }));

  test("Future done callbacks run through the loop, in order, after setResult", () =>
    run(async () => {
      const bag: unknown[] = [];
      const f = new Future<string>();
      f.addDoneCallback(bagAppender(bag, 42));
      f.addDoneCallback(bagAppender(bag, 17));
      assert.deepEqual(bag, []);
      f.setResult("foo");
      assert.deepEqual(bag, [], "callbacks are scheduled, not called synchronously");
      await ticks();
      assert.deepEqual(bag, [42, 17]);
      assert.equal(f.result(), "foo");
    }));

  test("Future done callbacks run after setException", () =>
    run(async () => {
      const bag: unknown[] = [];
      const f = new Future();
      f.addDoneCallback(bagAppender(bag, 100));
      const exc = new Error("x");
      f.setException(exc);
      await ticks();
      assert.deepEqual(bag, [100]);
      assert.equal(f.exception(), exc);
    }));

  test("Future done callbacks run after cancel and receive the future", () =>
    run(async () => {
      const got: Future<unknown>[] = [];
      const f = new Future();
      f.addDoneCallback((fut) => got.push(fut));
      f.cancel();
      await ticks();
      assert.deepEqual(got, [f]);
    }));

  test("Future addDoneCallback on a done future schedules the callback soon", () =>
    run(async () => {
      const bag: unknown[] = [];
      const f = new Future();
      f.setResult(1);
      f.addDoneCallback(bagAppender(bag, "late"));
      assert.deepEqual(bag, []);
      await ticks();
      assert.deepEqual(bag, ["late"]);
    }));

  test("Future removeDoneCallback returns how many registrations it removed", () =>
    run(async () => {
      const bag: unknown[] = [];
      const f = new Future<string>();
      const cb1 = bagAppender(bag, 1);
      const cb2 = bagAppender(bag, 2);
      const cb3 = bagAppender(bag, 3);
      f.addDoneCallback(cb1);
      f.addDoneCallback(cb2);
      assert.equal(f.removeDoneCallback(cb2), 1);
      assert.equal(f.removeDoneCallback(cb3), 0);
      f.addDoneCallback(cb2);
      for (let i = 0; i < 5; i++) f.addDoneCallback(cb1);
      assert.equal(f.removeDoneCallback(cb1), 6);
      assert.deepEqual(bag, []);
      f.setResult("foo");
      await ticks();
      assert.deepEqual(bag, [2]);
    }));

  test("Future callbacks already scheduled still run when one removes another (bpo-28963)", () =>
    run(async () => {
      const bag: unknown[] = [];
      const f = new Future<number>();
      const other = bagAppender(bag, "other");
      f.addDoneCallback((fut) => {
        bag.push("mut");
        fut.removeDoneCallback(other);
      });
      f.addDoneCallback(other);
      f.addDoneCallback(other);
      f.setResult(1);
      await ticks();
      assert.deepEqual(bag, ["mut", "other", "other"]);
    }));

  test("Future addDoneCallback rejects a non-function with a TypeError", () =>
    run(() => {
      const f = new Future();
      assert.throws(() => f.addDoneCallback(42 as never), { name: "TypeError", message: /function/ });
    }));

  test("Future done callback that throws is reported through the loop's exception handler", () =>
    run(async () => {
      const seen = captureExceptions();
      const f = new Future();
      const err = new Error("in callback");
      f.addDoneCallback(() => {
        throw err;
      });
      const after: unknown[] = [];
      f.addDoneCallback(bagAppender(after, "next"));
      f.setResult(null);
      await ticks();
      assert.equal(seen.length, 1);
      assert.equal(seen[0]?.exception, err);
      assert.deepEqual(after, ["next"], "one failing callback does not stop the others");
    }));
});

describe("Future typing", () => {
  test("Future<T> and Task<T> carry their result types", () =>
    run(async () => {
      const f = new Future<number>();
      f.setResult(3);
      const n: number = await f;
      assert.equal(n, 3);
      assert.ok(Task.prototype instanceof Future);
    }));
});
