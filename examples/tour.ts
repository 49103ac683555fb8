// `npm start`: every pattern of the seed article, live, against a local HTTP server.
//   npm start                     the whole tour
//   npm start -- <name> [...]     some examples (see --list)
//   npm start -- --list           the examples
//   npm start -- --speed 4        time runs 4× faster (what the tests do)
import type { Clock } from "../src/index.js";
import { createContext, type Example, type ExampleContext } from "./harness.js";
import { examples } from "./index.js";
import { startServer, type TourServer } from "./server.js";

export interface TourOptions {
  speed?: number;
  /** The clock each example runs on (see ContextOptions.clock); default a ScaledClock. */
  clock?: () => Clock;
  print?: (line: string) => void;
  /** Raw terminal output for live displays; omit when output is not a terminal. */
  write?: (text: string) => void;
}

/** Runs `selected` one after the other against a fresh local server; returns each one's context. */
export async function runExamples(selected: readonly Example[], options: TourOptions = {}): Promise<ExampleContext[]> {
  const print = options.print ?? ((line: string) => console.log(line));
  const speed = options.speed ?? 1;
  let current: ExampleContext | null = null;
  const server: TourServer = await startServer({ speed, log: (line) => current?.log(line) });
  const contexts: ExampleContext[] = [];
  try {
    for (const [index, example] of selected.entries()) {
      print("");
      print(`━━ ${index + 1}/${selected.length} ${example.name}: ${example.title}`);
      print(`   (article: “${example.section}”)`);
      const ctx = createContext({
        speed,
        baseUrl: server.url,
        print,
        ...(options.write !== undefined ? { write: options.write } : {}),
        ...(options.clock !== undefined ? { clock: options.clock } : {}),
      });
      current = ctx;
      await example.main(ctx);
      current = null;
      print(`   ✔ ${example.name} took ${ctx.elapsed().toFixed(2)}s`);
      contexts.push(ctx);
    }
  } finally {
    await server.close();
  }
  return contexts;
}

function usage(): string {
  const width = Math.max(...examples.map((e) => e.name.length));
  return [
    "Usage: npm start [-- [--speed N] [name ...]]",
    "",
    "Examples (in the order of the article):",
    ...examples.map((e) => `  ${e.name.padEnd(width)}  ${e.title}`),
    "",
    "npm start -- monitor [--for SECONDS]   a job pipeline to watch in the live monitor (asyncio-ts/monitor)",
  ].join("\n");
}

export interface CliOutput {
  out: (line: string) => void;
  err: (line: string) => void;
  /** Raw terminal output for live displays, when stdout is a terminal. */
  write?: (text: string) => void;
  speed?: number;
}

const consoleOutput: CliOutput = {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
  ...(process.stdout.isTTY ? { write: (text: string) => void process.stdout.write(text) } : {}),
};

/** The command line of `npm start`; returns the exit code. */
export async function cli(argv: string[], io: CliOutput = consoleOutput): Promise<number> {
  let speed = io.speed ?? 1;
  const names: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (arg === "--list" || arg === "-l" || arg === "--help" || arg === "-h") {
      io.out(usage());
      return 0;
    } else if (arg === "--speed") {
      speed = Number(argv[++i]);
      if (!(speed > 0) || !Number.isFinite(speed)) {
        io.err(`--speed expects a positive number: received ${argv[i]}`);
        return 2;
      }
    } else {
      names.push(arg);
    }
  }
  if (names[0] === "monitor") {
    // Not a section of the article: a live program to watch in the monitor (examples/monitor.ts).
    const seconds = names[1] === "--for" ? Number(names[2]) : undefined;
    await (await import("./monitor.js")).monitorDemo(io, seconds);
    return 0;
  }
  const unknown = names.filter((name) => !examples.some((e) => e.name === name));
  if (unknown.length > 0) {
    io.err(`No example named ${unknown.map((n) => JSON.stringify(n)).join(", ")}.\n\n${usage()}`);
    return 2;
  }
  const selected = names.length === 0 ? examples : examples.filter((e) => names.includes(e.name));

  const started = performance.now();
  io.out("asyncio-ts: a tour of the seed article's patterns. Durations are in seconds, as in asyncio.");
  if (names.length === 0) io.out("Where the article waits long, the tour waits less, and says so.");
  if (speed !== 1) io.out(`Time runs ${speed}× faster: timings are printed in the article's seconds.`);
  await runExamples(selected, { speed, print: io.out, ...(io.write !== undefined ? { write: io.write } : {}) });
  const total = (performance.now() - started) / 1000;
  io.out(`\nDone: ${selected.length} example${selected.length === 1 ? "" : "s"} in ${total.toFixed(1)}s of wall time.`);
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith("examples/tour.ts")) {
  process.exitCode = await cli(process.argv.slice(2));
}
