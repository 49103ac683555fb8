// Streams: an echo server and a client, with timeouts. A read that times out consumes nothing,
// so the next read still gets the whole line.
import type { AddressInfo } from "node:net";
import { openConnection, run, sleep, startServer, timeout, TimeoutError, waitFor, type StreamReader, type StreamWriter } from "../src/index.js";
import { defineExample } from "./harness.js";

export default defineExample({
  name: "echo",
  title: "an echo server and client over TCP, with timeouts that lose no byte",
  section: "Streams (beyond the article): open_connection / start_server",
  async main(ctx) {
    async function handle(reader: StreamReader, writer: StreamWriter): Promise<void> {
      for await (const line of reader) {
        const text = line.toString().trim();
        if (text === "slow") await sleep(2); // a slow reply: the client's timeout fires first
        writer.write(`echo: ${text}\n`);
        await writer.drain();
      }
    }

    async function main(): Promise<void> {
      await using server = await startServer(handle, "127.0.0.1", 0);
      const { port } = server.address() as AddressInfo;
      ctx.log(`serving on 127.0.0.1:${port}`);

      const [reader, writer] = await openConnection("127.0.0.1", port);
      writer.write("hello\n");
      ctx.log((await waitFor(reader.readline(), 1)).toString().trim());

      writer.write("slow\n");
      try {
        await timeout(0.5, () => reader.readline());
      } catch (e) {
        if (!(e instanceof TimeoutError)) throw e;
        ctx.log("no reply within 0.5 s: gave up waiting (nothing was consumed)");
      }
      ctx.log(`${(await reader.readline()).toString().trim()} (the late reply, whole)`);

      writer.close();
      await writer.waitClosed();
    }

    await run(main, ctx.runOptions());
  },
});
