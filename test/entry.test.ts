// How workers start from source (tsx): the process-pool entry is bundled and written to a file.
// That file must live where no other local user can plant or swap it: a fresh 0700 directory of
// this process's own, under an unpredictable name, removed when the process exits.
import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname } from "node:path";
import { fileURLToPath } from "node:url";

import { processSetup } from "../src/executors/entry.js";
import { describe, it, SPAWNS_NODE, unsupportedOn } from "./helpers.js";

const root = fileURLToPath(new URL("..", import.meta.url));

/** Runs a tsx child that prints the process-pool entry file it would use, and exits. */
function entryFileOfChild(): Promise<string> {
  const code = `import { processSetup } from "./src/executors/entry.ts"; console.log(processSetup().file);`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], { cwd: root, timeout: 20_000 }, (error: Error | null, stdout) => {
      if (error !== null) reject(error);
      else resolve(stdout.trim());
    });
  });
}

describe("processSetup from source", { timeout: 60_000 }, () => {
  it("processSetup writes the worker bundle into a private directory (0700, file 0600) under the temp dir", () => {
    const { file } = processSetup();
    assert.ok(file.endsWith(".cjs"), `expected the bundled entry, got ${file}`);
    const dir = dirname(file);
    assert.equal(dirname(dir), tmpdir());
    assert.equal(statSync(dir).mode & 0o777, 0o700, "the directory must be private to this user");
    assert.equal(statSync(file).mode & 0o777, 0o600);
    if (process.getuid !== undefined) assert.equal(statSync(dir).uid, process.getuid());
  });

  it("processSetup uses a new unpredictable directory in each process and removes it at exit", { skip: unsupportedOn({ bun: SPAWNS_NODE, deno: SPAWNS_NODE }) }, async () => {
    const [a, b] = await Promise.all([entryFileOfChild(), entryFileOfChild()]);
    assert.notEqual(dirname(a), dirname(b), "two processes must not share (or be able to guess) the entry's location");
    assert.match(basename(dirname(a)), /^asyncio-ts-[A-Za-z0-9]{6}$/);
    assert.ok(!existsSync(a) && !existsSync(dirname(a)), `${dirname(a)} was left behind`);
  });
});
