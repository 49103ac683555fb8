// Bad input and wrong states, across the primitives: counts must be integers (a fraction is a
// RangeError naming what was expected), arguments of async methods are checked at the call (a
// throw, not a rejected promise), and wrong-state errors are InvalidStateError with a message that
// names the operation.
import { strict as assert } from "node:assert";
import {
  allTasks,
  asCompleted,
  Barrier,
  BoundedSemaphore,
  Condition,
  createSubprocessExec,
  createTask,
  InvalidStateError,
  LifoQueue,
  Lock,
  PIPE,
  PriorityQueue,
  Queue,
  run,
  runProcess,
  Semaphore,
  sleep,
  startServer,
  StreamReader,
  type StreamWriter,
  taskGroup,
  wait,
} from "../src/index.js";
import { describe, it, vrun } from "./helpers.js";

const notAnInteger = [1.5, -1, NaN, -Infinity];

describe("count arguments must be integers", { timeout: 10_000 }, () => {
  for (const Kind of [Queue, PriorityQueue, LifoQueue]) {
    it(`${Kind.name} refuses a maxsize that is not a non-negative integer`, () => {
      for (const bad of notAnInteger) {
        assert.throws(() => new Kind(bad), {
          name: "RangeError",
          message: `${Kind.name} expects maxsize to be a non-negative integer (0 or Infinity = unbounded): received ${bad}`,
        });
      }
      assert.throws(() => new Kind("3" as never), { name: "TypeError", message: /expects maxsize to be a non-negative integer.*received "3"/ });
      assert.equal(new Kind(Infinity).full(), false, "Infinity means unbounded");
      assert.equal(new Kind(2).maxsize, 2);
    });
  }

  it("Queue.shutdown(immediate) expects a boolean, so an options object is not taken for true", () =>
    vrun(() => {
      const q = new Queue<number>();
      q.putNowait(1);
      assert.throws(() => q.shutdown({ immediate: true } as never), {
        name: "TypeError",
        message: "Queue.shutdown() expects immediate to be a boolean: received an object (Object)",
      });
      assert.throws(() => q.shutdown(1 as never), TypeError);
      assert.equal(q.qsize(), 1, "a refused shutdown() changed nothing");
      assert.equal(q.statistics().shutdown, false);
      q.shutdown(false);
      assert.equal(q.statistics().shutdown, true);
    }));

  it("Condition.notify(n) expects a non-negative integer or Infinity", () =>
    vrun(async () => {
      const cond = new Condition();
      using _ = await cond.acquire();
      for (const bad of [1.5, -1, NaN, -Infinity]) {
        assert.throws(() => cond.notify(bad), {
          name: "RangeError",
          message: `Condition.notify() expects n to be a non-negative integer (or Infinity for all): received ${bad}`,
        });
      }
      assert.throws(() => cond.notify("1" as never), TypeError);
      cond.notify(0);
      cond.notify(Infinity);
    }));

  it("Semaphore, BoundedSemaphore and Barrier name the count they expected", () => {
    for (const Kind of [Semaphore, BoundedSemaphore]) {
      for (const bad of [1.5, -1, NaN, Infinity]) {
        assert.throws(() => new Kind(bad), {
          name: "RangeError",
          message: `${Kind.name} expects value (its initial permits) to be a non-negative integer: received ${bad}`,
        });
      }
      assert.throws(() => new Kind("1" as never), TypeError);
    }
    for (const bad of [0, 1.5, -1, NaN, Infinity]) {
      assert.throws(() => new Barrier(bad), { name: "RangeError", message: `Barrier expects parties to be a positive integer: received ${bad}` });
    }
    assert.throws(() => new Barrier("2" as never), TypeError);
  });
});

describe("async methods check their arguments at the call", { timeout: 10_000 }, () => {
  const badSignal = { signal: "abort" } as never;

  it("Condition.wait(), Condition.waitFor() and Barrier.wait() throw a TypeError at once for bad arguments", () =>
    vrun(async () => {
      const cond = new Condition();
      using _ = await cond.acquire();
      assert.throws(() => void cond.wait(badSignal), { name: "TypeError", message: /Condition\.wait\(\) expects options\.signal to be an AbortSignal/ });
      assert.throws(() => void cond.waitFor(() => false, badSignal), { name: "TypeError", message: /Condition\.waitFor\(\) expects options\.signal/ });
      assert.throws(() => void cond.waitFor("ready" as never), { name: "TypeError", message: /Condition\.waitFor\(\) expects a predicate function/ });
      assert.throws(() => void new Barrier(2).wait(badSignal), { name: "TypeError", message: /Barrier\.wait\(\) expects options\.signal/ });
      assert.equal(cond.statistics().tasksWaiting, 0);
      assert.equal(cond.locked(), true, "nothing released the lock");
    }));
});

describe("wrong-state errors are InvalidStateError", { timeout: 10_000 }, () => {
  it("Lock.release() on an unlocked lock throws InvalidStateError('Lock.release(): the lock is not acquired')", () => {
    const lock = new Lock();
    assert.throws(() => lock.release(), (e: unknown) => e instanceof InvalidStateError && e.message === "Lock.release(): the lock is not acquired");
  });

  it("a guard released twice throws InvalidStateError", () =>
    vrun(async () => {
      const guard = await new Lock().acquire();
      guard.release();
      assert.throws(() => guard.release(), (e: unknown) => e instanceof InvalidStateError && /already released its hold on Lock/.test(e.message));
    }));

  it("Condition without its lock: release() and notify() throw, wait() rejects, all with InvalidStateError naming the call", () =>
    vrun(async () => {
      const cond = new Condition();
      const named = (op: string) => (e: unknown) =>
        e instanceof InvalidStateError && e.message === `Condition.${op}: the lock is not acquired (acquire it first)`;
      assert.throws(() => cond.release(), named("release()"));
      assert.throws(() => cond.notify(), named("notify()"));
      assert.throws(() => cond.notifyAll(), named("notifyAll()"));
      await assert.rejects(cond.wait(), named("wait()"));
      await assert.rejects(cond.waitFor(() => false), named("wait()"));
      assert.equal(await cond.waitFor(() => 7), 7, "a true predicate needs no lock");
    }));
});

describe("streams, servers and subprocesses check their arguments at the call", { timeout: 20_000 }, () => {
  const badSignal = { signal: "abort" } as never;

  it("StreamReader reads throw a TypeError for a count that is not a number and a RangeError for a bad number, before returning a promise", () =>
    vrun(() => {
      const r = new StreamReader();
      assert.throws(() => void r.read("2" as never), { name: "TypeError", message: /StreamReader\.read\(\) expects an integer byte count.*received "2"/ });
      assert.throws(() => void r.read(1.5), { name: "RangeError", message: /StreamReader\.read\(\) expects an integer byte count.*received 1\.5/ });
      assert.throws(() => void r.read(NaN), RangeError);
      assert.throws(() => void r.readexactly("2" as never), { name: "TypeError", message: /readexactly\(\) expects an integer byte count >= 0: received "2"/ });
      assert.throws(() => void r.readexactly(-1), { name: "RangeError", message: /readexactly\(\) expects an integer byte count >= 0: received -1/ });
      assert.throws(() => void r.readexactly(Infinity), RangeError);
      assert.throws(() => void r.readuntil(7 as never), TypeError);
      r.feedData("ab");
      r.feedEof();
      return r.read(-1).then((rest) => assert.equal(rest.toString(), "ab", "refused reads consumed nothing"));
    }));

  it("runProcess, Process.wait/communicate, StreamWriter.drain/waitClosed and Server.waitClosed throw for bad arguments at the call", () =>
    run(async () => {
      assert.throws(() => void runProcess(""), { name: "TypeError", message: /expects a program \(a non-empty string\)/ });
      assert.throws(() => void runProcess("true", "-x" as never), TypeError);
      assert.throws(() => void createSubprocessExec("true", [], { limit: NaN }), RangeError);
      assert.throws(() => void createSubprocessExec("true", [], badSignal), { name: "TypeError", message: /options\.signal/ });
      const proc = await createSubprocessExec("cat", [], { stdin: PIPE, stdout: PIPE });
      const stdin = proc.stdin as StreamWriter;
      assert.throws(() => void proc.wait(badSignal), { name: "TypeError", message: /Process\.wait\(\) expects options\.signal/ });
      assert.throws(() => void proc.communicate(42 as never), { name: "TypeError", message: /Process\.communicate\(\) expects input/ });
      assert.throws(() => void proc.communicate("x", badSignal), { name: "TypeError", message: /Process\.communicate\(\) expects options\.signal/ });
      assert.throws(() => void stdin.drain(badSignal), { name: "TypeError", message: /StreamWriter\.drain\(\) expects options\.signal/ });
      assert.throws(() => void stdin.waitClosed(badSignal), { name: "TypeError", message: /StreamWriter\.waitClosed\(\) expects options\.signal/ });
      const [out] = await proc.communicate("still usable");
      assert.equal(out?.toString(), "still usable");
      const server = await startServer(() => undefined, "127.0.0.1", 0);
      assert.throws(() => void server.waitClosed(badSignal), { name: "TypeError", message: /Server\.waitClosed\(\) expects options\.signal/ });
      server.close();
      await server.waitClosed();
    }));
});

describe("options arguments must be objects", () => {
  it("createTask, TaskGroup.createTask, wait and asCompleted refuse options that are not an object", () =>
    vrun(async () => {
      const work = (): Promise<void> => sleep(0);
      for (const bad of [5, "name", null, true]) {
        assert.throws(() => createTask(work, bad as never), { name: "TypeError", message: /^createTask\(\) expects an options object: received / });
        assert.throws(() => wait([work], bad as never), { name: "TypeError", message: /^wait\(\) expects an options object/ });
        assert.throws(() => asCompleted([work], bad as never), { name: "TypeError", message: /^asCompleted\(\) expects an options object/ });
      }
      await taskGroup((tg) => {
        assert.throws(() => tg.createTask(work, "child" as never), { name: "TypeError", message: /expects an options object: received "child"/ });
      });
      // Nothing was started by the refused calls.
      await sleep(0);
      assert.equal(allTasks().size, 1);
    }));
});
