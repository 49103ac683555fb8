/**
 * `run(main, { monitor })`'s option: checked by run() at the call, and by `monitorPort()` when
 * the monitor is started for the run. Its own module, with no imports: run() loads it always,
 * the monitor itself only when asked for.
 */

/**
 * Throws unless `option` is `undefined`, a boolean, or a port number (an integer 0..65535).
 * @throws TypeError for another type; RangeError for a number that is no port.
 */
export function checkMonitorOption(option: unknown): asserts option is boolean | number | undefined {
  if (option === undefined || typeof option === "boolean") return;
  if (typeof option !== "number") throw new TypeError(`run() expects options.monitor to be a boolean or a port number: received ${option === null ? "null" : typeof option}`);
  if (!Number.isInteger(option) || option < 0 || option > 65535) {
    throw new RangeError(`run() expects options.monitor to be true, false or a port from 0 to 65535: received ${option}`);
  }
}
