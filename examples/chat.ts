// A line-protocol chat server: each connection is a task; every line a client sends goes to the
// others. Twenty clients join, each says one line, and each hears the other nineteen.
import type { AddressInfo } from "node:net";
import { Event, gather, openConnection, run, startServer, type StreamReader, type StreamWriter } from "../src/index.js";
import { defineExample } from "./harness.js";

const CLIENTS = 20;

export default defineExample({
  name: "chat",
  title: "a line-protocol chat: 20 clients, every line broadcast to the others",
  section: "Streams (beyond the article): a server with many clients",
  async main(ctx) {
    async function main(): Promise<void> {
      const room = new Map<StreamWriter, string>();
      const allJoined = new Event();
      await using server = await startServer(
        async (reader: StreamReader, writer: StreamWriter) => {
          const name = (await reader.readline()).toString().trim();
          room.set(writer, name);
          if (room.size === CLIENTS) allJoined.set();
          try {
            for await (const line of reader) {
              for (const other of room.keys()) if (other !== writer) other.write(`${name}: ${line.toString()}`);
            }
          } finally {
            room.delete(writer);
          }
        },
        "127.0.0.1",
        0,
      );
      const { port } = server.address() as AddressInfo;

      async function client(i: number): Promise<number> {
        const [reader, writer] = await openConnection("127.0.0.1", port);
        writer.write(`user${i}\n`);
        await allJoined.wait();
        writer.write(`hello from user${i}\n`);
        let heard = 0;
        while (heard < CLIENTS - 1) {
          await reader.readline();
          heard++;
        }
        writer.close();
        return heard;
      }

      const heard = await gather(...Array.from({ length: CLIENTS }, (_, i) => () => client(i)));
      ctx.log(`${CLIENTS} clients joined; each heard ${Math.min(...heard)}–${Math.max(...heard)} lines from the others`);
    }

    await run(main, ctx.runOptions());
  },
});
