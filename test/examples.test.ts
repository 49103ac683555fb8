// The tour's examples (examples/, `npm start`) run here: each one's output must come in the order
// the seed article shows, and its timings must show the concurrency it claims. Examples that only
// sleep run on a VirtualClock, so their timings are exact and take no wall time. Those that do real
// work (HTTP requests, workers, busy loops) run on a ScaledClock, time running 4× faster, and their
// bounds are an order of magnitude wide; their concurrency shows in counts (requests in flight,
// heartbeats) rather than in a tight time window.
import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { describe, it } from "./helpers.js";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { Example, ExampleContext, Timing } from "../examples/harness.js";
import { examples } from "../examples/index.js";
import { VirtualClock } from "../src/testing/index.js";
import { cli, runExamples } from "../examples/tour.js";
import { SPAWNS_NODE, unsupportedOn } from "./helpers.js";

/** Bun and Deno give debug mode no async_hooks timing: it reports a blocked loop without naming the task. */
const NO_HOOKS = "debug mode cannot name the task that blocks the loop (no async_hooks timing)";

interface Outcome {
  lines: string[];
  timings: Timing[];
}

/** Runs one example on a VirtualClock (`"virtual"`), or on the real clock `speed` times faster. */
async function runExample(name: string, clock: "virtual" | { speed: number }): Promise<Outcome> {
  const example = examples.find((e) => e.name === name);
  assert.ok(example, `no example named ${name}`);
  const lines: string[] = [];
  const options = clock === "virtual" ? { speed: 4, clock: () => new VirtualClock() } : { speed: clock.speed };
  const [ctx] = (await runExamples([example], { ...options, print: (line) => lines.push(line) })) as [ExampleContext];
  // Drop the "[1.00s] " stamps; the tour's header and footer stay.
  return { lines: lines.map((line) => line.replace(/^\[\d+\.\d\ds\] /, "")), timings: ctx.timings };
}

/** Asserts that each pattern matches a line, in this order (other lines may come between). */
function assertInOrder(lines: string[], patterns: (string | RegExp)[]): void {
  let at = 0;
  for (const pattern of patterns) {
    const found = lines.findIndex((line, i) => i >= at && (typeof pattern === "string" ? line.trim() === pattern : pattern.test(line)));
    assert.ok(found >= 0, `expected ${String(pattern)} after line ${at} in:\n${lines.join("\n")}`);
    at = found + 1;
  }
}

function timing(outcome: Outcome, label: RegExp): Timing {
  const found = outcome.timings.find((t) => label.test(t.label));
  assert.ok(found, `no timing ${String(label)} in ${JSON.stringify(outcome.timings)}`);
  return found;
}

/** On the virtual clock: the work took exactly `concurrent` seconds, less than sequential code takes. */
function assertTakes(t: Timing, concurrent: number): void {
  assert.ok(Math.abs(t.seconds - concurrent) < 1e-9, `${t.label}: ${t.seconds}s, expected ${concurrent}s`);
  assert.ok(concurrent < t.sequential, `${t.label}: ${concurrent}s is not faster than sequential code (${t.sequential}s)`);
}

/** On the real clock: not faster than possible, and under what sequential code takes. */
function assertUnderSequential(t: Timing, concurrent: number): void {
  assert.ok(t.seconds >= concurrent * 0.95, `${t.label}: ${t.seconds.toFixed(2)}s is faster than the ${concurrent}s it must take`);
  assert.ok(t.seconds < t.sequential, `${t.label}: ${t.seconds.toFixed(2)}s, expected under the ${t.sequential}s sequential code takes`);
}

/** 0² + 1² + ... + (n-1)², exactly. */
const squares = (n: number): bigint => (BigInt(n - 1) * BigInt(n) * BigInt(2 * n - 1)) / 6n;

const count = (lines: string[], pattern: RegExp): number => lines.filter((line) => pattern.test(line)).length;

describe("examples (npm start)", () => {
  it("lists one example per section of the seed article, with unique names", () => {
    const names = examples.map((e: Example) => e.name);
    assert.deepEqual(names, [
      "event-loop",
      "greet",
      "gather",
      "tasks",
      "as-completed",
      "timeouts",
      "queue",
      "semaphore",
      "lock",
      "event-condition",
      "executors",
      "context-manager",
      "mistakes",
      "crawler",
      "echo",
      "chat",
      "pipeline",
    ]);
  });

  it("event-loop: the heartbeat runs while main() sleeps", async () => {
    const out = await runExample("event-loop", "virtual");
    assertInOrder(out.lines, ["Start", /heartbeat 1/, /heartbeat 2/, /heartbeat 3/, "Done"]);
    assert.equal(count(out.lines, /heartbeat 4/), 1);
    assertTakes(timing(out, /sleep\(1\)/), 1);
  });

  it("greet: sequential awaits take 1 s, gather() takes 0.5 s", async () => {
    const out = await runExample("greet", "virtual");
    assertInOrder(out.lines, [
      /^Sequential/,
      "Hello, Alice",
      "Goodbye, Alice",
      "Hello, Bob",
      "Goodbye, Bob",
      /^Concurrent/,
      "Hello, Alice",
      "Hello, Bob",
      "Goodbye, Alice",
      "Goodbye, Bob",
    ]);
    assert.equal(timing(out, /^sequential/).seconds, 1);
    assertTakes(timing(out, /^gathered/), 0.5);
  });

  it("gather: three 1 s calls take ~1 s; returnExceptions returns the failure as a value", async () => {
    const out = await runExample("gather", "virtual");
    assertInOrder(out.lines, [
      "Fetching user 1...",
      "Fetching user 2...",
      "Fetching user 3...",
      '[{"id":1,"name":"User 1"},{"id":2,"name":"User 2"},{"id":3,"name":"User 3"}]',
      "Fetching user 999...",
      '{"id":1,"name":"User 1"}',
      '{"id":2,"name":"User 2"}',
      "Error: UserNotFound: user 999 does not exist",
    ]);
    assertTakes(timing(out, /^gather of three/), 1);
    assertTakes(timing(out, /returnExceptions/), 1);
  });

  it("tasks: output in the article's order, ~2 s in all", async () => {
    const out = await runExample("tasks", "virtual");
    assertInOrder(out.lines, [
      "Tasks started, doing other work...",
      "Still doing other work...",
      "Job B completed after 1s",
      "Job A completed after 2s",
      "All done",
    ]);
    assertTakes(timing(out, /background jobs/), 2);
  });

  it("as-completed: results in completion order; wait() returns with the first", async () => {
    const out = await runExample("as-completed", "virtual");
    assertInOrder(out.lines, ["Got result: 10", "Got result: 20", "Got result: 30", "Got result: 40"]);
    assertInOrder(out.lines, ["done: 1 (racer-1 → 10), still pending: 2", "cancelled the other 2; pending after cancelling: 0"]);
    assertTakes(timing(out, /four operations/), 2);
    assertTakes(timing(out, /first answer/), 0.5);
  });

  it("timeouts: waitFor and timeout cancel the work, which unwinds; the fetch is aborted at the server", async () => {
    const out = await runExample("timeouts", { speed: 4 });
    // The server may hear of the closed connection before or after the client prints (Bun: before).
    for (const aborted of ["fetch timed out, and its connection was closed", /^server: the client gave up on \/delay\/10/]) {
      assertInOrder(out.lines, [/slowApiCall: cancelled/, "Request timed out", /slowApiCall: cancelled/, "Timed out", aborted, "the server counts 1 abandoned request(s)"]);
    }
    assertUnderSequential(timing(out, /^waitFor\(slowApiCall/), 1);
    assertUnderSequential(timing(out, /^timeout\(1/), 1);
    assertUnderSequential(timing(out, /fetch/), 0.5);
  });

  it("queue: every item produced before it is processed, each once; workers stop after the last", async () => {
    const out = await runExample("queue", "virtual");
    for (let i = 0; i < 10; i++) {
      assertInOrder(out.lines, [`Produced: task_${i}`, new RegExp(`Worker-\\d processing task_${i}$`)]);
      assert.equal(count(out.lines, new RegExp(`processing task_${i}$`)), 1);
    }
    const lastProcessed = Math.max(...out.lines.flatMap((line, i) => (/processing task_/.test(line) ? [i] : [])));
    const shutdowns = out.lines.flatMap((line, i) => (/Worker-\d shutting down/.test(line) ? [i] : []));
    assert.equal(shutdowns.length, 3);
    assert.ok(shutdowns.every((i) => i > lastProcessed));
    // Part 2: the sixth put waits for room; the readers share the 8 jobs and end at shutdown.
    assert.equal(count(out.lines, /after waiting for room/), 1);
    for (let i = 0; i < 8; i++) assert.equal(count(out.lines, new RegExp(`Reader-\\d processing job_${i}$`)), 1);
    assert.equal(count(out.lines, /Reader-\d done: queue shut down/), 3);
    const handled = out.lines.find((line) => line.startsWith("handled per reader:")) ?? "";
    assert.equal(handled.replace("handled per reader: ", "").split(", ").reduce((sum, n) => sum + Number(n), 0), 8);
    // The workers keep up with the producer: the last item is done 0.3 s (one item's work) after
    // it was produced, and sequential code would add the work of all ten to the producing time.
    const first = timing(out, /10 items/);
    assert.ok(Math.abs(first.seconds - (first.sequential - 10 * 0.3 + 0.3)) < 1e-9, `${first.seconds} vs ${first.sequential}`);
    assertTakes(timing(out, /8 items/), 0.9);
  });

  it("crawler: retries 503s, keeps each host under its rate, stops at the deadline with nothing left open", { timeout: 60_000 }, async () => {
    const out = await runExample("crawler", { speed: 4 });
    assertInOrder(out.lines, [
      /^crawling http:\/\/127\.0\.0\.1:\d+ and http:\/\/127\.0\.0\.1:\d+/,
      /^retrying after HTTP 503 for http:\/\/127\.0\.0\.1:\d+\/crawl\/4$/,
      /^deadline: stopped after 4\.\ds with \d+ pages crawled/,
      /^retried [1-9]\d* time\(s\) after a 503; in flight now: 0$/,
      /^servers: 0 request\(s\) still open/,
    ]);
    const crawled = Number(/with (\d+) pages crawled/.exec(out.lines.join("\n"))?.[1]);
    assert.ok(crawled >= 15, `crawled ${crawled} pages`);
    const hosts = out.lines.filter((line) => /requests, at most \d+ in any 1 s window/.test(line));
    assert.equal(hosts.length, 2, "two hosts, each with its own limiter");
    for (const line of hosts) assert.ok(Number(/at most (\d+)/.exec(line)?.[1]) <= 7, line);
  });

  it("semaphore: 20 real requests, never more than 5 in flight, ~4 waves", async () => {
    const out = await runExample("semaphore", { speed: 4 });
    assertInOrder(out.lines, [/in flight ■■■■■ 5\/5/, /statuses: \[(200,){19}200\]/, "most in flight: 5 seen here, 5 seen by the server (limit 5)"]);
    for (const line of out.lines) {
      const match = /in flight \S+ (\d)\/5/.exec(line);
      if (match) assert.ok(Number(match[1]) <= 5, line);
    }
    assertUnderSequential(timing(out, /20 requests/), 2); // the in-flight counts above show the limit
  });

  it("lock: 100 tasks make 100 under the lock, and race without it", async () => {
    const out = await runExample("lock", "virtual");
    assertInOrder(out.lines, [/^Without the lock: 1 /, "Final count: 100"]);
  });

  it("event-condition: every waiter wakes on set(); consumers take stock as it arrives", async () => {
    const out = await runExample("event-condition", "virtual");
    assertInOrder(out.lines, [/api waiting/, /worker waiting/, /scheduler waiting/, "config loaded: setting the event", /api starts in eu-west/]);
    assertInOrder(out.lines, ["config loaded: setting the event", /worker starts/]);
    assertInOrder(out.lines, ["config loaded: setting the event", /scheduler starts/]);
    assertInOrder(out.lines, [
      "restocked item-1: notify one waiter",
      "c1 took item-1",
      "restocked item-2: notify one waiter",
      "c2 took item-2",
      "restocked item-3: notify one waiter",
      "c3 took item-3",
      "taken: item-1, item-2, item-3",
    ]);
    assertTakes(timing(out, /Event/), 0.8);
  });

  it("executors: the same exact sums off the loop, and the loop keeps beating meanwhile", async () => {
    const out = await runExample("executors", { speed: 4 });
    assertInOrder(out.lines, [/^read \d+ lines of executors\.ts in a worker thread: "\/\/ Running blocking code/]);
    const beats = (pattern: RegExp): number => Number(/heartbeats meanwhile: (\d+)/.exec(out.lines.find((l) => pattern.test(l)) ?? "")?.[1]);
    assertInOrder(out.lines, [
      /^on the loop: +333332833333500000 in/,
      /^in a process: +333332833333500000 in/,
      new RegExp(`^on the loop: +${squares(12_000_000 / 4)} in`),
      new RegExp(`^on 2 threads: +${squares(12_000_000 / 4)} in`),
    ]);
    assert.equal(beats(/^on the loop: +3333/), 0);
    assert.ok(beats(/^in a process/) > 0);
    assert.equal(beats(/^on the loop: +[1-9]\d+ in/), 0); // the first such line
    assert.equal(beats(new RegExp(`^on the loop: +${squares(12_000_000 / 4)}`)), 0);
    assert.ok(beats(/^on 2 threads/) > 0);
  });

  it("context-manager: rows in order, the connection closed after the last page and after an error", async () => {
    const out = await runExample("context-manager", "virtual");
    assertInOrder(out.lines, [
      "Connecting to DB...",
      ...Array.from({ length: 12 }, (_, i) => JSON.stringify({ id: i + 1 })),
      "12 rows in 3 pages (and one empty page that ends the loop)",
      "Closing DB connection",
      "Connecting to DB...",
      "Closing DB connection",
      "caught after the close: row 3 is malformed",
    ]);
  });

  it("mistakes: debug mode names the blocking task, the forgotten ones, and stays quiet for the fixes", { skip: unsupportedOn({ bun: NO_HOOKS, deno: NO_HOOKS }) }, async () => {
    const out = await runExample("mistakes", { speed: 2 });
    const report = (line: string): number => Number(/blocked the event loop for (\d+\.\d+) seconds/.exec(line)?.[1] ?? 0);
    assertInOrder(out.lines, [
      /^bad\(\): +the ticker ticked \d+ times/,
      /debug mode: Task "bad" blocked the event loop for 0\.[3-9]\d* seconds/,
      /task created at .*examples\/mistakes\.ts:\d+/,
      /^good\(\): the ticker ticked [1-9]\d* times/,
      /debug mode: Task "fetchData" was still pending when run\(\) finished; cancelling it/,
      /debug mode: Task exception was never retrieved: Task "saveData": Error: disk full/,
      /run\(\) throws TypeError: run\(\) expects a function, not a promise.*write run\(main\), not run\(main\(\)\)/,
      "✅ run(main) → hello",
      /^on the loop: +the ticker ticked \d+ times/,
      /debug mode: Task "crunch" blocked the event loop/,
      /^in a thread: +the ticker ticked [1-9]\d* times/,
    ]);
    // A blocked loop ticks at most before the block begins (0 times, or a few on a loaded machine
    // that is slow to get there); a free one would tick every 0.05 s of the time measured.
    for (const mistake of [/^bad\(\)/, /^on the loop/]) {
      const line = out.lines.find((l) => mistake.test(l)) ?? "";
      const [, ticks, seconds] = /ticked (\d+) times in (\d+\.\d+)s/.exec(line) ?? [];
      assert.ok(Number(ticks) * 0.05 <= Number(seconds) / 4, `the ticker ran while the loop was blocked: ${line}`);
    }
    // sleep() instead of the busy wait draws no report of a long block (a loaded machine may
    // still pause a callback briefly: 0.25 s is ten times such a pause). The thread version is
    // judged by the ticker alone (above): starting the worker thread is real blocking work that
    // debug mode may report on a loaded machine.
    const goodAt = out.lines.findIndex((l) => /^good\(\)/.test(l));
    const forgotAt = out.lines.findIndex((l) => /Forgetting to await/.test(l));
    assert.ok(goodAt >= 0 && forgotAt > goodAt);
    for (const line of out.lines.slice(goodAt, forgotAt)) {
      assert.ok(report(line) < 0.25, `unexpected report: ${line}`);
    }
  });

  it("npm start -- --list lists the examples; npm start -- <name> runs one; an unknown name fails", { skip: unsupportedOn({ bun: SPAWNS_NODE, deno: SPAWNS_NODE }) }, async () => {
    const tour = fileURLToPath(new URL("../examples/tour.ts", import.meta.url));
    const list = await promisify(execFile)(process.execPath, ["--import", "tsx", tour, "--list"]);
    for (const example of examples) assert.match(list.stdout, new RegExp(`^  ${example.name} +\\S`, "m"));

    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (line: string) => out.push(line), err: (line: string) => err.push(line), speed: 4 };
    assert.equal(await cli(["lock", "greet"], io), 0);
    assertInOrder(out, [/━━ 1\/2 greet:/, /━━ 2\/2 lock:/, /Final count: 100/, /Done: 2 examples in \d+\.\ds of wall time/]);
    assert.equal(await cli(["nope"], io), 2);
    assert.match(err.join("\n"), /No example named "nope"/);
  });

  it("echo: a timed-out read loses nothing; the late reply arrives whole", async () => {
    const out = await runExample("echo", { speed: 4 });
    assertInOrder(out.lines, [/^serving on 127\.0\.0\.1:\d+$/, "echo: hello", /^no reply within 0\.5 s/, "echo: slow (the late reply, whole)"]);
  });

  it("chat: every client hears every other client's line", async () => {
    const out = await runExample("chat", { speed: 4 });
    assertInOrder(out.lines, ["20 clients joined; each heard 19–19 lines from the others"]);
  });

  it("pipeline: runProcess captures a pipeline, and a timeout kills the group", async () => {
    const out = await runExample("pipeline", { speed: 4 });
    assertInOrder(out.lines, ["sorted: APPLE, FIG, PEAR", /^timed out after 1\.\ds: the shell and both sleeps were terminated and reaped$/]);
  });
});
