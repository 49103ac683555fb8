// Shared by the tests that run a fixture program in a child process (test/fixtures/*.ts).
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

export interface ChildOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

/**
 * Runs test/fixtures/`name` with `node --import tsx` and collects its output. `onStdout` sees the
 * output so far and may signal the child. The child is killed (SIGKILL) after `limit` seconds
 * (then `seconds` ≥ limit), which fails the assertions on its outcome.
 */
export function runFixture(name: string, args: string[], limit: number, onStdout?: (out: string, child: ChildProcess) => void): Promise<ChildOutcome> {
  const started = performance.now();
  const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url)), ...args], {
    cwd: fileURLToPath(new URL("..", import.meta.url)),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
    onStdout?.(stdout, child);
  });
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const killer = setTimeout(() => child.kill("SIGKILL"), limit * 1000);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr, seconds: (performance.now() - started) / 1000 });
    });
  });
}
