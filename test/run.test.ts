// run() and Runner, after CPython's test_runners.py semantics as API.md states them: the main task's
// outcome, leftover tasks cancelled and awaited, SIGINT cancelling the main task (in a child
// process), unretrieved failures reported, and bad arguments.
import { strict as assert } from "node:assert";
import { spawn, type ChildProcess } from "node:child_process";
import { describe, test } from "./helpers.js";
import { runFixture, type ChildOutcome } from "./fixture-child.js";
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
  type ExceptionContext,
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

  // CPython test_runners: test_asyncio_run_reports_hanging_tasks_errors. asyncio stops its loop one
  // turn after main finished, so a task main created in its last step has taken its first step
  // when it is cancelled: its `catch` runs, and what it throws there is reported.
  test("run() lets a task created in main's last step take its first step; an error in its cleanup is reported with the task", async () => {
    let leftover: Task<void> | undefined;
    let seen: ExceptionContext[] = [];
    const boom = new RangeError("division by zero");
    const result = await run(() => {
      seen = captureExceptions();
      leftover = createTask(async () => {
        try {
          await sleep(0.1);
        } catch {
          throw boom;
        }
      });
      return 123;
    });
    assert.equal(result, 123);
    assert.equal(leftover?.done(), true);
    const reported = seen.filter((c) => c.exception === boom);
    assert.equal(reported.length, 1, `reports: ${seen.map((c) => c.message).join("; ")}`);
    assert.equal(reported[0]?.task, leftover);
    assert.match(reported[0]?.message ?? "", /run\(\) shutdown/);
  });

  test("a Runner's run() returns after that turn too: the task started, and close() cancels it at its await", async () => {
    const steps: string[] = [];
    const runner = new Runner();
    try {
      await runner.run(() => {
        void createTask(async () => {
          steps.push("started");
          try {
            await sleep(3600);
          } finally {
            steps.push("cancelled at its await");
          }
        });
      });
      assert.deepEqual(steps, ["started"]);
    } finally {
      await runner.close();
    }
    assert.deepEqual(steps, ["started", "cancelled at its await"]);
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

  test("run() and Runner reject a clock that is not a Clock and a debug that is not a boolean, at the call", () => {
    const main = (): number => 1;
    assert.throws(() => run(main, { clock: 5 as never }), { name: "TypeError", message: /expects options\.clock to be a Clock/ });
    assert.throws(() => run(main, { clock: {} as never }), TypeError);
    assert.throws(() => run(main, { debug: "yes" as never }), { name: "TypeError", message: /expects options\.debug to be a boolean: received "yes"/ });
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

  test("run() and Runner refuse a clock that is not a Clock, at the call and naming the option", () => {
    for (const clock of [5, {}, { now: () => 0 }, "virtual"]) {
      assert.throws(() => new Runner({ clock: clock as never }), { name: "TypeError", message: /Runner expects options\.clock to be a Clock/ });
      assert.throws(() => void run(() => 1, { clock: clock as never }), { name: "TypeError", message: /options\.clock/ });
    }
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

/**
 * Runs test/fixtures/run-signals.ts in a child; `onLine(line, child)` sees each line of its stdout
 * as it arrives (the tests send signals on "ready" lines). A child still running after `limit`
 * seconds is killed (SIGKILL), which fails the assertions on its outcome.
 */
function runSignalsFixture(mode: string, onLine: (line: string, child: ChildProcess) => void = () => undefined, limit = 25): Promise<ChildOutcome> {
  let seen = 0;
  return runFixture("run-signals.ts", [mode], limit, (out, child) => {
    const lines = out.split("\n");
    lines.pop(); // the line still being written
    for (; seen < lines.length; seen++) onLine(lines[seen] as string, child);
  });
}

const show = (outcome: ChildOutcome): string => `code ${outcome.code} signal ${outcome.signal}\nstdout: ${outcome.stdout}\nstderr: ${outcome.stderr}`;

describe("run() and its signals option", () => {
  const SPAWNS = { skip: unsupportedOn({ deno: SPAWNS_NODE }) };

  test("run() with signals SIGINT and SIGTERM: SIGTERM cancels main, finally blocks run, exit code 143", SPAWNS, async () => {
    const outcome = await runSignalsFixture("term", (line, child) => {
      if (line === "ready") child.kill("SIGTERM");
    });
    assert.equal(outcome.code, 143, show(outcome));
    assert.equal(outcome.stdout, "ready\nfinally ran\nleftover finally ran\n");
    assert.equal(outcome.stderr, "asyncio-ts: interrupted by SIGTERM\n");
  });

  test("run() with signals SIGINT and SIGTERM: SIGINT still exits with code 130", SPAWNS, async () => {
    const outcome = await runSignalsFixture("term", (line, child) => {
      if (line === "ready") child.kill("SIGINT");
    });
    assert.equal(outcome.code, 130, show(outcome));
    assert.equal(outcome.stdout, "ready\nfinally ran\nleftover finally ran\n");
    assert.equal(outcome.stderr, "asyncio-ts: interrupted by SIGINT\n");
  });

  test("run() after SIGTERM rejects with KeyboardInterrupt naming SIGTERM, caused by main's CancelledError", SPAWNS, async () => {
    const outcome = await runSignalsFixture("caught", (line, child) => {
      if (line === "ready") child.kill("SIGTERM");
    });
    assert.equal(outcome.code, 0, show(outcome));
    assert.equal(outcome.stdout, "ready\nfinally ran\nleftover finally ran\ncaught KeyboardInterrupt true interrupted by SIGTERM cause true\n");
    assert.equal(outcome.stderr, "");
  });

  test("run() with default options leaves SIGTERM to Node: the process dies of it and no finally runs", SPAWNS, async () => {
    const outcome = await runSignalsFixture("default", (line, child) => {
      if (line === "ready") child.kill("SIGTERM");
    });
    assert.equal(outcome.signal, "SIGTERM", show(outcome));
    assert.equal(outcome.stdout, "ready\n");
  });

  test("run() ends the process at once on a second signal while main is still unwinding", SPAWNS, async () => {
    for (const [first, second] of [
      ["SIGTERM", "SIGTERM"],
      ["SIGTERM", "SIGINT"],
    ] as const) {
      const outcome = await runSignalsFixture("stubborn", (line, child) => {
        if (line === "ready") child.kill(first);
        if (line === "finally started") child.kill(second);
      });
      assert.equal(outcome.signal, second, show(outcome));
      assert.equal(outcome.stdout, "ready\nfinally started\n");
    }
  });

  test("run() and Runner add one listener per signal of the option while main runs, and remove them when main is done", SPAWNS, async () => {
    const outcome = await runSignalsFixture("listeners");
    assert.equal(outcome.code, 0, show(outcome));
    assert.deepEqual(outcome.stdout.trim().split("\n"), [
      "before: SIGINT 0 SIGTERM 0 SIGHUP 0",
      "during {}: SIGINT 1 SIGTERM 0 SIGHUP 0",
      "after: SIGINT 0 SIGTERM 0 SIGHUP 0",
      'during {"signals":["SIGINT","SIGTERM"]}: SIGINT 1 SIGTERM 1 SIGHUP 0',
      "after: SIGINT 0 SIGTERM 0 SIGHUP 0",
      'during {"signals":["SIGHUP","SIGHUP"]}: SIGINT 0 SIGTERM 0 SIGHUP 1',
      "after: SIGINT 0 SIGTERM 0 SIGHUP 0",
      'during {"signals":[]}: SIGINT 0 SIGTERM 0 SIGHUP 0',
      "after: SIGINT 0 SIGTERM 0 SIGHUP 0",
      "Runner during: SIGINT 1 SIGTERM 1 SIGHUP 0",
      "Runner after run: SIGINT 0 SIGTERM 0 SIGHUP 0",
    ]);
  });

  test("run() leaves no SIGTERM listener behind, also when main fails", async () => {
    const before = process.listenerCount("SIGTERM");
    await run(() => sleep(0), { signals: ["SIGTERM"] });
    await assert.rejects(run(() => Promise.reject(new Error("boom")), { signals: ["SIGTERM"] }), /boom/);
    assert.equal(process.listenerCount("SIGTERM"), before);
  });

  test("run() and Runner reject a signals option that is not an array of catchable signal names", () => {
    for (const make of [(signals: unknown) => run(() => 1, { signals } as never), (signals: unknown) => new Runner({ signals } as never)]) {
      assert.throws(() => make("SIGTERM"), { name: "TypeError", message: /signals option expects an array of signal names such as \["SIGINT", "SIGTERM"\]: received "SIGTERM"/ });
      assert.throws(() => make(null), { name: "TypeError", message: /received null/ });
      assert.throws(() => make(["SIGTERN"]), { name: "RangeError", message: /expects signal names such as "SIGINT" or "SIGTERM": received "SIGTERN"/ });
      assert.throws(() => make([15]), { name: "RangeError", message: /received 15/ });
      assert.throws(() => make(["SIGKILL"]), { name: "RangeError", message: /SIGKILL cannot be caught/ });
      assert.throws(() => make(["SIGINT", "SIGSTOP"]), { name: "RangeError", message: /SIGSTOP cannot be caught/ });
      assert.throws(() => make(["SIGSEGV"]), { name: "RangeError", message: /SIGSEGV signals a fault/ });
    }
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
