#!/usr/bin/env node
/**
 * `npx asyncio-ts <command> ...`: a small dispatcher, one module per command (imported lazily, so a
 * command's dependencies load only when it runs). Add a command with one line in COMMANDS.
 */
type Command = (args: string[]) => Promise<number>;

const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  ps: { summary: "ps URL       the tasks of a process running the monitor, as a table", load: async () => (await import("./ps.js")).ps },
  pstree: { summary: "pstree URL   the same tasks as a tree, with where each one awaits", load: async () => (await import("./ps.js")).pstree },
  worker: { summary: "worker --redis URL --name NAME --modules DIR...   a RedisExecutor worker (asyncio-ts/redis)", load: async () => (await import("../redis/workerCli.js")).workerMain },
};

function usage(): string {
  return ["usage: asyncio-ts <command> [args]", "", ...Object.values(COMMANDS).map((c) => `  asyncio-ts ${c.summary}`), ""].join("\n");
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === "-h" || name === "--help" || name === "help") {
    process.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    process.stderr.write(`asyncio-ts: unknown command ${JSON.stringify(name)}\n${usage()}`);
    return 2;
  }
  return (await command.load())(args);
}

// A command's failure ends in one line on stderr and exit code 1, not in a stack trace.
process.exitCode = await main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`asyncio-ts: ${error instanceof Error ? error.message : String(error)}\n`);
  return 1;
});
