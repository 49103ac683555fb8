// Executors under faults: values that cannot cross back from a worker, cancel storms, workers that
// die between jobs, and workers whose pool's process is gone. Each test names the fault it stages.
/* eslint-disable @typescript-eslint/only-throw-error, @typescript-eslint/prefer-promise-reject-errors -- jobs throw non-Errors on purpose */
import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { ExceptionGroup, ProcessPoolExecutor, run, sleep, taskGroup, ThreadPoolExecutor, transfer, WorkerDiedError, type Executor } from "../src/index.js";
import { after, describe, it } from "./helpers.js";

const T = { timeout: 10_000 };

/** Which worker ran a job: the same string means the same thread of the same process. */
async function whoAmI(): Promise<string> {
  const { threadId } = await import("node:worker_threads");
  return `${process.pid}/${threadId}`;
}

const pools: Array<[string, () => Executor]> = [
  ["ThreadPoolExecutor", () => new ThreadPoolExecutor({ maxWorkers: 1 })],
  ["ProcessPoolExecutor", () => new ProcessPoolExecutor({ maxWorkers: 1 })],
];

for (const [kind, makePool] of pools) {
  describe(`${kind} values that cannot be sent back`, () => {
    const pool = makePool();
    after(() => pool.shutdown());

    /** Runs a job that must fail alone, then checks the worker that ran it serves the next job. */
    async function failsAlone(job: () => unknown): Promise<Error> {
      const before = await pool.submit(whoAmI);
      let caught: unknown = undefined;
      try {
        await pool.submit(job);
        assert.fail("the job should have failed");
      } catch (error) {
        caught = error;
      }
      assert.ok(caught instanceof Error, `not an Error: ${typeof caught}`);
      assert.ok(!(caught instanceof WorkerDiedError), `the worker died: ${caught.message}`);
      assert.equal(await pool.submit(whoAmI), before, "the job's worker was replaced");
      return caught;
    }

    it(`${kind} a thrown null-prototype object that cannot be cloned fails its job alone, keeping what can be carried`, T, async () => {
      await run(async () => {
        const error = await failsAlone(() => {
          const thrown = Object.create(null) as Record<string, unknown>;
          thrown.code = "E_NULL";
          thrown.callback = () => 1;
          throw thrown;
        });
        assert.match(error.message, /the job threw an object with a null prototype, which could not be sent back from the worker/);
        assert.match(error.message, /could not be cloned/);
        assert.equal((error as Error & { code?: unknown }).code, "E_NULL");
        assert.equal("callback" in error, false);
      });
    });

    it(`${kind} a thrown function, symbol, object with a throwing toString, or trapping Proxy fails its job alone`, T, async () => {
      await run(async () => {
        const cases: Array<[() => unknown, RegExp]> = [
          [
            () => {
              throw function named(): void {};
            },
            /the job threw function named, which could not be sent back/,
          ],
          [
            () => {
              throw Symbol("mark");
            },
            /the job threw Symbol\(mark\), which could not be sent back/,
          ],
          [
            () => {
              throw {
                toString(): string {
                  throw new Error("no string");
                },
              };
            },
            /the job threw a plain object, which could not be sent back/,
          ],
          [
            () => {
              throw new Proxy(
                {},
                {
                  get(): never {
                    throw new Error("trap");
                  },
                  ownKeys(): never {
                    throw new Error("trap");
                  },
                  getPrototypeOf(): never {
                    throw new Error("trap");
                  },
                },
              );
            },
            /the job threw .*, which could not be sent back/,
          ],
          [() => Promise.reject(Object.assign(Object.create(null) as object, { f: () => 1 })), /null prototype, which could not be sent back/],
        ];
        for (const [job, message] of cases) {
          const error = await failsAlone(job);
          assert.match(error.message, message);
        }
      });
    });

    it(`${kind} an Error whose name, message, stack, property or cause cannot be converted fails its job alone`, T, async () => {
      await run(async () => {
        const badName = await failsAlone(() => {
          const error = new RangeError("named oddly");
          (error as { name: unknown }).name = Object.create(null);
          throw error;
        });
        assert.equal(badName.message, "named oddly");
        const badMessage = await failsAlone(() => {
          const error = new Error("x");
          Object.defineProperty(error, "message", { value: Symbol("m") }); // stack formatting throws on it
          throw error;
        });
        assert.match(badMessage.message, /Symbol\(m\)/);
        const badProperty = await failsAlone(() => {
          const error = new TypeError("with a getter");
          Object.defineProperty(error, "code", {
            enumerable: true,
            get(): never {
              throw Object.create(null);
            },
          });
          throw error;
        });
        assert.equal(badProperty.name, "TypeError");
        assert.equal(badProperty.message, "with a getter");
        const badCause = await failsAlone(() => {
          throw new Error("outer", { cause: Object.assign(Object.create(null) as object, { f: () => 1 }) });
        });
        assert.equal(badCause.message, "outer");
        assert.match(String((badCause.cause as Error).message), /null prototype, which could not be sent back/);
      });
    });

    it(`${kind} a result that cannot be sent back fails its job alone with an error that says so`, T, async () => {
      await run(async () => {
        const results: Array<() => unknown> = [
          () => () => 1,
          () => Symbol("result"),
          () => Object.assign(Object.create(null) as object, { f: () => 1 }),
          () => ({
            get bad(): never {
              throw Object.assign(Object.create(null) as object, { f: () => 1 });
            },
          }),
          () => ({
            get then(): never {
              throw new Error("then getter");
            },
          }),
        ];
        for (const job of results) {
          const error = await failsAlone(job);
          assert.match(error.message, /result could not be sent back from the worker|then getter/);
        }
      });
    });
  });
}

/** Pools that count the workers they start. */
class CountingThreadPool extends ThreadPoolExecutor {
  spawned = 0;
  protected override _spawn(): ReturnType<ThreadPoolExecutor["_spawn"]> {
    this.spawned++;
    return super._spawn();
  }
}
class CountingProcessPool extends ProcessPoolExecutor {
  spawned = 0;
  protected override _spawn(): ReturnType<ProcessPoolExecutor["_spawn"]> {
    this.spawned++;
    return super._spawn();
  }
}

const counting: Array<[string, () => CountingThreadPool | CountingProcessPool]> = [
  ["ThreadPoolExecutor", () => new CountingThreadPool({ maxWorkers: 2 })],
  ["ProcessPoolExecutor", () => new CountingProcessPool({ maxWorkers: 2 })],
];

for (const [kind, makePool] of counting) {
  describe(`${kind} cancel storms`, () => {
    it(`${kind} cancelling 1,000 running and queued jobs in submission order starts no worker per cancel`, T, async () => {
      await run(async () => {
        await using pool = makePool();
        const jobs = Array.from({ length: 1000 }, () =>
          pool.submit(() => {
            for (;;);
          }),
        );
        assert.equal(pool.statistics().running, 2);
        assert.equal(pool.spawned, 2);
        for (const job of jobs) assert.equal(job.cancel(), true);
        assert.equal(pool.spawned, 2, "a cancel started a replacement worker");
        assert.deepEqual(pool.statistics(), { workers: 0, idle: 0, running: 0, queued: 0, shutdown: false });
        assert.equal(await pool.submit((x: number) => x * 2, 21), 42);
        assert.ok(pool.spawned <= 3, `${pool.spawned} workers started`);
        for (const job of jobs) assert.ok(job.cancelled());
      });
    });

    it(`${kind} a failing task group cancels 1,000 tasks awaiting jobs without starting a worker per cancel`, T, async () => {
      await run(async () => {
        await using pool = makePool();
        const boom = new Error("boom");
        await assert.rejects(
          taskGroup(async (tg) => {
            for (let i = 0; i < 1000; i++) {
              void tg.createTask(() =>
                pool.submit(() => {
                  for (;;);
                }),
              );
            }
            await sleep(0);
            assert.equal(pool.statistics().running, 2);
            throw boom;
          }),
          (error: ExceptionGroup) => error.exceptions[0] === boom,
        );
        assert.equal(pool.spawned, 2, "a cancel started a replacement worker");
        assert.equal(await pool.submit(() => "after"), "after");
      });
    });

    it(`${kind} the jobs left queued after a cancel storm all run, on replacement workers`, T, async () => {
      await run(async () => {
        await using pool = makePool();
        const spinners = [0, 1].map(() =>
          pool.submit(() => {
            for (;;);
          }),
        );
        const doomed = Array.from({ length: 100 }, () => pool.submit(() => "never"));
        const kept = Array.from({ length: 10 }, (_, i) => pool.submit((me: number) => me, i));
        for (const job of [...spinners, ...doomed]) job.cancel();
        assert.equal(pool.statistics().queued, 10);
        assert.deepEqual(await Promise.all(kept), Array.from({ length: 10 }, (_, i) => i));
        assert.ok(pool.spawned <= 4, `${pool.spawned} workers started`);
      });
    });
  });
}

describe("jobs sent to a worker that died before taking them", () => {
  it("ProcessPoolExecutor a job submitted in the same tick as its idle worker was SIGKILLed runs on a fresh worker", T, async () => {
    await run(async () => {
      await using pool = new ProcessPoolExecutor({ maxWorkers: 1 });
      for (let round = 0; round < 5; round++) {
        const pid = await pool.submit(() => process.pid);
        process.kill(pid, "SIGKILL"); // the pool hears of it only later, from the 'exit' event
        const next = await pool.submit(() => process.pid);
        assert.notEqual(next, pid);
      }
      // A job that kills its own worker still fails, once: it was taken.
      await assert.rejects(pool.submit(() => process.kill(process.pid, "SIGKILL")), { name: "WorkerDiedError", signal: "SIGKILL" });
    });
  });

  it("ThreadPoolExecutor a job handed to a worker that dies of an uncaught exception before taking it runs on a fresh worker", T, async () => {
    await run(async () => {
      await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
      for (let round = 0; round < 5; round++) {
        const gate = new Int32Array(new SharedArrayBuffer(4));
        // The job returns; right after its reply, its thread blocks (a microtask) until the next job
        // has been sent to it, then dies of an uncaught exception before it could read that job.
        const first = await pool.submit((g: Int32Array) => {
          queueMicrotask(() => {
            Atomics.wait(g, 0, 0);
            throw new Error("late");
          });
          return "first";
        }, gate);
        assert.equal(first, "first");
        const next = pool.submit(() => "next");
        Atomics.store(gate, 0, 1);
        Atomics.notify(gate, 0);
        assert.equal(await next, "next");
      }
      await assert.rejects(pool.submit(() => process.exit(4)), { name: "WorkerDiedError", exitCode: 4 });
    });
  });

  it("ThreadPoolExecutor a job with transferred buffers whose worker died before taking it fails, saying why", T, async () => {
    await run(async () => {
      await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
      const gate = new Int32Array(new SharedArrayBuffer(4));
      await pool.submit((g: Int32Array) => {
        queueMicrotask(() => {
          Atomics.wait(g, 0, 0);
          throw new Error("late");
        });
      }, gate);
      const bytes = new Uint8Array(8);
      const next = pool.submit((b: Uint8Array) => b.length, transfer(bytes));
      Atomics.store(gate, 0, 1);
      Atomics.notify(gate, 0);
      await assert.rejects(next, (error: WorkerDiedError) => {
        assert.ok(error instanceof WorkerDiedError);
        assert.match(error.message, /before it took this job/);
        assert.match(error.message, /transferred/);
        return true;
      });
      assert.equal(await pool.submit(() => "usable"), "usable");
    });
  });
});

describe("ProcessPoolExecutor workers die with the pool's process", () => {
  const fixture = fileURLToPath(new URL("./fixtures/orphan-pool.ts", import.meta.url));

  /** Whether `pid` is a live process: a zombie (killed, not yet reaped by its new parent) is not. */
  function alive(pid: number): boolean {
    try {
      process.kill(pid, 0);
    } catch {
      return false;
    }
    try {
      return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
    } catch {
      return true; // no /proc (not Linux): kill(pid, 0) is all we know
    }
  }

  const ends: Array<[how: string, mode: string]> = [
    ["exits (process.exit)", "exit"],
    ["dies of an uncaught exception", "throw"],
    ["is killed with SIGKILL", "wait"],
  ];
  for (const [how, mode] of ends) {
    it(`ProcessPoolExecutor workers spinning in CPU loops die when the pool's process ${how}`, { timeout: 20_000 }, async () => {
      const dir = mkdtempSync(join(tmpdir(), "asyncio-ts-orphans-"));
      const parent = spawn(process.execPath, ["--import", "tsx", fixture, mode, dir], { stdio: ["ignore", "pipe", "inherit"] });
      const exited = once(parent, "exit");
      let pids: number[] = [];
      try {
        const [line] = (await once(createInterface({ input: parent.stdout }), "line")) as [string];
        pids = JSON.parse(line) as number[];
        assert.equal(pids.length, 2);
        assert.ok(pids.every(alive), "the workers should spin before the pool's process ends");
        if (mode === "wait") parent.kill("SIGKILL");
        const [code, signal] = (await exited) as [number | null, string | null];
        assert.deepEqual([code, signal], mode === "exit" ? [0, null] : mode === "throw" ? [1, null] : [null, "SIGKILL"]);
        // The bound is generous: a worker notices within a quarter of a second.
        const deadline = Date.now() + 5000;
        while (pids.some(alive) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
        assert.deepEqual(pids.filter(alive), [], "workers outlived the pool's process");
      } finally {
        parent.kill("SIGKILL");
        for (const pid of pids) {
          try {
            process.kill(pid, "SIGKILL"); // a failed run must not leave CPU loops behind
          } catch {
            // gone
          }
        }
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
