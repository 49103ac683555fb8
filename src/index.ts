/**
 * asyncio-ts: Python's asyncio model for TypeScript on Node.js.
 * Every export is listed here by name; durations are in seconds throughout.
 */
import "./kernel/polyfills.js";

export {
  BrokenBarrierError,
  CancelledError,
  ExceptionGroup,
  InvalidStateError,
  KeyboardInterrupt,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  TimeoutError,
} from "./errors.js";
export type { Clock } from "./kernel/clock.js";
export { Future, type DoneCallback } from "./kernel/future.js";
export { Handle, TimerHandle } from "./kernel/handle.js";
export { Loop, type ExceptionContext, type ExceptionHandler, type LoopOptions } from "./kernel/loop.js";
export { eagerTaskFactory, Task, type TaskFactory, type TaskOptions } from "./kernel/task.js";
export type { WaitOptions } from "./kernel/waiting.js";
export { asCompleted, type AsCompleted, type FinishedFuture } from "./asCompleted.js";
export { formatTaskTree, monitorLoopLag, printTaskTree, type LagMonitor, type LagMonitorOptions } from "./debug/index.js";
export { gather, GatheringFuture, type GatherOptions } from "./gather.js";
export type { AwaitableLike, ResultOf } from "./kernel/ensureFuture.js";
export * from "./executors/index.js";
export { run, Runner, type RunOptions } from "./run.js";
export { shield } from "./shield.js";
export { TaskGroup, taskGroup } from "./taskGroup.js";
export { Timeout, timeout, timeoutAt } from "./timeouts.js";
export { ALL_COMPLETED, FIRST_COMPLETED, FIRST_EXCEPTION, wait, type ReturnWhen, type WaitCallOptions } from "./wait.js";
export { waitFor } from "./waitFor.js";
export { sleep } from "./sleep.js";
export * from "./sync/index.js";
export * from "./queues/index.js";
export * from "./io/index.js";
export { allTasks, createTask, currentSignal, currentTask, getEventLoop, getRunningLoop } from "./tasks.js";
export * from "./toolkit/index.js";
