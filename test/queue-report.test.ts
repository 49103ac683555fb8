// The task tree (and so debug mode's deadlock report) names the queue a task waits on, not the
// queue's internal parts.
import { strict as assert } from "node:assert";
import { createTask, formatTaskTree, PriorityQueue, Queue } from "../src/index.js";
import { describe, ticks, it, vrun } from "./helpers.js";

describe("task tree names queue waits", { timeout: 10_000 }, () => {
  it("Queue.join() is reported as waiting on the queue, with its unfinished count", () =>
    vrun(async () => {
      const q = new Queue<number>();
      for (const n of [1, 2, 3]) q.putNowait(n);
      const joiner = createTask(() => q.join(), { name: "joiner" });
      await ticks();
      const tree = formatTaskTree();
      assert.match(tree, /Task "joiner" awaiting Queue\.join\(\) on <Queue maxsize=0 qsize=3 unfinished=3>/);
      assert.doesNotMatch(tree, /<Event/);
      for (let i = 0; i < 3; i++) {
        q.getNowait();
        q.taskDone();
      }
      await joiner;
    }));

  it("PriorityQueue.get() and .join() name the subclass", () =>
    vrun(async () => {
      const q = new PriorityQueue<number>();
      const getter = createTask(() => q.get(), { name: "getter" });
      await ticks();
      assert.match(formatTaskTree(), /Task "getter" awaiting PriorityQueue\.get\(\) on <PriorityQueue maxsize=0 getters=1>/);
      q.putNowait(1);
      assert.equal(await getter, 1);
      const joiner = createTask(() => q.join(), { name: "joiner" });
      await ticks();
      assert.match(formatTaskTree(), /Task "joiner" awaiting PriorityQueue\.join\(\) on <PriorityQueue maxsize=0 unfinished=1>/);
      q.taskDone();
      await joiner;
    }));
});
