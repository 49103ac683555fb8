/**
 * What every example of the tour shares: the context it runs in (where to print, how fast time
 * runs, the local HTTP server's address) and a clock that lets the test suite run the article's
 * timings faster without touching the examples' code.
 *
 * An example is plain asyncio-ts code: it calls `run(main, ctx.runOptions())` the way the article
 * calls `asyncio.run(main())`. `runOptions()` only adds the tour's clock: at speed 1 (`npm start`)
 * it is wall-clock time, so `sleep(1)` takes one second.
 */
import type { Clock, RunOptions } from "../src/index.js";

/**
 * A clock on which time runs `speed` times faster than the wall clock: `sleep(1)` takes
 * `1 / speed` real seconds, and `loop.time()` counts the article's seconds. The tests use it to
 * check the article's timings in a fraction of the time.
 */
export class ScaledClock implements Clock {
  private timer: ReturnType<typeof setTimeout> | undefined = undefined;

  constructor(readonly speed: number) {
    if (!(speed > 0) || !Number.isFinite(speed)) {
      throw new RangeError(`ScaledClock expects a positive, finite speed: received ${speed}`);
    }
  }

  now(): number {
    return (performance.now() / 1000) * this.speed;
  }

  arm(deadline: number, wake: () => void): void {
    this.disarm();
    const ms = Math.max(0, Math.ceil(((deadline - this.now()) / this.speed) * 1000));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      wake();
    }, Math.min(ms, 2 ** 31 - 1));
  }

  disarm(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }
}

/** One measurement an example reports: how long it took next to what sequential code takes. */
export interface Timing {
  label: string;
  /** Seconds on the example's clock (the article's seconds). */
  seconds: number;
  /** What the same work takes done one thing at a time, in the same seconds. */
  sequential: number;
}

export interface ExampleContext {
  /** How many times faster than the wall clock time runs (1 for `npm start`). */
  readonly speed: number;
  /** The tour's local httpbin-like server, e.g. `http://127.0.0.1:40123` (see server.ts). */
  readonly baseUrl: string;
  /** Whether output goes to a terminal (the semaphore example then draws a live progress line). */
  readonly interactive: boolean;
  /** Writes one line of output. */
  print(line: string): void;
  /** Writes one line stamped with the seconds since the example started: `[1.00s] line`. */
  log(line: string): void;
  /** Rewrites the current terminal line (only when `interactive`); `done` ends it with a newline. */
  live(line: string, done?: boolean): void;
  /** Seconds since the example started, on its clock. */
  elapsed(): number;
  /** Options for `run()`: the tour's clock, plus `extra` (e.g. `{ debug: true }`). */
  runOptions(extra?: RunOptions): RunOptions;
  /** Prints and records a timing: `⏱ label: 1.00s (sequential code: 3.00s, 3.0× faster)`. */
  timing(label: string, seconds: number, sequential: number): void;
  /** The timings reported so far, for the tests. */
  readonly timings: Timing[];
}

export interface Example {
  /** What `npm start -- <name>` takes. */
  name: string;
  /** One line for the list. */
  title: string;
  /** The seed article's section this example follows. */
  section: string;
  main(ctx: ExampleContext): Promise<void>;
}

/** Identity with a type: `export default defineExample({ ... })`. */
export function defineExample(example: Example): Example {
  return example;
}

export interface ContextOptions {
  speed?: number;
  /**
   * Makes the clock `runOptions()` hands to `run()`; default a `ScaledClock(speed)`. The tests pass
   * a VirtualClock for examples that only sleep, so their timings are exact.
   */
  clock?: () => Clock;
  baseUrl: string;
  print: (line: string) => void;
  /** Writes raw text to the terminal (for `live`); omit when output is not a terminal. */
  write?: (text: string) => void;
}

export function createContext(options: ContextOptions): ExampleContext {
  const speed = options.speed ?? 1;
  const started = performance.now();
  const timings: Timing[] = [];
  const write = options.write;
  let liveShown = false;
  const elapsed = (): number => ((performance.now() - started) / 1000) * speed;
  const print = (line: string): void => {
    if (liveShown && write !== undefined) {
      write("\r\x1b[2K");
      liveShown = false;
    }
    options.print(line);
  };
  return {
    speed,
    baseUrl: options.baseUrl,
    interactive: write !== undefined,
    print,
    log: (line) => print(`[${elapsed().toFixed(2)}s] ${line}`),
    live(line, done = false) {
      if (write === undefined) return;
      write(`\r\x1b[2K${line}${done ? "\n" : ""}`);
      liveShown = !done;
    },
    elapsed,
    runOptions: (extra = {}) => ({ clock: options.clock?.() ?? new ScaledClock(speed), ...extra }),
    timing(label, seconds, sequential) {
      timings.push({ label, seconds, sequential });
      const ratio = seconds > 0 ? sequential / seconds : Infinity;
      // Within a third either way is "about the same" (the clock is real, and machines are noisy).
      const comparison = ratio >= 1.33 ? `, ${ratio.toFixed(1)}× faster` : ratio <= 0.75 ? `, ${(1 / ratio).toFixed(1)}× slower` : "";
      print(`  ⏱ ${label}: ${seconds.toFixed(2)}s (sequential code: ${sequential.toFixed(2)}s${comparison})`);
    },
    timings,
  };
}
