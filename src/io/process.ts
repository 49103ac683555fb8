/**
 * Process: a child process started by createSubprocessExec/Shell (asyncio.subprocess.Process).
 *
 * Beyond asyncio (Trio's `run_process`): every child leads a process group of its own, and when
 * the task awaiting `wait()` or `communicate()` is cancelled (by `task.cancel()`, a `timeout`, a
 * `waitFor`, or the call's `{ signal }`), the whole group is sent SIGTERM, then SIGKILL after
 * `killGrace` seconds, and the child is reaped before the CancelledError propagates. So no child,
 * and no grandchild still in its group, outlives the task that was waiting for it.
 *
 * That clean-up is not itself interruptible: a second cancel during it lands at the task's next
 * library await.
 */
import type { ChildProcess } from "node:child_process";
import { constants } from "node:os";
import { inspect } from "node:util";
import { cancellationOf } from "../errors.js";
import type { Loop } from "../kernel/loop.js";
import { checkSignalName, type SignalName } from "../kernel/signals.js";
import { checkSignal, currentContext, type WaitOptions } from "../kernel/waiting.js";
import { describe } from "../kernel/validate.js";
import { Parked, PROCEED, refusal, type ParkKind } from "../sync/parked.js";
import { WaiterQueue } from "../sync/waiterQueue.js";
import type { StreamReader } from "./reader.js";
import type { StreamWriter } from "./writer.js";

function consumeExit(node: Parked): number {
  if (!node.settle()) throw node._error;
  return (node.host as Process).returncode as number;
}
const WAIT: ParkKind = { op: "Process.wait()", consume: consumeExit };

function isEsrch(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === "ESRCH";
}

export class Process {
  /** The exit status once the child has exited: its exit code, or minus the signal number that ended it (as asyncio). Null while it runs. */
  returncode: number | null = null;
  private readonly exitWaiters = new WaiterQueue<Parked>();
  private readonly exited: Promise<void>;
  private reaping: Promise<void> | null = null;

  /** @internal Made by createSubprocessExec() / createSubprocessShell(). */
  constructor(
    /** @internal */ readonly _child: ChildProcess,
    /** The child's standard input, when it was `PIPE`. */
    readonly stdin: StreamWriter | null,
    /** The child's standard output, when it was `PIPE`. */
    readonly stdout: StreamReader | null,
    /** The child's standard error, when it was `PIPE` (null with `STDOUT`: it goes to `stdout`). */
    readonly stderr: StreamReader | null,
    private readonly loop: Loop,
    /** Seconds between SIGTERM and SIGKILL when a wait is cancelled. */
    readonly killGrace: number,
  ) {
    this.exited = new Promise<void>((resolve) => {
      const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
        this.returncode = code ?? -((constants.signals as Record<string, number>)[signal ?? "SIGKILL"] ?? 0);
        for (let node = this.exitWaiters.peek(); node !== null; node = this.exitWaiters.peek()) node.wake();
        resolve();
      };
      if (_child.exitCode !== null || _child.signalCode !== null) onExit(_child.exitCode, _child.signalCode);
      else _child.once("exit", onExit);
    });
  }

  /** The child's process id (also its process group id). */
  get pid(): number {
    return this._child.pid as number;
  }

  /**
   * Waits for the child to exit and resolves to `returncode`. If the waiting task is cancelled
   * (or `signal` aborts), the child's process group is terminated, killed after `killGrace`, and
   * reaped before the CancelledError propagates.
   *
   * As in asyncio, a child writing to a `PIPE` nobody reads can block forever: use `communicate()`.
   */
  wait(options?: WaitOptions): Promise<number> {
    // Checked before any await, so that a bad signal throws at the call as everywhere else.
    return this.waitChecked(checkSignal("Process.wait()", options));
  }

  private async waitChecked(signal: AbortSignal | undefined): Promise<number> {
    try {
      return await this.exitWait(signal);
    } catch (error) {
      await this.terminateGroup();
      throw error;
    }
  }

  /**
   * Writes `input` to stdin (if given) and closes it, reads stdout and stderr to their end, waits
   * for the child to exit, and resolves to `[stdout, stderr]` (null for a stream not piped).
   * Cancelling it terminates the child as `wait()` does.
   * @throws TypeError if `input` is given but stdin is not a `PIPE`, or is not bytes or a string.
   */
  communicate(input?: Uint8Array | string, options?: WaitOptions): Promise<[Buffer | null, Buffer | null]> {
    // Checked before any await, so that a bad argument throws at the call as everywhere else.
    if (input !== undefined && input !== null) {
      if (typeof input !== "string" && !(input instanceof Uint8Array)) throw new TypeError(`Process.communicate() expects input as a string or a Uint8Array: received ${describe(input)}`);
      if (this.stdin === null) throw new TypeError("Process.communicate(input) needs stdin: PIPE");
    }
    return this.communicateChecked(input ?? undefined, checkSignal("Process.communicate()", options));
  }

  private async communicateChecked(input: Uint8Array | string | undefined, signal: AbortSignal | undefined): Promise<[Buffer | null, Buffer | null]> {
    const waitOptions = signal !== undefined ? { signal } : undefined;
    try {
      const [, out, err] = await Promise.all([this.feedStdin(input, waitOptions), this.stdout?.read(-1, waitOptions) ?? null, this.stderr?.read(-1, waitOptions) ?? null]);
      await this.exitWait(signal);
      return [out, err];
    } catch (error) {
      await this.terminateGroup();
      throw error;
    }
  }

  /** Sends `sig` to the child (not its group), if it is still running. */
  sendSignal(sig: SignalName): void {
    const name = checkSignalName("Process.sendSignal()", sig);
    if (this.returncode !== null) return;
    this._child.kill(name);
  }

  /** Sends SIGTERM to the child. */
  terminate(): void {
    this.sendSignal("SIGTERM");
  }

  /** Sends SIGKILL to the child. */
  kill(): void {
    this.sendSignal("SIGKILL");
  }

  /** `await using proc`: kills the child's group if the child still runs, then reaps it. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.returncode === null) this.signalGroup("SIGKILL");
    this.stdin?.close();
    await this.exited;
  }

  [inspect.custom](): string {
    return `<Process ${this.pid} ${this.returncode === null ? "running" : `returncode=${this.returncode}`}>`;
  }

  /**
   * @internal SIGTERM to the group, SIGKILL after `killGrace` seconds (or at once if the child has
   * already gone: what is left of its group gets no grace), then waits for the child to be reaped.
   * Waits on plain promises, so a second cancel cannot interrupt it. Shared by concurrent callers.
   */
  terminateGroup(): Promise<void> {
    this.reaping ??= (async () => {
      this.signalGroup("SIGTERM");
      if (this.returncode === null) {
        await new Promise<void>((resolve) => {
          const timer = this.loop.callLater(this.killGrace, resolve);
          void this.exited.then(() => {
            timer.cancel();
            resolve();
          });
        });
      }
      this.signalGroup("SIGKILL");
      await this.exited;
    })();
    return this.reaping;
  }

  /** Sends `sig` to the child's process group (the child alone where there are no groups). */
  private signalGroup(sig: NodeJS.Signals): void {
    try {
      if (process.platform === "win32") {
        if (this.returncode === null) this._child.kill(sig);
      } else process.kill(-this.pid, sig);
    } catch (error) {
      if (!isEsrch(error)) throw error;
    }
  }

  private exitWait(signal: AbortSignal | undefined): Promise<number> {
    const ctx = currentContext();
    const refused = refusal(ctx, signal);
    if (refused !== PROCEED) return Promise.reject(refused);
    if (this.returncode !== null) return Promise.resolve(this.returncode);
    return new Parked(this, WAIT).park<number>(this.exitWaiters, ctx, signal);
  }

  private async feedStdin(input: Uint8Array | string | undefined, options: WaitOptions | undefined): Promise<void> {
    const stdin = this.stdin;
    if (stdin === null) return;
    try {
      if (input !== undefined && input.length > 0) {
        stdin.write(input);
        await stdin.drain(options);
      }
    } catch (error) {
      // The child may exit without reading its input (asyncio ignores BrokenPipe and ConnectionReset).
      if (cancellationOf(error) !== null || !isPipeGone(error)) throw error;
    }
    stdin.close();
  }
}

function isPipeGone(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "EPIPE" || code === "ECONNRESET";
}

