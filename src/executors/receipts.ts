/**
 * How the pool learns, once a worker has died, whether the worker had taken the job it was sent.
 *
 * A worker can die between two jobs (an uncaught exception from a timer, a SIGKILL from outside)
 * while the pool, which hears of the death only from a later event, hands it the next job. That
 * job never ran: it must run on a fresh worker, not fail as if it had crashed the worker. A job
 * that did reach the worker must never run twice. So each worker counts the job messages it has
 * received, and the pool compares that count with the number it sent, after the worker has exited.
 *
 * The count costs nothing per job on the pool's side (no acknowledgement message):
 * - a worker thread increments a SharedArrayBuffer counter;
 * - a worker process writes its count (4 bytes, at offset 0, one `pwrite`) to a temporary file
 *   that the pool created, passed as file descriptor RECEIPTS_FD and unlinked at once (so nothing
 *   is left behind, even if the pool's process is killed); the pool reads it only after the worker
 *   has exited. A process cannot share memory with its parent; the file is the cheapest shared
 *   state that survives the worker's death.
 */
import { randomUUID } from "node:crypto";
import { closeSync, openSync, readSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The worker process's file descriptor for its receipt count (stdio slot 4: after stdin, stdout, stderr, IPC). */
export const RECEIPTS_FD = 4;

/** Pool side: the receipt count file of one worker process. */
export class ReceiptFile {
  readonly fd: number;
  /** Set while the file still has a name (Windows cannot unlink an open file). */
  private path: string | null;

  private constructor(fd: number, path: string) {
    this.fd = fd;
    this.path = path;
  }

  /** A new empty file, or null when none can be made (a read-only temp directory): jobs are then never resent. */
  static create(): ReceiptFile | null {
    const path = join(tmpdir(), `asyncio-ts-receipts-${process.pid}-${randomUUID()}`);
    try {
      return new ReceiptFile(openSync(path, "wx+", 0o600), path);
    } catch {
      return null;
    }
  }

  /** Once the worker holds its own descriptor: drop the name. */
  unlink(): void {
    if (this.path === null) return;
    try {
      unlinkSync(this.path);
      this.path = null;
    } catch {
      // Windows: the file is removed by close() instead.
    }
  }

  /**
   * How many jobs the worker recorded as received (read after it has exited); Infinity when the
   * file cannot be read, so that no job is run twice on a guess.
   */
  read(): number {
    const bytes = Buffer.alloc(4);
    try {
      return readSync(this.fd, bytes, 0, 4, 0) === 4 ? bytes.readInt32LE(0) : 0; // empty: it received none
    } catch {
      return Infinity;
    }
  }

  close(): void {
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
    this.unlink();
  }
}
