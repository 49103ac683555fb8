/**
 * What one pending task is made of: a heap snapshot of 20k `createTask(() => event.wait())` tasks
 * (the memory workload's shape), grouped by kind, per task. Issue 11's memory row.
 *
 *   node --expose-gc --import tsx bench/probes/heap-per-task.ts
 */
import { readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeHeapSnapshot } from "node:v8";
import { createTask, Event, run } from "../../src/index.js";

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}

const n = 20_000;
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("run with --expose-gc");
const file = join(tmpdir(), `asyncio-ts-heap-${process.pid}.heapsnapshot`);
await run(async () => {
  const event = new Event();
  const tasks = new Array<PromiseLike<unknown>>(n);
  for (let i = 0; i < n; i++) tasks[i] = createTask(() => event.wait());
  await new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));
  gc();
  writeHeapSnapshot(file);
  event.set();
  await Promise.all(tasks);
});
const s = JSON.parse(readFileSync(file, "utf8")) as Snapshot;
rmSync(file);
const fields = s.snapshot.meta.node_fields;
const types = s.snapshot.meta.node_types[0];
const [ti, ni, si] = [fields.indexOf("type"), fields.indexOf("name"), fields.indexOf("self_size")];
const byKind = new Map<string, { count: number; bytes: number }>();
for (let i = 0; i < s.nodes.length; i += fields.length) {
  const kind = `${types[s.nodes[i + ti] as number]}:${s.strings[s.nodes[i + ni] as number]}`;
  const entry = byKind.get(kind) ?? { count: 0, bytes: 0 };
  entry.count++;
  entry.bytes += s.nodes[i + si] as number;
  byKind.set(kind, entry);
}
let listed = 0;
console.log(`node ${process.version}: kinds with at least one object per pending task (bytes per task, objects per task)`);
for (const [kind, { count, bytes }] of [...byKind].filter(([, e]) => e.count >= n).sort((a, b) => b[1].bytes - a[1].bytes).slice(0, 14)) {
  listed += bytes / n;
  console.log(`${(bytes / n).toFixed(0).padStart(5)} B  ${(count / n).toFixed(1)}×  ${kind}`);
}
console.log(`${listed.toFixed(0).padStart(5)} B  listed`);
