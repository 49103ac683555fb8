/**
 * What a RedisExecutor and its workers say to each other through Redis, all of it data:
 *
 * - a job is an item of the RedisQueue `exec:<name>`: `{ id, url, exportName, args, reply }`,
 *   naming an exported function of a module by URL (never its source: a worker imports only
 *   modules under its allowed roots, so writing to Redis grants no code execution);
 * - the outcome goes to the submitter's reply list `reply` (RPUSH; the submitter pops it) as
 *   `[id, status, value]`, status and value as between a local pool and its workers (wire.ts);
 * - a cancel is `SET <cancelKey(id)>` (checked by a worker before it starts the job) and a
 *   PUBLISH of the id on `cancelChannel(name)` (heard by the worker running it).
 */
import { deserialize, serialize } from "node:v8";
import { ERROR, sendReply, type ReplyMessage } from "../executors/wire.js";

/** A job as it travels. */
export interface RemoteJob {
  id: string;
  url: string;
  exportName: string;
  args: unknown[];
  reply: string;
}

/** The reply as it travels: the job's id, then a ReplyMessage. */
export type RemoteReply = [id: string, ...ReplyMessage];

export const queueName = (name: string): string => `exec:${name}`;
export const cancelChannel = (name: string): string => `asyncio-ts:{exec:${name}}:cancel`;
export const cancelKey = (name: string, id: string): string => `asyncio-ts:{exec:${name}}:cancelled:${id}`;
export const replyKey = (name: string, client: string): string => `asyncio-ts:{exec:${name}}:reply:${client}`;

/** How long a cancel mark and an unread reply list are kept (seconds). */
export const KEEP_SECONDS = 24 * 3600;

/** Worker side: the bytes of a reply; an outcome that cannot be cloned becomes an error that says so. */
export function encodeReply(id: string, message: ReplyMessage): Buffer {
  let bytes: Buffer | null = null;
  sendReply((m) => {
    bytes = serialize([id, ...m]);
  }, message, undefined);
  return bytes ?? serialize([id, ERROR, { name: "Error", message: "the job's outcome could not be sent back", stack: undefined, props: undefined }]);
}

/** Submitter side. */
export function decodeReply(data: Buffer): RemoteReply {
  return deserialize(data) as RemoteReply;
}
