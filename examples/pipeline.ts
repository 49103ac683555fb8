// Subprocesses: runProcess runs a shell pipeline and captures its output; under a timeout, the
// whole process group (the shell and everything in the pipe) is terminated and reaped.
import { runProcess, run, timeout, TimeoutError, getRunningLoop } from "../src/index.js";
import { defineExample } from "./harness.js";

export default defineExample({
  name: "pipeline",
  title: "runProcess: a pipeline's output, and a timeout that kills the whole group",
  section: "Subprocesses (beyond the article): create_subprocess_exec",
  async main(ctx) {
    async function main(): Promise<void> {
      const { stdout } = await runProcess("sh", ["-c", "printf 'pear\\napple\\nfig\\n' | sort | tr a-z A-Z"], { capture: true });
      ctx.log(`sorted: ${stdout?.toString().trim().split("\n").join(", ")}`);

      const loop = getRunningLoop();
      const started = loop.time();
      try {
        await timeout(1, () => runProcess("sh", ["-c", "sleep 30 | sleep 30"], { killGrace: 1 }));
      } catch (e) {
        if (!(e instanceof TimeoutError)) throw e;
        ctx.log(`timed out after ${(loop.time() - started).toFixed(1)}s: the shell and both sleeps were terminated and reaped`);
      }
    }

    await run(main, ctx.runOptions());
  },
});
