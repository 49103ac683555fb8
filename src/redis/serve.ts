/**
 * serveExecutor: a worker process for RedisExecutor jobs. It takes jobs from the executor's
 * RedisQueue, `concurrency` at a time, runs each on a local ThreadPoolExecutor (so a cancelled
 * job's CPU work stops: its thread is terminated), and replies to the submitter.
 *
 * Safety: a job names a module URL and an export, never code; only modules under `modules`
 * (after resolving links) are imported, so writing to Redis does not grant code execution.
 *
 * Stopping:
 * - `signal` aborts → graceful: take no more jobs, let running ones finish for `graceSeconds`,
 *   then cancel those left and hand them back to the queue (another worker runs them at once).
 * - cancelling the task running serveExecutor → running jobs are cancelled and handed back at once.
 * - the process dies → its jobs are delivered again after the lease (at-least-once).
 */
import { hostname } from "node:os";
import {
  CancelledError,
  createTask,
  currentTask,
  fromModule,
  QueueShutDown,
  sleep,
  taskGroup,
  ThreadPoolExecutor,
  type Task,
} from "../index.js";
import { OK, replyForThrown, type ReplyMessage } from "../executors/wire.js";
import { connect, subscribe, type Connection } from "./client.js";
import type { Job } from "./job.js";
import { RedisQueue } from "./queue.js";
import { cancelChannel, cancelKey, encodeReply, KEEP_SECONDS, queueName, type RemoteJob } from "./remoteWire.js";
import { realRoots, refusal } from "./roots.js";
import { describe } from "../kernel/validate.js";

/** Options of `serveExecutor()`. */
export interface ServeExecutorOptions {
  /** The Redis server (default `redis://127.0.0.1:6379`). */
  url?: string | undefined;
  /** The executor's name (as given to `new RedisExecutor({ name })`). */
  name: string;
  /** Jobs run at once, each on its own worker thread (default 1). */
  concurrency?: number | undefined;
  /** The directories whose modules jobs may name (a path or a list); nothing else is imported. */
  modules: string | readonly string[];
  /** Seconds a job stays with this worker without a heartbeat before another takes it (default 30). */
  leaseSeconds?: number | undefined;
  /** Aborting it stops the worker gracefully (see graceSeconds). */
  signal?: AbortSignal | undefined;
  /** After `signal` aborts, how long running jobs may take before they are handed back (default 30). */
  graceSeconds?: number | undefined;
  /** Called for each job as it starts and ends, for logs. */
  onJob?: ((event: { id: string; exportName: string; state: "started" | "done" | "failed" | "cancelled" | "refused" }) => void) | undefined;
}

const RECENT_CANCELS = 10_000;

/**
 * Serves RedisExecutor jobs until `signal` aborts or the calling task is cancelled.
 *
 * @throws TypeError/RangeError for bad options; RedisServerError if Redis cannot be reached.
 * @example
 * const stop = new AbortController();
 * process.once("SIGTERM", () => stop.abort());
 * await run(() => serveExecutor({ url: "redis://127.0.0.1:6379", name: "cpu", concurrency: 4, modules: ["./dist/jobs"], signal: stop.signal }));
 */
export function serveExecutor(options: ServeExecutorOptions): Promise<void> {
  // Every option is checked at the call (a wrong type a TypeError, a bad number a RangeError), as
  // everywhere in the library; only connecting and serving are asynchronous.
  const where = "serveExecutor()";
  if (typeof options !== "object" || options === null) throw new TypeError(`${where} expects an options object: received ${describe(options)}`);
  // Checked here: queueName() would turn a missing name into the valid queue name "exec:undefined".
  if (typeof options.name !== "string" || !/^[^{}\s]{1,200}$/.test(options.name)) {
    throw new TypeError(`${where} expects name to be a non-empty string without spaces or braces: received ${describe(options.name)}`);
  }
  const concurrency = options.concurrency ?? 1;
  if (typeof concurrency !== "number") throw new TypeError(`${where} expects concurrency to be a positive integer: received ${describe(concurrency)}`);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`${where} expects concurrency to be a positive integer: received ${String(concurrency)}`);
  const grace = options.graceSeconds ?? 30;
  if (typeof grace !== "number") throw new TypeError(`${where} expects graceSeconds to be a number of seconds: received ${describe(grace)}`);
  if (!(grace >= 0)) throw new RangeError(`${where} expects graceSeconds to be a number ≥ 0: received ${String(grace)}`);
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) throw new TypeError(`${where} expects signal to be an AbortSignal: received ${describe(options.signal)}`);
  if (options.onJob !== undefined && typeof options.onJob !== "function") throw new TypeError(`${where} expects onJob to be a function: received ${describe(options.onJob)}`);
  const roots = realRoots(where, options.modules);
  const url = options.url ?? "redis://127.0.0.1:6379";
  // RedisQueue.open() checks url and leaseSeconds at once too.
  const opening = RedisQueue.open<RemoteJob>(queueName(options.name), { url, leaseSeconds: options.leaseSeconds, consumer: `${hostname()}:${process.pid}:worker` });
  return serveJobs(where, options, options.name, url, concurrency, grace, roots, opening);
}

async function serveJobs(
  where: string,
  options: ServeExecutorOptions,
  name: string,
  url: string,
  concurrency: number,
  grace: number,
  roots: string[],
  opening: Promise<RedisQueue<RemoteJob>>,
): Promise<void> {
  const queue = await opening;
  let conn: Connection | null = null;
  const running = new Map<string, Task<unknown>>();
  const recentCancels = new Set<string>();
  let subscription: { close(): Promise<void> } | null = null;
  const pool = new ThreadPoolExecutor({ maxWorkers: concurrency });
  const drain = new AbortController();
  const slots: Array<Task<void>> = [];
  let graceTimer: NodeJS.Timeout | null = null;
  const onStop = (): void => {
    drain.abort();
    graceTimer = setTimeout(() => {
      for (const slot of slots) slot.cancel("the worker's grace period ended");
    }, grace * 1000);
  };
  try {
    conn = await connect(where, url);
    subscription = await subscribe(where, url, cancelChannel(name), (id) => {
      const task = running.get(id);
      if (task !== undefined) task.cancel("cancelled by the submitter");
      else {
        if (recentCancels.size >= RECENT_CANCELS) recentCancels.clear();
        recentCancels.add(id);
      }
    });
    if (options.signal?.aborted === true) return;
    options.signal?.addEventListener("abort", onStop, { once: true });
    const served = conn;
    const serve = async (job: Job<RemoteJob>): Promise<void> => {
      const { id, url: moduleUrl, exportName } = job.item;
      const report = (state: "started" | "done" | "failed" | "cancelled" | "refused"): void => options.onJob?.({ id, exportName, state });
      if (recentCancels.delete(id)) {
        report("cancelled");
        await queue.taskDone(job);
        return;
      }
      let reply: ReplyMessage;
      const why = refusal(moduleUrl, roots);
      if (why !== null) {
        report("refused");
        reply = replyForThrown(new Error(`worker ${hostname()}:${process.pid} refuses to run fromModule(${JSON.stringify(moduleUrl)}, ${JSON.stringify(exportName)}): ${why}`));
      } else {
        const task = createTask(() => pool.submit(fromModule(moduleUrl, exportName), ...job.item.args), { name: `job ${id}` });
        running.set(id, task);
        report("started");
        // A cancel published before this worker subscribed (or while it was reconnecting) left a
        // mark: checked while the job starts, not before, to keep it off the latency path.
        void served.command(["EXISTS", cancelKey(name, id)]).then(
          (marked) => void (marked === 1 && task.cancel("cancelled by the submitter")),
          () => undefined,
        );
        try {
          reply = [OK, await task];
          report("done");
        } catch (error) {
          if (error instanceof CancelledError && task.cancelled() && (currentTask()?.cancelling() ?? 0) === 0) {
            report("cancelled"); // by the submitter: nobody waits for a reply
            await queue.taskDone(job);
            return;
          }
          if (error instanceof CancelledError) throw error; // the worker stops: close() hands the job back
          report("failed");
          reply = replyForThrown(error);
        } finally {
          running.delete(id);
        }
      }
      await Promise.all([
        served.command(["RPUSH", job.item.reply, encodeReply(id, reply)]),
        served.command(["EXPIRE", job.item.reply, String(KEEP_SECONDS)]),
      ]);
      await queue.taskDone(job);
    };
    await taskGroup((tg) => {
      for (let i = 0; i < concurrency; i++) {
        slots.push(
          tg.createTask(async () => {
            for (;;) {
              let job: Job<RemoteJob>;
              try {
                job = await queue.get({ signal: drain.signal });
              } catch (error) {
                if (drain.signal.aborted || error instanceof QueueShutDown) return;
                throw error;
              }
              await serve(job);
            }
          }),
        );
      }
      return sleep(0);
    });
  } finally {
    if (graceTimer !== null) clearTimeout(graceTimer);
    options.signal?.removeEventListener("abort", onStop);
    await queue.close(); // hands back the jobs still held
    await Promise.all([subscription?.close(), conn?.close(), pool.shutdown({ cancelFutures: true })]);
  }
}
