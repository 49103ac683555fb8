/**
 * A library wait for one event of a Node EventEmitter (a socket's "connect", a child's "spawn", a
 * server's "listening"): a parked wait like every other, so a cancel or an abort ends it exactly,
 * and its listeners are removed on every path. The emitter's "error" event fails it.
 *
 * What a cancelled wait leaves behind (a half-open socket, a started child) is the caller's to
 * undo; callers keep a permanent "error" listener of their own, since one emitted after this wait
 * removed its listener would otherwise crash the process.
 */
import type { EventEmitter } from "node:events";
import { currentContext } from "../kernel/waiting.js";
import { Parked, PROCEED, refusal, WAITING, type ParkKind } from "../sync/parked.js";

class EmitterWait extends Parked<unknown[]> {
  constructor(
    host: object,
    kind: ParkKind<unknown[]>,
    private readonly emitter: EventEmitter,
    private readonly event: string,
  ) {
    super(host, kind);
    emitter.once(event, this.onEvent);
    emitter.once("error", this.onError);
  }

  private readonly onEvent = (...args: unknown[]): void => {
    this.off();
    if (this._state === WAITING) this.wakeWith(args);
  };

  private readonly onError = (error: unknown): void => {
    this.off();
    if (this._state === WAITING) this.fail(error);
  };

  off(): void {
    this.emitter.off(this.event, this.onEvent);
    this.emitter.off("error", this.onError);
  }

  override _onFail(): void {
    this.off();
  }
}

function consume(node: Parked<unknown[]>): unknown[] {
  if (!node.settle()) throw node._error;
  return node._value ?? [];
}

/** The kind of wait for `op` (e.g. "openConnection()"), for reports and the task tree. */
export function emitterWaitKind(op: string): ParkKind<unknown[]> {
  return { op, consume };
}

/**
 * Waits for `emitter` to emit `event` (resolves with its arguments) or "error" (rejects with it).
 * Cancellable by the running task and by `signal`.
 */
export function waitForEvent(
  host: object,
  kind: ParkKind<unknown[]>,
  emitter: EventEmitter,
  event: string,
  signal: AbortSignal | undefined,
): Promise<unknown[]> {
  const ctx = currentContext();
  const refused = refusal(ctx, signal);
  if (refused !== PROCEED) return Promise.reject(refused);
  return new EmitterWait(host, kind, emitter, event).park<unknown[]>(null, ctx, signal);
}
