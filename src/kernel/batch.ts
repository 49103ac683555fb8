/**
 * Whether the loop is running a batch of ready callbacks, and what it does when the batch ends.
 *
 * Waits woken by loop callbacks (a timer fired, `callSoon(() => fut.setResult())`) are settled
 * once the batch is over, so that a later callback of the same batch can still cancel them
 * (src/sync/parked.ts). Inside a batch there is no need to schedule a microtask for that: the loop
 * settles them itself when the batch ends, before any microtask runs. Kept apart from both
 * modules so that neither imports the other.
 */
let running = 0;
let onBatchEnd: () => void = () => undefined;

/** True while a loop batch runs. */
export function inBatch(): boolean {
  return running > 0;
}

/** Registered once by the wait machinery: what to do when a batch ends. */
export function setBatchEndHook(hook: () => void): void {
  onBatchEnd = hook;
}

/** Called by the loop around each batch. */
export function batchStarted(): void {
  running++;
}

export function batchEnded(): void {
  if (--running === 0) onBatchEnd();
}
