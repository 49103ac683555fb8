/**
 * How a job's failure crosses from a worker to the pool. Structured clone keeps only the standard
 * error names and drops own properties such as `code`, so errors travel as plain objects and are
 * rebuilt on the other side; other thrown values travel as they are when they can be cloned.
 *
 * Invariant: nothing here throws on the worker side, whatever the job threw. The value is the
 * job's: its `toString` may throw, its getters may throw, it may be a Proxy whose every trap throws,
 * a Symbol, a function, or an object with a null prototype (which `String()` cannot convert). An
 * exception escaping from here would kill the worker and be reported as a crash outside the job
 * (a `WorkerDiedError`); instead the job fails alone, with an error that says what could not be
 * sent back and carries what could.
 *
 * Both sides import this module, so it stays free of the kernel (a worker starts faster without it).
 */

export interface SerializedError {
  name: string;
  message: string;
  stack: string | undefined;
  /** Own enumerable properties that survive a structured clone (`code`, `errno`, ...). */
  props: Record<string, unknown> | undefined;
  cause?: unknown;
  errors?: unknown[];
}

const MAX_DEPTH = 4;

/** Keys an error carries in its own fields, never copied as properties. */
const OWN_FIELDS = new Set(["name", "message", "stack", "cause", "errors"]);

// A string key survives structured clone; a symbol key would not.
const SERIALIZED_KEY = "__asyncioTsError__";

function isError(value: unknown): value is Error {
  try {
    // Works across realms (vm contexts), unlike instanceof.
    return Object.prototype.toString.call(value) === "[object Error]" || value instanceof Error;
  } catch {
    return false; // a Proxy whose traps throw
  }
}

/** `value[key]`, or `undefined` when reading it throws (a getter, a Proxy trap). */
function read(value: object, key: string): unknown {
  try {
    return (value as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

/** A string for a field meant to be one; `fallback` when `String()` cannot convert it. */
function text(value: unknown, fallback: string): string {
  if (typeof value === "string") return value;
  if (value === undefined) return fallback;
  try {
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- as Error.prototype.toString converts a field
    return String(value);
  } catch {
    return fallback;
  }
}

/**
 * What a value is, for messages: never throws and never calls the value's own `toString`, so it
 * works for anything a job can throw.
 */
export function describeValue(value: unknown): string {
  try {
    switch (typeof value) {
      case "symbol":
        return value.toString();
      case "function":
        return value.name !== "" ? `function ${value.name}` : "an anonymous function";
      case "string":
        return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
      case "object": {
        if (value === null) return "null";
        const proto: unknown = Object.getPrototypeOf(value);
        if (proto === null) return "an object with a null prototype";
        if (proto === Object.prototype) return "a plain object";
        const name: unknown = (proto as { constructor?: { name?: unknown } }).constructor?.name;
        return typeof name === "string" && name !== "" ? `an instance of ${name}` : "an object";
      }
      default:
        return String(value);
    }
  } catch {
    return "an object that throws when inspected (a Proxy?)";
  }
}

const MAX_TEXT = 200;

/**
 * "Name: message" of a caught error, or a description of a thrown non-Error; cut short, as a
 * DataCloneError quotes the whole source of the function it could not clone. Never throws.
 */
export function errorText(error: unknown): string {
  if (!isError(error)) return describeValue(error);
  const message = text(read(error, "message"), "");
  const full = `${text(read(error, "name"), "Error")}${message !== "" ? `: ${message}` : ""}`;
  return full.length > MAX_TEXT ? `${full.slice(0, MAX_TEXT - 3)}...` : full;
}

/** Why `value` cannot be structured-cloned, or null if it can. */
function cloneProblem(value: unknown): string | null {
  if (typeof value === "symbol") return "a symbol cannot be cloned";
  if (typeof value === "function") return "a function cannot be cloned";
  if (typeof value !== "object" || value === null) return null;
  try {
    structuredClone(value);
    return null;
  } catch (error) {
    return errorText(error);
  }
}

/** The own enumerable properties of `value` that can be cloned (the rest are dropped). */
function cloneableProps(value: unknown): Record<string, unknown> | undefined {
  if ((typeof value !== "object" && typeof value !== "function") || value === null) return undefined;
  let keys: string[];
  try {
    keys = Object.keys(value);
  } catch {
    return undefined;
  }
  let props: Record<string, unknown> | undefined;
  for (const key of keys) {
    if (OWN_FIELDS.has(key)) continue;
    const prop = read(value, key);
    if (cloneProblem(prop) === null) (props ??= {})[key] = prop;
  }
  return props;
}

/** Turns a thrown Error into a plain object (recursively for `cause` and AggregateError's `errors`). */
export function serializeError(error: Error, depth = 0): SerializedError {
  const stack = read(error, "stack"); // its getter formats the stack, which can throw (a Symbol message)
  const out: SerializedError = {
    name: text(read(error, "name"), "Error"),
    message: text(read(error, "message"), ""),
    stack: typeof stack === "string" ? stack : undefined,
    props: cloneableProps(error),
  };
  if (depth < MAX_DEPTH) {
    let hasCause = false;
    try {
      hasCause = "cause" in error;
    } catch {
      // a Proxy: no cause to carry
    }
    if (hasCause) out.cause = encodeThrown(read(error, "cause"), depth + 1);
    const errors = read(error, "errors");
    if (Array.isArray(errors)) {
      try {
        out.errors = errors.map((e) => encodeThrown(e, depth + 1));
      } catch {
        // a Proxy or getters over the members: the error travels without them
      }
    }
  }
  return out;
}

/** In place of a value that cannot be cloned: an error saying so (`problem`), with what could be carried. */
export function unsendable(value: unknown, problem: string, depth = 0): SerializedError {
  const what = describeValue(value);
  return {
    name: "Error",
    message: `${depth === 0 ? "the job threw " : "the value here was "}${what}, which could not be sent back from the worker (${problem})`,
    stack: undefined,
    props: cloneableProps(value),
  };
}

/** A value inside an error (a cause, an AggregateError member) made safe to send. */
function encodeThrown(value: unknown, depth: number): unknown {
  if (isError(value)) return { [SERIALIZED_KEY]: serializeError(value, depth) };
  const problem = cloneProblem(value);
  return problem === null ? value : { [SERIALIZED_KEY]: unsendable(value, problem, depth) };
}

function decodeThrown(value: unknown): unknown {
  if (typeof value === "object" && value !== null && SERIALIZED_KEY in value) {
    return reviveError((value as Record<string, SerializedError>)[SERIALIZED_KEY] as SerializedError);
  }
  return value;
}

/**
 * Worker side: a thrown value as something that can be sent: `[true, serialized]` for an Error
 * (or an error in place of a value that cannot be cloned), `[false, value]` for a cloneable value.
 */
export function encodeFailure(value: unknown): [serialized: boolean, value: unknown] {
  if (isError(value)) return [true, serializeError(value)];
  const problem = cloneProblem(value);
  return problem === null ? [false, value] : [true, unsendable(value, problem, 0)];
}

/** Worker side: the error for a result that could not be sent (`error` is what the send threw). */
export function unsendableResult(error: unknown): SerializedError {
  return serializeError(new TypeError(`the job's result could not be sent back from the worker: ${errorText(error)}`, { cause: error }));
}

/** Worker side: an error that is only strings, for when even a serialized error could not be sent. */
export function plainError(data: SerializedError): SerializedError {
  return { name: data.name, message: data.message, stack: data.stack, props: undefined };
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

/** Pool side: rebuilds the error in this realm with the original name, message, stack and properties. */
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
