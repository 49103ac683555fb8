// Shared by the monitor's end-to-end tests: the example program in a child process, and Chromium.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

export interface App {
  url: string;
  child: ChildProcessWithoutNullStreams;
  /** Sends one command line to the program's stdin. */
  send(line: string): void;
  /** Resolves when the program's stdout has shown `text`. */
  waitForOutput(text: string, seconds?: number): Promise<void>;
  stdout(): string;
  /** Sends `quit` and waits for the exit (killing it after a while). */
  stop(): Promise<number | null>;
}

/** Starts test/fixtures/monitor-app.ts and resolves once it printed the monitor's URL. */
export function startApp(env: Record<string, string> = {}): Promise<App> {
  const file = fileURLToPath(new URL("./fixtures/monitor-app.ts", import.meta.url));
  const child = spawn(process.execPath, ["--import", "tsx", file], { env: { ...process.env, ...env }, stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  let err = "";
  const watchers: Array<() => void> = [];
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    out += chunk;
    for (const w of watchers.slice()) w();
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the monitor app printed no URL in 20 s; stderr:\n${err}`)), 20_000);
    child.once("exit", (code) => reject(new Error(`the monitor app exited (${code}) early; stderr:\n${err}`)));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      err += chunk;
      const match = /asyncio-ts monitor: (http:\/\/\S+)/.exec(err);
      if (match === null) return;
      clearTimeout(timer);
      resolve({
        url: match[1]!,
        child,
        send: (line) => child.stdin.write(`${line}\n`),
        stdout: () => out,
        waitForOutput: (text, seconds = 10) =>
          new Promise<void>((ok, fail) => {
            const t = setTimeout(() => fail(new Error(`no ${JSON.stringify(text)} on stdout in ${seconds} s; got:\n${out}`)), seconds * 1000);
            const check = (): void => {
              if (!out.includes(text)) return;
              clearTimeout(t);
              watchers.splice(watchers.indexOf(check), 1);
              ok();
            };
            watchers.push(check);
            check();
          }),
        stop: async () => {
          if (child.exitCode === null) child.stdin.end("quit\n");
          const kill = setTimeout(() => child.kill("SIGKILL"), 10_000);
          const code = await exited;
          clearTimeout(kill);
          return code;
        },
      });
    });
  });
}

/**
 * Chromium for the browser tests: its path, or a reason to skip. On CI (`CI=true`) a missing
 * browser is a failure, not a skip.
 */
export function chromium(): { path: string } | { skip: string } {
  const path = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
  if (existsSync(path)) return { path };
  const reason = `needs Chromium at ${path}: install the Debian package chromium (apt-get install -y chromium)`;
  if (process.env.CI === "true") throw new Error(reason);
  return { skip: reason };
}

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
