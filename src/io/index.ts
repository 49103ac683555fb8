/** Streams (TCP, TLS, Unix sockets) and subprocesses, with cancel-safe reads. */
export { IncompleteReadError, LimitOverrunError, CalledProcessError } from "./errors.js";
export { DEFAULT_LIMIT, StreamReader, type FlowSource, type StreamReaderOptions } from "./reader.js";
export { StreamWriter, type ExtraInfo } from "./writer.js";
export { openConnection, openUnixConnection, type OpenConnectionOptions } from "./connection.js";
export { Server, startServer, startUnixServer, type ConnectionHandler, type StartServerOptions } from "./server.js";
export { Process } from "./process.js";
export type { SignalName } from "../kernel/signals.js";
export { createSubprocessExec, createSubprocessShell, DEVNULL, PIPE, STDOUT, type StdioOption, type SubprocessOptions } from "./subprocess.js";
export { runProcess, type CompletedProcess, type RunProcessOptions } from "./runProcess.js";
