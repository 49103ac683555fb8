/**
 * What the pool and its workers say to each other, and how an error crosses over. Both sides
 * import this module, so it stays free of the kernel (a worker starts faster without it).
 *
 * pool -> worker: `[workId, args]`, or `[workId, args, work]` the first time this worker sees
 *   `workId` (the worker compiles or imports the work once and caches it by id).
 * worker -> pool: `[status, value]`: OK with the result, ERROR with a `SerializedError`, THROWN
 *   with a thrown non-Error value as is.
 *
 * Structured clone keeps only the standard error names and drops own properties such as `code`,
 * so errors travel as plain objects and are rebuilt on the other side.
 */

/** How to name the work in a message: a function's source, or a module export. */
export type WireWork = { readonly source: string; readonly name: string } | { readonly url: string; readonly exportName: string };

export type JobMessage = [workId: number, args: unknown[], work?: WireWork];

export const OK = 0;
export const ERROR = 1;
export const THROWN = 2;
export type ReplyStatus = typeof OK | typeof ERROR | typeof THROWN;
export type ReplyMessage = [status: ReplyStatus, value: unknown];

export interface SerializedError {
  name: string;
  message: string;
  stack: string | undefined;
  /** Own enumerable properties that survived a structured clone (`code`, `errno`, ...). */
  props: Record<string, unknown> | undefined;
  cause?: unknown;
  errors?: unknown[];
}

const MAX_DEPTH = 4;

function isError(value: unknown): value is Error {
  // Works across realms (vm contexts), unlike instanceof.
  return Object.prototype.toString.call(value) === "[object Error]" || value instanceof Error;
}

function cloneable(value: unknown): boolean {
  if (value === null || (typeof value !== "object" && typeof value !== "function")) return typeof value !== "symbol";
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}

/** Turns a thrown Error into a plain object (recursively for `cause` and AggregateError's `errors`). */
export function serializeError(error: Error, depth = 0): SerializedError {
  const out: SerializedError = {
    name: String(error.name),
    message: String(error.message),
    stack: typeof error.stack === "string" ? error.stack : undefined,
    props: undefined,
  };
  for (const key of Object.keys(error)) {
    if (key === "name" || key === "message" || key === "stack" || key === "cause" || key === "errors") continue;
    const value = (error as unknown as Record<string, unknown>)[key];
    if (cloneable(value)) (out.props ??= {})[key] = value;
  }
  if (depth < MAX_DEPTH) {
    if ("cause" in error) out.cause = encodeThrown(error.cause, depth + 1);
    const errors = (error as { errors?: unknown }).errors;
    if (Array.isArray(errors)) out.errors = errors.map((e) => encodeThrown(e, depth + 1));
  }
  return out;
}

// A string key survives structured clone; a symbol key would not.
const SERIALIZED_KEY = "__asyncioTsError__";

/** A thrown value made safe to send: errors serialized (tagged), other cloneable values as is. */
function encodeThrown(value: unknown, depth: number): unknown {
  if (isError(value)) return { [SERIALIZED_KEY]: serializeError(value, depth) };
  if (cloneable(value)) return value;
  return { [SERIALIZED_KEY]: serializeError(new Error(`non-cloneable thrown value: ${String(value)}`), depth) };
}

function decodeThrown(value: unknown): unknown {
  if (typeof value === "object" && value !== null && SERIALIZED_KEY in value) {
    return reviveError((value as Record<string, SerializedError>)[SERIALIZED_KEY] as SerializedError);
  }
  return value;
}

const BUILTIN: Record<string, ErrorConstructor> = {
  Error,
  TypeError,
  RangeError,
  ReferenceError,
  SyntaxError,
  EvalError,
  URIError,
};

/** Rebuilds the error in this realm with the original name, message, stack and properties. */
export function reviveError(data: SerializedError): Error {
  let error: Error;
  if (data.errors !== undefined) {
    error = new AggregateError(data.errors.map(decodeThrown), data.message);
  } else {
    const Ctor = BUILTIN[data.name] ?? Error;
    error = new Ctor(data.message);
  }
  if (error.name !== data.name) {
    Object.defineProperty(error, "name", { value: data.name, writable: true, configurable: true, enumerable: false });
  }
  if (data.stack !== undefined) {
    Object.defineProperty(error, "stack", { value: data.stack, writable: true, configurable: true, enumerable: false });
  }
  if (data.props !== undefined) Object.assign(error, data.props);
  if ("cause" in data) {
    Object.defineProperty(error, "cause", { value: decodeThrown(data.cause), writable: true, configurable: true, enumerable: false });
  }
  return error;
}

/** Worker side: the reply for a thrown value. */
export function replyForThrown(value: unknown): ReplyMessage {
  if (isError(value)) return [ERROR, serializeError(value)];
  if (cloneable(value)) return [THROWN, value];
  return [ERROR, serializeError(new Error(`the job threw a value that cannot be sent back: ${String(value)}`))];
}

/** Pool side: the error to fail a job with, from a non-OK reply. */
export function errorFromReply(status: ReplyStatus, value: unknown): unknown {
  return status === ERROR ? reviveError(value as SerializedError) : value;
}
