// run() and Runner, after CPython's test_runners.py semantics as API.md states them: the main task's
// outcome, leftover tasks cancelled and awaited, SIGINT cancelling the main task (in a child
// process), unretrieved failures reported, and bad arguments.
import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import { describe, test } from "./helpers.js";
import { fileURLToPath } from "node:url";

import {
  CancelledError,
  createTask,
  currentTask,
  getEventLoop,
  getRunningLoop,
  Loop,
  run,
  Runner,
  sleep,
  type Task,
} from "../src/index.js";
import { VirtualClock } from "../src/testing/index.js";
import { captureExceptions, SPAWNS_NODE, ticks, unsupportedOn, vrun } from "./helpers.js";

describe("run", () => {
  test("run() settles with the main function's result", async () => {
    assert.equal(await run(() => Promise.resolve(42)), 42);
    assert.equal(
      await run(async () => {
        await sleep(0);
        return "x";
      }),
      "x",
    );
  });

  test("run() accepts a plain function returning a value", async () => {
    assert.equal(await run(() => 7), 7);
  });

  test("run() rejects with the main function's error", async () => {
    const err = new RangeError("main failed");
    await assert.rejects(
      run(() => Promise.reject(err)),
      (e: unknown) => e === err,
    );
  });

  test("run() runs main as a task named main on a loop of its own", async () => {
    const loops: Loop[] = [];
    for (let i = 0; i < 2; i++) {
      await run(() => {
        const task = currentTask();
        assert.ok(task);
        assert.equal(task.name, "main");
        loops.push(getRunningLoop());
        assert.equal(getEventLoop(), getRunningLoop());
      });
    }
    assert.ok(loops[0] instanceof Loop);
    assert.notEqual(loops[0], loops[1]);
  });

  test("run() cancels and awaits leftover tasks when main returns", async () => {
    const steps: string[] = [];
    let leftover: Task<void> | undefined;
    const result = await run(async () => {
      leftover = createTask(async () => {
        try {
          await sleep(3600);
          steps.push("slept");
        } finally {
          await sleep(0); // unwinding may await: run() waits for it
          steps.push("leftover finally");
        }
      });
      await ticks();
      return "main done";
    });
    assert.equal(result, "main done");
    assert.deepEqual(steps, ["leftover finally"]);
    assert.equal(leftover?.cancelled(), true);
  });

  test("run() cancels leftover tasks also when main fails, and rejects with main's error", async () => {
    let leftover: Task<void> | undefined;
    const err = new Error("boom");
    await assert.rejects(
      run(async () => {
        leftover = createTask(() => sleep(3600));
        await ticks();
        throw err;
      }),
      (e: unknown) => e === err,
    );
    assert.equal(leftover?.cancelled(), true);
  });

  test("run() cancels tasks that leftover tasks start while unwinding", async () => {
    let late: Task<void> | undefined;
    await run(async () => {
      void createTask(async () => {
        try {
          await sleep(3600);
        } finally {
          late = createTask(() => sleep(3600));
        }
      });
      await ticks();
    });
    assert.equal(late?.cancelled(), true);
  });

  test("run() reports a leftover task failing while it is cancelled through the exception handler", async () => {
    let seen: ReturnType<typeof captureExceptions> = [];
    const err = new Error("cleanup failed");
    await run(async () => {
      seen = captureExceptions();
      void createTask(async () => {
        try {
          await sleep(3600);
        } finally {
          // eslint-disable-next-line no-unsafe-finally
          throw err;
        }
      });
      await ticks();
    });
    assert.equal(seen.length, 1);
    assert.equal(seen[0]?.exception, err);
  });

  test("run() reports a failed task whose exception nobody retrieved", async () => {
    let seen: ReturnType<typeof captureExceptions> = [];
    await run(async () => {
      seen = captureExceptions();
      void createTask(() => Promise.reject(new TypeError("lost")));
      await ticks(2);
    });
    assert.equal(seen.length, 1);
    assert.match(seen[0]?.message ?? "", /never retrieved/);
  });

  test("run() with { debug: true } turns on the loop's debug mode", async () => {
    assert.equal(await run(() => getRunningLoop().getDebug(), { debug: true }), true);
    await run(() => {
      const loop = getRunningLoop();
      loop.setDebug(true);
      assert.equal(loop.getDebug(), true);
    });
  });

  test("run() with a VirtualClock makes long sleeps instant", async () => {
    const t0 = performance.now();
    const elapsed = await run(
      async () => {
        const loop = getRunningLoop();
        const start = loop.time();
        await sleep(3600);
        return loop.time() - start;
      },
      { clock: new VirtualClock() },
    );
    assert.equal(elapsed, 3600);
    assert.ok(performance.now() - t0 < 5000);
  });

  test("run() of a promise is a TypeError whose message shows run(main)", async () => {
    const main = async (): Promise<number> => {
      await sleep(0);
      return 1;
    };
    const p = main();
    assert.throws(() => run(p as never), (e: unknown) => e instanceof TypeError && e.message.includes("run(main)"));
    await p;
  });

  test("run() of a non-function is a TypeError naming what was expected", () => {
    assert.throws(() => run(42 as never), { name: "TypeError", message: /expects a function/ });
    assert.throws(() => run(undefined as never), TypeError);
  });

  test("run() inside a running task throws", () =>
    run(async () => {
      assert.throws(() => run(() => 1), /cannot be called from inside a running task/);
      await sleep(0);
    }));

  test("getRunningLoop().time() is monotonic seconds", () =>
    vrun(async () => {
      const loop = getRunningLoop();
      const t0 = loop.time();
      await sleep(1.5);
      assert.equal(loop.time() - t0, 1.5);
    }));
});

describe("Runner", () => {
  test("Runner runs several functions on one loop, then close() cancels what is left", async () => {
    const runner = new Runner();
    const loop = runner.getLoop();
    let leftover: Task<void> | undefined;
    assert.equal(
      await runner.run(() => {
        assert.equal(getRunningLoop(), loop);
        leftover = createTask(() => sleep(3600));
        return 1;
      }),
      1,
    );
    assert.equal(
      await runner.run(async () => {
        assert.equal(getRunningLoop(), loop);
        await sleep(0);
        return 2;
      }),
      2,
    );
    assert.equal(leftover?.done(), false, "tasks live on between run() calls of one Runner");
    await runner.close();
    assert.equal(leftover?.cancelled(), true);
    assert.throws(() => runner.getLoop(), /closed/);
    await runner.close(); // idempotent
  });

  test("Runner with await using closes on scope exit", async () => {
    let leftover: Task<void> | undefined;
    {
      await using runner = new Runner({ debug: true });
      await runner.run(() => {
        assert.equal(getRunningLoop().getDebug(), true);
        leftover = createTask(() => sleep(3600));
      });
    }
    assert.equal(leftover?.cancelled(), true);
  });

  test("Runner run() of a promise is a TypeError showing run(main)", async () => {
    const runner = new Runner();
    const p = Promise.resolve(1);
    assert.throws(() => runner.run(p as never), (e: unknown) => e instanceof TypeError && e.message.includes("run(main)"));
    await runner.close();
  });

  test("Runner rejects options that are not an object", () => {
    assert.throws(() => new Runner(42 as never), TypeError);
  });
});

describe("run and SIGINT", () => {
  test("SIGINT during run() cancels the main task, which unwinds with leftover tasks", { skip: unsupportedOn({ deno: SPAWNS_NODE }) }, async () => {
    const indexUrl = new URL("../src/index.ts", import.meta.url).href;
    const code = `
      const { run, sleep, createTask } = await import(${JSON.stringify(indexUrl)});
      try {
        await run(async () => {
          createTask(async () => {
            try { await sleep(3600); } finally { console.log("leftover finally"); }
          });
          await sleep(0);
          console.log("ready");
          try {
            await sleep(3600);
            console.log("main slept");
          } catch (e) {
            console.log("main caught " + e.name);
            throw e;
          }
        });
        console.log("run resolved");
      } catch (e) {
        console.log("run rejected " + e.name);
        process.exitCode = 3;
      }
    `;
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], {
      cwd: fileURLToPath(new URL("..", import.meta.url)),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stderr.on("data", (chunk: Buffer) => {
      err += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (codeOut) => resolve(codeOut)));
    await new Promise<void>((resolve, reject) => {
      const watchdog = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error(`child never became ready: ${out} ${err}`));
      }, 20_000);
      child.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes("ready")) {
          clearTimeout(watchdog);
          resolve();
        }
      });
    });
    child.kill("SIGINT");
    const exitCode = await exited;
    assert.equal(exitCode, 3, `stdout: ${out}\nstderr: ${err}`);
    const lines = out.trim().split("\n");
    assert.deepEqual(lines, ["ready", "main caught CancelledError", "leftover finally", "run rejected KeyboardInterrupt"]);
  });

  test("run() leaves no SIGINT listener behind", async () => {
    const before = process.listenerCount("SIGINT");
    await run(() => sleep(0));
    assert.equal(process.listenerCount("SIGINT"), before);
  });
});

describe("run and cancellation of main", () => {
  test("run() rejects with CancelledError when main is cancelled", async () => {
    await assert.rejects(
      run(async () => {
        currentTask()?.cancel();
        await sleep(1);
      }),
      CancelledError,
    );
  });
});
