// Common mistakes, each run in debug mode (`run(main, { debug: true })`), with what debug mode
// reports. The reports go to the loop's exception handler (stderr by default); here a handler
// collects them so they can be printed beside the mistake.
import {
  createTask,
  fromModule,
  getRunningLoop,
  run,
  sleep,
  toThread,
  type ExceptionContext,
} from "../src/index.js";
import { defineExample, type ExampleContext } from "./harness.js";
import { sumOfSquaresRange as rangeOnTheLoop } from "./work.js";

const sumOfSquaresRange = fromModule<typeof rangeOnTheLoop>(new URL("./work.ts", import.meta.url), "sumOfSquaresRange");

const SQUARES = 15_000_000;

/** Python's time.sleep(): holds the thread, so the event loop runs nothing else meanwhile. */
function blockingSleep(seconds: number): void {
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    // busy: nothing else can run
  }
}

/** Runs `main` in debug mode with a ticker beside it; returns the ticks, the time and debug mode's reports. */
async function debugRun(
  ctx: ExampleContext,
  main: () => Promise<void>,
): Promise<{ ticks: number; seconds: number; reports: ExceptionContext[] }> {
  const reports: ExceptionContext[] = [];
  let ticks = 0;
  let seconds = 0;
  await run(
    async () => {
      const loop = getRunningLoop();
      loop.setExceptionHandler((_loop, context) => void reports.push(context));
      const ticker = createTask(async () => {
        while (true) {
          await sleep(0.05);
          ticks++;
        }
      }, { name: "ticker" });
      await sleep(0);
      const started = loop.time();
      await main();
      seconds = loop.time() - started;
      ticker.cancel();
    },
    ctx.runOptions({ debug: true }),
  );
  return { ticks, seconds, reports };
}

function printReports(ctx: ExampleContext, reports: ExceptionContext[]): void {
  if (reports.length === 0) {
    ctx.print("    debug mode: (nothing to report)");
    return;
  }
  const cwd = `file://${process.cwd()}/`;
  for (const report of reports) {
    const lines = report.message.replaceAll(cwd, "").replaceAll(`${process.cwd()}/`, "").split("\n");
    const error = report.exception instanceof Error ? `: ${report.exception.name}: ${report.exception.message}` : "";
    ctx.print(`    debug mode: ${lines[0]}${error}`);
    for (const line of lines.slice(1)) ctx.print(`                ${line.trim()}`);
  }
}

export default defineExample({
  name: "mistakes",
  title: "common mistakes, and what debug mode reports for each",
  section: "Common Mistakes",
  async main(ctx) {
    ctx.print("❌ Blocking the loop: a busy wait (Python's time.sleep) instead of await sleep()");
    // The article blocks for 2 s; 0.3 s here. A ticker task should tick every 0.05 s meanwhile.
    const bad = await debugRun(ctx, async () => {
      await createTask(async () => {
        await sleep(0);
        blockingSleep(0.3); // ❌ blocks the entire event loop
      }, { name: "bad" });
    });
    ctx.log(`bad():  the ticker ticked ${bad.ticks} times in ${bad.seconds.toFixed(2)}s`);
    printReports(ctx, bad.reports);
    const good = await debugRun(ctx, async () => {
      await createTask(() => sleep(0.3), { name: "good" }); // ✅ yields: other tasks run
    });
    ctx.log(`good(): the ticker ticked ${good.ticks} times in ${good.seconds.toFixed(2)}s`);
    printReports(ctx, good.reports);

    ctx.print("❌ Forgetting to await: the task runs unobserved, and run() cancels it at the end");
    async function fetchData(): Promise<string> {
      await sleep(1);
      return "data";
    }
    async function saveData(): Promise<void> {
      await sleep(0.05);
      throw new Error("disk full");
    }
    const forgot = await debugRun(ctx, async () => {
      // ❌ Started, never awaited. The lint rule no-floating-promises (with checkThenables, as this
      // project sets it) flags a dropped task; `void` silences it here so debug mode can show
      // what it reports at run time.
      void createTask(fetchData, { name: "fetchData" });
      void createTask(saveData, { name: "saveData" }); // ❌ its failure is never looked at
      await sleep(0.1);
    });
    printReports(ctx, forgot.reports);
    ctx.print("    ✅ await createTask(fetchData), or keep the task and await it (or use taskGroup)");

    ctx.print("❌ Forgetting run(): run(main()) hands over a promise that has already started");
    async function main(): Promise<string> {
      await sleep(0);
      return "hello";
    }
    try {
      // @ts-expect-error -- the mistake on show: TypeScript rejects it too
      await run(main());
    } catch (error) {
      ctx.print(`    run() throws ${(error as Error).name}: ${(error as Error).message}`);
    }
    ctx.print(`    ✅ run(main) → ${await run(main, ctx.runOptions())}`);

    // Fifteen million squares take about 0.35 s on a fast core: well past debug mode's 0.1 s
    // threshold anywhere (five million took 0.09–0.12 s, and a fast CI machine slipped under it).
    ctx.print("❌ CPU-bound work on the loop: fifteen million squares between two awaits");
    const cpu = await debugRun(ctx, async () => {
      await createTask(async () => {
        await sleep(0);
        return rangeOnTheLoop(0, SQUARES); // ❌ blocks the event loop
      }, { name: "crunch" });
    });
    ctx.log(`on the loop:  the ticker ticked ${cpu.ticks} times in ${cpu.seconds.toFixed(2)}s`);
    printReports(ctx, cpu.reports);
    const offLoop = await debugRun(ctx, async () => {
      await createTask(() => toThread(sumOfSquaresRange, 0, SQUARES), { name: "crunch" }); // ✅ a worker thread
    });
    ctx.log(`in a thread:  the ticker ticked ${offLoop.ticks} times in ${offLoop.seconds.toFixed(2)}s`);
    printReports(ctx, offLoop.reports);
    // The same squares computed on the loop are the sequential version: no faster, but nothing else ran.
    ctx.timing("squares in a thread (start-up included), ticker free", offLoop.seconds, cpu.seconds);
  },
});
