/**
 * Entry point of a ThreadPoolExecutor worker thread (started once, reused for many jobs).
 * Emitted as dist/executors/threadWorker.js; from source, bundled to JavaScript (see entry.ts).
 */
import { parentPort, workerData, type TransferListItem } from "node:worker_threads";
import { handleJob, setTsxApi, type Reply } from "./runtime.js";
import { sendReply, type JobMessage, type Post } from "./wire.js";

const port = parentPort;
if (port === null) throw new Error("asyncio-ts: threadWorker.js is the entry point of an executor's worker thread, not a module to import");

const data = workerData as { tsxApi?: string | null; receipts?: Int32Array } | undefined;
setTsxApi(data?.tsxApi ?? null);
// Counts the job messages taken, so that the pool can tell whether this thread, should it die, had taken the job it was sent.
const receipts = data?.receipts ?? new Int32Array(1);

const post: Post = (message, transferList) => {
  port.postMessage(message, transferList as TransferListItem[] | undefined);
};

const reply: Reply = (message, transferList) => sendReply(post, message, transferList);

port.on("message", (message: JobMessage) => {
  Atomics.add(receipts, 0, 1);
  handleJob(message, reply);
});
