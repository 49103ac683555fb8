/**
 * `run(main, { monitor })` and `ASYNCIO_TS_MONITOR=1|PORT`: start the monitor for one run and
 * print its URL on stderr. Loaded by run() only when asked for, so the root package pays nothing.
 */
import type { Loop } from "../kernel/loop.js";
import { startMonitor, type Monitor } from "./monitor.js";
import { checkMonitorOption } from "./runOption.js";

/**
 * The port the run's monitor should use (0: any), or null for none. The option wins over the
 * environment; `ASYNCIO_TS_MONITOR` is `1`/`true` (any port) or a port number.
 */
export function monitorPort(option: boolean | number | undefined, env: string | undefined = process.env.ASYNCIO_TS_MONITOR): number | null {
  checkMonitorOption(option);
  if (option === false) return null;
  if (option === true) return 0;
  if (option !== undefined) return option;
  const value = env?.trim().toLowerCase();
  if (value === undefined || value === "" || value === "0" || value === "false" || value === "no" || value === "off") return null;
  if (value === "1" || value === "true" || value === "yes" || value === "on") return 0;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    process.stderr.write(`asyncio-ts: ignoring ASYNCIO_TS_MONITOR=${JSON.stringify(env)}: expected 1 or a port number\n`);
    return null;
  }
  return port;
}

/** Starts the monitor on `loop` and prints its URL on stderr. */
export async function startRunMonitor(loop: Loop, port: number): Promise<Monitor> {
  const monitor = await startMonitor({ port, loop });
  process.stderr.write(`asyncio-ts monitor: ${monitor.url}\n`);
  return monitor;
}
