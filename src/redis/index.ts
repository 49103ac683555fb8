/**
 * asyncio-ts/redis: the library's queue and executor across processes and machines, on Redis
 * Streams (Redis ≥ 6.2; the `redis` client is an optional peer dependency, imported only here).
 *
 * - `RedisQueue`: put/get/taskDone/join like `Queue`, shared by every process that opens the same
 *   name; at-least-once delivery with leases, heartbeats and dead letters.
 * - `RedisExecutor`: `runInExecutor(remote, fromModule(url, "fn"), ...args)` on worker processes
 *   anywhere (`serveExecutor`, `npx asyncio-ts worker`); cancelling the awaiting task cancels the
 *   job on its worker.
 */
export { jsonCodec, structuredCodec, type Codec } from "./codec.js";
export { RedisServerError } from "./errors.js";
export { Job } from "./job.js";
export type { RedisQueueOptions } from "./options.js";
export { RedisQueue, type DeadLetter, type RedisWaitOptions } from "./queue.js";
export { RedisExecutor, type RedisExecutorOptions } from "./executor.js";
export { serveExecutor, type ServeExecutorOptions } from "./serve.js";
