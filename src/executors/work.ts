/**
 * Naming the work an executor runs, in a form that can cross to another thread or process:
 *
 * - a self-contained function, sent as its source text (`fn.toString()`) and compiled once per
 *   worker. It sees only globals, its arguments and `transfer`; a variable it uses from the
 *   scope it was written in fails the job with a ReferenceError that says so (detected when the
 *   function runs: a captured variable cannot be seen in the source text alone). `this`,
 *   `super` and module imports are not available either: `await import("node:fs")` inside works.
 * - `fromModule(url, exportName)`, an exported function of a module file, imported once per
 *   worker: the way to use imports, shared helpers and TypeScript types freely.
 *
 * Both become a `WorkDef` with a numeric id; a worker is sent the definition once, then the id.
 */
import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { describe } from "../kernel/validate.js";
import type { WireWork } from "./wire.js";

/** @internal A unit of work known to the pools, with the id workers cache it by. */
export interface WorkDef {
  readonly id: number;
  readonly wire: WireWork;
}

let nextId = 1;

/**
 * An exported function of a module file, to run in an executor's workers. Create it with
 * `fromModule()`; the type parameter is the function's type, for typed `submit` calls.
 */
export class ModuleFunction<F extends (...args: never[]) => unknown = (...args: unknown[]) => unknown> {
  /** The module's URL (`file:` for a path). */
  readonly url: string;
  /** The name of the export. */
  readonly exportName: string;
  /** @internal */ readonly _work: WorkDef;
  /** @internal Type-only: the function this names. */
  declare readonly _fn?: F;

  /** @internal Use `fromModule()`. */
  constructor(url: string, exportName: string) {
    this.url = url;
    this.exportName = exportName;
    this._work = moduleWork(url, exportName);
    Object.freeze(this);
  }

  /** How it reads in messages and reports: `fromModule("file:///…/work.js", "crunch")`. */
  toString(): string {
    return `fromModule(${JSON.stringify(this.url)}, ${JSON.stringify(this.exportName)})`;
  }
}

const modules = new Map<string, WorkDef>();

function moduleWork(url: string, exportName: string): WorkDef {
  const key = `${exportName}\0${url}`;
  let def = modules.get(key);
  if (def === undefined) {
    def = { id: nextId++, wire: { url, exportName } };
    modules.set(key, def);
  }
  return def;
}

const SCHEME = /^[a-zA-Z][a-zA-Z\d+.-]+:/; // two letters at least: "C:\x" is a Windows path

/**
 * Names the export `exportName` of the module at `url` as executor work: accepted wherever an
 * executor takes a function (`submit`, `map`, `runInExecutor`, `toThread`). Each worker imports
 * the module once, on its first job from it.
 *
 * `url` is a URL (`new URL("./work.js", import.meta.url)`, the robust form), a `file:` URL string,
 * or a file path (a relative path is resolved against `process.cwd()`). A TypeScript file works
 * when the parent runs under a TS loader given on the command line (`node --import tsx`): workers
 * inherit the parent's `execArgv`. The built package needs no loader for `.js` modules.
 *
 * @throws TypeError if `url` is not a string or URL, or `exportName` is not a non-empty string.
 * @example
 * // work.ts: export function sumOfSquares(n: number): number { ... }
 * const sumOfSquares = fromModule<typeof import("./work.js").sumOfSquares>(new URL("./work.js", import.meta.url), "sumOfSquares");
 * const total = await pool.submit(sumOfSquares, 1_000_000);
 */
export function fromModule<F extends (...args: never[]) => unknown = (...args: unknown[]) => unknown>(
  url: string | URL,
  exportName = "default",
): ModuleFunction<NoInfer<F>> {
  let href: string;
  if (url instanceof URL) href = url.href;
  else if (typeof url === "string" && url !== "") {
    href = SCHEME.test(url) ? url : pathToFileURL(isAbsolute(url) ? url : resolve(url)).href;
  } else {
    throw new TypeError(`fromModule() expects a module URL or file path: received ${describe(url)}`);
  }
  if (typeof exportName !== "string" || exportName === "") {
    throw new TypeError(`fromModule() expects exportName to be a non-empty string: received ${describe(exportName)}`);
  }
  return new ModuleFunction<F>(href, exportName);
}

const byFunction = new WeakMap<object, WorkDef>();
/** Definitions by source text, so a fresh closure with the same text (a lambda in a loop) is not resent. */
const bySource = new Map<string, WorkDef>();
const MAX_SOURCES = 4096;

function cannotSend(where: string, fn: (...args: never[]) => unknown, why: string): TypeError {
  const name = fn.name === "" ? "an anonymous function" : `function "${fn.name}"`;
  return new TypeError(
    `${where} cannot send ${name} to a worker: ${why}. Pass a self-contained function expression or ` +
      `arrow function, or export the function from a module and pass fromModule(url, "name").`,
  );
}

/**
 * The work definition for `fn` (a function or `fromModule(...)`), checking that it can be sent.
 *
 * @throws TypeError for a value that is not a function, a native or bound function, a class, or a
 * method written with the shorthand syntax (its source is not an expression on its own).
 * @internal
 */
export function toWork(where: string, fn: unknown): WorkDef {
  if (fn instanceof ModuleFunction) return fn._work;
  if (typeof fn !== "function") {
    throw new TypeError(`${where} expects a function or fromModule(url, name): received ${describe(fn)}`);
  }
  const cached = byFunction.get(fn);
  if (cached !== undefined) return cached;
  const f = fn as (...args: never[]) => unknown;
  const source = Function.prototype.toString.call(fn);
  if (/\{\s*\[native code\]\s*\}\s*$/.test(source)) {
    throw cannotSend(
      where,
      f,
      f.name.startsWith("bound ")
        ? "a bound function has no source to send (bound arguments and `this` cannot travel either); pass the values as arguments"
        : "it is a native function, which has no source to send",
    );
  }
  if (/^class\b/.test(source)) throw cannotSend(where, f, "it is a class, not a function");
  let def = bySource.get(source);
  if (def === undefined) {
    try {
      // Parse only (the function is not called): a method's source ("name(a) { ... }") is not an expression.
      // eslint-disable-next-line @typescript-eslint/no-implied-eval -- a syntax check of the source to send
      new Function(`return (${source}\n);`);
    } catch {
      throw cannotSend(where, f, "its source is not a function expression on its own (is it a class or object method?)");
    }
    if (bySource.size >= MAX_SOURCES) bySource.clear();
    def = { id: nextId++, wire: { source, name: f.name } };
    bySource.set(source, def);
  }
  byFunction.set(fn, def);
  return def;
}
