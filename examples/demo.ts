// A two-minute look at asyncio-ts: createTask, gather and waitFor. Durations are in seconds.
// Run it with `npm start`.
import {
  CancelledError,
  createTask,
  gather,
  getRunningLoop,
  run,
  sleep,
  TimeoutError,
  waitFor,
} from "../src/index.js";

let started = 0;

function log(message: string): void {
  const elapsed = getRunningLoop().time() - started;
  console.log(`[${elapsed.toFixed(2)}s] ${message}`);
}

async function brew(drink: string, seconds: number): Promise<string> {
  log(`${drink}: brewing for ${seconds}s`);
  await sleep(seconds);
  log(`${drink}: ready`);
  return drink;
}

async function slowReport(): Promise<string> {
  try {
    log("report: writing (needs 10s)");
    await sleep(10);
    return "report";
  } catch (error) {
    if (error instanceof CancelledError) log("report: cancelled at its sleep, cleaning up");
    throw error; // a cancelled task re-throws, so waitFor knows it unwound
  }
}

async function main(): Promise<void> {
  started = getRunningLoop().time();

  console.log("1. createTask starts work at once; the caller carries on and awaits it later");
  const toast = createTask(() => brew("toast", 0.2), { name: "toast" });
  log("main: toast task created, doing something else");
  await sleep(0.1);
  log(`main: got ${await toast}`);

  console.log("\n2. gather runs tasks concurrently: 0.3s + 0.2s + 0.1s takes about 0.3s");
  const before = getRunningLoop().time();
  const drinks = await gather(
    createTask(() => brew("tea", 0.3)),
    createTask(() => brew("coffee", 0.2)),
    createTask(() => brew("juice", 0.1)),
  );
  log(`main: gathered [${drinks.join(", ")}] in ${(getRunningLoop().time() - before).toFixed(2)}s`);

  console.log("\n3. waitFor gives up after 0.25s, cancels the work, waits for it to unwind");
  try {
    await waitFor(slowReport, 0.25);
  } catch (error) {
    if (!(error instanceof TimeoutError)) throw error;
    log("main: waitFor raised TimeoutError, and the report task is done");
  }
}

await run(main);
console.log("\nAll done.");
