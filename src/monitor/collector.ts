/**
 * The main-thread half of the monitor: it watches the kernel through its observer hooks (task
 * births, guards handed out, slow callbacks) and, only when asked, walks the loops' pending tasks
 * and their waits to build a snapshot or the changes since the last one. Nothing here runs while
 * nobody is connected, except two cheap unref'd timers (the heartbeat and the lag sampler).
 */
import { monitorEventLoopDelay, type IntervalHistogram } from "node:perf_hooks";
import { inspect } from "node:util";
import { storage } from "../kernel/context.js";
import { describeWaiter } from "../kernel/future.js";
import type { Loop } from "../kernel/loop.js";
import type { Observer } from "../kernel/observe.js";
import { lastWaitSeq, pendingWaits } from "../kernel/scope.js";
import { Task } from "../kernel/task.js";
import { userFrame } from "../debug/frames.js";
import { Parked, settlingTask } from "../sync/parked.js";
import { WaiterQueue, type QueueNode } from "../sync/waiterQueue.js";
import type {
  MonitorDiff,
  MonitorExecutor,
  MonitorLagSample,
  MonitorPrimitive,
  MonitorSlow,
  MonitorSnapshot,
  MonitorTask,
  MonitorWait,
  MonitorWaiter,
  MonitorWarning,
} from "./schema.js";

/**
 * When things started, without timing each one: every heartbeat records the latest task id and
 * wait stamp with the time. A task or wait is dated by the first record at or after its number: at
 * most one heartbeat (0.1 s) late, and never older than it is (a stretch the loop was blocked in
 * adds to the lateness, not to the age). Old records are thinned out, so precision fades with age.
 */
class Dates {
  private readonly ids: number[] = [];
  private readonly seqs: number[] = [];
  private readonly times: number[] = [];

  record(id: number, seq: number): void {
    const last = this.times.length - 1;
    if (last >= 0 && this.ids[last] === id && this.seqs[last] === seq) return; // nothing new started
    this.ids.push(id);
    this.seqs.push(seq);
    this.times.push(Date.now());
    if (this.times.length > 4096) {
      // Every other record of the older half goes: recent dates stay exact, old ones coarsen.
      const half = this.times.length >> 1;
      for (const list of [this.ids, this.seqs, this.times]) {
        let j = 0;
        for (let i = 0; i < half; i += 2) list[j++] = list[i]!;
        for (let i = half; i < list.length; i++) list[j++] = list[i]!;
        list.length = j;
      }
    }
  }

  /** The date of task id `id` (created after the monitor started), else undefined. */
  ofTask(id: number): number | undefined {
    return this.find(this.ids, id);
  }

  /** The date of the wait stamped `seq`, else undefined. */
  ofWait(seq: number): number | undefined {
    return this.find(this.seqs, seq);
  }

  private find(list: number[], n: number): number | undefined {
    if (list.length === 0 || n <= list[0]!) return undefined; // before the monitor started
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]! >= n) hi = mid;
      else lo = mid + 1;
    }
    return lo < list.length ? this.times[lo]! : Date.now(); // newer than the last heartbeat
  }
}

interface Holder {
  task: Task<unknown> | null;
  /** Dated like a wait: the stamp the next wait gets. */
  seq: number;
}

interface PoolLike {
  statistics(): { workers: number; idle: number; running: number; queued: number; shutdown: boolean };
  readonly maxWorkers: number;
  readonly _kind: string;
}

function isPool(value: unknown): value is PoolLike {
  return typeof value === "object" && value !== null && typeof (value as PoolLike).statistics === "function" && typeof (value as PoolLike)._kind === "string";
}

const LAG_SAMPLES = 60;
const LAG_RESOLUTION = 10; // ms
const SLOW_ENTRIES = 50;
const PRIMITIVES_MAX = 200;

/** Options the collector takes from `startMonitor()`. */
export interface CollectorOptions {
  /** At most this many tasks in a snapshot. */
  limit: number;
  /** Warn about a wait (or a held lock) older than this, in seconds. */
  warnAfter: number;
}

export class Collector implements Observer {
  readonly started = Date.now();
  private readonly loops = new Set<Loop>();
  private lastLoop: Loop | null = null;
  private readonly ids = new WeakMap<object, number>();
  private nextId = 1;
  /** Locks and semaphores that handed out a guard while the monitor ran, and who took it. */
  private readonly holders = new WeakMap<object, Holder>();
  private readonly guarded = new Set<WeakRef<object>>();
  private readonly deadlines = new WeakMap<object, number>();
  private readonly dates = new Dates();
  private lastTaskId = 0;
  private readonly pools = new Map<number, WeakRef<PoolLike>>();
  private readonly histogram: IntervalHistogram;
  private readonly lagTimer: NodeJS.Timeout;
  private readonly lag: MonitorLagSample[] = [];
  private readonly slowLog: MonitorSlow[] = [];
  /** What the last diff sent, per task id (its JSON), and the newest lag/slow entries sent. */
  private sent = new Map<number, string>();
  private sentLagAt = 0;
  private sentSlowAt = 0;
  private sentRest = "";

  constructor(
    loop: Loop,
    private readonly options: CollectorOptions,
  ) {
    this.loops.add(loop);
    this.lastLoop = loop;
    for (const task of loop._tasks) if (task._id > this.lastTaskId) this.lastTaskId = task._id;
    this.heartbeat();
    this.histogram = monitorEventLoopDelay({ resolution: LAG_RESOLUTION });
    this.histogram.enable();
    this.lagTimer = setInterval(() => this.sampleLag(), 1000);
    this.lagTimer.unref();
  }

  /** Called every heartbeat (0.1 s): dates the tasks and waits started since the last one. */
  heartbeat(): void {
    this.dates.record(this.lastTaskId, lastWaitSeq());
  }

  close(): void {
    clearInterval(this.lagTimer);
    this.histogram.disable();
  }

  // ---- Observer hooks (hot paths: keep them tiny) ----

  taskCreated(task: Task<unknown>): void {
    this.lastTaskId = task._id;
    if (task._loop !== this.lastLoop) {
      this.lastLoop = task._loop;
      this.loops.add(task._loop);
    }
  }

  acquired(target: object): void {
    const task = settlingTask() ?? storage.getStore()?._task ?? null;
    const holder = this.holders.get(target);
    if (holder !== undefined) {
      holder.task = task;
      holder.seq = lastWaitSeq() + 1;
      return;
    }
    this.holders.set(target, { task, seq: lastWaitSeq() + 1 });
    this.guarded.add(new WeakRef(target));
  }

  slow(seconds: number, task: Task<unknown> | undefined, message: string): void {
    this.addSlow({ at: Date.now(), seconds, task: task?._id ?? null, taskName: task?.name ?? null, message });
  }

  /** A blocked stretch the watchdog thread saw end. */
  blocked(seconds: number): void {
    this.addSlow({ at: Date.now(), seconds, task: null, taskName: null, message: `the event loop was blocked for ${seconds.toFixed(3)} seconds` });
  }

  private addSlow(entry: MonitorSlow): void {
    this.slowLog.push(entry);
    if (this.slowLog.length > SLOW_ENTRIES) this.slowLog.shift();
  }

  private sampleLag(): void {
    const h = this.histogram;
    if (h.count > 0) {
      // Each sample is the time between two ticks of a timer repeating every LAG_RESOLUTION ms:
      // the delay is what exceeds that.
      const delay = (ns: number): number => Math.max(0, ns / 1e6 - LAG_RESOLUTION) / 1000;
      this.lag.push({ at: Date.now(), p50: delay(h.percentile(50)), p99: delay(h.percentile(99)), max: delay(h.max) });
      if (this.lag.length > LAG_SAMPLES) this.lag.shift();
    }
    h.reset();
  }

  // ---- Lookups ----

  private idOf(object: object): number {
    let id = this.ids.get(object);
    if (id === undefined) this.ids.set(object, (id = this.nextId++));
    return id;
  }

  /** The pending task with this id, in any loop the monitor knows. */
  findTask(id: number): Task<unknown> | undefined {
    for (const loop of this.loops) for (const task of loop._tasks) if (task._id === id) return task;
    return undefined;
  }

  private pendingTasks(): Task<unknown>[] {
    const out: Task<unknown>[] = [];
    for (const loop of this.loops) for (const task of loop._tasks) out.push(task);
    return out;
  }

  // ---- Building a snapshot ----

  snapshot(): MonitorSnapshot {
    const state = this.collect();
    return {
      version: 1,
      pid: process.pid,
      title: process.argv[1] ?? "node",
      now: Date.now(),
      started: this.started,
      tasks: state.tasks,
      truncated: state.truncated,
      primitives: state.primitives,
      executors: state.executors,
      lag: this.lag.slice(),
      slow: this.slowLog.slice(),
      warnings: state.warnings,
      blocked: 0,
      stale: false,
    };
  }

  /** Makes the current state the base of the next diff (a page connected and gets a snapshot of it). */
  resetBaseline(): void {
    this.diff();
  }

  /** The changes since the previous diff, or null if nothing changed. */
  diff(): MonitorDiff | null {
    const state = this.collect();
    const sent = new Map<number, string>();
    const changed: MonitorTask[] = [];
    for (const task of state.tasks) {
      const json = JSON.stringify(task);
      sent.set(task.id, json);
      if (this.sent.get(task.id) !== json) changed.push(task);
    }
    const removed: number[] = [];
    for (const id of this.sent.keys()) if (!sent.has(id)) removed.push(id);
    this.sent = sent;
    const lag = this.lag.filter((s) => s.at > this.sentLagAt);
    const slow = this.slowLog.filter((s) => s.at > this.sentSlowAt);
    const rest = JSON.stringify([state.primitives, state.executors, state.warnings, state.truncated]);
    if (changed.length === 0 && removed.length === 0 && lag.length === 0 && slow.length === 0 && rest === this.sentRest) return null;
    this.sentRest = rest;
    if (lag.length > 0) this.sentLagAt = lag[lag.length - 1]!.at;
    if (slow.length > 0) this.sentSlowAt = slow[slow.length - 1]!.at;
    return {
      now: Date.now(),
      tasks: changed,
      removed,
      truncated: state.truncated,
      primitives: state.primitives,
      executors: state.executors,
      lag,
      slow,
      warnings: state.warnings,
    };
  }

  private collect(): { tasks: MonitorTask[]; truncated: number; primitives: MonitorPrimitive[]; executors: MonitorExecutor[]; warnings: MonitorWarning[] } {
    // Date what started since the last heartbeat now, so that those dates never change again.
    this.heartbeat();
    const all = this.pendingTasks();
    const pending = new Set(all);
    const shown = all.slice(0, this.options.limit);
    const primitives = new Map<object, MonitorPrimitive>();
    const tasks = shown.map((task) => this.describeTask(task, pending, primitives));
    // Locks and semaphores held (or waited on) that no shown task waits on.
    for (const ref of this.guarded) {
      const target = ref.deref();
      if (target === undefined) {
        this.guarded.delete(ref);
        continue;
      }
      if (!primitives.has(target) && primitives.size < PRIMITIVES_MAX && isBusy(target)) this.primitive(target, primitives);
    }
    const executors: MonitorExecutor[] = [];
    for (const [id, ref] of this.pools) {
      const pool = ref.deref();
      if (pool === undefined) {
        this.pools.delete(id);
        continue;
      }
      const s = pool.statistics();
      executors.push({ id, kind: pool._kind, maxWorkers: pool.maxWorkers, workers: s.workers, busy: s.running, queued: s.queued, shutdown: s.shutdown });
    }
    const list = [...primitives.values()];
    return { tasks, truncated: all.length - shown.length, primitives: list, executors, warnings: this.warnings(tasks, list) };
  }

  private describeTask(task: Task<unknown>, pending: Set<Task<unknown>>, primitives: Map<object, MonitorPrimitive>): MonitorTask {
    const waits = pendingWaits(task).map((w) => this.describeWait(w, primitives));
    const cancelling = task.cancelling();
    const out: MonitorTask = {
      id: task._id,
      name: task.name,
      parent: task._parent !== null && pending.has(task._parent) ? task._parent._id : null,
      state: cancelling > 0 ? "cancelling" : waits.length > 0 ? "waiting" : "running",
      cancelling,
      waits,
      stack: [],
    };
    const created = this.dates.ofTask(task._id);
    if (created !== undefined) out.created = created;
    const site = userFrame(task._creationStack);
    if (site !== undefined) out.site = site.replace(/^at /, "");
    const awaitStack = task._awaitStack;
    if (awaitStack !== undefined) {
      out.stack = userFrames(awaitStack);
    } else {
      out.stack = waits.map((w) => `awaiting ${w.text}`);
    }
    return out;
  }

  private describeWait(waiter: unknown, primitives: Map<object, MonitorPrimitive>): MonitorWait {
    if (!(waiter instanceof Parked)) return { op: "await", text: describeWaiter(waiter as never) };
    const node = waiter as Parked<unknown> & { deadline?: number };
    const out: MonitorWait = { op: node.op, text: node.describe() };
    const since = this.dates.ofWait(node._seq);
    if (since !== undefined) out.since = since;
    const host = node.host;
    if (node.op === "await") {
      if (host instanceof Task) {
        out.op = "await task";
        out.task = host._id;
      } else if (isPool((host as { _pool?: unknown })._pool)) {
        const pool = (host as { _pool: PoolLike })._pool;
        const id = this.idOf(pool);
        if (!this.pools.has(id)) this.pools.set(id, new WeakRef(pool));
        const running = (host as { _worker?: unknown })._worker != null;
        out.op = "executor job";
        out.text = `executor job on ${pool._kind} (${running ? "running" : "queued"})`;
        out.executor = id;
      } else {
        out.op = "await future";
      }
    } else if (typeof node.deadline === "number" && typeof (host as Partial<Loop>).time === "function") {
      // A sleep: its host is the loop, its deadline on the loop's clock.
      const loop = host as Loop;
      if (node.deadline > 0 && Number.isFinite(node.deadline)) {
        // Computed once per sleep, so an unchanged sleep stays byte-identical between diffs.
        let deadline = this.deadlines.get(node);
        if (deadline === undefined) this.deadlines.set(node, (deadline = Math.round(Date.now() + (node.deadline - loop.time()) * 1000)));
        out.deadline = deadline;
      }
      out.text = out.op;
    } else if (typeof host === "object" && host !== null) {
      out.primitive = this.primitive(host, primitives).id;
    }
    return out;
  }

  private primitive(host: object, primitives: Map<object, MonitorPrimitive>): MonitorPrimitive {
    const known = primitives.get(host);
    if (known !== undefined) return known;
    const waiters: MonitorWaiter[] = [];
    for (const [field, value] of Object.entries(host)) {
      if (!(value instanceof WaiterQueue)) continue;
      for (const node of value as WaiterQueue<QueueNode>) {
        const parked = node as Parked<unknown>;
        const waiter: MonitorWaiter = { queue: field, task: parked._owner?._task._id ?? null };
        const since = this.dates.ofWait(parked._seq);
        if (since !== undefined) waiter.since = since;
        waiters.push(waiter);
      }
    }
    const out: MonitorPrimitive = { id: this.idOf(host), kind: host.constructor.name, label: inspect(host, { depth: 0, breakLength: Infinity }), waiters };
    const stats = (host as { statistics?: () => unknown }).statistics;
    if (typeof stats === "function") {
      const value = stats.call(host);
      if (typeof value === "object" && value !== null) {
        const clean: Record<string, number | boolean> = {};
        for (const [k, v] of Object.entries(value)) if (typeof v === "number" || typeof v === "boolean") clean[k] = v;
        out.stats = clean;
      }
    }
    const holder = this.holders.get(host);
    if (holder !== undefined && isBusy(host)) out.holder = { task: holder.task !== null && holder.task.done() === false ? holder.task._id : null, since: this.dates.ofWait(holder.seq) ?? this.started };
    primitives.set(host, out);
    return out;
  }

  private warnings(tasks: MonitorTask[], primitives: MonitorPrimitive[]): MonitorWarning[] {
    const out: MonitorWarning[] = [];
    const now = Date.now();
    const limit = this.options.warnAfter * 1000;
    const byId = new Map(tasks.map((t) => [t.id, t]));
    for (const task of tasks) {
      for (const wait of task.waits) {
        if (wait.since !== undefined && now - wait.since > limit && wait.op !== "sleep()") {
          out.push({ kind: "long-wait", message: `Task ${JSON.stringify(task.name)} has waited ${((now - wait.since) / 1000).toFixed(1)} s on ${wait.text}`, tasks: [task.id] });
        }
      }
    }
    // Await cycles: follow "awaits task" edges.
    const seen = new Set<number>();
    for (const start of tasks) {
      if (seen.has(start.id)) continue;
      const path: number[] = [];
      const onPath = new Set<number>();
      let current: MonitorTask | undefined = start;
      while (current !== undefined && !seen.has(current.id)) {
        seen.add(current.id);
        path.push(current.id);
        onPath.add(current.id);
        const next: number | undefined = current.waits.find((w) => w.task !== undefined)?.task;
        if (next !== undefined && onPath.has(next)) {
          const cycle = path.slice(path.indexOf(next));
          const names = cycle.map((id) => JSON.stringify(byId.get(id)?.name ?? `#${id}`));
          out.push({ kind: "await-cycle", message: `await cycle: ${[...names, names[0]].join(" awaits ")}`, tasks: cycle });
          break;
        }
        current = next !== undefined ? byId.get(next) : undefined;
      }
    }
    for (const p of primitives) {
      const holder = p.holder;
      if (holder === undefined || holder.task === null || now - holder.since <= limit) continue;
      const task = byId.get(holder.task);
      if (task === undefined || task.waits.length === 0) continue;
      out.push({
        kind: "lock-held",
        message: `Task ${JSON.stringify(task.name)} has held ${p.label} for ${((now - holder.since) / 1000).toFixed(1)} s while awaiting ${task.waits[0]!.text}`,
        tasks: [task.id],
      });
    }
    return out;
  }
}

function isBusy(target: object): boolean {
  const locked = (target as { locked?: () => unknown }).locked;
  return typeof locked === "function" && locked.call(target) === true;
}

function userFrames(stack: string): string[] {
  const lines: string[] = [];
  for (const raw of stack.split("\n")) {
    const frame = userFrame(raw);
    if (frame !== undefined && !frame.includes("(node:")) lines.push(frame.replace(/^at /, ""));
    if (lines.length >= 12) break;
  }
  return lines;
}
