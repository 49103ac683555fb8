/**
 * RedisQueue: an asyncio-style queue shared by every process that opens the same name, on a Redis
 * stream with a consumer group. put = XADD, get = XREADGROUP, taskDone = XACK (+ XDEL), each step
 * of several commands a Lua script (scripts.ts), so a client that dies mid-step leaves no half-step.
 *
 * Invariants (what makes cancellation exact and delivery at-least-once):
 * - An entry this consumer has read is in exactly one of: `stash` (read, not yet handed out),
 *   a getter's future (handed, the getter not yet resumed), `held` (the user has it), or given back
 *   to Redis (acknowledged, retried, or handed back by close()). A getter cancelled after its future
 *   got a job puts the job back at the front of the stash, so a cancelled get() loses nothing.
 * - Entries left in `stash` when the reader stops (their getters were cancelled) wait
 *   STASH_GRACE_MS for a get() of this object, then go back to the queue (handBackStale).
 * - Everything in `stash` and every held job whose task still runs is renewed (its idle time
 *   reset) every leaseSeconds / 3; so only a consumer that died, froze, or whose task ended without
 *   taskDone/retry loses its jobs to another consumer, after leaseSeconds.
 * - Reads block on their own connection for at most READ_BLOCK_MS, so a get() cancel is prompt
 *   (the getter's future is cancelled at once; the read in flight ends within 0.1 s and its entries
 *   go to the stash) and close() never leaves a connection blocked.
 * - One reader loop per queue object, running only while getters wait; it is not a task, so no
 *   caller's cancel stops it half-way.
 */
import { setTimeout as delay } from "node:timers/promises";
import { currentTask, getEventLoop, InvalidStateError, QueueShutDown, sleep, type Future } from "../index.js";
import { checkOptions, describe } from "../kernel/validate.js";
import { Batcher } from "./batcher.js";
import { connect, text, type Connection } from "./client.js";
import { encodeItem } from "./codec.js";
import { claimedReply, readReply, type RawEntry } from "./entries.js";
import { RedisServerError } from "./errors.js";
import { Job } from "./job.js";
import { checkName, queueConfig, type QueueConfig, type RedisQueueOptions } from "./options.js";
import { ACK, MAINTAIN, PUT, queueKeys, RENEW, REQUEUE, SHUTDOWN, STATS } from "./scripts.js";
import { awaitFuture, mirror, signalOption } from "./waitReply.js";

/** The longest a read blocks its connection: the bound on how long close() waits for a read. */
const READ_BLOCK_MS = 100;
/** How long entries read for cancelled getters wait for a new get() before they are handed back. */
const STASH_GRACE_MS = 200;
/** The most entries one read takes for waiting getters. */
const READ_MAX = 256;

/** Options of `put()` and `get()`. */
export interface RedisWaitOptions {
  /** Aborting it rejects the call with `signal.reason`. */
  signal?: AbortSignal | undefined;
}

/** A job that went to the dead-letter stream, as `deadLetters()` lists it. */
export interface DeadLetter<T> {
  /** The item (undefined if it could not be decoded). */
  item: T | undefined;
  /** The id of its last stream entry. */
  id: string;
  /** How many times it was delivered. */
  deliveries: number;
  /** The consumer that held it last. */
  consumer: string;
  /** Why it was buried ("lease expired after 5 deliveries", "retried 5 times", a decode error). */
  reason: string;
}

function settle(future: Future<unknown>, ok: boolean, value: unknown): void {
  if (future.done()) return;
  if (ok) future.setResult(value);
  else future.setException(value);
}

function isConnectionError(error: unknown, conn: Connection): boolean {
  if (!conn.ready()) return true;
  const message = error instanceof Error ? error.message : "";
  return /^LOADING|Socket closed|ECONNREFUSED|ECONNRESET|Connection timeout|closed/i.test(message);
}

/**
 * A queue in Redis shared by every process and machine that opens the same `name`: producers
 * `put()`, consumers `get()` a `Job` and acknowledge it with `taskDone(job)`.
 *
 * Delivery is at-least-once: a job is delivered again when its consumer dies or stops
 * heart-beating for `leaseSeconds` (a running job's lease is renewed while the task that took it
 * runs), and after `maxDeliveries` deliveries it goes to the dead-letter stream (`deadLetters()`).
 * A cancelled `get()` loses no item. Open one with `RedisQueue.open(name, options)`.
 *
 * @example
 * await using queue = await RedisQueue.open<string>("urls", { url: "redis://127.0.0.1:6379" });
 * await queue.put("https://example.com/");
 * const job = await queue.get();
 * await crawl(job.item);
 * await queue.taskDone(job);
 */
export class RedisQueue<T> implements AsyncIterable<Job<T>> {
  /** The queue's name (shared by every process that opens it). */
  readonly name: string;
  /** This consumer's name in the group. */
  readonly consumer: string;
  /** put() waits while this many items are unfinished; 0 = unbounded. */
  readonly maxsize: number;
  private readonly config: QueueConfig<T>;
  private readonly keys: readonly string[];
  private readonly stream: string;
  private readonly getters: Array<Future<Job<T>>> = [];
  private readonly stash: Array<Job<T>> = [];
  private readonly held = new Set<Job<T>>();
  private reader: Promise<void> | null = null;
  private lastMaintain = 0;
  private readonly maintainEveryMs: number;
  private readonly heartbeat: NodeJS.Timeout;
  private closing: Promise<void> | null = null;
  private readonly puts: Batcher;
  private staleTimer: NodeJS.Timeout | null = null;
  private readonly acks: Batcher;

  private constructor(
    name: string,
    config: QueueConfig<T>,
    private readonly conn: Connection,
    private readonly blocking: Connection,
  ) {
    this.name = name;
    this.config = config;
    this.consumer = config.consumer;
    this.maxsize = config.maxsize;
    const keys = queueKeys(name);
    this.keys = keys.all;
    this.stream = keys.stream;
    this.maintainEveryMs = Math.min(config.leaseMs / 4, 250);
    this.puts = new Batcher(async (payloads) => (await this.conn.script(PUT, this.keys, [String(this.maxsize), ...payloads])) as unknown[]);
    this.acks = new Batcher(async (ids) => {
      const done = await this.conn.script(ACK, this.keys, [this.config.group, ...ids]);
      return ids.map(() => done);
    });
    this.heartbeat = setInterval(() => void this.renew(), config.leaseMs / 3);
    this.heartbeat.unref();
  }

  /**
   * Opens (creating it if needed) the queue `name` on the Redis server at `options.url`, with two
   * connections: one for commands, one for blocking reads.
   *
   * @throws TypeError/RangeError for bad options; RedisServerError if the server cannot be
   * reached or is older than 6.2.
   */
  static open<T>(name: string, options?: RedisQueueOptions<T>): Promise<RedisQueue<T>> {
    // Bad arguments throw at the call, as everywhere in the library; only connecting is async.
    const where = "RedisQueue.open()";
    return RedisQueue.connectTo<T>(where, checkName(where, name), queueConfig(where, options));
  }

  private static async connectTo<T>(where: string, checked: string, config: QueueConfig<T>): Promise<RedisQueue<T>> {
    const conn = await connect(where, config.url);
    let blocking: Connection;
    try {
      blocking = await connect(where, config.url);
    } catch (error) {
      await conn.close();
      throw error;
    }
    const queue = new RedisQueue<T>(checked, config, conn, blocking);
    try {
      await queue.createGroup();
    } catch (error) {
      await queue.close();
      throw new RedisServerError(`${where} could not create the consumer group: ${(error as Error).message}`, { cause: error });
    }
    return queue;
  }

  private async createGroup(): Promise<void> {
    try {
      // From the stream's start ("0"): a group created after puts (or after a Redis restart) still sees them.
      await this.conn.command(["XGROUP", "CREATE", this.stream, this.config.group, "0", "MKSTREAM"]);
    } catch (error) {
      if (!(error instanceof Error && error.message.startsWith("BUSYGROUP"))) throw error;
    }
  }

  private closedError(where: string): InvalidStateError {
    return new InvalidStateError(`RedisQueue.${where} cannot be used: the queue "${this.name}" was closed`);
  }

  private checkOpen(where: string): void {
    if (this.closing !== null) throw this.closedError(where);
  }

  /**
   * Adds `item` to the queue, waiting while `maxsize` items are unfinished.
   *
   * Cancellation: a put() cancelled before its command is sent (while it waits for room, or in the
   * turn of the event loop it was called in: puts go out in batches) adds nothing. One cancelled
   * after its command was sent rejects at once with CancelledError, and the item may still have
   * been added: a cancelled put is **at-least-once** if you retry it (never half-added).
   *
   * @throws TypeError if the codec cannot encode the item (at once, nothing sent); QueueShutDown after shutdown().
   */
  put(item: T, options?: RedisWaitOptions): Promise<void> {
    // Bad options and an item the codec refuses throw at the call; a closed queue rejects.
    const signal = signalOption("RedisQueue.put()", options);
    if (this.closing !== null) return Promise.reject(this.closedError("put()"));
    return this.putData(encodeItem("RedisQueue.put()", this.config.codec, item), signal);
  }

  private async putData(data: Buffer | string, signal: AbortSignal | undefined): Promise<void> {
    let pause = 0.005;
    for (;;) {
      if (signal?.aborted === true) throw signal.reason;
      const future = getEventLoop().createFuture<unknown>();
      // Cancelled before its batch is sent, the put is left out of it: nothing added.
      this.puts.add(data, () => !future.done(), (ok, value) => settle(future, ok, value));
      const reply = await awaitFuture(future, signal);
      if (reply === -1) throw new QueueShutDown(`RedisQueue.put() cannot add to "${this.name}": it was shut down`);
      if (reply !== 0) return;
      // Full: poll for room. A cancel lands in this sleep, before anything was added.
      if (signal === undefined) await sleep(pause);
      else await awaitFuture(mirror(sleep(pause)), signal);
      pause = Math.min(pause * 2, 0.1);
    }
  }

  /**
   * @internal Adds an encoded item without waiting through the library: for work started on behalf
   * of no task (a RedisExecutor's submit), which no task's cancel should stop half-way. No maxsize.
   */
  async _putEncoded(data: Buffer | string): Promise<void> {
    this.checkOpen("put()");
    const reply = await new Promise((resolve, reject) => this.puts.add(data, () => true, (ok, value) => (ok ? resolve(value) : reject(value))));
    if (reply === 0) throw new RangeError(`RedisQueue "${this.name}" is full (maxsize ${this.maxsize})`);
    if (reply === -1) throw new QueueShutDown(`RedisQueue.put() cannot add to "${this.name}": it was shut down`);
  }

  /** @internal Whether this object's connections keep the process alive (a RedisExecutor's queue does only while jobs are pending). */
  _setRef(on: boolean): void {
    this.conn.setRef(on);
    this.blocking.setRef(on);
  }

  /** @internal The codec, for _putEncoded callers. */
  get _codec(): QueueConfig<T>["codec"] {
    return this.config.codec;
  }

  /** @internal The dead-letter stream's key. */
  get _deadKey(): string {
    return this.keys[2] as string;
  }

  /**
   * Waits for an item and returns it as a `Job` (item, id, deliveries). Acknowledge it with
   * `taskDone(job)` when handled. A get() cancelled (by its task, a timeout or `signal`) loses no
   * item: one that arrives for it goes to the next get() of this queue object.
   *
   * @throws QueueShutDown once shut down and every item acknowledged; InvalidStateError after close().
   */
  get(options?: RedisWaitOptions): Promise<Job<T>> {
    // Bad options throw at the call; a closed queue rejects.
    return this.getJob(signalOption("RedisQueue.get()", options));
  }

  private async getJob(signal: AbortSignal | undefined): Promise<Job<T>> {
    this.checkOpen("get()");
    if (signal?.aborted === true) throw signal.reason;
    const future = getEventLoop().createFuture<Job<T>>();
    this.getters.push(future);
    this.dispatch();
    if (!future.done()) this.startReader();
    try {
      const job = await awaitFuture(future, signal);
      job._owner = currentTask();
      this.held.add(job);
      return job;
    } catch (error) {
      // The job reached the future, but the getter was cancelled before it resumed: keep it.
      if (future.done() && !future.cancelled() && future.exception() === null) {
        this.stash.unshift(future.result());
        this.dispatch();
      }
      throw error;
    }
  }

  /** Hands stashed entries to waiting getters, first come first served. */
  private dispatch(): void {
    while (this.getters.length > 0) {
      const getter = this.getters[0] as Future<Job<T>>;
      if (getter.done()) {
        void this.getters.shift(); // a future, not a promise: nothing to await
        continue;
      }
      const job = this.stash.shift();
      if (job === undefined) return;
      void this.getters.shift();
      getter.setResult(job);
    }
  }

  private waiting(): number {
    let n = 0;
    for (const getter of this.getters) if (!getter.done()) n++;
    return n;
  }

  private startReader(): void {
    if (this.reader !== null) return;
    this.reader = this.read().finally(() => {
      this.reader = null;
      // A getter that arrived while the loop was ending.
      if (this.closing === null && this.waiting() > 0) this.startReader();
      else if (this.stash.length > 0 && this.staleTimer === null) {
        this.staleTimer = setTimeout(() => void this.handBackStale(), STASH_GRACE_MS);
      }
    });
  }

  /**
   * Entries read for getters that were cancelled, and not taken by a get() since: back to the
   * queue for any consumer (not counted as a delivery), so an object that stops calling get()
   * does not sit on them. Removed from the stash first: a get() arriving meanwhile cannot take one.
   */
  private async handBackStale(): Promise<void> {
    this.staleTimer = null;
    if (this.closing !== null || this.reader !== null || this.waiting() > 0) return;
    const stale = this.stash.splice(0);
    await Promise.all(stale.map((job) => this.handBack(job, job.deliveries - 1))).catch(() => undefined); // lost: back after the lease
  }

  private handBack(job: Job<T>, deliveries: number): Promise<unknown> {
    return this.conn.script(REQUEUE, this.keys, [this.config.group, this.consumer, job.id, String(deliveries), "0", "0", ""]);
  }

  /** The reader loop: runs while getters wait; never rejects. */
  private async read(): Promise<void> {
    // Let the getters woken together (by one batch of acknowledgements) arrive: one read for all.
    await new Promise((resolve) => setImmediate(resolve));
    let failures = 0;
    while (this.closing === null && this.waiting() > 0) {
      try {
        const want = Math.min(this.waiting(), READ_MAX);
        let entries: RawEntry[] = [];
        if (Date.now() - this.lastMaintain >= this.maintainEveryMs) {
          this.lastMaintain = Date.now();
          const reply = (await this.conn.script(MAINTAIN, this.keys, [
            this.config.group,
            this.consumer,
            String(this.config.leaseMs),
            String(this.config.maxDeliveries),
            String(want),
          ])) as unknown[];
          if (reply[0] === 1) {
            this.finish();
            return;
          }
          entries = claimedReply(reply);
        }
        if (entries.length === 0) {
          const args = ["XREADGROUP", "GROUP", this.config.group, this.consumer, "COUNT", String(want), "BLOCK", String(READ_BLOCK_MS)];
          entries = readReply(await this.blocking.command([...args, "STREAMS", this.stream, ">"]));
        }
        failures = 0;
        for (const entry of entries) await this.accept(entry);
        this.dispatch();
      } catch (error) {
        if (error instanceof Error && error.message.startsWith("NOGROUP")) {
          await this.createGroup().catch(() => undefined); // the server restarted without our group
        } else if (isConnectionError(error, this.conn) || isConnectionError(error, this.blocking)) {
          await delay(Math.min(50 * 2 ** failures++, 1000)); // the client reconnects meanwhile
        } else {
          this.failGetters(new RedisServerError(`RedisQueue.get() failed on "${this.name}": ${(error as Error).message}`, { cause: error }));
          return;
        }
      }
    }
  }

  /** Decodes an entry into the stash; one that cannot be decoded goes to the dead letters. */
  private async accept(entry: RawEntry): Promise<void> {
    let item: T;
    try {
      item = this.config.codec.decode(entry.data);
    } catch (error) {
      const why = `could not decode: ${(error as Error).message ?? String(error)}`;
      await this.conn.script(REQUEUE, this.keys, [this.config.group, this.consumer, entry.id, String(entry.deliveries), "0", "1", why]);
      return;
    }
    this.stash.push(new Job(item, entry.id, entry.deliveries));
  }

  private failGetters(error: Error): void {
    for (const getter of this.getters.splice(0)) if (!getter.done()) getter.setException(error);
  }

  /** Shut down and nothing unfinished: every waiting getter gets QueueShutDown. */
  private finish(): void {
    this.dispatch();
    this.failGetters(new QueueShutDown(`RedisQueue.get(): "${this.name}" was shut down and every item is done`));
  }

  /** Resets the lease of every job this object holds for a live task (the heartbeat). */
  private async renew(): Promise<void> {
    const ids: string[] = [];
    for (const job of this.stash) ids.push(job.id);
    for (const job of this.held) if (job._owner === null || !job._owner.done()) ids.push(job.id);
    if (ids.length === 0 || this.closing !== null) return;
    try {
      await this.conn.script(RENEW, this.keys, [this.config.group, this.consumer, ...ids]);
    } catch {
      // Connection trouble: the next beat tries again; a lease outlives several beats.
    }
  }

  private checkJob(where: string, job: unknown): void {
    if (!(job instanceof Job)) throw new TypeError(`RedisQueue.${where} expects a Job from this queue's get(): received ${describe(job)}`);
  }

  private takeHeld(where: string, job: Job<T>): void {
    this.checkOpen(where);
    if (!this.held.delete(job)) {
      throw new InvalidStateError(`RedisQueue.${where} was given job ${job.id}, which this queue object does not hold (acknowledged or retried already, or from another queue)`);
    }
  }

  /**
   * Acknowledges `job`: it is done and will not be delivered again. Calls made in the same turn
   * of Node's event loop go to Redis as one script call.
   *
   * @throws TypeError for a value that is not a Job; InvalidStateError for a job this object does not hold.
   */
  taskDone(job: Job<T>): Promise<void> {
    this.checkJob("taskDone()", job); // a non-Job throws at the call; a job not held rejects
    return this.ack(job);
  }

  private async ack(job: Job<T>): Promise<void> {
    this.takeHeld("taskDone()", job);
    const future = getEventLoop().createFuture<unknown>();
    // Sent even if this call is cancelled: the job is no longer held, so it had better be acknowledged.
    this.acks.add(job.id, () => true, (ok, value) => settle(future, ok, value));
    await awaitFuture(future, undefined);
  }

  /**
   * Hands `job` back to the queue to be delivered again (to any consumer), after `delay` seconds
   * if given; a job that has had `maxDeliveries` deliveries goes to the dead letters instead.
   *
   * @throws TypeError/RangeError for a bad job or delay; InvalidStateError for a job this object does not hold.
   */
  retry(job: Job<T>, options?: { delay?: number | undefined }): Promise<void> {
    // Bad arguments throw at the call (a wrong type is a TypeError, a bad number a RangeError).
    const where = "RedisQueue.retry()";
    this.checkJob("retry()", job);
    checkOptions(where, options, "{ delay: 1 }");
    const seconds = options?.delay ?? 0;
    if (typeof seconds !== "number") throw new TypeError(`${where} expects delay to be a number of seconds: received ${describe(seconds)}`);
    if (!(seconds >= 0) || !Number.isFinite(seconds)) throw new RangeError(`${where} expects delay to be a finite number of seconds ≥ 0: received ${String(seconds)}`);
    return this.requeue(job, seconds);
  }

  private async requeue(job: Job<T>, seconds: number): Promise<void> {
    this.takeHeld("retry()", job);
    const args = [this.config.group, this.consumer, job.id, String(job.deliveries), String(Math.round(seconds * 1000))];
    await awaitFuture(mirror(this.conn.script(REQUEUE, this.keys, [...args, String(this.config.maxDeliveries), `retried ${job.deliveries} times`])), undefined);
  }

  private async stats(): Promise<[undelivered: number, delayed: number, unfinished: number, shut: number]> {
    const reply = (await awaitFuture(mirror(this.conn.script(STATS, this.keys, [this.config.group])), undefined)) as number[];
    return [Number(reply[0]), Number(reply[1]), Number(reply[2]), Number(reply[3])];
  }

  /** How many items wait for a consumer: not yet delivered, or retried with a delay. */
  async qsize(): Promise<number> {
    this.checkOpen("qsize()");
    const [undelivered, delayed] = await this.stats();
    return undelivered + delayed;
  }

  /** Waits until every item put by anyone has been acknowledged (or dead-lettered). Polls every 0.05 s. */
  async join(): Promise<void> {
    this.checkOpen("join()");
    while ((await this.stats())[2] > 0) await sleep(0.05);
  }

  /**
   * Shuts the queue down for every process: put() throws QueueShutDown from now on, and get()
   * (and `for await`) end with QueueShutDown once every item has been acknowledged. Lasts as long
   * as the queue's keys do.
   */
  async shutdown(): Promise<void> {
    this.checkOpen("shutdown()");
    await awaitFuture(mirror(this.conn.script(SHUTDOWN, this.keys, [])), undefined);
  }

  /** The jobs in the dead-letter stream, oldest first (at most `count`, default 1000). */
  deadLetters(options?: { count?: number | undefined }): Promise<Array<DeadLetter<T>>> {
    const where = "RedisQueue.deadLetters()";
    checkOptions(where, options, "{ count: 10 }");
    const count = options?.count ?? 1000;
    if (typeof count !== "number") throw new TypeError(`${where} expects count to be a positive integer: received ${describe(count)}`);
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`${where} expects count to be a positive integer: received ${count}`);
    return this.readDead(count);
  }

  private async readDead(count: number): Promise<Array<DeadLetter<T>>> {
    this.checkOpen("deadLetters()");
    const reply = (await awaitFuture(mirror(this.conn.command(["XRANGE", this.keys[2] as string, "-", "+", "COUNT", String(count)])), undefined)) as unknown[];
    return reply.map((entry) => {
      const fields = (entry as unknown[])[1] as unknown[];
      const get = (name: string): unknown => fields[fields.findIndex((f, i) => i % 2 === 0 && text(f) === name) + 1];
      let item: T | undefined;
      try {
        item = this.config.codec.decode(get("v") as Buffer);
      } catch {
        item = undefined;
      }
      return { item, id: text(get("id")), deliveries: Number(text(get("d"))), consumer: text(get("consumer")), reason: text(get("reason")) };
    });
  }

  /**
   * Closes this queue object (the queue itself lives on in Redis): waiting get() calls reject with
   * InvalidStateError, the jobs it read but did not hand out and the jobs it holds are handed back
   * for other consumers (at once, not after a lease), and its connections close. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    clearInterval(this.heartbeat);
    this.failGetters(new InvalidStateError(`RedisQueue.get() cannot finish: the queue "${this.name}" was closed`));
    await this.reader; // at most one blocked read (READ_BLOCK_MS) away
    const back: Array<[Job<T>, number]> = [...this.stash.splice(0).map((job): [Job<T>, number] => [job, job.deliveries - 1])];
    for (const job of this.held) back.push([job, job.deliveries]);
    this.held.clear();
    if (this.staleTimer !== null) clearTimeout(this.staleTimer);
    try {
      await Promise.all(back.map(([job, d]) => this.handBack(job, d)));
      await Promise.all([this.acks.drained(), this.puts.drained()]);
    } catch {
      // Redis is gone: what was not handed back is delivered again after its lease.
    } finally {
      await Promise.all([this.conn.close(), this.blocking.close()]);
    }
  }

  /** `await using queue = await RedisQueue.open(...)`: close() at scope exit. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** `for await (const job of queue)`: get() until the queue is shut down and drained. */
  async *[Symbol.asyncIterator](): AsyncGenerator<Job<T>, void, undefined> {
    for (;;) {
      let job: Job<T>;
      try {
        job = await this.get();
      } catch (error) {
        if (error instanceof QueueShutDown) return;
        throw error;
      }
      yield job;
    }
  }

  get [Symbol.toStringTag](): string {
    return "RedisQueue";
  }
}
