/**
 * The JSON the monitor serves: `GET /api/snapshot` returns a `MonitorSnapshot`; `GET /api/events`
 * streams `MonitorEvent`s. Times are Unix epoch milliseconds (`Date.now()` scale), so a reader
 * computes ages against `now` (or its own clock) and an unchanged task stays byte-identical between
 * two snapshots, which is what lets the event stream carry only changes.
 */

/** One thing a task awaits right now. */
export interface MonitorWait {
  /** The operation: `"Queue.get()"`, `"Lock.acquire()"`, `"sleep()"`, `"await"`, `"executor job"`. */
  op: string;
  /** What the task tree prints for it, e.g. `Queue.get() on <Queue maxsize=0 getters=1>`. */
  text: string;
  /** When the wait started (epoch ms); absent if it started before the monitor. */
  since?: number;
  /** A primitive's id in `primitives`, when it waits on one. */
  primitive?: number;
  /** The task it awaits, when it awaits a task. */
  task?: number;
  /** An executor's id in `executors`, for an executor job. */
  executor?: number;
  /** A sleep's deadline (epoch ms); absent for `sleep(0)` and endless sleeps. */
  deadline?: number;
}

/** One pending task. */
export interface MonitorTask {
  /** Unique in the process (`Task-N` names use the same number). */
  id: number;
  /** `task.name`. */
  name: string;
  /** The task that created it, if that one is still pending. */
  parent: number | null;
  /** `waiting` on library waits, `running` (or awaiting a foreign promise), `cancelling` (a cancel is pending). */
  state: "running" | "waiting" | "cancelling";
  /** `task.cancelling()`. */
  cancelling: number;
  /** When it was created (epoch ms); absent if it was created before the monitor started. */
  created?: number;
  /** What it awaits, innermost scope first. */
  waits: MonitorWait[];
  /** Where it was created (debug mode only): the first frame in user code. */
  site?: string;
  /** Where it is suspended: stack lines (debug mode), else the description of its wait. */
  stack: string[];
}

/** A waiter in a primitive's queue. */
export interface MonitorWaiter {
  /** Which queue of the primitive (`waiters`, `getters`, `putters`, ...). */
  queue: string;
  /** The waiting task, or null for a wait made outside any task. */
  task: number | null;
  /** When it started waiting (epoch ms). */
  since?: number;
}

/** A lock, semaphore, event, condition, barrier or queue some task waits on or holds. */
export interface MonitorPrimitive {
  /** An id for this primitive, stable while the monitor runs. */
  id: number;
  /** Its class name: `Lock`, `Queue`, `PriorityQueue`, ... */
  kind: string;
  /** Its `util.inspect` form, e.g. `<Lock locked waiters=2>`. */
  label: string;
  /** Its `statistics()`, when it has one. */
  stats?: Record<string, number | boolean>;
  /** Waiters in the order they will be served. */
  waiters: MonitorWaiter[];
  /** For a Lock or Semaphore: the task that took the latest guard, and when. */
  holder?: { task: number | null; since: number };
}

/** A thread or process pool some task awaits (or the default executor). */
export interface MonitorExecutor {
  /** An id for this pool, stable while the monitor runs. */
  id: number;
  /** `ThreadPoolExecutor` or `ProcessPoolExecutor`. */
  kind: string;
  /** The most workers it runs at once. */
  maxWorkers: number;
  /** Workers alive now. */
  workers: number;
  /** Workers running a job. */
  busy: number;
  /** Jobs waiting for a worker. */
  queued: number;
  /** Whether `shutdown()` was called. */
  shutdown: boolean;
}

/** Event-loop delay over one sampling period, in seconds (from `perf_hooks.monitorEventLoopDelay`). */
export interface MonitorLagSample {
  /** End of the period (epoch ms). */
  at: number;
  /** Median delay. */
  p50: number;
  /** 99th percentile. */
  p99: number;
  /** Longest delay. */
  max: number;
}

/** A slow callback (debug mode: with the task) or a blocked stretch seen by the watchdog thread. */
export interface MonitorSlow {
  /** When it was reported (epoch ms). */
  at: number;
  /** How long the loop was blocked. */
  seconds: number;
  /** The task that ran (debug mode), else null. */
  task: number | null;
  /** Its name, else null. */
  taskName: string | null;
  /** The report's first line. */
  message: string;
}

/** Something worth a look: a long wait, an await cycle, a lock held across a long await. */
export interface MonitorWarning {
  /** Which check found it. */
  kind: "long-wait" | "await-cycle" | "lock-held";
  /** One line for people. */
  message: string;
  /** The tasks concerned. */
  tasks: number[];
}

/** `GET /api/snapshot`. */
export interface MonitorSnapshot {
  /** The schema version: 1. */
  version: 1;
  /** The process id. */
  pid: number;
  /** The program (`process.argv[1]`). */
  title: string;
  /** When the snapshot was taken (epoch ms). */
  now: number;
  /** When the monitor started (epoch ms). */
  started: number;
  /** Pending tasks in creation order (at most `limit`). */
  tasks: MonitorTask[];
  /** Tasks left out beyond the limit. */
  truncated: number;
  /** Primitives pending tasks wait on, and locks or semaphores held. */
  primitives: MonitorPrimitive[];
  /** Executor pools that ran a job awaited while the monitor ran. */
  executors: MonitorExecutor[];
  /** The last minute of loop delay, one sample a second. */
  lag: MonitorLagSample[];
  /** The latest slow callbacks and blocked stretches, newest last. */
  slow: MonitorSlow[];
  /** Warnings that hold now. */
  warnings: MonitorWarning[];
  /** Seconds the loop has been blocked so far, as the watchdog thread sees it; 0 when it answers. */
  blocked: number;
  /** True when the loop did not answer and this is the last snapshot it gave. */
  stale: boolean;
}

/**
 * `GET /api/events` (server-sent events), at most ten a second:
 * - `snapshot`: a full `MonitorSnapshot`, first on connect;
 * - `diff`: a `MonitorDiff` (changed and removed tasks, and the small parts whole);
 * - `blocked`: `{ "seconds": n }` every quarter second while the loop is blocked, then `{ "seconds": 0 }`.
 */
export interface MonitorDiff {
  /** When the changes were collected (epoch ms). */
  now: number;
  /** Tasks new or changed since the previous event. */
  tasks: MonitorTask[];
  /** Ids of tasks that ended. */
  removed: number[];
  /** Tasks left out beyond the limit, now. */
  truncated: number;
  /** The primitives, whole (they are few). */
  primitives: MonitorPrimitive[];
  /** The executor pools, whole. */
  executors: MonitorExecutor[];
  /** Lag samples newer than the previous event. */
  lag: MonitorLagSample[];
  /** Slow entries newer than the previous event. */
  slow: MonitorSlow[];
  /** The warnings that hold now, whole. */
  warnings: MonitorWarning[];
}
