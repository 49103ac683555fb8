/**
 * Entry point of a ThreadPoolExecutor worker thread (started once, reused for many jobs).
 * Emitted as dist/executors/threadWorker.js; from source, bundled to JavaScript (see entry.ts).
 */
import { parentPort, workerData, type TransferListItem } from "node:worker_threads";
import { handleJob, setTsxApi, type Reply } from "./runtime.js";
import { replyForThrown, type JobMessage, type ReplyMessage } from "./wire.js";

const port = parentPort;
if (port === null) throw new Error("asyncio-ts: threadWorker.js is the entry point of an executor's worker thread, not a module to import");

setTsxApi((workerData as { tsxApi?: string | null } | undefined)?.tsxApi ?? null);

const reply: Reply = (message: ReplyMessage, transferList: readonly TransferListItem[] | undefined): void => {
  try {
    port.postMessage(message, transferList);
  } catch (error) {
    // The result could not be cloned (a function, a class instance with private state, ...).
    const why = new TypeError(`the job's result could not be sent back from the worker: ${(error as Error).message}`, { cause: error });
    port.postMessage(replyForThrown(why));
  }
};

port.on("message", (message: JobMessage) => handleJob(message, reply));
