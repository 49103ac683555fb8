// Subprocesses: a port of CPython's test_subprocess.py (real child processes: sh, cat, node),
// plus what goes beyond asyncio: cancelling the task awaiting wait()/communicate() terminates the
// child's whole process group, kills it after the grace period, and reaps it before the
// CancelledError propagates; grandchildren die too.
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { inspect } from "node:util";
import {
  CalledProcessError,
  CancelledError,
  createSubprocessExec,
  createSubprocessShell,
  createTask,
  DEVNULL,
  gather,
  PIPE,
  run,
  runProcess,
  sleep,
  STDOUT,
  timeout,
  TimeoutError,
  waitFor,
  type Process,
} from "../src/index.js";
import { describe, it } from "./helpers.js";

const T = { timeout: 30_000 };
const NODE = process.execPath;

/** Whether `pid` is a live process (a zombie nobody reaped yet counts as dead). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** Polls (real time) until `pid` is dead; false if it still lives after `seconds`. */
async function dies(pid: number, seconds = 5): Promise<boolean> {
  const deadline = Date.now() + seconds * 1000;
  while (alive(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(0.01);
  }
  return true;
}

/** A shell child that starts a grandchild (`sleep 60`), prints both pids and waits. */
async function family(extra = ""): Promise<{ proc: Process; child: number; grandchild: number }> {
  const proc = await createSubprocessShell(`${extra} sleep 60 & echo $$ $!; wait`, { stdout: PIPE, killGrace: 0.5 });
  const [child, grandchild] = (await (proc.stdout as NonNullable<Process["stdout"]>).readline()).toString().trim().split(" ").map(Number) as [number, number];
  return { proc, child, grandchild };
}

describe("createSubprocessExec and Process (test_subprocess.py)", T, () => {
  it("Process wait returns the exit code and sets returncode", () =>
    run(async () => {
      const proc = await createSubprocessExec(NODE, ["-e", "process.exit(7)"]);
      assert.equal(proc.returncode, null);
      assert.equal(typeof proc.pid, "number");
      assert.equal(await proc.wait(), 7);
      assert.equal(proc.returncode, 7);
      assert.equal(await proc.wait(), 7);
      assert.match(inspect(proc), /^<Process \d+ returncode=7>$/);
    }));

  it("Process stdin and stdout pipes talk to the child", () =>
    run(async () => {
      const proc = await createSubprocessExec("cat", [], { stdin: PIPE, stdout: PIPE });
      const stdin = proc.stdin as NonNullable<Process["stdin"]>;
      const stdout = proc.stdout as NonNullable<Process["stdout"]>;
      stdin.write("line one\n");
      await stdin.drain();
      assert.equal((await stdout.readline()).toString(), "line one\n");
      stdin.close();
      assert.equal((await stdout.read(-1)).length, 0);
      assert.equal(await proc.wait(), 0);
    }));

  it("Process communicate feeds input and collects stdout and stderr", () =>
    run(async () => {
      const proc = await createSubprocessExec(NODE, ["-e", "process.stdin.pipe(process.stdout); process.stderr.write('err')"], { stdin: PIPE, stdout: PIPE, stderr: PIPE });
      const [out, err] = await proc.communicate("some data");
      assert.equal(out?.toString(), "some data");
      assert.equal(err?.toString(), "err");
      assert.equal(proc.returncode, 0);
    }));

  it("Process communicate with a large input and output does not deadlock", () =>
    run(async () => {
      const input = Buffer.alloc(4 << 20, 98);
      const proc = await createSubprocessExec("cat", [], { stdin: PIPE, stdout: PIPE, limit: 1024 });
      const [out] = await proc.communicate(input);
      assert.equal(out?.length, input.length);
    }));

  it("createSubprocessShell runs a command line", () =>
    run(async () => {
      const proc = await createSubprocessShell("echo Python; exit 3", { stdout: PIPE });
      const [out, err] = await proc.communicate();
      assert.equal(out?.toString(), "Python\n");
      assert.equal(err, null);
      assert.equal(proc.returncode, 3);
    }));

  it("Process returncode is minus the signal number after kill, terminate and sendSignal", () =>
    run(async () => {
      for (const [how, sig] of [
        ["kill", 9],
        ["terminate", 15],
        ["sendSignal", 1],
      ] as const) {
        const proc = await createSubprocessExec("sleep", ["60"]);
        if (how === "sendSignal") proc.sendSignal("SIGHUP");
        else proc[how]();
        assert.equal(await proc.wait(), -sig, how);
      }
      const proc = await createSubprocessExec("sleep", ["60"]);
      assert.throws(() => proc.sendSignal("SIGNOPE" as NodeJS.Signals), RangeError);
      proc.sendSignal(9);
      assert.equal(await proc.wait(), -9);
      proc.kill(); // after exit: does nothing
    }));

  it("stderr STDOUT merges into the stdout reader; DEVNULL discards and reads nothing", () =>
    run(async () => {
      const merged = await createSubprocessShell("echo out; echo err >&2", { stdout: PIPE, stderr: STDOUT });
      assert.equal(merged.stderr, null);
      const [out] = await merged.communicate();
      assert.deepEqual(out?.toString().split("\n").sort(), ["", "err", "out"]);
      const quiet = await createSubprocessShell("echo out; echo err >&2; cat", { stdin: DEVNULL, stdout: DEVNULL, stderr: DEVNULL });
      assert.equal(quiet.stdout, null);
      assert.deepEqual(await quiet.communicate(), [null, null]);
      assert.equal(quiet.returncode, 0, "cat read EOF from /dev/null");
    }));

  it("Process communicate ignores a child that exits without reading its input (broken pipe)", () =>
    run(async () => {
      const proc = await createSubprocessExec(NODE, ["-e", "process.exit(0)"], { stdin: PIPE });
      const [out, err] = await proc.communicate(Buffer.alloc(1 << 20, 1));
      assert.deepEqual([out, err], [null, null]);
      assert.equal(proc.returncode, 0);
    }));

  it("Process communicate racing another communicate fails alone: the child is not killed and the first gets all its output", () =>
    run(async () => {
      const proc = await createSubprocessShell("read x; echo got:$x", { stdin: PIPE, stdout: PIPE });
      const first = proc.communicate();
      await assert.rejects(proc.communicate(), /already waiting for incoming data/);
      const [out] = await first;
      assert.equal(String(out), "got:\n");
      assert.equal(proc.returncode, 0);
    }));

  it("Process wait from many tasks at once all see the returncode (test_subprocess_concurrent_wait)", () =>
    run(async () => {
      const proc = await createSubprocessExec("cat", [], { stdin: PIPE, stdout: PIPE });
      const [out] = await proc.communicate("some data");
      assert.equal(String(out), "some data");
      assert.deepEqual(await gather(...Array.from({ length: 10 }, () => proc.wait())), Array(10).fill(0));
    }));

  it("Process stdout can be read to the end after the child exited", () =>
    run(async () => {
      const proc = await createSubprocessShell("printf 'a\\nb\\n'", { stdout: PIPE });
      assert.equal(await proc.wait(), 0);
      const lines: string[] = [];
      for await (const line of proc.stdout as NonNullable<Process["stdout"]>) lines.push(line.toString());
      assert.deepEqual(lines, ["a\n", "b\n"]);
    }));

  it("createSubprocessExec of a missing program rejects with ENOENT", () =>
    run(async () => {
      await assert.rejects(createSubprocessExec("/nonexistent/program"), { code: "ENOENT" });
      await assert.rejects(createSubprocessExec("/nonexistent/program", [], { stdin: PIPE }), { code: "ENOENT" });
    }));

  it("createSubprocessExec and createSubprocessShell throw at the call for bad arguments (not a rejected promise)", () =>
    run(async () => {
      assert.throws(() => void createSubprocessExec(""), TypeError);
      assert.throws(() => void createSubprocessExec("ls", "-l" as unknown as string[]), TypeError);
      assert.throws(() => void createSubprocessExec("ls", [], { stdout: "pipes" as typeof PIPE }), TypeError);
      assert.throws(() => void createSubprocessExec("ls", [], { stdin: STDOUT as unknown as typeof PIPE }), TypeError);
      assert.throws(() => void createSubprocessExec("ls", [], { killGrace: -1 }), RangeError);
      assert.throws(() => void createSubprocessExec("ls", [], { limit: 0 }), RangeError);
      assert.throws(() => void createSubprocessShell(42 as unknown as string), TypeError);
      const proc = await createSubprocessExec("true");
      assert.throws(() => void proc.communicate("input"), /stdin: PIPE/);
      await proc.wait();
    }));

  it("Process await using kills a child still running and reaps it", () =>
    run(async () => {
      let pid: number;
      let proc: Process;
      {
        await using p = await createSubprocessExec("sleep", ["60"]);
        proc = p;
        pid = p.pid;
      }
      assert.equal(proc.returncode, -9);
      assert.equal(alive(pid), false);
    }));
});

describe("Process cancellation kills the process group", T, () => {
  it("Process wait cancelled by a timeout terminates the child and grandchild and reaps the child first", () =>
    run(async () => {
      const { proc, child, grandchild } = await family();
      assert.equal(child, proc.pid);
      assert.ok(alive(grandchild));
      await assert.rejects(
        timeout(0.1, () => proc.wait()),
        TimeoutError,
      );
      assert.equal(proc.returncode, -15, "reaped before the error propagated (SIGTERM)");
      assert.equal(alive(child), false);
      assert.ok(await dies(grandchild), "the grandchild died too");
    }));

  it("Process communicate cancelled by task.cancel() terminates the group before CancelledError", () =>
    run(async () => {
      const { proc, grandchild } = await family();
      const t = createTask(() => proc.communicate());
      await sleep(0.05);
      t.cancel();
      await assert.rejects(t, CancelledError);
      assert.equal(proc.returncode, -15);
      assert.ok(await dies(grandchild));
    }));

  it("Process wait cancelled kills a group that ignores SIGTERM after killGrace", () =>
    run(async () => {
      const { proc, grandchild } = await family("trap '' TERM;");
      const started = performance.now();
      await assert.rejects(waitFor(proc.wait(), 0.05), TimeoutError);
      const took = (performance.now() - started) / 1000;
      assert.equal(proc.returncode, -9, "killed, since it ignored SIGTERM");
      assert.ok(took >= 0.5, `waited the 0.5 s grace (took ${took.toFixed(3)} s)`);
      assert.ok(await dies(grandchild));
    }));

  it("Process wait aborted by its signal terminates the group and rejects with the reason", () =>
    run(async () => {
      const { proc, grandchild } = await family();
      const ac = new AbortController();
      const p = proc.wait({ signal: ac.signal });
      setTimeout(() => ac.abort(new RangeError("stop")), 20);
      await assert.rejects(p, RangeError);
      assert.equal(proc.returncode, -15);
      assert.ok(await dies(grandchild));
    }));

  it("Process wait with a cancel pending when it starts terminates the child", () =>
    run(async () => {
      const proc = await createSubprocessExec("sleep", ["60"], { killGrace: 0.5 });
      const t = createTask(async () => {
        await new Promise<void>((resolve) => setImmediate(resolve)); // foreign: the cancel waits for the next library await
        return proc.wait();
      });
      await sleep(0);
      t.cancel();
      await assert.rejects(t, CancelledError);
      assert.equal(proc.returncode, -15);
    }));

  it("a second cancel during the clean-up does not cut it short", () =>
    run(async () => {
      const { proc, grandchild } = await family("trap '' TERM;");
      const t = createTask(() => proc.wait());
      await sleep(0.02);
      t.cancel();
      await sleep(0.05);
      t.cancel();
      await assert.rejects(t, CancelledError);
      assert.equal(proc.returncode, -9);
      assert.ok(await dies(grandchild));
    }));

  it("createSubprocessExec with an aborted signal terminates the group", () =>
    run(async () => {
      const ac = new AbortController();
      const proc = await createSubprocessExec("sleep", ["60"], { signal: ac.signal, killGrace: 0.5 });
      ac.abort();
      assert.equal(await proc.wait(), -15);
      const aborted = AbortSignal.abort(new RangeError("already"));
      await assert.rejects(() => createSubprocessExec("sleep", ["60"], { signal: aborted }), RangeError);
    }));
});

describe("runProcess", T, () => {
  it("runProcess returns the captured output and status", () =>
    run(async () => {
      const r = await runProcess("sh", ["-c", "cat; echo err >&2"], { input: "in", capture: true });
      assert.equal(r.returncode, 0);
      assert.equal(r.stdout?.toString(), "in");
      assert.equal(r.stderr?.toString(), "err\n");
      const plain = await runProcess("true");
      assert.deepEqual(plain, { returncode: 0, stdout: null, stderr: null });
    }));

  it("runProcess throws CalledProcessError on a non-zero status unless check is false", () =>
    run(async () => {
      const e = await runProcess("sh", ["-c", "echo out; exit 4"], { capture: true }).then(
        () => assert.fail("no error"),
        (error: unknown) => error,
      );
      assert.ok(e instanceof CalledProcessError);
      assert.equal(e.returncode, 4);
      assert.deepEqual(e.cmd, ["sh", "-c", "echo out; exit 4"]);
      assert.equal(e.stdout?.toString(), "out\n");
      assert.match(e.message, /returned non-zero exit status 4/);
      assert.equal((await runProcess("false", [], { check: false })).returncode, 1);
      assert.throws(() => void runProcess("true", [], { check: "yes" as unknown as boolean }), TypeError);
    }));

  it("runProcess in a timeout kills the pipeline's whole group", () =>
    run(async () => {
      const pidFile = `/tmp/asyncio-ts-runprocess-${process.pid}`;
      await assert.rejects(
        timeout(0.2, () => runProcess("sh", ["-c", `sleep 60 & echo $! > ${pidFile}; wait`], { killGrace: 0.5 })),
        TimeoutError,
      );
      const grandchild = Number(readFileSync(pidFile, "utf8"));
      assert.ok(await dies(grandchild));
    }));
});
