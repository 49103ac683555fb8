// run()'s SIGTERM handling, built on loop.addSignalHandler like its SIGINT: the first signal
// cancels the main task (which unwinds), a second one gets the default action. Real child processes.
import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const indexUrl = new URL("../src/index.ts", import.meta.url).href;

/** Runs `code` in a child, sends `signals` once it printed "ready", returns its output and exit. */
async function withSignals(code: string, signals: NodeJS.Signals[]): Promise<{ out: string; code: number | null; signal: NodeJS.Signals | null }> {
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], {
    cwd: fileURLToPath(new URL("..", import.meta.url)),
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on("exit", (c, s) => resolve([c, s])));
  await new Promise<void>((resolve, reject) => {
    const watchdog = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`child never became ready: ${out}`));
    }, 20_000);
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes("ready")) {
        clearTimeout(watchdog);
        resolve();
      }
    });
  });
  for (const sig of signals) {
    child.kill(sig);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const [c, s] = await exited;
  return { out, code: c, signal: s };
}

describe("run and SIGTERM", { timeout: 30_000 }, () => {
  it("SIGTERM during run() cancels the main task, which unwinds", async () => {
    const { out, code } = await withSignals(
      `const { run, sleep } = await import(${JSON.stringify(indexUrl)});
      try {
        await run(async () => {
          console.log("ready");
          try { await sleep(3600); } catch (e) { console.log("main caught " + e.name + ": " + e.message); throw e; }
        });
      } catch (e) { console.log("run rejected " + e.name); process.exitCode = 3; }`,
      ["SIGTERM"],
    );
    assert.equal(code, 3, out);
    assert.deepEqual(out.trim().split("\n"), ["ready", "main caught CancelledError: interrupted by SIGTERM", "run rejected CancelledError"]);
  });

  it("a second SIGTERM while main unwinds ends the process by the signal", async () => {
    const { out, signal } = await withSignals(
      `const { run, sleep } = await import(${JSON.stringify(indexUrl)});
      await run(async () => {
        console.log("ready");
        try { await sleep(3600); } finally { console.log("unwinding"); await new Promise(() => setTimeout(() => {}, 60000)); }
      });`,
      ["SIGTERM", "SIGTERM"],
    );
    assert.equal(signal, "SIGTERM", out);
    assert.match(out, /unwinding/);
  });
});
