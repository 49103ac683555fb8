#!/usr/bin/env node
/**
 * The `asyncio-ts` command. Each subcommand lives with its feature and is imported only when
 * used, so the core needs none of their dependencies (`worker` needs the `redis` client).
 */
const COMMANDS: Record<string, () => Promise<(argv: readonly string[]) => Promise<number>>> = {
  worker: async () => (await import("../redis/workerCli.js")).workerMain,
};

const [command, ...rest] = process.argv.slice(2);
const load = command === undefined ? undefined : COMMANDS[command];
if (load === undefined) {
  process.stderr.write(`usage: asyncio-ts <command> [options]\ncommands: ${Object.keys(COMMANDS).join(", ")}\n`);
  process.exitCode = 2;
} else {
  process.exitCode = await (await load())(rest);
}
