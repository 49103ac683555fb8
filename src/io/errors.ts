/** The errors of streams and subprocesses (asyncio's IncompleteReadError, LimitOverrunError, CalledProcessError). */
import { defineError } from "../errors.js";

/**
 * The stream ended before a read got what it asked for: `readexactly(n)` at EOF with fewer than
 * `n` bytes, or `readuntil(sep)` at EOF without the separator. `partial` holds the bytes that were
 * there (the read consumed them, as in asyncio); `expected` is the count asked for, or null for
 * `readuntil`.
 */
export class IncompleteReadError extends Error {
  constructor(
    /** The bytes read before the end of the stream. */
    readonly partial: Buffer,
    /** How many bytes were expected; null when a separator was. */
    readonly expected: number | null,
  ) {
    super(`${partial.length} bytes read on a total of ${expected === null ? "undefined" : expected} expected bytes`);
  }
}
defineError(IncompleteReadError, "IncompleteReadError");

/**
 * A `readuntil()`/`readline()` would have returned more than the reader's `limit`. `consumed` is
 * the number of bytes to consume to get past the data looked at: `readuntil()` leaves them in the
 * buffer (read them with `read()` or `readexactly()`), `readline()` discards them (as asyncio's does).
 */
export class LimitOverrunError extends Error {
  constructor(
    message: string,
    /** Bytes to consume. */
    readonly consumed: number,
  ) {
    super(message);
  }
}
defineError(LimitOverrunError, "LimitOverrunError");

/**
 * `runProcess(..., { check: true })` (the default) saw a non-zero exit status. Carries the status,
 * the command, and what was captured (null when not captured).
 */
export class CalledProcessError extends Error {
  constructor(
    /** The exit status, or minus the signal number that ended the process. */
    readonly returncode: number,
    /** The program and its arguments. */
    readonly cmd: readonly string[],
    /** Captured standard output, or null. */
    readonly stdout: Buffer | null,
    /** Captured standard error, or null. */
    readonly stderr: Buffer | null,
  ) {
    const status = returncode < 0 ? `died with signal ${-returncode}` : `returned non-zero exit status ${returncode}`;
    super(`Command ${JSON.stringify(cmd)} ${status}.`);
  }
}
defineError(CalledProcessError, "CalledProcessError");
