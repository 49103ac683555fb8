// Bad arguments to the streams, servers and subprocess functions throw a TypeError/RangeError at
// the call, naming what was expected, as the rest of the library does (not a rejected promise);
// what the operation itself finds (a connection error, a pending cancel) still rejects.
import { strict as assert } from "node:assert";
import { createSubprocessExec, PIPE, run, startServer, StreamReader, type StreamWriter } from "../src/index.js";
import { describe, it, vrun } from "./helpers.js";

const BAD_SIGNAL = { signal: "stop" } as unknown as { signal: AbortSignal };

describe("io arguments are checked at the call", { timeout: 20_000 }, () => {
  it("StreamReader reads and feedData throw at once on bad arguments", () =>
    vrun(() => {
      const r = new StreamReader();
      assert.throws(() => void r.read(Number.NaN), { name: "RangeError", message: /StreamReader\.read\(\) expects an integer byte count: received NaN/ });
      assert.throws(() => void r.read("1" as unknown as number), TypeError);
      assert.throws(() => void r.read(1.5), RangeError);
      assert.throws(() => void r.readexactly(Number.POSITIVE_INFINITY), RangeError);
      assert.throws(() => void r.readline(BAD_SIGNAL), { name: "TypeError", message: /StreamReader\.readline\(\) expects options\.signal/ });
      assert.throws(() => void r.readuntil("\n", BAD_SIGNAL), TypeError);
      assert.throws(() => r.feedData(42 as unknown as string), { name: "TypeError", message: /StreamReader\.feedData\(\) expects a string or a Uint8Array: received 42/ });
      assert.equal(r.buffered, 0);
    }));

  it("StreamWriter, Server and Process throw at once on a bad signal or input", () =>
    run(async () => {
      let serverWriter: StreamWriter | null = null;
      await using server = await startServer((_r, w) => {
        serverWriter = w;
      }, "127.0.0.1", 0);
      assert.throws(() => void server.waitClosed(BAD_SIGNAL), { name: "TypeError", message: /expects options\.signal/ });
      const proc = await createSubprocessExec("cat", [], { stdin: PIPE, stdout: PIPE });
      const stdin = proc.stdin as StreamWriter;
      assert.throws(() => void stdin.drain(BAD_SIGNAL), { name: "TypeError", message: /StreamWriter\.drain\(\) expects options\.signal/ });
      assert.throws(() => void stdin.waitClosed(BAD_SIGNAL), TypeError);
      assert.throws(() => void proc.wait(BAD_SIGNAL), { name: "TypeError", message: /Process\.wait\(\) expects options\.signal/ });
      assert.throws(() => void proc.communicate(42 as unknown as string), { name: "TypeError", message: /Process\.communicate\(\) expects input/ });
      assert.throws(() => void proc.communicate("x", BAD_SIGNAL), TypeError);
      // The child was not touched by the bad calls: it still answers.
      const [out] = await proc.communicate("still here");
      assert.equal(String(out), "still here");
      assert.equal(proc.returncode, 0);
      assert.equal(serverWriter, null);
    }));
});
