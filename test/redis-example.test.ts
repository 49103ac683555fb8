// examples/distributed.ts (`npm run distributed`): runs end to end, and without redis-server
// says how to install it and exits cleanly.
import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it, NODE_CHILD } from "./helpers.js";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { skipWithoutRedis } from "../examples/redisServer.js";

const script = fileURLToPath(new URL("../examples/distributed.ts", import.meta.url));
const exec = promisify(execFile);

describe("examples/distributed.ts", () => {
  it("distributed crawls through a RedisQueue, runs CPU jobs on a RedisExecutor, survives a SIGKILLed worker", { timeout: 120_000, skip: NODE_CHILD.skip || skipWithoutRedis() }, async () => {
    const { stdout } = await exec(process.execPath, ["--import", "tsx", script, "--workers", "3", "--pages", "45"], { timeout: 110_000 });
    assert.match(stdout, /killed worker \d+ with SIGKILL/);
    assert.match(stdout, /sum of squares below 2,000,000 = 2666664666667000000 \(correct\)/);
    assert.match(stdout, /pages crawled: 45\/45 distinct/);
    assert.match(stdout, /nothing was lost/);
  });

  it("distributed without redis-server says how to install it and exits cleanly", { timeout: 60_000, ...NODE_CHILD }, async () => {
    const bin = mkdtempSync(join(tmpdir(), "asyncio-ts-path-"));
    try {
      symlinkSync(process.execPath, join(bin, "node")); // a PATH with node and nothing else
      const { stdout } = await exec(process.execPath, ["--import", "tsx", script], { env: { ...process.env, PATH: bin }, timeout: 50_000 });
      assert.match(stdout, /apt-get install -y redis-server/);
      assert.match(stdout, /nothing was run/);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });
});
