/**
 * RedisExecutor: the executor interface (`submit`, `map`, `shutdown`, `await using`,
 * `runInExecutor`) over Redis, for workers on any machine (`serveExecutor`, `npx asyncio-ts worker`).
 *
 * - Jobs go through a RedisQueue (`exec:<name>`), so a job whose worker dies is run again by
 *   another after the lease (at-least-once); a job that keeps losing its workers reaches the dead
 *   letters, and its future fails with WorkerDiedError (the submitter watches the dead letters).
 * - Only `fromModule(url, name)` work: no function source travels; a worker runs only modules
 *   under its allowed roots.
 * - Cancelling a job's future (or the task awaiting it, or a timeout around it) cancels it on the
 *   worker: a queued job is skipped, a running one has its task cancelled and its thread stopped.
 * - Replies come back on this submitter's own list, read by short blocking pops (0.1 s), so
 *   shutdown() never leaves a connection blocked.
 */
import { randomBytes } from "node:crypto";
import { serialize } from "node:v8";
import { Executor, Future, InvalidStateError, WorkerDiedError, type MapOptions, type ModuleFunction, type ShutdownOptions, type Work } from "../index.js";
import type { Loop } from "../kernel/loop.js";
import { checkShutdownOptions } from "../executors/pool.js";
import { isTransferMarker } from "../executors/transfer.js";
import { errorFromReply, OK } from "../executors/wire.js";
import type { WorkDef } from "../executors/work.js";
import { ModuleFunction as ModuleFunctionClass } from "../executors/work.js";
import { connect, text, type Connection } from "./client.js";
import { RedisServerError } from "./errors.js";
import { RedisQueue } from "./queue.js";
import { awaitFuture, mirror } from "./waitReply.js";
import { cancelChannel, cancelKey, decodeReply, KEEP_SECONDS, queueName, replyKey, type RemoteJob } from "./remoteWire.js";

/** Options of `new RedisExecutor()`. */
export interface RedisExecutorOptions {
  /** The Redis server (default `redis://127.0.0.1:6379`). */
  url?: string | undefined;
  /** The executor's name: workers started with the same name run its jobs. */
  name: string;
  /** How many jobs `map()` keeps in flight, halved (the default bufferSize is twice this; default 16). */
  maxWorkers?: number | undefined;
}

/** The future of a remote job: cancel() also cancels the job on its worker. */
class RemoteFuture<T> extends Future<T> {
  constructor(
    loop: Loop,
    private readonly executor: RedisExecutor,
    readonly jobId: string,
  ) {
    super(loop);
  }

  override cancel(message?: string): boolean {
    if (!this._cancelFuture(message)) return false;
    this.executor._cancelRemote(this.jobId);
    return true;
  }

  override get [Symbol.toStringTag](): string {
    return "Future";
  }
}

interface Backend {
  queue: RedisQueue<RemoteJob>;
  conn: Connection;
  blocking: Connection;
}

const OPEN = 0;
const SHUT = 1;

/**
 * An executor whose jobs run on worker processes anywhere, through Redis. Submit
 * `fromModule(url, name)` work; start workers with `serveExecutor({ url, name, modules })` or
 * `npx asyncio-ts worker --redis URL --name NAME --modules DIR`.
 *
 * @example
 * await using remote = new RedisExecutor({ url: "redis://10.0.0.5:6379", name: "cpu" });
 * const hash = fromModule<(s: string) => string>(new URL("./work.js", import.meta.url), "sha256");
 * console.log(await runInExecutor(remote, hash, "abc"));
 */
export class RedisExecutor extends Executor {
  /** The executor's name, shared with its workers. */
  readonly name: string;
  /** The Redis server. */
  readonly url: string;
  private readonly client = randomBytes(8).toString("hex");
  private readonly replies: string;
  private readonly pending = new Map<string, RemoteFuture<unknown>>();
  private opened: Promise<Backend> | null = null;
  private reader: Promise<void> | null = null;
  private phase: typeof OPEN | typeof SHUT = OPEN;
  private closed: Promise<void> | null = null;
  private lastDead = "0";
  private lastDeadCheck = 0;
  protected override readonly _movesTransfers = false;

  constructor(options: RedisExecutorOptions) {
    const where = "new RedisExecutor()";
    if (typeof options !== "object" || options === null) throw new TypeError(`${where} expects an options object with a name: received ${String(options)}`);
    super("RedisExecutor", { maxWorkers: options.maxWorkers }, 16);
    if (typeof options.name !== "string" || !/^[^{}\s]{1,200}$/.test(options.name)) {
      throw new TypeError(`${where} expects name to be a non-empty string without spaces or braces: received ${typeof options.name}`);
    }
    const url = options.url ?? "redis://127.0.0.1:6379";
    if (typeof url !== "string" || !/^rediss?:\/\//.test(url)) throw new TypeError(`${where} expects url to be a redis:// or rediss:// URL`);
    this.name = options.name;
    this.url = url;
    this.replies = replyKey(this.name, this.client);
  }

  /** The connections, opened on the first job. */
  private get backend(): Promise<Backend> {
    if (this.opened === null) {
      this.opened = this.open();
      this.opened.catch(() => undefined); // reported through each job's future
    }
    return this.opened;
  }

  /** Connections keep the process alive only while jobs are pending, as a local pool's idle workers do not. */
  private setRef(on: boolean): void {
    void this.opened?.then(
      ({ queue, conn, blocking }) => {
        queue._setRef(on);
        conn.setRef(on);
        blocking.setRef(on);
      },
      () => undefined,
    );
  }

  private async open(): Promise<Backend> {
    const where = "RedisExecutor";
    const queue = await RedisQueue.open<RemoteJob>(queueName(this.name), { url: this.url });
    try {
      return { queue, conn: await connect(where, this.url), blocking: await connect(where, this.url) };
    } catch (error) {
      await queue.close();
      throw error;
    }
  }

  /** @internal Workers are remote: there is nothing to spawn here. */
  protected override _spawn(): never {
    throw new InvalidStateError("RedisExecutor has no local workers");
  }

  private checkWork(where: string, fn: unknown): asserts fn is ModuleFunction {
    if (!(fn instanceof ModuleFunctionClass)) {
      throw new TypeError(
        `${where} runs only fromModule(url, "name") work: function source never travels to remote workers (they import modules under their allowed roots)`,
      );
    }
  }

  private checkAccepting(where: string): void {
    if (this.phase !== OPEN) throw new InvalidStateError(`${where} cannot schedule new work: this RedisExecutor was shut down`);
  }

  /**
   * Runs `fn(...args)` on some worker of this executor's name and returns the Future of the result
   * (or of its error: name, message, stack, cause and properties, as the local pools give).
   *
   * @throws TypeError for work that is not `fromModule(...)`, or arguments that cannot be cloned; InvalidStateError after shutdown().
   */
  override submit<A extends unknown[], R>(fn: Work<A, R>, ...args: A): Future<Awaited<R>> {
    this.checkWork("RedisExecutor.submit()", fn);
    return super.submit(fn, ...args) as Future<Awaited<R>>;
  }

  /** @internal */
  override _submitFrom(where: string, loop: Loop, fn: unknown, args: unknown[]): Future<unknown> {
    this.checkWork(where, fn);
    return super._submitFrom(where, loop, fn, args);
  }

  /** Runs `fn` over `items` on the workers, yielding results in order (see Executor.map). */
  override map<T, R>(fn: Work<[T], R>, items: Iterable<T> | AsyncIterable<T>, options?: MapOptions): AsyncGenerator<Awaited<R>, void, undefined> {
    this.checkWork("RedisExecutor.map()", fn);
    return super.map(fn, items, options) as AsyncGenerator<Awaited<R>, void, undefined>;
  }

  /** @internal */
  override _submitWork(loop: Loop, work: WorkDef, args: unknown[]): Future<unknown> {
    this.checkAccepting("RedisExecutor.submit()");
    const wire = work.wire;
    if (!("url" in wire)) throw new TypeError("RedisExecutor runs only fromModule(url, name) work");
    const id = `${this.client}-${randomBytes(6).toString("hex")}`;
    const job: RemoteJob = { id, url: wire.url, exportName: wire.exportName, args: args.map((a) => (isTransferMarker(a) ? a.value : a)), reply: this.replies };
    let data: Buffer;
    try {
      data = serialize(job);
    } catch (error) {
      throw new TypeError(`RedisExecutor could not send the job's arguments (they must be structured-cloneable): ${(error as Error).message}`, { cause: error });
    }
    const future = new RemoteFuture<unknown>(loop, this, id);
    this.pending.set(id, future);
    if (this.pending.size === 1) this.setRef(true);
    void this.send(future, data);
    this.startReader();
    return future;
  }

  private async send(future: RemoteFuture<unknown>, data: Buffer): Promise<void> {
    try {
      const { queue } = await this.backend;
      await queue._putEncoded(data);
    } catch (error) {
      this.settle(future.jobId, (f) => f.setException(error instanceof RedisServerError ? error : new RedisServerError(`RedisExecutor could not queue the job: ${(error as Error).message}`, { cause: error })));
    }
  }

  private settle(id: string, how: (future: RemoteFuture<unknown>) => void): void {
    const future = this.pending.get(id);
    if (future === undefined) return;
    this.forget(id);
    if (!future.done()) how(future);
  }

  private forget(id: string): void {
    if (this.pending.delete(id) && this.pending.size === 0) this.setRef(false);
  }

  /** @internal A job's future was cancelled: tell the workers. */
  _cancelRemote(id: string): void {
    this.forget(id);
    void this.backend
      .then(({ conn }) => Promise.all([conn.command(["SET", cancelKey(this.name, id), "1", "EX", String(KEEP_SECONDS)]), conn.command(["PUBLISH", cancelChannel(this.name), id])]))
      .catch(() => undefined); // Redis is gone: so is the job's reply path; the worker's result is dropped
  }

  private startReader(): void {
    if (this.reader !== null) return;
    this.reader = this.read().finally(() => {
      this.reader = null;
      if (this.pending.size > 0 && this.phase === OPEN) this.startReader();
    });
  }

  /** Pops replies while jobs are pending; never rejects. */
  private async read(): Promise<void> {
    let backend: Backend;
    try {
      backend = await this.backend;
    } catch {
      return; // each job's send() reported it
    }
    let failures = 0;
    while (this.pending.size > 0) {
      try {
        const popped = (await backend.blocking.command(["BLPOP", this.replies, "0.1"])) as unknown[] | null;
        if (popped !== null) {
          this.deliver(popped[1] as Buffer);
          const more = (await backend.conn.command(["LPOP", this.replies, "100"])) as Buffer[] | null;
          for (const data of more ?? []) this.deliver(data);
        }
        if (Date.now() - this.lastDeadCheck > 1000) await this.checkDead(backend);
        failures = 0;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, Math.min(50 * 2 ** failures++, 1000))); // reconnecting
      }
    }
  }

  private deliver(data: Buffer): void {
    let reply: ReturnType<typeof decodeReply>;
    try {
      reply = decodeReply(data);
    } catch {
      return; // not a reply of ours
    }
    const [id, status, value] = reply;
    this.settle(id, (future) => {
      if (status === OK) future.setResult(value);
      else future.setException(errorFromReply(status, value));
    });
  }

  /** Fails the pending jobs that reached the dead letters (every worker that took them died). */
  private async checkDead(backend: Backend): Promise<void> {
    this.lastDeadCheck = Date.now();
    const entries = (await backend.conn.command(["XRANGE", backend.queue._deadKey, `(${this.lastDead}`, "+", "COUNT", "100"])) as unknown[][];
    for (const entry of entries) {
      this.lastDead = text(entry[0]);
      const fields = entry[1] as unknown[];
      let job: RemoteJob;
      try {
        job = backend.queue._codec.decode(fields[fields.findIndex((f, i) => i % 2 === 0 && text(f) === "v") + 1] as Buffer);
      } catch {
        continue;
      }
      const reason = text(fields[fields.findIndex((f, i) => i % 2 === 0 && text(f) === "reason") + 1]);
      this.settle(job.id, (future) =>
        future.setException(new WorkerDiedError(`RedisExecutor job ${job.id} was given up: ${reason} (each worker that took it died or stopped heart-beating)`, {})),
      );
    }
  }

  /**
   * Stops accepting work; with `cancelFutures`, cancels every pending job (on its worker too);
   * with `wait` (default), resolves once every pending job has settled and the connections closed.
   * As the local pools' shutdown(): bad options throw at the call (not a rejection), and the wait
   * is a library Future, so cancelling the task that awaits it stops the wait at once (the
   * executor still shuts down and pending jobs still settle).
   *
   * @throws TypeError at once if `options` is not an object or `wait`/`cancelFutures` is not a boolean.
   */
  override shutdown(options: ShutdownOptions = {}): Promise<void> {
    const { wait, cancelFutures } = checkShutdownOptions("RedisExecutor.shutdown()", options);
    this.phase = SHUT;
    if (cancelFutures) for (const future of [...this.pending.values()]) future.cancel();
    this.closed ??= this.close();
    // Mirrored into a library Future: a native promise would hold a cancel until every job settled.
    return wait ? awaitFuture(mirror(this.closed), undefined) : Promise.resolve();
  }

  private async close(): Promise<void> {
    const all = [...this.pending.values()].map((f) => new Promise<void>((resolve) => f.addDoneCallback(() => resolve())));
    await Promise.all(all);
    await this.reader;
    if (this.opened === null) return;
    try {
      const { queue, conn, blocking } = await this.opened;
      await Promise.all([queue.close(), conn.close(), blocking.close()]);
    } catch {
      // never opened: nothing to close
    }
  }

  /** Counts for tests and introspection: `running` is the jobs submitted and not yet settled. */
  override statistics(): { workers: number; idle: number; running: number; queued: number; shutdown: boolean } {
    return { workers: 0, idle: 0, running: this.pending.size, queued: 0, shutdown: this.phase !== OPEN };
  }
}
