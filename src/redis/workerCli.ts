/**
 * `npx asyncio-ts worker --redis URL --name NAME --concurrency N --modules DIR [DIR...]`: a
 * RedisExecutor worker process (serveExecutor). SIGTERM or SIGINT stops it gracefully (no new
 * jobs; running ones finish within --grace seconds, else are handed back); a second signal hands
 * the running jobs back at once.
 */
import { parseArgs } from "node:util";
import { currentTask, run } from "../index.js";
import { serveExecutor } from "./serve.js";

const USAGE = `usage: asyncio-ts worker --redis URL --name NAME [--concurrency N] --modules DIR [DIR...]
                          [--lease SECONDS] [--grace SECONDS] [--verbose]
Runs RedisExecutor jobs named NAME from Redis at URL, importing only modules under the DIRs.`;

/** Runs the worker command; resolves with the process exit code. */
export async function workerMain(argv: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        redis: { type: "string", default: process.env["REDIS_URL"] ?? "redis://127.0.0.1:6379" },
        name: { type: "string" },
        concurrency: { type: "string", default: "1" },
        modules: { type: "string", multiple: true },
        lease: { type: "string", default: "30" },
        grace: { type: "string", default: "30" },
        verbose: { type: "boolean", default: false },
        help: { type: "boolean", default: false },
      },
    });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const modules = [...(values.modules ?? []), ...positionals];
  if (values.name === undefined || modules.length === 0) {
    process.stderr.write(`asyncio-ts worker needs --name and --modules\n${USAGE}\n`);
    return 2;
  }
  const name = values.name;
  const stop = new AbortController();
  let signals = 0;
  let main: ReturnType<typeof currentTask> = null;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    process.stderr.write(`asyncio-ts worker: ${signal}: ${signals === 1 ? "finishing running jobs" : "handing running jobs back"}\n`);
    if (signals === 1) stop.abort();
    else main?.cancel(`${signal} twice`);
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  try {
    await run(async () => {
      main = currentTask();
      process.stderr.write(`asyncio-ts worker ${process.pid}: serving "${name}" from ${values.redis}, concurrency ${values.concurrency}\n`);
      await serveExecutor({
        url: values.redis,
        name,
        concurrency: Number(values.concurrency),
        modules,
        leaseSeconds: Number(values.lease),
        graceSeconds: Number(values.grace),
        signal: stop.signal,
        onJob: values.verbose ? (e) => process.stderr.write(`asyncio-ts worker ${process.pid}: job ${e.id} ${e.exportName} ${e.state}\n`) : undefined,
      });
    });
    return 0;
  } catch (error) {
    if (signals > 1) return 0;
    process.stderr.write(`asyncio-ts worker: ${(error as Error).message ?? String(error)}\n`);
    return 1;
  } finally {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
  }
}
