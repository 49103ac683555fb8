// Shared by the executor tests: whether a cancelled job really stopped using CPU.
import { strict as assert } from "node:assert";
import { sleep } from "../src/index.js";

/**
 * Asserts that a busy job's counter (a SharedArrayBuffer the job bumps in its loop) stops: it
 * stands still over 0.1 s. Stopping a thread or a process is asynchronous and a loaded machine may
 * take a while, so this tries for up to `seconds`; a job that runs on fails.
 */
export async function assertStopped(counter: Int32Array, seconds = 20): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const before = Atomics.load(counter, 0);
    await sleep(0.1);
    if (Atomics.load(counter, 0) === before) return;
    assert.ok(Date.now() < deadline, `the cancelled job is still using CPU after ${seconds} s`);
  }
}
