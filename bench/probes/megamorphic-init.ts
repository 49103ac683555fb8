/**
 * A base class's field initializers that have seen many subclass shapes: on Node 20 (V8 11.3),
 * once `Parked`'s initializer had seen six shapes (Parked and its five subclasses: a program that
 * slept, awaited a future, read a stream, used a RateLimiter and opened a connection), every new
 * wait node took a slow runtime path, about 1.3 µs a construction where it takes 20–60 ns. The base
 * classes (QueueNode, Parked, Future) now assign their fields in the constructor. This probe times
 * `new Parked` and `new Future` before and after constructing every subclass.
 *
 *   node --import tsx bench/probes/megamorphic-init.ts
 */
import { once } from "node:events";
import { createServer, type AddressInfo } from "node:net";
import * as asyncio from "../../src/index.js";
import { Future } from "../../src/kernel/future.js";
import { Parked } from "../../src/sync/parked.js";

const KIND = { op: "probe", consume: null };
const host = {};

function timePerCall(make: () => unknown): number {
  const n = 200_000;
  const keep = new Array<unknown>(1024);
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) keep[i & 1023] = make();
  return Number(process.hrtime.bigint() - t) / n;
}

function report(when: string): void {
  const parked = Math.min(timePerCall(() => new Parked(host, KIND)), timePerCall(() => new Parked(host, KIND)));
  const future = Math.min(timePerCall(() => new Future()), timePerCall(() => new Future()));
  console.log(`${when.padEnd(36)} new Parked ${parked.toFixed(0).padStart(5)} ns   new Future ${future.toFixed(0).padStart(5)} ns`);
}

report("before any subclass was made");
await asyncio.run(async () => {
  const server = createServer((socket) => socket.end());
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as AddressInfo).port;
  for (let i = 0; i < 50; i++) {
    await asyncio.sleep(0); // SleepWait
    const f = new Future<number>();
    asyncio.getRunningLoop().callSoon(() => f.setResult(1));
    await f; // FutureWait
    await asyncio.gather(asyncio.createTask(() => asyncio.sleep(0, 1))); // Task, GatheringFuture
    const limiter = new asyncio.RateLimiter(1e9, 1, { burst: 1 });
    await limiter.acquire(1);
    await limiter.acquire(1); // RateWait
    const reader = new asyncio.StreamReader();
    asyncio.getRunningLoop().callSoon(() => reader.feedData("x\n"));
    await reader.readline(); // ReadWait
    const [, writer] = await asyncio.openConnection("127.0.0.1", port); // EmitterWait
    writer.close();
  }
  // A fifth Future shape, as asyncio-ts/redis's RemoteFuture or a user's subclass makes.
  class UserFuture<T> extends Future<T> {}
  for (let i = 0; i < 50; i++) new UserFuture<number>().setResult(i);
  const pool = new asyncio.ThreadPoolExecutor({ maxWorkers: 1 });
  await pool.submit((x: number) => x + 1, 1); // ExecutorFuture
  await pool.shutdown();
  server.close();
});
report("after every subclass was made");
