// Property: reads of every kind, cancelled at random points while chunks arrive, never lose,
// duplicate or reorder a byte. fast-check's scheduler interleaves a feeder (random chunking of a
// random byte stream) with a reader doing random reads, each in a task of its own that random
// cancellations hit; what the reads returned (plus the partials of IncompleteReadError) must be
// the stream, exactly. A second property does the same over a real loopback socket, with
// timeouts as the cancellations.
import { strict as assert } from "node:assert";
import fc from "fast-check";
import {
  CancelledError,
  createTask,
  IncompleteReadError,
  openConnection,
  run,
  sleep,
  startServer,
  StreamReader,
  TimeoutError,
  waitFor,
  type Task,
} from "../src/index.js";
import { describe, it } from "./helpers.js";

// Every read consumes at least a byte unless at EOF (read(0) would make the loop spin forever).
type Read = { kind: "readline" } | { kind: "readuntil"; sep: string } | { kind: "readexactly"; n: number } | { kind: "read"; n: number };

const readArb: fc.Arbitrary<Read> = fc.oneof(
  fc.constant<Read>({ kind: "readline" }),
  fc.constantFrom("XY", "Y", "aXb").map((sep): Read => ({ kind: "readuntil", sep })),
  fc.integer({ min: 1, max: 7 }).map((n): Read => ({ kind: "readexactly", n })),
  fc.integer({ min: 1, max: 8 }).map((n): Read => ({ kind: "read", n: n === 8 ? -1 : n })),
);

/** Bytes from a small alphabet, so that separators occur often. */
const streamArb = fc.array(fc.string({ unit: fc.constantFrom("a", "b", "X", "Y", "\n"), maxLength: 9 }), { maxLength: 8 });

function doRead(r: StreamReader, read: Read): Promise<Buffer> {
  switch (read.kind) {
    case "readline":
      return r.readline();
    case "readuntil":
      return r.readuntil(read.sep);
    case "readexactly":
      return r.readexactly(read.n);
    case "read":
      return r.read(read.n);
  }
}

/** Runs the reads in turn, each in its own task, until EOF; returns every byte they delivered. */
async function readAll(r: StreamReader, reads: Read[], onTask: (t: Task<Buffer>) => void): Promise<Buffer> {
  const got: Buffer[] = [];
  for (let i = 0; !r.atEof(); i++) {
    const read = reads[i % reads.length] as Read;
    const t = createTask(() => doRead(r, read));
    onTask(t);
    try {
      got.push(await t);
    } catch (error) {
      if (error instanceof IncompleteReadError) got.push(error.partial);
      else if (!(error instanceof CancelledError)) throw error;
    }
  }
  return Buffer.concat(got);
}

async function drive(s: fc.Scheduler): Promise<void> {
  for (let idle = 0; idle < 3; ) {
    if (s.count() > 0) {
      idle = 0;
      await s.waitOne();
    } else {
      idle++;
      await sleep(0);
    }
  }
}

describe("stream properties", { timeout: 60_000 }, () => {
  it("StreamReader reads cancelled at random points deliver the stream exactly", async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), streamArb, fc.array(readArb, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 6 }), (s, chunks, reads, cancels) =>
        run(async () => {
          const r = new StreamReader({ limit: 1024 });
          let current: Task<Buffer> | null = null;
          const feeder = createTask(async () => {
            for (const chunk of chunks) {
              await s.schedule(Promise.resolve(), "feed");
              r.feedData(chunk);
            }
            await s.schedule(Promise.resolve(), "eof");
            r.feedEof();
          });
          for (const pick of cancels) {
            void s.schedule(Promise.resolve(pick), "cancel").then(() => current?.cancel());
          }
          const reader = createTask(() =>
            readAll(r, reads, (t) => {
              current = t;
            }),
          );
          await drive(s);
          await feeder;
          const got = await reader;
          assert.equal(got.toString(), chunks.join(""));
        }),
      ),
      { numRuns: 200 },
    );
  });

  it("StreamReader over a loopback socket: reads timed out at random delivers the stream exactly", async () => {
    await fc.assert(
      fc.asyncProperty(streamArb, fc.array(readArb, { minLength: 1, maxLength: 6 }), fc.array(fc.constantFrom(0, 0.0005, 0.002, 1), { minLength: 1, maxLength: 6 }), (chunks, reads, timeouts) =>
        run(async () => {
          const sent = chunks.join("");
          const server = await startServer(
            async (_r, w) => {
              for (const chunk of chunks) {
                w.write(chunk);
                await w.drain();
                await sleep(0.001);
              }
              w.writeEof();
            },
            "127.0.0.1",
            0,
          );
          const port = (server.address() as { port: number }).port;
          const [r, w] = await openConnection("127.0.0.1", port);
          const got: Buffer[] = [];
          for (let i = 0; !r.atEof(); i++) {
            const read = reads[i % reads.length] as Read;
            try {
              got.push(await waitFor(doRead(r, read), timeouts[i % timeouts.length] as number));
            } catch (error) {
              if (error instanceof IncompleteReadError) got.push(error.partial);
              else if (!(error instanceof TimeoutError)) throw error;
            }
          }
          assert.equal(Buffer.concat(got).toString(), sent);
          w.close();
          server.close();
          await server.waitClosed();
        }),
      ),
      { numRuns: 40 },
    );
  });
});
