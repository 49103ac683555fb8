/** Every workload, in the order the suite runs and reports them. */
import type { Workload } from "../harness.js";
import { largeJobsWorkload, tinyJobsWorkload } from "./executors.js";
import { mapWorkload } from "./map.js";
import { memoryWorkload } from "./memory.js";
import { queueWorkload } from "./queue.js";
import { lockWorkload, semaphoreWorkload, wakeWorkloads } from "./sync.js";
import { alsWorkload, gatherWorkload, waitForWorkload } from "./tasks.js";

export const workloads: Workload[] = [
  gatherWorkload,
  waitForWorkload,
  memoryWorkload,
  queueWorkload,
  semaphoreWorkload,
  lockWorkload,
  ...wakeWorkloads,
  tinyJobsWorkload,
  largeJobsWorkload,
  alsWorkload,
  mapWorkload,
];
