/**
 * createSubprocessExec / createSubprocessShell (asyncio.create_subprocess_exec/_shell): start a
 * child with its standard streams as stream readers and writers.
 *
 * Every child leads a new process group (and session: Node's `detached`), so that cancelling a
 * wait can signal the child and whatever it started (see Process). A consequence: Ctrl-C in a
 * terminal reaches this process, not the child directly; `run()` turns it into a cancellation,
 * which terminates the children being waited for.
 */
import { spawn, type ChildProcess, type StdioOptions } from "node:child_process";
import type { Readable } from "node:stream";
import { currentLoop } from "../kernel/context.js";
import { checkSignal, currentContext } from "../kernel/waiting.js";
import { checkDelay, describe } from "../kernel/validate.js";
import { emitterWaitKind, waitForEvent } from "./emitterWait.js";
import { Process } from "./process.js";
import { checkLimit, StreamReader } from "./reader.js";
import { StreamWriter } from "./writer.js";

/** Connect the stream to a pipe: the Process gets a StreamReader/StreamWriter for it. */
export const PIPE = "pipe";
/** Connect the stream to /dev/null. */
export const DEVNULL = "devnull";
/** For `stderr` only: send it where stdout goes (into `process.stdout`'s reader with `stdout: PIPE`). */
export const STDOUT = "stdout";

/** Where a child's standard stream goes: a pipe, /dev/null, this process's own stream, or a file descriptor. */
export type StdioOption = typeof PIPE | typeof DEVNULL | "inherit" | number;

/** Options of `createSubprocessExec()` and `createSubprocessShell()`. */
export interface SubprocessOptions {
  /** Default "inherit". */
  stdin?: StdioOption;
  /** Default "inherit". */
  stdout?: StdioOption;
  /** Default "inherit"; `STDOUT` merges it into stdout. */
  stderr?: StdioOption | typeof STDOUT;
  /** The child's working directory. */
  cwd?: string | URL;
  /** The child's environment (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Buffer limit of the stdout/stderr readers, in bytes (default 64 KiB). */
  limit?: number;
  /** Seconds between SIGTERM and SIGKILL when a wait is cancelled (default 5). */
  killGrace?: number;
  /** Aborting it terminates the child's process group (SIGTERM, SIGKILL after `killGrace`). */
  signal?: AbortSignal;
}

const SPAWN = emitterWaitKind("createSubprocessExec()");

function checkStdio(where: string, name: string, value: unknown, allowStdout: boolean): void {
  if (value === undefined || value === PIPE || value === DEVNULL || value === "inherit") return;
  if (allowStdout && value === STDOUT) return;
  if (typeof value === "number" && Number.isInteger(value) && value >= 0) return;
  throw new TypeError(`${where} expects options.${name} to be PIPE, DEVNULL, "inherit"${allowStdout ? ", STDOUT" : ""} or a file descriptor: received ${describe(value)}`);
}

function checkOptions(where: string, options: unknown): SubprocessOptions {
  if (options === undefined) return {};
  if (typeof options !== "object" || options === null) throw new TypeError(`${where} expects an options object: received ${describe(options)}`);
  const o = options as SubprocessOptions;
  checkStdio(where, "stdin", o.stdin, false);
  checkStdio(where, "stdout", o.stdout, false);
  checkStdio(where, "stderr", o.stderr, true);
  if (o.cwd !== undefined && typeof o.cwd !== "string" && !(o.cwd instanceof URL)) throw new TypeError(`${where} expects options.cwd to be a path: received ${describe(o.cwd)}`);
  if (o.env !== undefined && (typeof o.env !== "object" || o.env === null)) throw new TypeError(`${where} expects options.env to be an object of strings: received ${describe(o.env)}`);
  if (o.killGrace !== undefined && checkDelay(`${where} options.killGrace`, o.killGrace) < 0) {
    throw new RangeError(`${where} expects options.killGrace to be a number of seconds >= 0: received ${o.killGrace}`);
  }
  return o;
}

function nodeStdio(value: StdioOption | undefined): "pipe" | "ignore" | "inherit" | number {
  if (value === undefined || value === "inherit") return "inherit";
  if (value === DEVNULL) return "ignore";
  return value;
}

/** Feeds `sources` into one reader; it ends when all of them have ended. */
function readerFor(sources: Readable[], limit: number): StreamReader {
  const reader = new StreamReader({ limit });
  reader._source = {
    pause: () => sources.forEach((s) => s.pause()),
    resume: () => sources.forEach((s) => s.resume()),
  };
  let open = sources.length;
  for (const source of sources) {
    source.on("data", (chunk: Buffer) => reader._feedFromSource(chunk));
    source.on("end", () => {
      if (--open === 0) reader._eofFromSource();
    });
    source.on("error", (error: Error) => reader.setException(error));
  }
  return reader;
}

/** Checks what is left of the options before any await (a bad argument throws at the call), then spawns. */
function start(where: string, program: string, args: readonly string[], shell: boolean, opts: SubprocessOptions): Promise<Process> {
  return spawnChecked(program, args, shell, opts, checkLimit(where, opts.limit), checkSignal(where, opts));
}

async function spawnChecked(
  program: string,
  args: readonly string[],
  shell: boolean,
  opts: SubprocessOptions,
  limit: number,
  signal: AbortSignal | undefined,
): Promise<Process> {
  const killGrace = opts.killGrace ?? 5;
  const merge = opts.stderr === STDOUT;
  const stdout = nodeStdio(opts.stdout);
  const stdio: StdioOptions = [nodeStdio(opts.stdin), stdout, merge ? (stdout === "inherit" ? 1 : stdout) : nodeStdio(opts.stderr as StdioOption | undefined)];
  const loop = currentContext()?._loop ?? currentLoop();
  if (signal?.aborted === true) throw signal.reason;
  const child: ChildProcess = spawn(program, args, {
    stdio,
    shell,
    detached: process.platform !== "win32",
    windowsHide: true,
    ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
    ...(opts.env !== undefined ? { env: opts.env } : {}),
  });
  // Errors after the start (a failed kill) must not crash the process; the start's own error
  // rejects the wait below.
  child.on("error", () => undefined);
  const outSources = [child.stdout, merge ? child.stderr : null].filter((s): s is Readable => s !== null);
  const proc = new Process(
    child,
    child.stdin !== null ? new StreamWriter(child.stdin, null) : null,
    outSources.length > 0 ? readerFor(outSources, limit) : null,
    !merge && child.stderr !== null ? readerFor([child.stderr], limit) : null,
    loop,
    killGrace,
  );
  try {
    await waitForEvent(proc, SPAWN, child, "spawn", signal);
  } catch (error) {
    if (child.pid !== undefined) await proc.terminateGroup();
    throw error;
  }
  if (signal !== undefined) {
    const onAbort = (): void => void proc.terminateGroup();
    signal.addEventListener("abort", onAbort, { once: true });
    child.once("exit", () => signal.removeEventListener("abort", onAbort));
  }
  return proc;
}

/**
 * Starts `program` with `args` (no shell) and resolves once it runs.
 * @throws TypeError / RangeError for bad arguments, at once; the spawn error (e.g. `ENOENT`) if it cannot start.
 * @example
 * const proc = await createSubprocessExec("ls", ["-l"], { stdout: PIPE });
 * const [out] = await proc.communicate();
 */
export function createSubprocessExec(program: string, args: readonly string[] = [], options?: SubprocessOptions): Promise<Process> {
  if (typeof program !== "string" || program === "") throw new TypeError(`createSubprocessExec() expects a program (a non-empty string): received ${describe(program)}`);
  if (!Array.isArray(args) || args.some((a) => typeof a !== "string")) throw new TypeError(`createSubprocessExec() expects args as an array of strings: received ${describe(args)}`);
  return start("createSubprocessExec()", program, args, false, checkOptions("createSubprocessExec()", options));
}

/**
 * Runs `command` through the shell (`/bin/sh -c`). Quote what you interpolate.
 * @throws TypeError / RangeError for bad arguments, at once.
 */
export function createSubprocessShell(command: string, options?: SubprocessOptions): Promise<Process> {
  if (typeof command !== "string" || command === "") throw new TypeError(`createSubprocessShell() expects a command line (a non-empty string): received ${describe(command)}`);
  return start("createSubprocessShell()", command, [], true, checkOptions("createSubprocessShell()", options));
}
