/**
 * What the pool and its workers say to each other. Both sides import this module, so it stays
 * free of the kernel (a worker starts faster without it).
 *
 * pool -> worker: `[workId, args]`, or `[workId, args, work]` the first time this worker sees
 *   `workId` (the worker compiles or imports the work once and caches it by id).
 * worker -> pool: `[status, value]`: OK with the result, ERROR with a `SerializedError`, THROWN
 *   with a thrown non-Error value as is. A worker sends exactly one reply per job, whatever the job
 *   returned or threw (see thrown.ts).
 */
import type { TransferListItem } from "node:worker_threads";
import { encodeFailure, errorText, plainError, reviveError, unsendable, unsendableResult, type SerializedError } from "./thrown.js";

/** How to name the work in a message: a function's source, or a module export. */
export type WireWork = { readonly source: string; readonly name: string } | { readonly url: string; readonly exportName: string };

export type JobMessage = [workId: number, args: unknown[], work?: WireWork];

export const OK = 0;
export const ERROR = 1;
export const THROWN = 2;
export type ReplyStatus = typeof OK | typeof ERROR | typeof THROWN;
export type ReplyMessage = [status: ReplyStatus, value: unknown];

/** Sends one message to the pool; throws if it cannot be cloned. */
export type Post = (message: ReplyMessage, transferList: readonly TransferListItem[] | undefined) => void;

/** Worker side: the reply for a thrown value. */
export function replyForThrown(value: unknown): ReplyMessage {
  const [serialized, sent] = encodeFailure(value);
  return serialized ? [ERROR, sent] : [THROWN, sent];
}

/** What to send instead of `message`, which could not be sent (`error` is what sending threw). */
function replyInstead(message: ReplyMessage, error: unknown): ReplyMessage {
  if (message[0] === OK) return [ERROR, unsendableResult(error)];
  if (message[0] === THROWN) return [ERROR, unsendable(message[1], errorText(error))];
  return [ERROR, plainError(message[1] as SerializedError)];
}

const LAST_RESORT: ReplyMessage = [
  ERROR,
  { name: "Error", message: "the job's outcome could not be sent back from the worker", stack: undefined, props: undefined } satisfies SerializedError,
];

/**
 * Worker side: sends `message` with `post`. What cannot be cloned is replaced by an error that
 * says why, so the job fails alone and the worker lives on: nothing escapes from here.
 */
export function sendReply(post: Post, message: ReplyMessage, transferList: readonly TransferListItem[] | undefined): void {
  try {
    post(message, transferList);
    return;
  } catch (error) {
    message = replyInstead(message, error);
  }
  try {
    post(message, undefined);
  } catch {
    post(LAST_RESORT, undefined);
  }
}

/** Pool side: the error to fail a job with, from a non-OK reply. */
export function errorFromReply(status: ReplyStatus, value: unknown): unknown {
  return status === ERROR ? reviveError(value as SerializedError) : value;
}
