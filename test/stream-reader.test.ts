// StreamReader: a port of CPython's test_streams.py reader tests (fed by hand with feedData, as
// there), plus a read cancelled at each point of its life: before it waits, while it waits, after
// data woke it but before it resumed, and by its { signal }. A cancelled read consumes nothing.
import { strict as assert } from "node:assert";
import { inspect } from "node:util";
import {
  CancelledError,
  createTask,
  getRunningLoop,
  IncompleteReadError,
  LimitOverrunError,
  StreamReader,
  timeout,
  TimeoutError,
  waitFor,
} from "../src/index.js";
import { describe, it, ticks, vrun } from "./helpers.js";

const T = { timeout: 10_000 };
const DATA = "line1\nline2\nline3\n";
const str = (b: Uint8Array): string => Buffer.from(b).toString();

describe("StreamReader reads (test_streams.py)", T, () => {
  it("StreamReader feedData of empty data buffers nothing", () =>
    vrun(() => {
      const r = new StreamReader();
      r.feedData(new Uint8Array(0));
      assert.equal(r.buffered, 0);
    }));

  it("StreamReader read(0) returns empty at once", () =>
    vrun(async () => {
      const r = new StreamReader();
      r.feedData(DATA);
      assert.equal((await r.read(0)).length, 0);
      assert.equal(r.buffered, DATA.length);
    }));

  it("StreamReader read(n) waits for data, then returns what is there", () =>
    vrun(async () => {
      const r = new StreamReader();
      const t = createTask(() => r.read(30));
      await ticks();
      r.feedData(DATA);
      assert.equal(str(await t), DATA);
      assert.equal(r.buffered, 0);
    }));

  it("StreamReader read(n) of line breaks returns them one chunk at a time", () =>
    vrun(async () => {
      const r = new StreamReader();
      r.feedData("line1");
      r.feedData("line2");
      assert.equal(str(await r.read(5)), "line1");
      assert.equal(str(await r.read(5)), "line2");
    }));

  it("StreamReader read at EOF returns empty", () =>
    vrun(async () => {
      const r = new StreamReader();
      const t = createTask(() => r.read(1024));
      await ticks();
      r.feedEof();
      assert.equal((await t).length, 0);
      assert.equal(r.atEof(), true);
    }));

  it("StreamReader read(-1) reads until EOF", () =>
    vrun(async () => {
      const r = new StreamReader();
      const t = createTask(() => r.read(-1));
      await ticks();
      r.feedData("chunk1\n");
      r.feedData("chunk2");
      await ticks();
      assert.equal(t.done(), false);
      r.feedEof();
      assert.equal(str(await t), "chunk1\nchunk2");
      assert.equal(r.buffered, 0);
    }));

  it("StreamReader read throws the exception set on it", () =>
    vrun(async () => {
      const r = new StreamReader();
      r.feedData("line\n");
      r.setException(new RangeError("boom"));
      await assert.rejects(r.read(2), RangeError);
    }));

  it("StreamReader rejects a limit that is not a positive integer", () => {
    assert.throws(() => new StreamReader({ limit: 0 }), RangeError);
    assert.throws(() => new StreamReader({ limit: -1 }), RangeError);
    assert.throws(() => new StreamReader({ limit: 1.5 }), RangeError);
  });

  it("StreamReader read(n) is not bounded by the limit", () =>
    vrun(async () => {
      const r = new StreamReader({ limit: 3 });
      r.feedData("chunk");
      assert.equal(str(await r.read(5)), "chunk");
    }));

  it("StreamReader readline joins chunks until the newline", () =>
    vrun(async () => {
      const r = new StreamReader();
      r.feedData("chunk1 ");
      const t = createTask(() => r.readline());
      await ticks();
      r.feedData("chunk2 ");
      await ticks();
      r.feedData("chunk3\nchunk4");
      assert.equal(str(await t), "chunk1 chunk2 chunk3\n");
      r.feedEof();
      assert.equal(str(await r.read(-1)), "chunk4");
    }));

  it("StreamReader readline leaves the rest of the buffer", () =>
    vrun(async () => {
      const r = new StreamReader();
      r.feedData("line1\nline2\n");
      assert.equal(str(await r.readline()), "line1\n");
      assert.equal(r.buffered, 6);
    }));

  it("StreamReader readline over the limit with data already buffered discards the line", () =>
    vrun(async () => {
      const r = new StreamReader({ limit: 3 });
      r.feedData("li");
      r.feedData("ne1\nline2\n");
      await assert.rejects(r.readline(), LimitOverrunError);
      assert.equal(r.buffered, 6); // CPython: b'line2\n' left
      const r2 = new StreamReader({ limit: 3 });
      r2.feedData("li");
      r2.feedData("ne1");
      r2.feedData("li");
      await assert.rejects(r2.readline(), LimitOverrunError);
      assert.equal(r2.buffered, 0);
    }));

  it("StreamReader atEof is true only at EOF with nothing buffered", () =>
    vrun(async () => {
      const r = new StreamReader();
      assert.equal(r.atEof(), false);
      r.feedData("some data\n");
      assert.equal(r.atEof(), false);
      await r.readline();
      assert.equal(r.atEof(), false);
      r.feedData("some data\n");
      r.feedEof();
      await r.readline();
      assert.equal(r.atEof(), true);
    }));

  it("StreamReader readline waiting past the limit throws and discards", () =>
    vrun(async () => {
      const r = new StreamReader({ limit: 7 });
      const t = createTask(() => r.readline());
      await ticks();
      r.feedData("chunk1");
      r.feedData("chunk2");
      r.feedData("chunk3\n");
      await assert.rejects(t, LimitOverrunError);
      assert.equal(r.buffered, 0); // the one (over-long) line is discarded, as in CPython
      const r2 = new StreamReader({ limit: 7 });
      r2.feedData("chunk1");
      r2.feedData("chunk2\n");
      r2.feedData("chunk3\n");
      r2.feedEof();
      await assert.rejects(r2.readline(), LimitOverrunError);
      assert.equal(str(await r2.read(-1)), "chunk3\n");
      const r3 = new StreamReader({ limit: 7 });
      r3.feedData("1234567\n");
      assert.equal(str(await r3.readline()), "1234567\n");
      r3.feedData("12345678\n");
      await assert.rejects(r3.readline(), LimitOverrunError);
      assert.equal(r3.buffered, 0);
    }));

  it("StreamReader readline at EOF returns the unterminated rest, then empty", () =>
    vrun(async () => {
      const r = new StreamReader();
      r.feedData("some data");
      r.feedEof();
      assert.equal(str(await r.readline()), "some data");
      assert.equal((await r.readline()).length, 0);
    }));

  it("StreamReader readline then read(n) take bytes in order", () =>
    vrun(async () => {
      const r = new StreamReader();
      r.feedData(DATA);
      await r.readline();
      assert.equal(str(await r.read(7)), "line2\nl");
      assert.equal(r.buffered, 5);
    }));

  it("StreamReader readline throws the exception set while it waits", () =>
    vrun(async () => {
      const r = new StreamReader();
      r.feedData("line\n");
      assert.equal(str(await r.readline()), "line\n");
      const t = createTask(() => r.readline());
      await ticks();
      r.setException(new RangeError("boom"));
      await assert.rejects(t, RangeError);
      assert.equal(r.buffered, 0);
    }));

  it("StreamReader readuntil finds a separator across chunks", () =>
    vrun(async () => {
      const r = new StreamReader();
      r.feedData("QWEaa");
      r.feedData("XYaa");
      r.feedData("a");
      assert.equal(str(await r.readuntil("aaa")), "QWEaaXYaaa");
      r.feedData("XXX");
      r.feedData("a");
      r.feedData("a");
      const t = createTask(() => r.readuntil("aaa"));
      await ticks();
      r.feedData("aXXX");
      assert.equal(str(await t), "XXXaaa");
      assert.equal(str(await r.read(3)), "XXX");
    }));

  it("StreamReader readuntil with several separators stops at the first found, longest on a tie", () =>
    vrun(async () => {
      const r = new StreamReader();
      r.feedData("a\r\nb\nc");
      assert.equal(str(await r.readuntil(["\n", "\r\n"])), "a\r\n");
      assert.equal(str(await r.readuntil(["\n", "\r\n"])), "b\n");
      assert.throws(() => void r.readuntil([]), RangeError);
      assert.throws(() => void r.readuntil(""), RangeError);
      assert.throws(() => void r.readuntil(42 as unknown as string), TypeError);
    }));

  it("StreamReader readuntil at EOF throws IncompleteReadError with the rest as partial", () =>
    vrun(async () => {
      const r = new StreamReader();
      r.feedData("some dataAA");
      r.feedEof();
      const e = await r.readuntil("AAA").then(
        () => assert.fail("no error"),
        (error: unknown) => error,
      );
      assert.ok(e instanceof IncompleteReadError);
      assert.equal(str(e.partial), "some dataAA");
      assert.equal(e.expected, null);
      assert.equal(r.buffered, 0);
    }));

  it("StreamReader readuntil over the limit with the separator found consumes nothing", () =>
    vrun(async () => {
      const r = new StreamReader({ limit: 3 });
      r.feedData("some dataAA");
      const e = await r.readuntil("AAA").then(
        () => assert.fail("no error"),
        (error: unknown) => error,
      );
      assert.ok(e instanceof LimitOverrunError);
      assert.equal(r.buffered, 11);
      r.feedData("A");
      const e2 = await r.readuntil("AAA").then(
        () => assert.fail("no error"),
        (error: unknown) => error,
      );
      assert.ok(e2 instanceof LimitOverrunError && /found/.test(e2.message));
      assert.equal(e2.consumed, 9);
      assert.equal(r.buffered, 12);
    }));

  it("StreamReader readexactly throws at the call for a negative or fractional count", () =>
    vrun(async () => {
      const r = new StreamReader();
      assert.equal((await r.readexactly(0)).length, 0);
      assert.throws(() => void r.readexactly(-1), RangeError);
      assert.throws(() => void r.readexactly(1.5), RangeError);
    }));

  it("StreamReader readexactly waits until every byte is there", () =>
    vrun(async () => {
      const r = new StreamReader();
      const n = 2 * DATA.length;
      const t = createTask(() => r.readexactly(n));
      await ticks();
      r.feedData(DATA);
      r.feedData(DATA);
      r.feedData(DATA);
      assert.equal(str(await t), DATA + DATA);
      assert.equal(r.buffered, DATA.length);
    }));

  it("StreamReader readexactly is not bounded by the limit", () =>
    vrun(async () => {
      const r = new StreamReader({ limit: 3 });
      r.feedData("chunk");
      assert.equal(str(await r.readexactly(5)), "chunk");
    }));

  it("StreamReader readexactly at EOF throws IncompleteReadError with partial and expected", () =>
    vrun(async () => {
      const r = new StreamReader();
      const n = 2 * DATA.length;
      const t = createTask(() => r.readexactly(n));
      await ticks();
      r.feedData(DATA);
      r.feedEof();
      const e = await t.then(
        () => assert.fail("no error"),
        (error: unknown) => error,
      );
      assert.ok(e instanceof IncompleteReadError);
      assert.equal(str(e.partial), DATA);
      assert.equal(e.expected, n);
      assert.equal(e.message, "18 bytes read on a total of 36 expected bytes");
      assert.equal(r.buffered, 0);
    }));

  it("StreamReader exception wakes the waiting read with it", () =>
    vrun(async () => {
      const r = new StreamReader();
      assert.equal(r.exception(), null);
      const t = createTask(() => r.readline());
      await ticks();
      const boom = new RangeError("boom");
      r.setException(boom);
      await assert.rejects(t, (e) => e === boom);
      assert.equal(r.exception(), boom);
    }));

  it("StreamReader setException after the waiting read was cancelled does nothing to it", () =>
    vrun(async () => {
      const r = new StreamReader();
      const t = createTask(() => r.readline());
      await ticks();
      t.cancel();
      await ticks();
      r.setException(new RangeError("boom")); // CPython: must not raise InvalidStateError
      await assert.rejects(t, CancelledError);
    }));

  it("StreamReader for await yields lines until EOF", () =>
    vrun(async () => {
      const r = new StreamReader();
      r.feedData("a\nb\nc");
      r.feedEof();
      const lines: string[] = [];
      for await (const line of r) lines.push(str(line));
      assert.deepEqual(lines, ["a\n", "b\n", "c"]);
    }));

  it("StreamReader for await waits across chunks and throws the reader's exception", () =>
    vrun(async () => {
      const r = new StreamReader();
      const lines: string[] = [];
      const t = createTask(async () => {
        for await (const line of r) lines.push(str(line));
      });
      await ticks();
      r.feedData("a");
      r.feedData("b\nc");
      await ticks();
      assert.deepEqual(lines, ["ab\n"]);
      r.setException(new RangeError("reset"));
      await assert.rejects(t, RangeError);
    }));

  it("StreamReader for await cancelled while waiting for a line consumes nothing", () =>
    vrun(async () => {
      const r = new StreamReader();
      r.feedData("x\npart");
      const lines: string[] = [];
      const t = createTask(async () => {
        for await (const line of r) lines.push(str(line));
      });
      await ticks();
      assert.deepEqual(lines, ["x\n"]);
      t.cancel();
      await assert.rejects(t, CancelledError);
      r.feedData("ial\n");
      assert.equal(str(await r.readline()), "partial\n");
    }));

  it("StreamReader readline waiting finds its separator after a read took buffered bytes from under it", () =>
    vrun(async () => {
      const r = new StreamReader();
      r.feedData("abcde");
      const t = createTask(() => r.readline());
      await ticks();
      assert.equal(str(await r.read(3)), "abc"); // satisfied by the buffer: it does not wait
      r.feedData("x\n");
      assert.equal(str(await t), "dex\n");
    }));

  it("StreamReader fed from a source callback settles the woken read as the callback returns: a later cancel loses no byte", () =>
    vrun(async () => {
      const r = new StreamReader();
      const t = createTask(async () => {
        const line = await r.readline();
        await ticks(); // the cancel is delivered here, after the line was returned
        return line;
      });
      await ticks();
      r._feedFromSource(Buffer.from("abc\nrest"));
      assert.equal(r.buffered, 4); // the line is the task's already
      t.cancel();
      await assert.rejects(t, CancelledError);
      assert.equal(str(await r.read(4)), "rest");
    }));

  // The woken read takes what its wake-up probe found only if the buffer is as the probe saw it.
  it("StreamReader woken readline re-reads after a buffered read took its line before it resumed", () =>
    vrun(async () => {
      const r = new StreamReader();
      const t = createTask(() => r.readline());
      await ticks();
      r.feedData("abc\ndefgh\n"); // wakes t (its probe found "abc\n")
      const other = r.readline(); // satisfied by the buffer before t resumes: takes "abc\n"
      assert.equal(str(await other), "abc\n");
      assert.equal(str(await t), "defgh\n");
      assert.equal(r.buffered, 0);
    }));

  it("StreamReader woken read sees data fed after its wake-up when the read's result depends on it", () =>
    vrun(async () => {
      const r = new StreamReader();
      const t = createTask(() => r.read(10));
      await ticks();
      r.feedData("ab"); // wakes t: its probe would take 2 bytes
      r.feedData("cd"); // same step, before t resumes: the read returns all four
      assert.equal(str(await t), "abcd");
    }));

  it("StreamReader woken readline throws an exception set after its wake-up, and the line stays", () =>
    vrun(async () => {
      const r = new StreamReader();
      const t = createTask(() => r.readline());
      await ticks();
      r.feedData("abc\n");
      r.setException(new RangeError("reset"));
      await assert.rejects(t, RangeError);
      assert.equal(r.buffered, 4);
    }));

  it("StreamReader woken readline waits again when a buffered read took all its bytes before it resumed (asyncio loops)", () =>
    vrun(async () => {
      const r = new StreamReader();
      const t = createTask(() => r.readline());
      await ticks();
      r.feedData("abc\n"); // wakes t
      assert.equal(str(await r.readline()), "abc\n"); // the buffer satisfies this read first
      await ticks();
      assert.equal(t.done(), false, "t waits again instead of failing");
      r.feedData("de");
      await ticks();
      assert.equal(t.done(), false);
      r.feedData("f\n");
      assert.equal(str(await t), "def\n");
      assert.equal(r.buffered, 0);
    }));

  it("StreamReader a read waiting again is cancelled like any wait and consumes nothing", () =>
    vrun(async () => {
      const r = new StreamReader();
      const t = createTask(() => r.readuntil("||"));
      await ticks();
      r.feedData("a||");
      assert.equal(str(await r.readuntil("||")), "a||");
      await ticks();
      r.feedData("b|"); // half a separator: t stays waiting
      await ticks();
      t.cancel();
      await assert.rejects(t, CancelledError);
      r.feedData("|");
      assert.equal(str(await r.readuntil("||")), "b||", "the cancelled read took nothing");
    }));

  it("StreamReader a read waiting again still answers to its signal, and the line iterator waits again too", () =>
    vrun(async () => {
      const r = new StreamReader();
      const controller = new AbortController();
      const t = createTask(() => r.readexactly(3, { signal: controller.signal }));
      await ticks();
      r.feedData("xyz");
      assert.equal(str(await r.read(3)), "xyz");
      await ticks();
      controller.abort(new RangeError("stop"));
      await assert.rejects(t, RangeError);
      const lines = r[Symbol.asyncIterator]();
      const next = createTask(() => lines.next());
      await ticks();
      r.feedData("1\n");
      assert.equal(str(await r.readline()), "1\n");
      await ticks();
      assert.equal(next.done(), false, "the iterator's read waits again");
      r.feedData("2\n");
      const result = await next;
      assert.equal(result.done, false);
      assert.equal(str(result.value), "2\n");
    }));

  it("StreamReader a second concurrent read throws and the first goes on", () =>
    vrun(async () => {
      const r = new StreamReader();
      const t = createTask(() => r.readline());
      await ticks();
      await assert.rejects(() => r.read(1), /already waiting for incoming data \(in readline\(\)\)/);
      r.feedData("x\n");
      assert.equal(str(await t), "x\n");
    }));

  it("StreamReader inspect shows buffer, eof, limit, waiter and exception", () =>
    vrun(async () => {
      const r = new StreamReader();
      assert.equal(inspect(r), "<StreamReader 0 bytes>");
      assert.equal(inspect(new StreamReader({ limit: 123 })), "<StreamReader 0 bytes limit=123>");
      const t = createTask(() => r.readexactly(3));
      await ticks();
      assert.equal(inspect(r), "<StreamReader 0 bytes waiter=readexactly()>");
      r.feedData("ab");
      t.cancel();
      await assert.rejects(t, CancelledError);
      r.feedEof();
      assert.equal(inspect(r), "<StreamReader 2 bytes eof>");
      r.setException(new RangeError("x"));
      assert.match(inspect(r), /exception=RangeError: x/);
    }));

  it("StreamReader read results keep their bytes when the buffer is refilled", () =>
    vrun(async () => {
      const r = new StreamReader();
      r.feedData("ab");
      r.feedData("cd"); // copied into the reader's own buffer
      const first = await r.read(2);
      for (let i = 0; i < 100; i++) r.feedData("efgh"); // appends, grows and moves the buffer
      r.feedEof();
      const rest = await r.read(-1);
      assert.equal(str(first), "ab");
      assert.equal(str(rest), "cd" + "efgh".repeat(100));
    }));
});

describe("StreamReader cancellation consumes nothing", T, () => {
  const reads: [string, (r: StreamReader, o?: { signal: AbortSignal }) => Promise<Buffer>, string][] = [
    ["readline", (r, o) => r.readline(o), "abc\n"],
    ["readuntil", (r, o) => r.readuntil("XY", o), "abcXY"],
    ["readexactly", (r, o) => r.readexactly(4, o), "abcd"],
    ["read", (r, o) => r.read(4, o), "abcd"],
  ];
  for (const [name, read, whole] of reads) {
    it(`StreamReader ${name} cancelled while waiting leaves the partial data for the next read`, () =>
      vrun(async () => {
        const r = new StreamReader();
        if (name !== "read") r.feedData(whole.slice(0, 2));
        const t = createTask(() => read(r));
        await ticks();
        t.cancel();
        await assert.rejects(t, CancelledError);
        assert.equal(inspect(r).includes("waiter"), false);
        if (name === "read") r.feedData(whole.slice(0, 2));
        r.feedData(whole.slice(2));
        assert.equal(str(await read(r)), whole);
      }));

    it(`StreamReader ${name} cancelled after data woke it but before it resumed consumes nothing`, () =>
      vrun(async () => {
        const r = new StreamReader();
        const t = createTask(() => read(r));
        await ticks();
        r.feedData(whole); // wakes the read ...
        t.cancel(); // ... which is cancelled before it runs again
        await assert.rejects(t, CancelledError);
        assert.equal(r.buffered, whole.length);
        assert.equal(str(await read(r)), whole);
      }));

    it(`StreamReader ${name} timed out by waitFor and timeout consumes nothing`, () =>
      vrun(async () => {
        const r = new StreamReader();
        const head = name === "read" ? 0 : 1; // read(n) returns whatever is there
        r.feedData(whole.slice(0, head));
        await assert.rejects(waitFor(read(r), 1), TimeoutError);
        await assert.rejects(
          timeout(1, () => read(r)),
          TimeoutError,
        );
        r.feedData(whole.slice(head));
        assert.equal(str(await read(r)), whole);
      }));

    it(`StreamReader ${name} aborted by its signal consumes nothing and rejects with the reason`, () =>
      vrun(async () => {
        const r = new StreamReader();
        const head = name === "read" ? 0 : 1;
        r.feedData(whole.slice(0, head));
        const ac = new AbortController();
        const p = read(r, { signal: ac.signal });
        getRunningLoop().callSoon(() => ac.abort(new RangeError("stop")));
        await assert.rejects(p, RangeError);
        await assert.rejects(read(r, { signal: ac.signal }), RangeError); // already aborted: refused at the door
        r.feedData(whole.slice(head));
        assert.equal(str(await read(r)), whole);
      }));

    it(`StreamReader ${name} with a cancel pending when it starts fails at once, consuming nothing`, () =>
      vrun(async () => {
        const r = new StreamReader();
        r.feedData(whole.slice(0, 1));
        if (name === "read") r.feedEof(); // a read that could complete at once must still refuse
        const t = createTask(async () => {
          await new Promise<void>((resolve) => setImmediate(resolve)); // a foreign await: the cancel is delivered later
          return read(r);
        });
        await ticks();
        t.cancel();
        await assert.rejects(t, CancelledError);
        if (name === "read") {
          assert.equal(str(await read(r)), "a");
          return;
        }
        r.feedData(whole.slice(1));
        assert.equal(str(await read(r)), whole);
      }));
  }
});
