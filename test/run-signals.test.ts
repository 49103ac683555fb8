// run()'s SIGINT handling is built on loop.addSignalHandler: the loop holds it while main runs.
// In a child process (the test runner may listen to SIGINT itself, and run() then stays out).
import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, it, NODE_CHILD } from "./helpers.js";

const indexUrl = new URL("../src/index.ts", import.meta.url).href;

describe("run and loop signal handlers", { timeout: 30_000 }, () => {
  it("run() installs its SIGINT handling as the loop's signal handler, and removes it after", NODE_CHILD, async () => {
    const code = `
      const { run, getRunningLoop } = await import(${JSON.stringify(indexUrl)});
      const before = process.listenerCount("SIGINT");
      let loop;
      await run(async () => {
        loop = getRunningLoop();
        console.log("during", process.listenerCount("SIGINT") - before);
      });
      console.log("after", process.listenerCount("SIGINT") - before, loop.removeSignalHandler("SIGINT"));
      await run(async () => {
        console.log("removed", getRunningLoop().removeSignalHandler("SIGINT"), process.listenerCount("SIGINT") - before);
      });
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], {
      cwd: fileURLToPath(new URL("..", import.meta.url)),
    });
    assert.deepEqual(stdout.trim().split("\n"), ["during 1", "after 0 false", "removed true 0"]);
  });
});
