// Debug mode catches the seed article's "common mistakes" while the program runs, and names the task.
import { strict as assert } from "node:assert";
import { execFile, execSync, spawn } from "node:child_process";
import { describe, it } from "./helpers.js";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import {
  CancelledError,
  createTask,
  formatTaskTree,
  gather,
  getRunningLoop,
  monitorLoopLag,
  run,
  Runner,
  sleep,
  type ExceptionContext,
} from "../src/index.js";
import { runtime, SPAWNS_NODE, unsupportedOn } from "./helpers.js";

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

function busy(seconds: number): void {
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end);
}

/**
 * Runs `body` with `performance.now()` (what debug mode times stretches with) replaced by a clock
 * that only `block(seconds)` moves: a stretch lasts exactly what the test says, however loaded
 * the machine is, and every other stretch lasts 0. Real blocking is tested apart, with wide margins.
 */
async function onFakeWallClock<T>(body: (block: (seconds: number) => void) => Promise<T>): Promise<T> {
  let ms = Math.ceil(performance.now()); // whole milliseconds: stretches of whole ms difference exactly
  // On Node `now` lives on Performance.prototype; on Bun it is an own property: put back what was there.
  const own = Object.getOwnPropertyDescriptor(performance, "now");
  Object.defineProperty(performance, "now", { value: () => ms, configurable: true, writable: true });
  try {
    return await body((seconds) => void (ms += seconds * 1000));
  } finally {
    if (own !== undefined) Object.defineProperty(performance, "now", own);
    else delete (performance as { now?: unknown }).now;
  }
}

/** Runs `main` in debug mode with a short slow-callback threshold, collecting reports. */
async function debugRun(main: (reports: ExceptionContext[]) => Promise<void>, threshold = 0.05): Promise<ExceptionContext[]> {
  const reports: ExceptionContext[] = [];
  await run(
    async () => {
      const loop = getRunningLoop();
      loop.slowCallbackDuration = threshold;
      loop.setExceptionHandler((_loop, context) => {
        reports.push(context);
      });
      await main(reports);
    },
    { debug: true },
  );
  return reports;
}

/** Bun and Deno never call async_hooks' hooks: debug mode sees a blocked loop there, but not which task blocked it. */
const NO_HOOKS = "no async_hooks timing: a blocked loop is reported without the task's name";

const slowReports = (reports: ExceptionContext[]): ExceptionContext[] => reports.filter((r) => r["kind"] === "slow-callback");
const names = (reports: ExceptionContext[]): string[] => reports.map((r) => (r.task === undefined ? "?" : r.task.name));

describe("debug mode: blocked event loop", () => {
  it("names the task whose step between two awaits busy-loops", { skip: unsupportedOn({ bun: NO_HOOKS, deno: NO_HOOKS }) }, async () => {
    const reports = await onFakeWallClock((block) =>
      debugRun(async () => {
        await createTask(
          async () => {
            await sleep(0);
            block(0.08);
            await sleep(0);
          },
          { name: "cpu-hog" },
        );
      }),
    );
    const slow = slowReports(reports);
    assert.deepEqual(names(slow), ["cpu-hog"]);
    assert.match(slow[0]?.message ?? "", /^Task "cpu-hog" blocked the event loop for 0\.080 seconds \(slowCallbackDuration is 0\.05\)/);
    assert.match(slow[0]?.message ?? "", /debug\.test\.ts/); // where it resumed, or where it was created
    assert.equal(slow[0]?.["duration"], 0.08);
  });

  it("names the task whose first step blocks", { skip: unsupportedOn({ bun: NO_HOOKS, deno: NO_HOOKS }) }, async () => {
    const reports = await onFakeWallClock((block) =>
      debugRun(async () => {
        await createTask(
          () => {
            block(0.08);
            return Promise.resolve();
          },
          { name: "first-step" },
        );
      }),
    );
    assert.deepEqual(names(slowReports(reports)), ["first-step"]);
  });

  // Real blocking calls on the real clock: 0.5 s against a 0.25 s threshold, ten times the pauses
  // a loaded machine puts into a short stretch.
  it("catches Atomics.wait in a task", { skip: unsupportedOn({ bun: NO_HOOKS, deno: NO_HOOKS }) }, async () => {
    const reports = await debugRun(async () => {
      await createTask(
        async () => {
          await sleep(0);
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
        },
        { name: "atomics-wait" },
      );
    }, 0.25);
    assert.deepEqual(names(slowReports(reports)), ["atomics-wait"]);
  });

  it("catches execSync in a task", { skip: unsupportedOn({ bun: NO_HOOKS, deno: NO_HOOKS }) }, async () => {
    const reports = await debugRun(async () => {
      await createTask(
        async () => {
          await sleep(0);
          execSync(`"${process.execPath}" -e "setTimeout(() => {}, 500)"`);
        },
        { name: "exec-sync" },
      );
    }, 0.25);
    assert.deepEqual(names(slowReports(reports)), ["exec-sync"]);
  });

  it("reports a blocked loop on every runtime: on Node with the task's name, on Bun and Deno without", async () => {
    const reports = await debugRun(async () => {
      await createTask(
        async () => {
          await sleep(0);
          busy(0.12);
          await sleep(0.03);
        },
        { name: "hog" },
      );
      await sleep(0.03);
    });
    const slow = slowReports(reports);
    assert.equal(slow.length, 1, slow.map((r) => r.message).join("\n"));
    assert.ok((slow[0]?.["duration"] as number) >= 0.05);
    if (runtime === "node") assert.equal(slow[0]?.task?.name, "hog");
    else assert.match(slow[0]?.message ?? "", /blocked the event loop for 0\.\d+ seconds[\s\S]*cannot be named/);
  });

  it("stays quiet for tasks that yield often", async () => {
    // Each task blocks 0.04 s in all, in stretches of 0.002 s: only a stretch counts.
    const reports = await onFakeWallClock((block) =>
      debugRun(async () => {
        await gather(
          ...[1, 2, 3].map((n) =>
            createTask(async () => {
              for (let i = 0; i < 20; i++) {
                block(0.002);
                await sleep(0);
              }
            }, { name: `polite-${n}` }),
          ),
        );
      }, 0.01),
    );
    assert.deepEqual(slowReports(reports), []);
  });

  it("reports nothing when debug mode is off", async () => {
    const reports: ExceptionContext[] = [];
    await onFakeWallClock((block) =>
      run(async () => {
        const loop = getRunningLoop();
        loop.slowCallbackDuration = 0.01;
        loop.setExceptionHandler((_l, c) => void reports.push(c));
        await createTask(async () => {
          await sleep(0);
          block(0.05);
        });
      }),
    );
    assert.deepEqual(reports, []);
  });

  it("loop.setDebug(true) turns the check on for a running loop", { skip: unsupportedOn({ bun: NO_HOOKS, deno: NO_HOOKS }) }, async () => {
    const reports: ExceptionContext[] = [];
    await onFakeWallClock((block) =>
      run(async () => {
        const loop = getRunningLoop();
        loop.setDebug(true);
        assert.equal(loop.getDebug(), true);
        loop.slowCallbackDuration = 0.03;
        loop.setExceptionHandler((_l, c) => void reports.push(c));
        await createTask(
          async () => {
            await sleep(0);
            block(0.05);
          },
          { name: "late-debug" },
        );
        loop.setDebug(false);
      }),
    );
    assert.deepEqual(names(slowReports(reports)), ["late-debug"]);
  });

  it("ASYNCIO_TS_DEBUG=1 turns debug mode on", async () => {
    const previous = process.env["ASYNCIO_TS_DEBUG"];
    process.env["ASYNCIO_TS_DEBUG"] = "1";
    try {
      await using runner = new Runner();
      assert.equal(runner.getLoop().getDebug(), true);
      await runner.run(() => sleep(0));
    } finally {
      if (previous === undefined) delete process.env["ASYNCIO_TS_DEBUG"];
      else process.env["ASYNCIO_TS_DEBUG"] = previous;
    }
  });
});

describe("debug mode: lost work", () => {
  it("reports a failed task nobody awaited, with its name and creation site", async () => {
    const reports = await debugRun(async () => {
      void createTask(
        async () => {
          await sleep(0);
          throw new Error("nobody looked");
        },
        { name: "forgotten" },
      );
      await sleep(0);
      await sleep(0);
    });
    const lost = reports.filter((r) => r.message.startsWith("Task exception was never retrieved"));
    assert.equal(lost.length, 1);
    assert.match(lost[0]?.message ?? "", /Task "forgotten"/);
    assert.match(lost[0]?.message ?? "", /task created .*debug\.test\.ts/);
    assert.equal((lost[0]?.exception as Error).message, "nobody looked");
  });

  it("reports tasks left pending when run() finishes, with name and creation site", async () => {
    const reports = await debugRun(async () => {
      void createTask(() => sleep(60), { name: "background" });
      await sleep(0);
    });
    const left = reports.filter((r) => r["kind"] === "pending-at-exit");
    assert.deepEqual(names(left), ["background"]);
    assert.match(left[0]?.message ?? "", /task created .*debug\.test\.ts/);
  });

  it("prints the task tree when the process would exit with main still pending (deadlock)", { skip: unsupportedOn({ bun: SPAWNS_NODE, deno: SPAWNS_NODE }) }, async () => {
    const { stderr } = await promisify(execFile)(process.execPath, ["--import", "tsx", fixture("deadlock.ts")]).catch(
      (error: { stderr: string; code: number }) => {
        assert.equal(error.code, 13); // Node's exit code for a pending top-level await
        return error;
      },
    );
    assert.match(stderr, /deadlock: .*main task "main" is still pending/);
    assert.match(stderr, /Task "main" awaiting a future/);
    assert.match(stderr, /└── Task "stuck-child" awaiting a future/);
  });

  it("says in one line, outside debug mode, that main can never finish when the process would exit with it pending", { skip: unsupportedOn({ bun: SPAWNS_NODE, deno: SPAWNS_NODE }) }, async () => {
    const env = { ...process.env };
    delete env["ASYNCIO_TS_DEBUG"];
    const { stderr } = await promisify(execFile)(process.execPath, ["--import", "tsx", fixture("stuck.ts")], { env, timeout: 20_000 }).catch(
      (error: { stderr: string; code: number }) => {
        assert.equal(error.code, 13); // Node's exit code for a pending top-level await
        return error;
      },
    );
    const ours = stderr.split("\n").filter((line) => line.startsWith("asyncio-ts:"));
    assert.equal(ours.length, 1, stderr);
    assert.match(ours[0] ?? "", /main task "main" can never finish.*ASYNCIO_TS_DEBUG=1/);
  });

  it("SIGUSR2 prints the task tree of a live process", { skip: process.platform === "win32" || unsupportedOn({ bun: SPAWNS_NODE, deno: SPAWNS_NODE }) }, async () => {
    const child = spawn(process.execPath, ["--import", "tsx", fixture("sigusr2.ts")], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
    child.kill("SIGUSR2");
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    assert.equal(code, 0);
    assert.match(stderr, /task tree \(SIGUSR2\)/);
    assert.match(stderr, /Task "long-sleeper" awaiting sleep \(\d+\.\d+s left\)/);
  });
});

describe("formatTaskTree", () => {
  it("shows each pending task, what it awaits and its children", async () => {
    await run(async () => {
      const parent = createTask(
        async () => {
          const child = createTask(() => sleep(10), { name: "child" });
          await gather(child, sleep(5));
        },
        { name: "parent" },
      );
      const waiter = createTask(() => parent, { name: "awaits-parent" });
      await sleep(0);
      await sleep(0);
      const tree = formatTaskTree();
      assert.match(tree, /^Task "main" running/m);
      assert.match(tree, /├── Task "parent" awaiting sleep \([45]\.\d+s left\), gather \(2 of 2 pending\)/);
      assert.match(tree, /│ {3}└── Task "child" awaiting sleep \(\d+\.\d+s left\)/);
      assert.match(tree, /└── Task "awaits-parent" awaiting task "parent"/);
      waiter.cancel();
      await assert.rejects(parent, CancelledError);
    });
  });

  it("says so when nothing is pending", async () => {
    const runner = new Runner();
    assert.equal(formatTaskTree(runner.getLoop()), "(no pending tasks)");
    await runner.close();
  });
});

describe("monitorLoopLag", () => {
  it("sees a blocked loop without debug mode", async () => {
    const lags: number[] = [];
    using monitor = monitorLoopLag({ threshold: 0.03, onLag: (lag) => lags.push(lag) });
    await new Promise((resolve) => setTimeout(resolve, 30));
    busy(0.08);
    await new Promise((resolve) => setTimeout(resolve, 40));
    assert.ok(lags.length >= 1, "no lag reported");
    assert.ok(monitor.maxLag >= 0.03);
  });

  it("rejects a non-positive threshold", () => {
    assert.throws(() => monitorLoopLag({ threshold: 0 }), RangeError);
    assert.throws(() => monitorLoopLag({ threshold: Number.NaN }), /positive number of seconds/);
  });
});
