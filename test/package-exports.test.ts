// The public contract of /work/shared/API.md, checked against the *built* package: "asyncio-ts"
// is a self-reference resolved through package.json's `exports` map to dist/ (so `npm run build`
// must run first; `npm test` does). If a name is renamed or dropped, this file says which.
import { strict as assert } from "node:assert";
import { existsSync, readFileSync } from "node:fs";
import { describe, it } from "./helpers.js";
import { fileURLToPath } from "node:url";

import * as asyncio from "asyncio-ts";
import * as testing from "asyncio-ts/testing";

const FUNCTIONS = [
  // running
  "run",
  "getRunningLoop",
  "getEventLoop",
  // tasks
  "createTask",
  "currentTask",
  "allTasks",
  "formatTaskTree",
  "printTaskTree",
  "currentSignal",
  "sleep",
  // running many at once
  "gather",
  "wait",
  "asCompleted",
  "waitFor",
  "timeout",
  "timeoutAt",
  "shield",
  "taskGroup",
  // executors
  "runInExecutor",
  "toThread",
  "fromModule",
] as const;

const CLASSES = [
  "Runner",
  "Future",
  "Task",
  "Lock",
  "Event",
  "Condition",
  "Semaphore",
  "BoundedSemaphore",
  "Barrier",
  "Queue",
  "PriorityQueue",
  "LifoQueue",
  "ThreadPoolExecutor",
  "ProcessPoolExecutor",
] as const;

const CONSTANTS = ["FIRST_COMPLETED", "FIRST_EXCEPTION", "ALL_COMPLETED"] as const;

const ERRORS = [
  "CancelledError",
  "TimeoutError",
  "InvalidStateError",
  "QueueEmpty",
  "QueueFull",
  "QueueShutDown",
  "BrokenBarrierError",
  "ExceptionGroup",
] as const;

// Types the contract names; this fails `npm run typecheck` if one is not exported.
export type ContractTypes = [asyncio.Loop, asyncio.Clock, asyncio.Timeout];

const root: Readonly<Record<string, unknown>> = asyncio;

function isClass(value: unknown): boolean {
  return typeof value === "function" && Function.prototype.toString.call(value).startsWith("class");
}

function construct(ctor: unknown, args: unknown[]): unknown {
  assert.equal(typeof ctor, "function");
  return Reflect.construct(ctor as new (...a: unknown[]) => unknown, args);
}

function packageJson(): { name: string; exports: Record<string, unknown>; dependencies?: object } {
  const url = import.meta.resolve("asyncio-ts/package.json");
  return JSON.parse(readFileSync(fileURLToPath(url), "utf8")) as ReturnType<typeof packageJson>;
}

describe("package asyncio-ts", () => {
  it("resolves the root and ./testing through the exports map to dist/", () => {
    assert.match(import.meta.resolve("asyncio-ts"), /\/dist\/index\.js$/);
    assert.match(import.meta.resolve("asyncio-ts/testing"), /\/dist\/testing\/index\.js$/);
  });

  it("ships a .d.ts for every entry point it exports", () => {
    const pkg = packageJson();
    assert.equal(pkg.name, "asyncio-ts");
    const pkgDir = new URL("./", import.meta.resolve("asyncio-ts/package.json"));
    for (const [entry, target] of Object.entries(pkg.exports)) {
      if (typeof target !== "object" || target === null) continue;
      const { types, import: js } = target as { types?: string; import?: string };
      assert.ok(types && js, `exports["${entry}"] must have "types" and "import"`);
      assert.ok(existsSync(new URL(js, pkgDir)), `${js} (exports["${entry}"]) was not built`);
      assert.ok(existsSync(new URL(types, pkgDir)), `${types} (exports["${entry}"]) was not built`);
    }
  });

  it("has no runtime dependencies", () => {
    assert.deepEqual(Object.keys(packageJson().dependencies ?? {}), []);
  });
});

describe("asyncio-ts root exports", () => {
  it("exports every function of the contract", () => {
    const wrong = FUNCTIONS.filter((name) => typeof root[name] !== "function" || isClass(root[name]));
    assert.deepEqual(wrong, [], `missing or not a plain function: ${wrong.join(", ")}`);
  });

  it("exports every class of the contract", () => {
    const wrong = CLASSES.filter((name) => !isClass(root[name]));
    assert.deepEqual(wrong, [], `missing or not a class: ${wrong.join(", ")}`);
  });

  it("exports Task as a subclass of Future", () => {
    const { Task, Future } = root as { Task: { prototype: unknown }; Future: new () => unknown };
    assert.ok(Task.prototype instanceof Future);
  });

  it("exports FIRST_COMPLETED, FIRST_EXCEPTION and ALL_COMPLETED as three distinct constants", () => {
    const values = CONSTANTS.map((name) => root[name]);
    for (const [i, value] of values.entries()) {
      assert.notEqual(value, undefined, `${CONSTANTS[i]} is not exported`);
      assert.notEqual(typeof value, "function", `${CONSTANTS[i]} should be a constant`);
    }
    assert.equal(new Set(values).size, 3, "the three returnWhen constants must differ");
  });

  for (const name of ERRORS) {
    it(`exports ${name} as an Error subclass whose instances have name "${name}"`, () => {
      assert.ok(isClass(root[name]), `${name} is missing or not a class`);
      const ctor = root[name] as abstract new (...args: never[]) => unknown;
      assert.ok(ctor.prototype instanceof Error, `${name} does not extend Error`);
      const args = name === "ExceptionGroup" ? ["probe", [new Error("inner")]] : ["probe"];
      const err = construct(ctor, args);
      assert.ok(err instanceof Error);
      assert.ok(err instanceof ctor);
      assert.equal(err.name, name);
    });
  }

  it("exports ExceptionGroup as an AggregateError with .exceptions", () => {
    const inner = new Error("inner");
    const eg = construct(root["ExceptionGroup"], ["probe", [inner]]);
    assert.ok(eg instanceof AggregateError, "ExceptionGroup should extend AggregateError");
    assert.deepEqual((eg as AggregateError & { exceptions?: unknown }).exceptions, [inner]);
  });
});

describe("asyncio-ts/testing exports", () => {
  it("exports VirtualClock as a class", () => {
    assert.ok(isClass((testing as Record<string, unknown>)["VirtualClock"]));
  });
});
