// Property-based tests: fast-check's scheduler picks the interleaving of many tasks doing
// put/get/acquire/release, with cancellations landing at random points, and each run checks the
// invariants: no item lost or duplicated, permits conserved, one lock holder at a time, FIFO
// among waiters, nothing left waiting at the end.
import { strict as assert } from "node:assert";
import { describe, it } from "./helpers.js";
import fc from "fast-check";
import { CancelledError, createTask, Lock, Queue, QueueShutDown, run, Semaphore, sleep, type Task } from "../src/index.js";

const RUNS = 150;

/** Lets the scheduler release its scheduled points one by one until every task is parked. */
async function drive(s: fc.Scheduler): Promise<void> {
  for (let idle = 0; idle < 3; ) {
    if (s.count() > 0) {
      idle = 0;
      await s.waitOne();
    } else {
      idle++;
      await sleep(0);
    }
  }
}

async function settleAll(tasks: Task[]): Promise<void> {
  for (const t of tasks) t.cancel();
  for (const t of tasks) {
    try {
      await t;
    } catch (error) {
      if (!(error instanceof CancelledError) && !(error instanceof QueueShutDown)) throw error;
    }
  }
}

function scheduleCancels(s: fc.Scheduler, tasks: Task[], picks: number[]): void {
  for (const pick of picks) {
    void s.schedule(Promise.resolve(pick)).then((i) => tasks[i % tasks.length]?.cancel());
  }
}

describe("sync properties", () => {
  it("Queue never loses or duplicates an item under random interleavings and cancellations", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 3 }),
        fc.array(fc.nat(), { maxLength: 4 }),
        (s, maxsize, nProducers, nConsumers, cancels) =>
          run(async () => {
            const q = new Queue<number>(maxsize);
            const put = new Set<number>();
            const got: number[] = [];
            const producers = Array.from({ length: nProducers }, (_, p) =>
              createTask(async () => {
                for (let i = 0; i < 4; i++) {
                  await s.schedule(Promise.resolve());
                  const item = p * 100 + i;
                  await q.put(item);
                  put.add(item);
                }
              }),
            );
            const consumers = Array.from({ length: nConsumers }, () =>
              createTask(async () => {
                for (;;) {
                  await s.schedule(Promise.resolve());
                  got.push(await q.get());
                }
              }),
            );
            const all = [...producers, ...consumers];
            scheduleCancels(s, all, cancels);
            await drive(s);
            q.shutdown();
            const left: number[] = [];
            while (!q.empty()) left.push(q.getNowait());
            await settleAll(all);
            assert.equal(new Set(got).size, got.length, `duplicated: ${got.join(",")}`);
            assert.deepEqual([...got, ...left].sort((a, b) => a - b), [...put].sort((a, b) => a - b));
            assert.equal(q.statistics().tasksWaiting, 0);
            if (maxsize > 0) assert.ok(left.length <= maxsize);
          }),
      ),
      { numRuns: RUNS },
    );
  });

  it("Lock grants one holder at a time, FIFO among waiters, under random cancellations", async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), fc.integer({ min: 2, max: 5 }), fc.array(fc.nat(), { maxLength: 4 }), (s, n, cancels) =>
        run(async () => {
          const lock = new Lock();
          let holders = 0;
          const queued: number[] = [];
          const tasks = Array.from({ length: n }, (_, id) =>
            createTask(async () => {
              for (let i = 0; i < 3; i++) {
                await s.schedule(Promise.resolve());
                const waits = lock.locked() || lock.statistics().tasksWaiting > 0;
                if (waits) queued.push(id);
                let guard;
                try {
                  guard = await lock.acquire();
                } catch (error) {
                  if (waits) queued.splice(queued.indexOf(id), 1);
                  throw error;
                }
                if (waits) assert.equal(queued.shift(), id, "waiters are served in FIFO order");
                holders++;
                assert.equal(holders, 1);
                try {
                  await s.schedule(Promise.resolve());
                } finally {
                  holders--;
                  guard.release();
                }
              }
            }),
          );
          scheduleCancels(s, tasks, cancels);
          await drive(s);
          await settleAll(tasks);
          assert.deepEqual(lock.statistics(), { locked: false, tasksWaiting: 0 });
        }),
      ),
      { numRuns: RUNS },
    );
  });

  it("Semaphore conserves permits and serves waiters FIFO under random cancellations", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 2, max: 6 }),
        fc.array(fc.nat(), { maxLength: 5 }),
        (s, permits, n, cancels) =>
          run(async () => {
            const sem = new Semaphore(permits);
            let held = 0;
            const queued: number[] = [];
            const check = () => {
              const { value } = sem.statistics();
              assert.ok(value >= 0 && held <= permits, `value ${value}, held ${held}`);
            };
            const tasks = Array.from({ length: n }, (_, id) =>
              createTask(async () => {
                for (let i = 0; i < 3; i++) {
                  await s.schedule(Promise.resolve());
                  const waits = sem.locked();
                  if (waits) queued.push(id);
                  let guard;
                  try {
                    guard = await sem.acquire();
                  } catch (error) {
                    if (waits) queued.splice(queued.indexOf(id), 1);
                    throw error;
                  }
                  if (waits) assert.equal(queued.shift(), id, "waiters are served in FIFO order");
                  held++;
                  check();
                  try {
                    await s.schedule(Promise.resolve());
                  } finally {
                    held--;
                    guard.release();
                    check();
                  }
                }
              }),
            );
            scheduleCancels(s, tasks, cancels);
            await drive(s);
            await settleAll(tasks);
            assert.deepEqual(sem.statistics(), { value: permits, locked: false, tasksWaiting: 0 });
          }),
      ),
      { numRuns: RUNS },
    );
  });
});
