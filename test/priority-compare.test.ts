// PriorityQueue with a compare function that throws: the queue is left exactly as it was (every
// item still there, qsize unchanged), and the error comes as a rejection of get()/put() (thrown
// at once only by getNowait()/putNowait()).
import { strict as assert } from "node:assert";
import { CancelledError, createTask, PriorityQueue } from "../src/index.js";
import { captureExceptions, describe, ticks, it, vrun } from "./helpers.js";

class CompareError extends Error {
  override name = "CompareError";
}

/** A numeric order that throws while `broken.on` is set, or when either item is `poison`. */
function flaky(poison = -1): { compare: (a: number, b: number) => number; broken: { on: boolean } } {
  const broken = { on: false };
  const compare = (a: number, b: number): number => {
    if (broken.on || a === poison || b === poison) throw new CompareError(`cannot compare ${a} and ${b}`);
    return a - b;
  };
  return { compare, broken };
}

function drain(q: PriorityQueue<number>): number[] {
  const out: number[] = [];
  while (!q.empty()) out.push(q.getNowait());
  return out;
}

describe("PriorityQueue with a throwing compare", { timeout: 10_000 }, () => {
  it("PriorityQueue get() rejects (never throws) and keeps every item when compare throws", () =>
    vrun(async () => {
      const { compare, broken } = flaky();
      const q = new PriorityQueue<number>(0, compare);
      for (const n of [5, 3, 8, 1, 9, 2, 7]) q.putNowait(n);
      broken.on = true;
      let pending: Promise<number> | undefined;
      assert.doesNotThrow(() => {
        pending = q.get();
      }, "get() reports through its promise");
      await assert.rejects(pending as Promise<number>, CompareError);
      assert.equal(q.qsize(), 7);
      broken.on = false;
      assert.deepEqual(drain(q), [1, 2, 3, 5, 7, 8, 9]);
    }));

  it("PriorityQueue getNowait() throws the compare error and keeps every item", () =>
    vrun(() => {
      const { compare, broken } = flaky();
      const q = new PriorityQueue<number>(0, compare);
      for (const n of [4, 6, 1, 3]) q.putNowait(n);
      broken.on = true;
      assert.throws(() => q.getNowait(), CompareError);
      assert.equal(q.qsize(), 4);
      broken.on = false;
      assert.deepEqual(drain(q), [1, 3, 4, 6]);
    }));

  it("PriorityQueue pop failing at every comparison leaves the heap order intact", () =>
    vrun(() => {
      let calls = 0;
      let failAt = -1;
      const q = new PriorityQueue<number>(0, (a, b) => {
        if (calls++ === failAt) throw new CompareError("k-th comparison");
        return a - b;
      });
      const values = Array.from({ length: 40 }, (_, i) => (i * 17) % 40);
      for (const v of values) q.putNowait(v);
      const out: number[] = [];
      while (!q.empty()) {
        // Fail the first, second, ... comparison of this pop until a pop needs fewer.
        for (let k = 0; ; k++) {
          calls = 0;
          failAt = k;
          const before = q.qsize();
          try {
            out.push(q.getNowait());
            break;
          } catch {
            assert.equal(q.qsize(), before);
          }
        }
      }
      assert.deepEqual(out, [...values].sort((a, b) => a - b));
    }));

  it("PriorityQueue put() rejects and putNowait() throws when compare refuses the item; the queue is unchanged", () =>
    vrun(async () => {
      const { compare } = flaky(13);
      const q = new PriorityQueue<number>(0, compare);
      q.putNowait(2);
      q.putNowait(1);
      let pending: Promise<void> | undefined;
      assert.doesNotThrow(() => {
        pending = q.put(13);
      });
      await assert.rejects(pending as Promise<void>, CompareError);
      assert.throws(() => q.putNowait(13), CompareError);
      assert.equal(q.qsize(), 2);
      assert.equal(q.statistics().unfinishedTasks, 2, "a refused item is not counted for join()");
      assert.deepEqual(drain(q), [1, 2]);
    }));

  it("PriorityQueue put() that waited for a slot fails alone when compare refuses its item; the slot goes to the next putter", () =>
    vrun(async () => {
      const { compare } = flaky(13);
      const q = new PriorityQueue<number>(2, compare);
      q.putNowait(1);
      q.putNowait(2);
      const refused = createTask(() => q.put(13));
      const next = createTask(() => q.put(3));
      await ticks();
      assert.equal(q.statistics().puttersWaiting, 2);
      assert.equal(q.getNowait(), 1); // frees a slot for the first putter, whose item is refused
      await ticks(2);
      await assert.rejects(refused, CompareError);
      assert.equal(next.done(), true, "the freed slot went on to the next putter");
      assert.equal(q.statistics().puttersWaiting, 0);
      assert.deepEqual(drain(q), [2, 3]);
    }));

  it("PriorityQueue waiting getter is handed an item without consulting compare", () =>
    vrun(async () => {
      const { compare } = flaky(13);
      const q = new PriorityQueue<number>(0, compare);
      const getter = createTask(() => q.get());
      await ticks();
      await q.put(13); // the queue is empty: it goes straight to the getter
      assert.equal(await getter, 13);
      assert.equal(q.qsize(), 0);
    }));

  it("PriorityQueue getter cancelled after an item was promised to it leaves the item in the heap, without consulting compare", () =>
    vrun(async () => {
      const { compare } = flaky(13);
      const seen = captureExceptions();
      const q = new PriorityQueue<number>(0, compare);
      const getter = createTask(() => q.get());
      await ticks();
      q.putNowait(13); // promised to the getter; it stays in the heap until the getter resumes
      getter.cancel();
      assert.throws(() => q.putNowait(5), CompareError, "ordering 5 against 13 fails, as asyncio's heappush would");
      await assert.rejects(getter, CancelledError);
      assert.equal(q.qsize(), 1, "the promised item is still there");
      assert.equal(seen.length, 0);
      assert.deepEqual(drain(q), [13], "no item was lost");
    }));

  it("PriorityQueue woken getter whose compare throws as it takes the item fails alone; the items stay", () =>
    vrun(async () => {
      const { compare, broken } = flaky();
      const q = new PriorityQueue<number>(0, compare);
      const getter = createTask(() => q.get());
      await ticks();
      q.putNowait(3);
      q.putNowait(1);
      q.putNowait(2);
      broken.on = true; // the getter takes the smallest when it resumes: that pop compares
      await assert.rejects(getter, CompareError);
      broken.on = false;
      assert.equal(q.qsize(), 3);
      assert.equal(q.statistics().gettersWaiting, 0);
      assert.deepEqual(drain(q), [1, 2, 3]);
    }));
});
