// Executors: thread and process pools whose jobs a cancelled caller really stops, and that survive
// crashes. Pools start workers once and reuse them, so each describe block shares one pool.
import { strict as assert } from "node:assert";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, it } from "./helpers.js";
import { assertStopped } from "./stopped.js";
import {
  CancelledError,
  createTask,
  fromModule,
  gather,
  getRunningLoop,
  InvalidStateError,
  ProcessPoolExecutor,
  run,
  runInExecutor,
  sleep,
  ThreadPoolExecutor,
  timeout,
  TimeoutError,
  toThread,
  transfer,
  waitFor,
  WorkerDiedError,
  type Future,
} from "../src/index.js";
import { defaultExecutor } from "../src/executors/default.js";
import type * as Work from "./fixtures/executor-work.js";
import { unsupportedOn } from "./helpers.js";

/** Deno's Worker.terminate() does not interrupt synchronous JavaScript (an upstream limitation, documented in the README). */
const DENO_NO_INTERRUPT = "a cancelled thread job stops at its next await, not inside a synchronous loop (Worker.terminate() cannot interrupt it)";
const NO_RESOURCE_LIMITS = "worker resourceLimits are not enforced";

const WORK_TS = new URL("./fixtures/executor-work.ts", import.meta.url);
const WORK_JS = new URL("./fixtures/executor-work.js", import.meta.url);

/** A job that spins forever, counting in a shared Int32Array: the counter shows whether it still runs. */
function spin(counter: Int32Array): never {
  for (;;) Atomics.add(counter, 0, 1);
}

/** Waits (real time) until `predicate()` holds; fails after `seconds`. */
async function until(predicate: () => boolean, seconds = 10): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await sleep(0.005);
  }
}

function sharedCounter(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4));
}

describe("ThreadPoolExecutor", () => {
  const pool = new ThreadPoolExecutor({ maxWorkers: 2 });
  after(() => pool.shutdown());

  it("ThreadPoolExecutor submit runs a self-contained function in a worker and returns a Future of its result", async () => {
    await run(async () => {
      const future = pool.submit((a: number, b: number) => a * b, 6, 7);
      assert.equal(await future, 42);
      assert.equal(future.result(), 42);
      assert.equal(await pool.submit((s: string) => Promise.resolve(s.toUpperCase()), "async"), "ASYNC");
      const { isMainThread } = await import("node:worker_threads");
      assert.ok(isMainThread);
      assert.equal(await pool.submit(async () => (await import("node:worker_threads")).isMainThread), false);
    });
  });

  it("ThreadPoolExecutor submit structured-clones arguments and results", async () => {
    await run(async () => {
      const input = { when: new Date(0), tags: new Set(["a"]), nested: { map: new Map([[1, 2]]) } };
      const out = await pool.submit((x: typeof input) => ({ ...x, year: x.when.getUTCFullYear(), size: x.tags.size }), input);
      assert.equal(out.year, 1970);
      assert.equal(out.size, 1);
      assert.ok(out.nested.map instanceof Map);
    });
  });

  it("ThreadPoolExecutor submit fails only that job with the worker error's name, message, stack and properties", async () => {
    await run(async () => {
      const job = pool.submit(() => {
        class ValidationError extends Error {
          code = "E_BAD";
        }
        const error = new ValidationError("bad input");
        error.name = "ValidationError";
        throw error;
      });
      await assert.rejects(job, (error: Error & { code?: string }) => {
        assert.equal(error.name, "ValidationError");
        assert.equal(error.message, "bad input");
        assert.equal(error.code, "E_BAD");
        assert.match(error.stack ?? "", /ValidationError: bad input\n\s+at /);
        return true;
      });
      await assert.rejects(pool.submit(() => Promise.reject(new RangeError("async"))), { name: "RangeError", message: "async" });
      await assert.rejects(pool.submit((x: null) => (x as unknown as string).toString(), null), TypeError);
      assert.equal(await pool.submit(() => "still usable"), "still usable");
    });
  });

  it("ThreadPoolExecutor submit revives an error's cause and AggregateError members, and passes non-Error throws as they are", async () => {
    await run(async () => {
      await assert.rejects(pool.submit(() => {
        throw new Error("outer", { cause: new TypeError("inner") });
      }), (error: Error) => {
        assert.equal(error.message, "outer");
        assert.ok(error.cause instanceof TypeError);
        assert.equal(error.cause.message, "inner");
        return true;
      });
      await assert.rejects(pool.submit(() => {
        throw new AggregateError([new RangeError("a"), 7], "many");
      }), (error: AggregateError) => {
        assert.ok(error instanceof AggregateError);
        assert.equal(error.message, "many");
        assert.ok(error.errors[0] instanceof RangeError);
        assert.equal(error.errors[1], 7);
        return true;
      });
      await assert.rejects(pool.submit(() => {
        // eslint-disable-next-line @typescript-eslint/only-throw-error -- what a non-Error throw looks like on the other side
        throw { code: 42 };
      }), (thrown: unknown) => {
        assert.deepEqual(thrown, { code: 42 });
        return true;
      });
    });
  });

  it("ThreadPoolExecutor reuses its workers: a worker starts once and runs many jobs", async () => {
    await run(async () => {
      await using single = new ThreadPoolExecutor({ maxWorkers: 1 });
      const threadId = async (): Promise<number> => (await import("node:worker_threads")).threadId;
      const ids = new Set<number>();
      for (let i = 0; i < 5; i++) ids.add(await single.submit(threadId));
      assert.equal(ids.size, 1);
      const all = await Promise.all(Array.from({ length: 20 }, (_, i) => single.submit((x: number) => x * 2, i)));
      assert.deepEqual(all, Array.from({ length: 20 }, (_, i) => i * 2));
      assert.equal(single.statistics().workers, 1);
    });
  });

  it("ThreadPoolExecutor submit explains a function that uses a variable from its outer scope", { skip: unsupportedOn({ bun: "Bun's transpiler inlines the captured constant, so the function is self-contained" }) }, async () => {
    await run(async () => {
      const factor = 3;
      await assert.rejects(pool.submit((x: number) => x * factor, 2), (error: Error) => {
        assert.equal(error.name, "ReferenceError");
        assert.match(error.message, /factor is not defined in the worker/);
        assert.match(error.message, /self-contained/);
        assert.match(error.message, /fromModule/);
        return true;
      });
    });
  });

  it("ThreadPoolExecutor submit rejects functions that cannot be sent with a TypeError", async () => {
    await run(async () => {
      class Shape {
        area(this: void): number {
          return 1;
        }
      }
      const obj = {
        method(this: void): number {
          return 1;
        },
      };
      function named(this: unknown): unknown {
        return this;
      }
      const cases: Array<[unknown, RegExp]> = [
        [Math.max, /native function/],
        [named.bind(null), /bound function/],
        [Shape, /class/],
        [new Shape().area, /method/],
        [obj.method, /method/],
        [42, /expects a function or fromModule/],
        [Promise.resolve(1), /expects a function or fromModule/],
      ];
      for (const [fn, message] of cases) {
        assert.throws(() => pool.submit(fn as () => unknown), (error: Error) => error instanceof TypeError && message.test(error.message), String(fn));
      }
      await assert.rejects(pool.submit((f: unknown) => f, () => 1), (error: Error) => {
        assert.ok(error instanceof TypeError);
        assert.match(error.message, /structured-cloneable/);
        return true;
      });
      assert.equal(await pool.submit((x: number) => x + 1, 1), 2);
    });
  });

  it("ThreadPoolExecutor rejects a maxWorkers that is not a positive integer", () => {
    for (const bad of [0, -1, NaN, 1.5, Infinity]) {
      assert.throws(() => new ThreadPoolExecutor({ maxWorkers: bad }), RangeError, String(bad));
      assert.throws(() => new ProcessPoolExecutor({ maxWorkers: bad }), RangeError, String(bad));
    }
    assert.throws(() => new ThreadPoolExecutor({ maxWorkers: "2" as unknown as number }), TypeError);
    assert.throws(() => new ThreadPoolExecutor(null as never), TypeError);
    assert.match(String((() => { try { new ThreadPoolExecutor({ maxWorkers: 0 }); } catch (e) { return (e as Error).message; } })()), /positive integer: received 0/);
  });

  it("fromModule runs an exported function of a TypeScript module, by URL or path", async () => {
    await run(async () => {
      const sumOfSquares = fromModule<typeof Work.sumOfSquares>(WORK_TS, "sumOfSquares");
      assert.equal(await pool.submit(sumOfSquares, 4), 0 + 1 + 4 + 9);
      const totals = fromModule<typeof Work.totals>(WORK_TS.pathname, "totals");
      assert.deepEqual(await pool.submit(totals, [1, 2, 3]), { count: 3, sum: 6 });
      assert.equal(await pool.submit(fromModule<typeof Work.slowDouble>(WORK_TS.href, "slowDouble"), 21), 42);
      assert.equal(await pool.submit(fromModule<() => string>(WORK_TS)), "default export");
      assert.equal(await pool.submit(fromModule<(a: number, b: number) => number>(WORK_JS, "add"), 2, 3), 5);
      const untyped: unknown = await pool.submit(fromModule(WORK_JS, "add"), 4, 5); // without a type: unknown
      assert.equal(untyped, 9);
    });
  });

  it("fromModule reports a missing export or module clearly, and validates its arguments", async () => {
    await run(async () => {
      await assert.rejects(pool.submit(fromModule(WORK_TS, "nope")), /export "nope" of .* is not a function \(it is undefined\); the module exports: .*sumOfSquares/);
      await assert.rejects(pool.submit(fromModule(WORK_TS, "notAFunction")), /is not a function \(it is number\)/);
      await assert.rejects(pool.submit(fromModule(new URL("./fixtures/missing.js", import.meta.url))), /fromModule\(\): could not import .*missing\.js/);
      assert.throws(() => fromModule(42 as never), TypeError);
      assert.throws(() => fromModule(WORK_TS, ""), TypeError);
      assert.equal(String(fromModule(WORK_TS, "add")), `fromModule(${JSON.stringify(WORK_TS.href)}, "add")`);
    });
  });

  it("transfer moves an ArrayBuffer to the worker and back without copying", async () => {
    await run(async () => {
      const bytes = new Float64Array([1, 2, 3]);
      const sum = await pool.submit((a: Float64Array) => a.reduce((s, x) => s + x, 0), transfer(bytes));
      assert.equal(sum, 6);
      assert.equal(bytes.byteLength, 0, "the sender's buffer is detached");
      const back = await pool.submit((n: number) => transfer(new Uint8Array(n).fill(1)), 8);
      assert.deepEqual([...back], [1, 1, 1, 1, 1, 1, 1, 1]);
      const fromModuleResult = await pool.submit(fromModule<typeof Work.makeBytes>(WORK_TS, "makeBytes"), 4);
      assert.deepEqual([...fromModuleResult], [7, 7, 7, 7]);
      assert.throws(() => transfer(42), TypeError);
    });
  });

  it("ThreadPoolExecutor future.cancel() stops a running CPU loop: it stops consuming CPU and the worker is replaced", { skip: unsupportedOn({ deno: DENO_NO_INTERRUPT }) }, async () => {
    await run(async () => {
      const counter = sharedCounter();
      const job = pool.submit(spin, counter);
      await until(() => Atomics.load(counter, 0) > 1000);
      assert.equal(job.cancel(), true);
      await assert.rejects(job, CancelledError);
      await assertStopped(counter);
      assert.equal(await pool.submit(() => "replaced"), "replaced");
    });
  });

  it("ThreadPoolExecutor cancelling the awaiting task stops the job it awaits", { skip: unsupportedOn({ deno: DENO_NO_INTERRUPT }) }, async () => {
    await run(async () => {
      const counter = sharedCounter();
      const task = createTask(() => pool.submit(spin, counter));
      await until(() => Atomics.load(counter, 0) > 1000);
      task.cancel();
      await assert.rejects(task, CancelledError);
      await assertStopped(counter);
    });
  });

  it("ThreadPoolExecutor a waitFor or timeout() deadline stops the job (per-job time limit)", { skip: unsupportedOn({ deno: DENO_NO_INTERRUPT }) }, async () => {
    await run(async () => {
      const counter = sharedCounter();
      const job = pool.submit(spin, counter);
      await until(() => Atomics.load(counter, 0) > 1000); // running (a fresh worker may take a while to start)
      await assert.rejects(waitFor(job, 0.1), TimeoutError);
      assert.ok(job.cancelled());
      await assertStopped(counter);
      assert.equal(await waitFor(pool.submit((x: number) => x, 1), 60), 1);
      const other = sharedCounter();
      await assert.rejects(
        timeout(null, async (scope) => {
          const spinning = pool.submit(spin, other);
          // The deadline is set once the job runs: a worker that starts late must not turn this
          // into the cancel of a queued job.
          await until(() => Atomics.load(other, 0) > 1000);
          scope.reschedule(getRunningLoop().time() + 0.1);
          await spinning;
        }),
        TimeoutError,
      );
      await assertStopped(other);
    });
  });

  it("ThreadPoolExecutor a cancelled job that awaits between stretches of work stops at its next await, on every runtime", async () => {
    await run(async () => {
      const counter = sharedCounter();
      const chunks = async (c: Int32Array): Promise<never> => {
        for (;;) {
          const end = Date.now() + 10;
          while (Date.now() < end) Atomics.add(c, 0, 1);
          await new Promise((resolve) => setTimeout(resolve, 0));
        }
      };
      const task = createTask(() => pool.submit(chunks, counter));
      await until(() => Atomics.load(counter, 0) > 1000);
      task.cancel();
      await assert.rejects(task, CancelledError);
      await assertStopped(counter);
      assert.equal(await pool.submit(() => "replaced"), "replaced");
    });
  });

  it("ThreadPoolExecutor a cancelled queued job never runs", async () => {
    await run(async () => {
      await using single = new ThreadPoolExecutor({ maxWorkers: 1 });
      const flags = new Int32Array(new SharedArrayBuffer(8));
      // The first job holds the only worker until flags[0] is set.
      const blocker = single.submit((f: Int32Array) => {
        Atomics.wait(f, 0, 0);
        return "released";
      }, flags);
      const queued = single.submit((f: Int32Array) => Atomics.store(f, 1, 1), flags);
      assert.equal(single.statistics().queued, 1);
      queued.cancel();
      assert.equal(single.statistics().queued, 0);
      Atomics.store(flags, 0, 1);
      Atomics.notify(flags, 0);
      assert.equal(await blocker, "released");
      assert.equal(await single.submit(() => "after"), "after");
      assert.equal(Atomics.load(flags, 1), 0, "the cancelled job ran");
      await assert.rejects(queued, CancelledError);
    });
  });

  it("ThreadPoolExecutor a worker that exits fails only its job with WorkerDiedError (exit code) and is replaced", async () => {
    await run(async () => {
      const other = pool.submit(async () => {
        await new Promise((resolve) => setTimeout(resolve, 50));
        return "other";
      });
      await assert.rejects(pool.submit(() => process.exit(3)), (error: WorkerDiedError) => {
        assert.ok(error instanceof WorkerDiedError);
        assert.equal(error.name, "WorkerDiedError");
        assert.equal(error.exitCode, 3);
        assert.match(error.message, /worker thread running this job died \(exit code 3\)/);
        return true;
      });
      assert.equal(await other, "other");
      assert.equal(await pool.submit(() => "usable"), "usable");
    });
  });

  it("ThreadPoolExecutor a worker that runs out of memory (resourceLimits) fails only its job and is replaced", { skip: unsupportedOn({ bun: NO_RESOURCE_LIMITS, deno: NO_RESOURCE_LIMITS }) }, async () => {
    await run(async () => {
      await using small = new ThreadPoolExecutor({ maxWorkers: 1, resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 } });
      await assert.rejects(
        small.submit(() => {
          const hoard: unknown[] = [];
          for (;;) hoard.push({ a: Math.random(), b: [1, 2, 3] });
        }),
        (error: WorkerDiedError) => {
          assert.ok(error instanceof WorkerDiedError);
          assert.match(error.message, /out of memory/);
          return true;
        },
      );
      assert.equal(await small.submit(() => "alive"), "alive");
    });
  });

  it("ThreadPoolExecutor an uncaught exception after the job returned kills the worker; the next job is still served", async () => {
    await run(async () => {
      await using single = new ThreadPoolExecutor({ maxWorkers: 1 });
      assert.equal(
        await single.submit(() => {
          setTimeout(() => {
            throw new Error("late");
          }, 0);
          return 1;
        }),
        1,
      );
      await until(() => single.statistics().workers === 0); // the worker died after its job
      assert.equal(await single.submit(() => 2), 2);
    });
  });

  it("ThreadPoolExecutor map yields results in order with a bounded number in flight", async () => {
    await run(async () => {
      const results: number[] = [];
      for await (const r of pool.map(async (x: number) => {
        await new Promise((resolve) => setTimeout(resolve, (5 - x) * 3));
        return x * x;
      }, [1, 2, 3, 4, 5])) {
        results.push(r);
      }
      assert.deepEqual(results, [1, 4, 9, 16, 25]);

      let pulled = 0;
      function* items(): Generator<number> {
        for (let i = 0; i < 100; i++) {
          pulled++;
          yield i;
        }
      }
      const seen: number[] = [];
      for await (const r of pool.map((x: number) => x, items(), { bufferSize: 3 })) {
        seen.push(r);
        assert.ok(pulled - seen.length <= 3, `${pulled - seen.length} in flight`);
        if (seen.length === 5) break;
      }
      assert.deepEqual(seen, [0, 1, 2, 3, 4]);
      assert.ok(pulled <= 8);

      async function* asyncItems(): AsyncGenerator<string> {
        yield "a";
        await sleep(0.001);
        yield "b";
      }
      const upper: string[] = [];
      for await (const r of pool.map((s: string) => s.toUpperCase(), asyncItems())) upper.push(r);
      assert.deepEqual(upper, ["A", "B"]);
      assert.throws(() => pool.map((x: number) => x, 42 as never), TypeError);
      assert.throws(() => pool.map((x: number) => x, [], { bufferSize: 0 }), RangeError);
      assert.throws(() => pool.map((x: number) => x, [], { bufferSize: 1.5 }), RangeError);
      assert.throws(() => pool.map((x: number) => x, [], { bufferSize: "2" as never }), { name: "TypeError", message: /expects bufferSize to be a positive integer: received "2"/ });
      assert.throws(() => pool.map((x: number) => x, [], 5 as never), { name: "TypeError", message: /ThreadPoolExecutor\.map\(\) expects an options object/ });
    });
  });

  it("ThreadPoolExecutor map throws a job's error at its place and cancels the jobs in flight", async () => {
    await run(async () => {
      const seen: number[] = [];
      await assert.rejects(async () => {
        for await (const r of pool.map((x: number) => {
          if (x === 2) throw new Error("two");
          return x;
        }, [0, 1, 2, 3])) {
          seen.push(r);
        }
      }, /two/);
      assert.deepEqual(seen, [0, 1]);
    });
  });
});

describe("ThreadPoolExecutor shutdown", () => {
  it("ThreadPoolExecutor shutdown waits for running jobs, then refuses new work", async () => {
    await run(async () => {
      const pool = new ThreadPoolExecutor({ maxWorkers: 1 });
      const a = pool.submit(async () => {
        await new Promise((resolve) => setTimeout(resolve, 30));
        return "a";
      });
      const b = pool.submit(() => "b");
      await pool.shutdown();
      assert.equal(a.result(), "a");
      assert.equal(b.result(), "b");
      assert.deepEqual(pool.statistics(), { workers: 0, idle: 0, running: 0, queued: 0, shutdown: true });
      assert.throws(() => pool.submit(() => 1), (error: Error) => error instanceof InvalidStateError && /shut down/.test(error.message));
      assert.throws(() => runInExecutor(pool, () => 1), InvalidStateError);
      await pool.shutdown(); // again: harmless
    });
  });

  it("ThreadPoolExecutor shutdown with cancelFutures cancels queued jobs; without wait it returns at once", async () => {
    await run(async () => {
      const pool = new ThreadPoolExecutor({ maxWorkers: 1 });
      const running = pool.submit(async () => {
        await new Promise((resolve) => setTimeout(resolve, 30));
        return "ran";
      });
      const queued = [pool.submit(() => 1), pool.submit(() => 2)];
      await pool.shutdown({ wait: false, cancelFutures: true });
      assert.ok(queued.every((f) => f.cancelled()));
      assert.equal(running.done(), false);
      assert.equal(await running, "ran");
      await pool.shutdown();
    });
  });

  it("ThreadPoolExecutor shutdown checks its options at the call: a TypeError thrown, not a rejected promise", async () => {
    await run(async () => {
      const pool = new ThreadPoolExecutor({ maxWorkers: 1 });
      assert.throws(() => void pool.shutdown(null as never), { name: "TypeError", message: /shutdown\(\) expects an options object: received null/ });
      assert.throws(() => void pool.shutdown({ wait: "no" } as never), { name: "TypeError", message: /expects options\.wait to be a boolean: received "no"/ });
      assert.throws(() => void pool.shutdown({ cancelFutures: 1 } as never), { name: "TypeError", message: /expects options\.cancelFutures to be a boolean: received 1/ });
      assert.equal(pool.statistics().shutdown, false, "a refused shutdown() changed nothing");
      await pool.shutdown();
    });
  });

  it("ThreadPoolExecutor a task cancelled while it awaits shutdown() gets CancelledError at once; the running job finishes", { skip: unsupportedOn({ deno: DENO_NO_INTERRUPT }) }, async () => {
    await run(async () => {
      const pool = new ThreadPoolExecutor({ maxWorkers: 1 });
      const gate = new Int32Array(new SharedArrayBuffer(4));
      // The job runs until the gate opens: shutdown() cannot complete before the test opens it.
      const job = pool.submit((g: Int32Array) => {
        Atomics.store(g, 0, 1);
        while (Atomics.load(g, 0) !== 2);
        return "done";
      }, gate);
      await until(() => Atomics.load(gate, 0) === 1);
      const waiter = createTask(() => pool.shutdown());
      await sleep(0);
      waiter.cancel();
      await assert.rejects(waiter, CancelledError);
      assert.equal(job.done(), false, "the wait ended while the job still ran");
      assert.equal(pool.statistics().shutdown, true, "the pool stays shut down");
      Atomics.store(gate, 0, 2);
      assert.equal(await job, "done");
      await pool.shutdown();
      assert.equal(pool.statistics().workers, 0);
    });
  });

  it("ThreadPoolExecutor [Symbol.asyncDispose] shuts the pool down", async () => {
    await run(async () => {
      let escaped: ThreadPoolExecutor;
      {
        await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
        escaped = pool;
        assert.equal(await pool.submit(() => 1), 1);
      }
      assert.equal(escaped.statistics().shutdown, true);
      assert.equal(escaped.statistics().workers, 0);
    });
  });
});

describe("runInExecutor and toThread", () => {
  it("runInExecutor with null, loop.runInExecutor and toThread use the loop's default executor, which run() shuts down", async () => {
    let executor: ThreadPoolExecutor | undefined;
    await run(async () => {
      assert.equal(await runInExecutor(null, (x: number) => x + 1, 1), 2);
      assert.equal(await getRunningLoop().runInExecutor(null, (s: string) => s.length, "four"), 4);
      const future: Future<string> = toThread((s: string) => s.repeat(2), "ab");
      assert.equal(await future, "abab");
      executor = defaultExecutor();
      assert.equal(executor.statistics().shutdown, false);
    });
    assert.equal(executor?.statistics().shutdown, true);
    assert.equal(executor?.statistics().workers, 0);
  });

  it("runInExecutor accepts an explicit executor and rejects anything else", async () => {
    await run(async () => {
      await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
      assert.equal(await runInExecutor(pool, () => "explicit"), "explicit");
      assert.equal(await getRunningLoop().runInExecutor(pool, (a: number, b: number) => a - b, 5, 3), 2);
      assert.throws(() => runInExecutor({} as never, () => 1), TypeError);
    });
  });

  // Ports of CPython's test_threads.py (to_thread): the result, an exception, one call per
  // toThread, ten at once through gather, and the arguments as given. The call count lives in a
  // SharedArrayBuffer, since the function runs on another thread.
  it("toThread (test_threads.py): result, exception, called once, ten concurrent calls, arguments", async () => {
    await run(async () => {
      assert.equal(await toThread((xs: number[]) => xs.reduce((a, b) => a + b, 0), [40, 2]), 42);
      await assert.rejects(
        toThread(() => {
          throw new RangeError("test");
        }),
        (e: Error) => e instanceof RangeError && e.message === "test",
      );
      const calls = sharedCounter();
      const count = (c: Int32Array, ...rest: unknown[]): unknown[] => {
        Atomics.add(c, 0, 1);
        return rest;
      };
      await toThread(count, calls);
      assert.equal(Atomics.load(calls, 0), 1, "called once");
      await gather(...Array.from({ length: 10 }, () => toThread(count, calls)));
      assert.equal(Atomics.load(calls, 0), 11, "ten more calls, one each");
      assert.deepEqual(await toThread(count, calls, "test", { something: true }), ["test", { something: true }]);
    });
  });

  it("toThread work is cancelled with the task that awaits it", { skip: unsupportedOn({ deno: DENO_NO_INTERRUPT }) }, async () => {
    await run(async () => {
      const counter = sharedCounter();
      const task = createTask(async () => {
        await toThread(spin, counter);
      });
      await until(() => Atomics.load(counter, 0) > 1000);
      task.cancel();
      await assert.rejects(task, CancelledError);
      await assertStopped(counter);
    });
  });
});

describe("ProcessPoolExecutor", () => {
  const pool = new ProcessPoolExecutor({ maxWorkers: 1 });
  after(() => pool.shutdown());

  function alive(pid: number): boolean {
    try {
      process.kill(pid, 0);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ESRCH") return false;
      throw error;
    }
  }

  it("ProcessPoolExecutor submit runs a function in a child process with structured-cloned values", async () => {
    await run(async () => {
      const pid = await pool.submit(() => process.pid);
      assert.notEqual(pid, process.pid);
      const out = await pool.submit((m: Map<string, bigint>) => new Map([...m].map(([k, v]) => [k, v * 2n])), new Map([["a", 21n]]));
      assert.deepEqual(out, new Map([["a", 42n]]));
      assert.deepEqual([...(await pool.submit((b: Uint8Array) => b.reverse(), transfer(new Uint8Array([1, 2, 3]))))], [3, 2, 1]);
      await assert.rejects(pool.submit(() => {
        throw new SyntaxError("from child");
      }), { name: "SyntaxError", message: "from child" });
      assert.equal(await pool.submit(fromModule<typeof Work.sumOfSquares>(WORK_TS, "sumOfSquares"), 3), 5);
    });
  });

  it("ProcessPoolExecutor a worker that aborts fails only its job with the signal, and is replaced", async () => {
    await run(async () => {
      await assert.rejects(pool.submit(() => process.abort()), (error: WorkerDiedError) => {
        assert.ok(error instanceof WorkerDiedError);
        assert.equal(error.signal, "SIGABRT");
        assert.match(error.message, /worker process running this job died \(killed by signal SIGABRT\)/);
        return true;
      });
      await assert.rejects(pool.submit(() => process.exit(5)), { name: "WorkerDiedError", exitCode: 5 });
      assert.equal(await pool.submit(() => "replaced"), "replaced");
    });
  });

  it("ProcessPoolExecutor cancelling a running job kills its process", async () => {
    await run(async () => {
      const pid = await pool.submit(() => process.pid);
      const marker = join(mkdtempSync(join(tmpdir(), "asyncio-ts-")), "running");
      const job = pool.submit(async (path: string) => {
        (await import("node:fs")).writeFileSync(path, "");
        for (;;);
      }, marker);
      await until(() => existsSync(marker)); // the job runs (a queued job's cancel kills nothing)
      rmSync(dirname(marker), { recursive: true });
      const task = createTask(async () => await job);
      await sleep(0); // the task now awaits the job
      task.cancel();
      await assert.rejects(task, CancelledError);
      assert.ok(job.cancelled());
      await until(() => !alive(pid));
      const next = await pool.submit(() => process.pid);
      assert.notEqual(next, pid);
    });
  });
});
