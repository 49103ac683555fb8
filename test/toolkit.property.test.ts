// Property tests of the toolkit on a VirtualClock (exact times, no wall clock):
// - mapConcurrent: the concurrency bound and the pull-ahead bound are never exceeded, results come
//   in the source's order when ordered and in completion order otherwise, and whatever ends the
//   iteration (the end, a break, a failure, the consumer cancelled) nothing is left running;
// - RateLimiter: over any window the weight granted stays within burst + rate × window / per, and
//   every grant happens exactly when a reference token bucket says it should, given which waiters
//   were cancelled and when: so a cancelled waiter neither consumed tokens nor delayed anyone.
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import fc from "fast-check";
import { allTasks, CancelledError, createTask, currentTask, getRunningLoop, mapConcurrent, RateLimiter, sleep, type Task } from "../src/index.js";
import { now, vrun } from "./helpers.js";

const T = { timeout: 60_000 };

/** The loop's time, unrounded (the bounds are checked to 1e-6). */
const time = (): number => getRunningLoop().time();
const RUNS = 150;

class Boom extends Error {}

describe("toolkit properties", () => {
  it("mapConcurrent keeps its bounds and its order, and leaves nothing running however it ends", T, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 6 }), { maxLength: 25 }), // each call's duration
        fc.integer({ min: 1, max: 5 }), // concurrency
        fc.boolean(), // ordered
        fc.option(fc.nat({ max: 30 }), { nil: undefined }), // index of a call that fails
        fc.option(fc.nat({ max: 30 }), { nil: undefined }), // break after this many results
        fc.option(fc.integer({ min: 0, max: 40 }), { nil: undefined }), // cancel the consumer at this time
        (durations, concurrency, ordered, failAt, breakAfter, cancelAt) =>
          vrun(async () => {
            let pulled = 0;
            let sourceClosed = false;
            function* source(): Generator<number> {
              try {
                for (let i = 0; i < durations.length; i++) {
                  pulled++;
                  yield i;
                }
              } finally {
                sourceClosed = true;
              }
            }
            let running = 0;
            const finishedAt: number[] = [];
            const got: number[] = [];
            const consumer = createTask(async () => {
              for await (const i of mapConcurrent(
                source(),
                async (i) => {
                  running++;
                  assert.ok(running <= concurrency, `${running} calls running, concurrency ${concurrency}`);
                  try {
                    await sleep((durations[i] as number) * 0.5);
                    if (i === failAt) throw new Boom(`call ${i}`);
                    finishedAt[i] = now();
                    return i;
                  } finally {
                    running--;
                  }
                },
                { concurrency, ordered },
              )) {
                got.push(i);
                assert.ok(pulled - got.length <= 2 * concurrency, `pulled ${pulled}, consumed ${got.length}`);
                if (got.length === breakAfter) break;
              }
            });
            if (cancelAt !== undefined) {
              await sleep(cancelAt * 0.25);
              consumer.cancel();
            }
            let outcome: "ok" | "failed" | "cancelled" = "ok";
            try {
              await consumer;
            } catch (error) {
              if (error instanceof Boom) outcome = "failed";
              else if (error instanceof CancelledError) outcome = "cancelled";
              else throw error;
            }
            // Nothing left running, and the source was closed (or ran to its end).
            assert.equal(running, 0);
            assert.deepEqual([...allTasks()].filter((t) => t !== currentTask()), []);
            assert.ok(sourceClosed || pulled === 0);
            // What was delivered is right and in the right order.
            assert.equal(new Set(got).size, got.length);
            for (const i of got) assert.notEqual(i, failAt);
            if (ordered) {
              assert.deepEqual(got, got.map((_, k) => k), "ordered: a prefix of the source");
            } else {
              for (let k = 1; k < got.length; k++) {
                assert.ok((finishedAt[got[k - 1] as number] as number) <= (finishedAt[got[k] as number] as number), "completion order");
              }
            }
            const complete = outcome === "ok" && got.length !== breakAfter;
            if (complete) assert.equal(got.length, durations.length, "every item when nothing stopped it");
            if (failAt !== undefined && failAt < durations.length && cancelAt === undefined && outcome === "ok") {
              assert.ok(breakAfter !== undefined && got.length === breakAfter, "a failing call ends the iteration unless a break came first");
            }
          }),
      ),
      { numRuns: RUNS },
    );
  });

  it("RateLimiter never exceeds its rate over any window and grants exactly when a token bucket would, cancellations included", T, async () => {
    const request = fc.record({
      arrive: fc.integer({ min: 0, max: 40 }), // quarter seconds
      weight: fc.integer({ min: 1, max: 5 }),
      cancelAt: fc.option(fc.integer({ min: 0, max: 80 }), { nil: undefined }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.constantFrom(0.5, 1, 2),
        fc.integer({ min: 1, max: 5 }),
        fc.array(request, { minLength: 1, maxLength: 12 }),
        (rate, per, burst, requests) =>
          vrun(async () => {
            const limiter = new RateLimiter(rate, per, { burst });
            interface Outcome {
              seq: number;
              arrived: number;
              weight: number;
              granted?: number;
              cancelled?: number;
            }
            const outcomes: Outcome[] = [];
            let seq = 0;
            const tasks: Task<void>[] = requests.map((r) =>
              createTask(async () => {
                await sleep(r.arrive * 0.25);
                const weight = Math.min(r.weight, burst);
                const o: Outcome = { seq: seq++, arrived: time(), weight };
                outcomes.push(o);
                try {
                  await limiter.acquire(weight);
                  o.granted = time();
                } catch (error) {
                  assert.ok(error instanceof CancelledError);
                  o.cancelled = time();
                }
              }),
            );
            const cancellers = requests.map((r, i) =>
              r.cancelAt === undefined
                ? null
                : createTask(async () => {
                    await sleep((r.cancelAt as number) * 0.25);
                    tasks[i]?.cancel();
                  }),
            );
            for (const t of tasks) await t.catch(() => undefined); // cancelled before arriving: no outcome
            for (const c of cancellers) if (c !== null) await c;
            assert.equal(limiter.statistics().tasksWaiting, 0);

            const EPS = 1e-6;
            const granted = outcomes.filter((o) => o.granted !== undefined);
            assert.equal(limiter.statistics().granted, granted.reduce((sum, o) => sum + o.weight, 0), "cancelled acquires consume nothing");

            // Any window [a, b] between two grants: weight granted ≤ burst + rate × (b − a) / per.
            const times = granted.map((o) => o.granted as number).sort((x, y) => x - y);
            for (const a of times) {
              for (const b of times) {
                if (b < a) continue;
                const inWindow = granted.filter((o) => (o.granted as number) >= a - EPS && (o.granted as number) <= b + EPS);
                const weight = inWindow.reduce((sum, o) => sum + o.weight, 0);
                assert.ok(weight <= burst + (rate * (b - a)) / per + EPS, `window [${a}, ${b}]: ${weight} granted`);
              }
            }

            // The reference bucket, in arrival order: a waiter is served at the earliest moment
            // after it arrived, after the one before it in line was served, after every waiter
            // ahead of it that was cancelled had left the line, when the tokens are there.
            const inLine = [...outcomes].sort((x, y) => x.seq - y.seq);
            let tokens = burst;
            let updated = inLine[0]?.arrived ?? 0;
            let lastGrant = -Infinity;
            let blockedUntil = -Infinity;
            const at = (t: number): number => Math.min(burst, tokens + ((t - updated) * rate) / per);
            for (const o of inLine) {
              const earliest = Math.max(o.arrived, lastGrant, blockedUntil);
              const available = at(earliest);
              const expected = available >= o.weight - EPS ? earliest : earliest + ((o.weight - available) * per) / rate;
              if (o.granted !== undefined) {
                assert.ok(Math.abs(o.granted - expected) < EPS, `seq ${o.seq} (weight ${o.weight}) granted at ${o.granted}, the bucket says ${expected}`);
                tokens = at(expected) - o.weight;
                updated = expected;
                lastGrant = expected;
              } else {
                const left = o.cancelled as number;
                assert.ok(left <= expected + EPS, `seq ${o.seq} was still waiting at ${left}, though the bucket had its tokens at ${expected}`);
                blockedUntil = Math.max(blockedUntil, left);
              }
            }
          }),
      ),
      { numRuns: RUNS },
    );
  });
});
