// Async context managers and iterators: `await using` calls [Symbol.asyncDispose] when the block
// ends (the article's __aenter__/__aexit__), and an async generator pages through query results.
import { getRunningLoop, run, sleep } from "../src/index.js";
import { defineExample, type ExampleContext } from "./harness.js";

interface Row {
  id: number;
}

const USERS: Row[] = Array.from({ length: 12 }, (_, i) => ({ id: i + 1 }));

class AsyncDatabase implements AsyncDisposable {
  private constructor(private readonly ctx: ExampleContext) {}

  /** `__aenter__`: connecting is async, so it is a static factory awaited before `await using`. */
  static async connect(ctx: ExampleContext): Promise<AsyncDatabase> {
    ctx.log("Connecting to DB...");
    await sleep(0.1);
    return new AsyncDatabase(ctx);
  }

  /** `__aexit__`: runs when the `await using` block ends, normally or by an exception. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.ctx.log("Closing DB connection");
    await sleep(0.05);
  }

  async fetch(query: string): Promise<Row[]> {
    await sleep(0.1);
    // A pretend SQL engine that understands just LIMIT and OFFSET.
    const limit = Number(/LIMIT (\d+)/.exec(query)?.[1] ?? USERS.length);
    const offset = Number(/OFFSET (\d+)/.exec(query)?.[1] ?? 0);
    return USERS.slice(offset, offset + limit);
  }
}

// Async generator (async iterator)
async function* paginate(db: AsyncDatabase, query: string, pageSize = 5): AsyncGenerator<Row> {
  let page = 0;
  while (true) {
    const results = await db.fetch(`${query} LIMIT ${pageSize} OFFSET ${page * pageSize}`);
    if (results.length === 0) break;
    yield* results;
    page++;
  }
}

export default defineExample({
  name: "context-manager",
  title: "await using with [Symbol.asyncDispose], and a paginating async generator",
  section: "Async Context Managers and Iterators",
  async main(ctx) {
    async function main(): Promise<void> {
      const loop = getRunningLoop();
      const started = loop.time();
      {
        await using db = await AsyncDatabase.connect(ctx);
        const rows: number[] = [];
        for await (const row of paginate(db, "SELECT * FROM users")) {
          ctx.log(JSON.stringify(row));
          rows.push(row.id);
        }
        ctx.log(`${rows.length} rows in ${Math.ceil(rows.length / 5)} pages (and one empty page that ends the loop)`);
      }
      // connect 0.1 s + four page queries of 0.1 s + close 0.05 s: one query at a time, as sequential code.
      ctx.timing("connect, page through, close", loop.time() - started, 0.1 + 4 * 0.1 + 0.05);

      ctx.print("An exception inside the block still closes the connection:");
      try {
        await using db = await AsyncDatabase.connect(ctx);
        for await (const row of paginate(db, "SELECT * FROM users")) {
          if (row.id === 3) throw new Error(`row ${row.id} is malformed`);
        }
      } catch (error) {
        ctx.log(`caught after the close: ${(error as Error).message}`);
      }
    }

    await run(main, ctx.runOptions());
  },
});
