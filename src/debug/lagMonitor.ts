/**
 * The cheap, always-available version of the blocked-loop check: a timer that notices when it
 * fires late. It sees that the loop was blocked and for how long, not who blocked it (debug mode
 * names the task).
 */
export interface LagMonitorOptions {
  /** Report a delay longer than this, in seconds. Default 0.1. */
  threshold?: number;
  /** How often to sample, in seconds. Default threshold / 2. */
  interval?: number;
  /** Called with the lag in seconds; default writes a line to stderr. */
  onLag?: (lagSeconds: number) => void;
}

/**
 * What `monitorLoopLag()` returns: a running monitor. Stop it with `stop()` or let `using` stop it
 * at scope exit; stopping twice is harmless.
 *
 * @example
 * const monitor = monitorLoopLag({ threshold: 0.05, onLag: () => undefined });
 * await main();
 * monitor.stop();
 * console.log(`worst lag: ${monitor.maxLag.toFixed(3)} s`);
 */
export interface LagMonitor {
  /** Stops the monitor. */
  stop(): void;
  /** `using monitor = monitorLoopLag()`: `stop()` at scope exit. */
  [Symbol.dispose](): void;
  /** The longest lag seen so far, in seconds. */
  readonly maxLag: number;
}

/**
 * Starts watching the event loop for blocking stretches longer than `threshold` seconds. The timer
 * is unref'd: it never keeps the process alive.
 *
 * @throws TypeError if threshold or interval is not a number; RangeError if not positive and finite.
 * @example
 * using monitor = monitorLoopLag({ threshold: 0.05 });
 */
export function monitorLoopLag(options: LagMonitorOptions = {}): LagMonitor {
  const threshold = options.threshold ?? 0.1;
  const interval = options.interval ?? threshold / 2;
  for (const [name, value] of [["threshold", threshold], ["interval", interval]] as const) {
    if (typeof value !== "number") {
      throw new TypeError(`monitorLoopLag() expects options.${name} to be a number of seconds: received ${typeof value}`);
    }
    if (!(value > 0) || !Number.isFinite(value)) {
      throw new RangeError(`monitorLoopLag() expects options.${name} to be a positive number of seconds: received ${String(value)}`);
    }
  }
  const onLag =
    options.onLag ??
    ((lag: number) => process.stderr.write(`asyncio-ts: the event loop was blocked for ${lag.toFixed(3)} seconds\n`));
  let expected = performance.now() + interval * 1000;
  let maxLag = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    const lag = (now - expected) / 1000;
    expected = now + interval * 1000;
    if (lag > maxLag) maxLag = lag;
    if (lag >= threshold) onLag(lag);
  }, interval * 1000);
  timer.unref();
  const stop = (): void => clearInterval(timer);
  return {
    stop,
    [Symbol.dispose]: stop,
    get maxLag() {
      return maxLag;
    },
  };
}
