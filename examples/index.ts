// The tour's examples, in the order of the seed article's sections.
import asCompleted from "./as-completed.js";
import contextManager from "./context-manager.js";
import crawler from "./crawler.js";
import eventCondition from "./event-condition.js";
import eventLoop from "./event-loop.js";
import executors from "./executors.js";
import gather from "./gather.js";
import greet from "./greet.js";
import lock from "./lock.js";
import mistakes from "./mistakes.js";
import queue from "./queue.js";
import semaphore from "./semaphore.js";
import tasks from "./tasks.js";
import timeouts from "./timeouts.js";
import type { Example } from "./harness.js";

export const examples: readonly Example[] = [
  eventLoop,
  greet,
  gather,
  tasks,
  asCompleted,
  timeouts,
  queue,
  semaphore,
  lock,
  eventCondition,
  executors,
  contextManager,
  mistakes,
  crawler,
];
