/**
 * runProcess: run a program to completion (Trio's `run_process`, Python's `subprocess.run`).
 * Cancelling the calling task, a timeout around it, or its `signal`, terminates the child's
 * whole process group and reaps it before the CancelledError propagates.
 */
import { describe } from "../kernel/validate.js";
import { CalledProcessError } from "./errors.js";
import type { Process } from "./process.js";
import { createSubprocessExec, DEVNULL, PIPE, type SubprocessOptions } from "./subprocess.js";

/** Options of `runProcess()`: those of `createSubprocessExec()`, and: */
export interface RunProcessOptions extends SubprocessOptions {
  /** Bytes (or a string, as UTF-8) for the child's stdin; without it stdin is /dev/null unless `stdin` says otherwise. */
  input?: Uint8Array | string;
  /** Throw CalledProcessError if the child exits with a non-zero status (default true, as Trio). */
  check?: boolean;
  /** Capture stdout and stderr (as `PIPE`) and return them (default false: they are inherited, unless `stdout`/`stderr` say otherwise). */
  capture?: boolean;
}

/** What `runProcess()` resolves to. */
export interface CompletedProcess {
  /** The exit status, or minus the signal number that ended the child. */
  returncode: number;
  /** Captured stdout, or null when not captured. */
  stdout: Buffer | null;
  /** Captured stderr, or null when not captured (or merged into stdout with `stderr: STDOUT`). */
  stderr: Buffer | null;
}

/**
 * Runs `program` with `args`, feeding it `input`, and waits for it to exit.
 * @throws CalledProcessError if `check` (the default) and the exit status is not 0.
 * @throws TypeError / RangeError for bad arguments, at once.
 * @example
 * const { stdout } = await runProcess("git", ["rev-parse", "HEAD"], { capture: true });
 */
export function runProcess(program: string, args: readonly string[] = [], options: RunProcessOptions = {}): Promise<CompletedProcess> {
  if (typeof options !== "object" || options === null) throw new TypeError(`runProcess() expects an options object: received ${describe(options)}`);
  const { input, check = true, capture = false, ...rest } = options;
  if (typeof check !== "boolean") throw new TypeError(`runProcess() expects options.check to be a boolean: received ${describe(check)}`);
  if (typeof capture !== "boolean") throw new TypeError(`runProcess() expects options.capture to be a boolean: received ${describe(capture)}`);
  if (input !== undefined && typeof input !== "string" && !(input instanceof Uint8Array)) {
    throw new TypeError(`runProcess() expects options.input to be a string or a Uint8Array: received ${describe(input)}`);
  }
  const spawnOptions: SubprocessOptions = {
    ...rest,
    stdin: input !== undefined ? PIPE : (rest.stdin ?? DEVNULL),
    ...(capture ? { stdout: rest.stdout ?? PIPE, stderr: rest.stderr ?? PIPE } : {}),
  };
  // Not awaited here: createSubprocessExec() checks program, args and options at the call, so a
  // bad argument throws from runProcess() itself, as everywhere else.
  return complete(createSubprocessExec(program, args, spawnOptions), program, args, input, check, rest.signal);
}

async function complete(
  started: Promise<Process>,
  program: string,
  args: readonly string[],
  input: string | Uint8Array | undefined,
  check: boolean,
  signal: AbortSignal | undefined,
): Promise<CompletedProcess> {
  const proc = await started;
  const [stdout, stderr] = await proc.communicate(input, signal !== undefined ? { signal } : undefined);
  const returncode = proc.returncode as number;
  if (check && returncode !== 0) throw new CalledProcessError(returncode, [program, ...args], stdout, stderr);
  return { returncode, stdout, stderr };
}
