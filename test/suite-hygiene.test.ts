// The suite cannot hang: every test has a time limit (test/helpers.ts), package.json's test script
// keeps its backstop flags, and a deadlocked test fails on its own while the run goes on and ends.
import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_TEST_TIMEOUT_MS, describe, it, unsupportedOn } from "./helpers.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const packageJson = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { scripts: Record<string, string> };
const testScript = packageJson.scripts["test:unit"] ?? "";
/** What node:test exports that registers a test, a suite or a hook: ./helpers.js gives each a time limit. */
const RUNNER_FUNCTIONS = new Set(["it", "test", "describe", "suite", "before", "after", "beforeEach", "afterEach"]);

/** The node options of the test script: everything before the file glob, after `node`. */
function nodeOptions(): string[] {
  const words = testScript.split(/\s+/);
  assert.equal(words[0], "node", `test:unit should run node: ${testScript}`);
  return words.slice(1).filter((w) => !w.includes("*.test.ts"));
}

/** What the deadlock test checks is Node's own runner with this suite's helpers: it runs `node --test` on a fixture. */
const NODE_TEST = "runs Node's test runner (node --test) on a fixture";

describe("suite hygiene", () => {
  it("suite hygiene: npm test runs test:unit, whose node has a backstop timeout above every test's and force-exits", () => {
    assert.match(packageJson.scripts["test"] ?? "", /npm run test:unit\b/);
    const timeout = /--test-timeout=(\d+)\b/.exec(testScript);
    assert.ok(timeout, `test:unit must pass --test-timeout: ${testScript}`);
    // On Node 20 the flag limits each file: it must leave room for a test to time out on its own.
    assert.ok(Number(timeout[1]) >= 2 * DEFAULT_TEST_TIMEOUT_MS, `--test-timeout=${timeout[1]} should be well above the per-test ${DEFAULT_TEST_TIMEOUT_MS}`);
    assert.ok(testScript.split(/\s+/).includes("--test-force-exit"), `test:unit must pass --test-force-exit: ${testScript}`);
  });

  it("suite hygiene: every test file takes describe, it, test and the hooks from ./helpers.js, which sets their timeout", () => {
    const files = readdirSync(join(root, "test")).filter((f) => f.endsWith(".test.ts"));
    assert.ok(files.length > 20, `only ${files.length} test files found`);
    const offenders: string[] = [];
    for (const file of files) {
      const text = readFileSync(join(root, "test", file), "utf8");
      for (const m of text.matchAll(/^import\s+([^;]*?)\s+from\s*"node:test";/gm)) {
        const clause = m[1] ?? "";
        // A default or namespace import could reach node:test's own functions; types are fine.
        const named = /^\{([^}]*)\}$/.exec(clause.trim());
        const names = named === null ? ["*"] : (named[1] ?? "").split(",").map((n) => n.trim().split(/\s+as\s+/)[0] ?? "");
        if (clause.startsWith("type ") || names.every((n) => n.startsWith("type "))) continue;
        if (names.some((n) => n === "*" || RUNNER_FUNCTIONS.has(n))) offenders.push(`${file}: import ${clause} from "node:test"`);
      }
      if (!/import\s*\{[^}]*\b(it|test)\b[^}]*\}\s*from\s*"\.\/helpers\.js"/.test(text)) offenders.push(`${file} (no it/test from ./helpers.js)`);
    }
    assert.deepEqual(offenders, [], "import describe, it, test and the hooks from ./helpers.js instead of node:test");
  });

  it("suite hygiene: a deadlocked test fails alone, the tests around it pass, and the run ends", { skip: unsupportedOn({ bun: NODE_TEST, deno: NODE_TEST }) }, async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, ASYNCIO_TS_TEST_TIMEOUT_MS: "500" };
    delete env["NODE_TEST_CONTEXT"];
    const args = [...nodeOptions(), "--test-reporter=tap", join(root, "test", "fixtures", "hanging.ts")];
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
      execFile(process.execPath, args, { cwd: root, env, timeout: 30_000, killSignal: "SIGKILL" }, (error, stdout, stderr) => {
        const e = error as (Error & { code?: number | string }) | null;
        done({ code: e === null ? 0 : typeof e.code === "number" ? e.code : null, stdout, stderr });
      });
    });
    const report = `--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
    assert.equal(result.code, 1, `the run should end with exit code 1\n${report}`);
    assert.match(result.stdout, /^ *ok \d+ - runs the test before it$/m, report);
    assert.match(result.stdout, /^ *not ok \d+ - fails the deadlocked test$/m, report);
    assert.match(result.stdout, /test timed out after 500ms/, report);
    assert.match(result.stdout, /^ *ok \d+ - runs the test after it$/m, report);
    assert.match(result.stdout, /^# pass 2$/m, report);
  });
});
