/**
 * Entry point of a ProcessPoolExecutor worker process (started once with an IPC channel using
 * advanced serialization, so values are structured-cloned; reused for many jobs). Emitted as
 * dist/executors/processWorker.js; from source, bundled to JavaScript (see entry.ts).
 *
 * argv[2]: the URL of tsx's API when the parent runs under tsx (registered before a .ts module is
 * imported), else "". argv[3]: the file descriptor to count received jobs in (receipts.ts), else "".
 * argv[4]: the pid of the pool's process (watchdog.ts).
 */
import { writeSync } from "node:fs";
import { handleJob, setTsxApi, type Reply } from "./runtime.js";
import { watchParent } from "./watchdog.js";
import { sendReply, type JobMessage, type Post } from "./wire.js";

setTsxApi(process.argv[2] !== undefined && process.argv[2] !== "" ? process.argv[2] : null);

const send = process.send?.bind(process);
if (send === undefined) throw new Error("asyncio-ts: processWorker.js is the entry point of an executor's worker process; it needs an IPC channel");

function onSendError(error: Error | null): void {
  // The channel closed: the pool is gone or killing this worker; nothing is left to tell.
  if (error !== null) process.exitCode = 1;
}

const post: Post = (message) => {
  send(message, undefined, undefined, onSendError);
};

const reply: Reply = (message, transferList) => sendReply(post, message, transferList);

let receiptsFd = process.argv[3] !== undefined && process.argv[3] !== "" ? Number(process.argv[3]) : -1;
const receipt = Buffer.alloc(4);
let received = 0;

/** Records that a job message arrived, before running it: it survives this process's death. */
function noteReceipt(): void {
  if (receiptsFd < 0) return;
  receipt.writeInt32LE(++received, 0);
  try {
    writeSync(receiptsFd, receipt, 0, 4, 0);
  } catch {
    // A job closed the descriptor. The pool may then take a job this process received for one it
    // did not, and run it again, only if this process dies before replying to it.
    receiptsFd = -1;
  }
}

process.on("message", (message: JobMessage) => {
  noteReceipt();
  handleJob(message, reply);
});
// The pool owns this process: when the channel closes (pool shut down or parent gone), leave.
// That needs a free main thread; a job spinning in a CPU loop is ended by the watchdog instead.
process.on("disconnect", () => process.exit(0));
watchParent(Number(process.argv[4]));
