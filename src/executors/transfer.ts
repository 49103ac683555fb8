/**
 * `transfer(value)`: hand an ArrayBuffer (or a typed array's buffer, or a MessagePort) to the other
 * side without copying it. The sender's buffer becomes detached (length 0).
 *
 * Use it for a top-level argument of `submit`/`runInExecutor`/`toThread`, or for the value a worker
 * function returns. In a self-contained function `transfer` is available by that name (the worker
 * provides it); in a `fromModule` file, import it from "asyncio-ts". A process pool copies instead
 * (processes share no memory), so `transfer()` is accepted there and simply unwrapped.
 *
 * This module is loaded inside workers too: keep it free of the kernel.
 */
import type { TransferListItem } from "node:worker_threads";

/** Marks a value wrapped by `transfer()`; a `Symbol.for` key, so two copies of the package agree. */
export const TRANSFER: unique symbol = Symbol.for("asyncio-ts.transfer") as never;

/** @internal What `transfer()` really returns. */
export interface TransferMarker {
  readonly [TRANSFER]: true;
  readonly value: unknown;
  readonly list: TransferListItem[];
}

/** @internal */
export function isTransferMarker(value: unknown): value is TransferMarker {
  return typeof value === "object" && value !== null && (value as { [TRANSFER]?: unknown })[TRANSFER] === true;
}

function defaultList(value: unknown): TransferListItem[] {
  if (value instanceof ArrayBuffer) return [value];
  if (ArrayBuffer.isView(value)) {
    if (value.buffer instanceof ArrayBuffer) return [value.buffer];
    throw new TypeError("transfer() cannot transfer a view of a SharedArrayBuffer: pass the view itself without transfer(), it is shared already");
  }
  if (typeof value === "object" && value !== null && value.constructor?.name === "MessagePort") return [value as TransferListItem];
  throw new TypeError(
    `transfer() expects an ArrayBuffer, a typed array or a MessagePort, or an explicit transferList: received ${
      value === null ? "null" : typeof value
    }`,
  );
}

/**
 * Marks `value` to be moved, not copied, to the worker (as an argument) or back (as a result).
 * `transferList` defaults to the value itself (an ArrayBuffer or MessagePort) or a typed array's buffer;
 * give it explicitly to move buffers nested in an object: `transfer({ a, b }, [a.buffer, b.buffer])`.
 * It is typed as returning `value`, so `submit(fn, transfer(buf))` type-checks like `submit(fn, buf)`;
 * only use the result as a top-level argument or a worker function's return value.
 *
 * @throws TypeError if no transferList is given and `value` is not transferable.
 * @example
 * const bytes = new Float64Array(1_000_000);
 * const sum = await pool.submit((a: Float64Array) => a.reduce((s, x) => s + x, 0), transfer(bytes));
 * bytes.length; // 0: the buffer moved to the worker
 */
export function transfer<T>(value: T, transferList?: readonly TransferListItem[]): T {
  let list: TransferListItem[];
  if (transferList === undefined) list = defaultList(value);
  else if (Array.isArray(transferList)) list = [...(transferList as TransferListItem[])];
  else throw new TypeError(`transfer() expects transferList to be an array: received ${typeof transferList}`);
  const marker: TransferMarker = { [TRANSFER]: true, value, list };
  return marker as unknown as T;
}
